"""The access log: every read of a warning's explanation, the measure board, every search
and export, every login, recorded to `<prefix>access-log` before the answer is given (the
sink writes it to ClickHouse `access_log`). A read whose record cannot be written is
refused (503): nothing is read unrecorded."""

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web

from schemas.access_record import AccessRecord
from web.errors import error

log = logging.getLogger(__name__)


class AccessLog:
    def __init__(self, topic: str, timeout: float):
        self.topic = topic
        self.timeout = timeout
        self.producer = None  # started with the application

    async def record(self, request: web.Request | None, action: str, *, actor_id: str = "",
                     actor_role: str = "", address: str = "", **fields) -> None:
        """Write one record; raise a 503 (audit_unavailable) if Kafka does not take it."""
        if request is not None and "user" in request:
            user = request["user"]
            actor_id, actor_role = actor_id or user.id, actor_role or user.role
            address = address or request["address"]
        record = AccessRecord(at=datetime.now(UTC), actor_id=actor_id[:64],
                              actor_role=actor_role, address=address[:64], action=action,
                              **{k: (v[:512] if isinstance(v, str) else v)
                                 for k, v in fields.items()})
        try:
            await asyncio.wait_for(self.producer.send_and_wait(
                self.topic, key=record.actor_id.encode(),
                value=record.model_dump_json().encode()), self.timeout)
        except Exception as exc:  # noqa: BLE001  Kafka down, timed out, not started
            log.error("access record %s of %s not written: %s", action, record.actor_id, exc)
            raise error(web.HTTPServiceUnavailable, "audit_unavailable") from None
