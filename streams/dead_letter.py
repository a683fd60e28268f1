"""Dead-letter records: the original bytes, the reasons, and where the message came from."""

import base64
import json
from datetime import UTC, datetime


def dead_letter(raw: bytes | None, key: bytes | None, reasons: list[str], topic: str,
                partition: int, offset: int) -> bytes:
    """One JSON object; the original value is kept byte for byte (base64, null for a message
    without a value) and as text."""
    record = {
        "reasons": reasons,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "key": key.decode("utf-8", "replace") if key is not None else None,
        "value_base64": None if raw is None else base64.b64encode(raw).decode(),
        "value_text": None if raw is None else raw.decode("utf-8", "replace")[:4096],
        "dead_lettered_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
    return json.dumps(record, ensure_ascii=False).encode()
