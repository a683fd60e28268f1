"""Dead-letter records: the original bytes (bounded), the reasons, and where it came from.

A record stays below the 1 MiB message limit of the output topics whatever the input's
size: the value is kept byte for byte up to a limit (at most 512 KiB, streams/settings.py),
and always identified by its full length and SHA-256; at most 20 reasons of 1,024
characters each are kept.
"""

import base64
import hashlib
from datetime import UTC, datetime

from schemas.dead_letter import DeadLetter

DEFAULT_VALUE_LIMIT = 128 * 1024
TEXT_LIMIT = 4096
REASONS, REASON_LIMIT = 20, 1024


def dead_letter(raw: bytes | None, key: bytes | None, reasons: list[str], topic: str,
                partition: int, offset: int, value_limit: int = DEFAULT_VALUE_LIMIT) -> bytes:
    kept = None if raw is None else raw[:value_limit]
    record = DeadLetter(
        reasons=[r[:REASON_LIMIT] for r in reasons[:REASONS]],
        topic=topic,
        partition=partition,
        offset=offset,
        key=key[:1024].decode("utf-8", "replace") if key is not None else None,
        value_base64=None if kept is None else base64.b64encode(kept).decode(),
        value_text=None if raw is None else raw[:TEXT_LIMIT].decode("utf-8", "replace"),
        value_length=None if raw is None else len(raw),
        value_sha256=None if raw is None else hashlib.sha256(raw).hexdigest(),
        value_truncated=raw is not None and len(raw) > value_limit,
        dead_lettered_at=datetime.now(UTC),
    )
    return record.model_dump_json().encode()
