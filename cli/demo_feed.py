"""`casewatch demo-feed`: realistic case lifecycles published as time passes, for demos.

Each new case starts up to `--backdate-days` in the past: what already happened is published
at once (so some duties are already late), the rest when its time comes. Some duties are
done late or never (see cli/lifecycles.py), so warnings appear live.
"""

import heapq
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from random import Random

from cli.lifecycles import case_lifecycle


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("demo-feed", help="publish generated case lifecycles, live")
    p.add_argument("--cases", type=int, default=200, help="cases to start (default 200)")
    p.add_argument("--every", type=float, default=2.0, help="seconds between new cases")
    p.add_argument("--backdate-days", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=run)


def run(args) -> int:
    from kafka import KafkaProducer

    from cli.kafka_access import KafkaAccessError, explained
    from streams.kafka_auth import kafka_python_kwargs
    from streams.settings import Settings

    settings = Settings.from_env()
    topic = settings.topic("case-events")
    try:
        with explained(settings, settings.kafka_bootstrap, f"write topic {topic}"):
            producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=20,
                                     bootstrap_timeout_ms=10_000,
                                     **kafka_python_kwargs(settings))
    except KafkaAccessError as exc:
        print(f"casewatch demo-feed: {exc}", file=sys.stderr)
        return 2
    rng = Random(args.seed)
    pending: list[tuple[float, int, dict]] = []
    started = published = 0
    next_case = time.time()
    print(f"demo feed: {args.cases} cases to {topic}; Ctrl-C stops")
    try:
        while started < args.cases or pending:
            now = time.time()
            if started < args.cases and now >= next_case:
                back = timedelta(days=rng.uniform(0, args.backdate_days))
                for event in case_lifecycle(rng, 900000 + started, datetime.now(UTC) - back):
                    at = datetime.fromisoformat(event["occurred_at"]).timestamp()
                    heapq.heappush(pending, (at, len(pending) + published, event))
                started += 1
                next_case = now + args.every
            while pending and pending[0][0] <= now:
                _, _, event = heapq.heappop(pending)
                producer.send(topic, key=event["case_id"].encode(),
                              value=json.dumps(event, ensure_ascii=False).encode())
                published += 1
            producer.flush()
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        producer.close()
    print(f"demo feed: published {published} events of {started} cases")
    return 0
