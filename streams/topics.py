"""The worker's topics, created if missing: all with the configured partition count,
replication factor and min.insync.replicas.

`case-state` is the compacted changelog of the cases' state (streams/case_store.py).
`case-events` accepts messages up to 4 MiB so that an oversized event reaches casewatch
and is dead-lettered with its reason, instead of being refused to its publisher alone;
`problems` likewise for problem records (streams/problem_intake.py), whose invalid ones go
to `problems.dlq`. `problem-records` (the problems the intake accepted, key = problem_id)
is compacted: the latest record of each key is kept for good. `month-closures` (the white
paper's frozen months, key = month) is never deleted: the first closure of a month counts.
"""

import sys

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.kafka_clients import connection
from streams.settings import Settings

TOPICS = ("case-events", "warnings", "case-events.dlq", "case-rows", "case-state", "acks",
          "warning-actions", "problems", "problems.dlq", "problem-records", "problem-actions",
          "month-closures")
CONFIGS = {
    "case-events": {"max.message.bytes": str(4 * 1024 * 1024)},
    "case-state": {"cleanup.policy": "compact"},
    "problems": {"max.message.bytes": str(4 * 1024 * 1024)},
    "problem-records": {"cleanup.policy": "compact"},
    "month-closures": {"retention.ms": "-1", "retention.bytes": "-1"},
}


def ensure_topics(settings: Settings) -> list[str]:
    """Create the absent topics; return the names created."""
    admin = KafkaAdminClient(**connection(settings), client_id=f"{settings.app_id}-admin")
    try:
        existing = set(admin.list_topics())
        common = {"min.insync.replicas": str(settings.min_insync_replicas)}
        missing = [NewTopic(settings.topic(name), settings.partitions,
                            settings.replication_factor,
                            topic_configs={**common, **CONFIGS.get(name, {})})
                   for name in TOPICS if settings.topic(name) not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another worker created them first
        return [t.name for t in missing]
    finally:
        admin.close()


def main() -> None:
    """`python -m streams.topics`: create the topics of the environment's settings."""
    for name in ensure_topics(Settings.from_env()):
        print(f"[topics] created {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
