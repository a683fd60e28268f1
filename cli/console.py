"""`casewatch console`: live warnings for monitoring staff, and their acknowledgements.

Reads the warnings topic from the start, keeps each warning's latest state and redraws
the open ones (overdue and violations first). Typing a warning id (or its first 6+
characters) and Enter acknowledges it: the acknowledgement goes to the `acks` topic with
the operator id from CASEWATCH_OPERATOR.
"""

import json
import os
import select
import sys
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cli.table import render_table
from schemas.warning import Warning

_ORDER = {"system": 0, "violation": 1, "overdue": 2, "approaching": 3}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("console", help="live warnings for monitoring staff (终端控制台)")
    p.add_argument("--once", action="store_true", help="print the open warnings and exit")
    p.add_argument("--limit", type=int, default=40, help="rows to show")
    p.set_defaults(func=run)


def open_warnings(latest: dict[str, Warning], acked: set[str]) -> list[Warning]:
    rows = [w for w in latest.values() if w.status == "open" and w.warning_id not in acked]
    return sorted(rows, key=lambda w: (_ORDER[w.level], w.due_at or w.changed_at, w.warning_id))


def acknowledge(prefix: str, latest: dict[str, Warning]) -> Warning | None:
    prefix = prefix.strip()
    matches = [w for wid, w in latest.items() if len(prefix) >= 6 and wid.startswith(prefix)]
    return matches[0] if len(matches) == 1 else None


def run(args) -> int:
    from kafka import KafkaConsumer, KafkaProducer

    from cli.kafka_access import KafkaAccessError, explained
    from streams.kafka_auth import kafka_python_kwargs
    from streams.settings import Settings

    settings = Settings.from_env()
    topics = [settings.topic("warnings"), settings.topic("acks")]
    security = kafka_python_kwargs(settings)
    consumer = producer = None
    try:
        with explained(settings, settings.kafka_bootstrap,
                       f"read topics {', '.join(topics)}") as access:
            consumer = KafkaConsumer(*topics, bootstrap_servers=settings.kafka_bootstrap,
                                     auto_offset_reset="earliest", group_id=None,
                                     isolation_level="read_committed",
                                     bootstrap_timeout_ms=10_000, **security)
            access.check_topics("read", topics, consumer.topics())
            producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap,
                                     bootstrap_timeout_ms=10_000, **security)
            return _show(args, settings, consumer, producer)
    except KafkaAccessError as exc:
        print(f"casewatch console: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        for client in (consumer, producer):
            if client is not None:
                client.close()


def _show(args, settings, consumer, producer) -> int:
    """Redraw the open warnings until interrupted (once with --once); send acknowledgements."""
    operator = os.environ.get("CASEWATCH_OPERATOR", "operator")
    local = ZoneInfo(settings.tz)
    latest: dict[str, Warning] = {}
    acked: set[str] = set()
    while True:
        for records in consumer.poll(timeout_ms=500).values():
            for m in records:
                if m.topic == settings.topic("acks"):
                    acked.add(json.loads(m.value)["warning_id"])
                else:
                    w = Warning.model_validate_json(m.value)
                    latest[w.warning_id] = w
        rows = open_warnings(latest, acked)
        if args.once:
            sys.stdout.write(render_table(rows[: args.limit]))
            return 0
        clock = datetime.now(local).strftime("%H:%M:%S")
        sys.stdout.write("\x1b[2J\x1b[H执法监督时限预警 casewatch — 未确认预警 open, "
                         f"unacknowledged ({len(rows)})  {clock}\n")
        sys.stdout.write(render_table(rows[: args.limit]))
        sys.stdout.write("输入预警编号确认 type a warning id (6+ chars) + Enter "
                         "to acknowledge: ")
        sys.stdout.flush()
        if select.select([sys.stdin], [], [], 1.0)[0]:
            w = acknowledge(sys.stdin.readline(), latest)
            if w is not None:
                ack = {"warning_id": w.warning_id, "case_id": w.case_id, "operator": operator,
                       "acknowledged_at": datetime.now(UTC).isoformat()}
                producer.send(settings.topic("acks"), key=w.case_id.encode(),
                              value=json.dumps(ack).encode())
                producer.flush()
        time.sleep(0.1)
