"""The worker's topics, created if missing: all with the configured partition count,
replication factor and min.insync.replicas, and each with its message limit set.

`case-events` accepts messages up to 4 MiB so that an oversized event reaches casewatch
and is dead-lettered with its reason, instead of being refused to its publisher alone; its
timestamps are the broker's (LogAppendTime): an event dated more than a day after its
record is invalid (schemas/time_window.py), and a producer's clock would be as wrong as its
dates. `problems` likewise, for problem records (streams/problem_intake.py: one found after
its record's broker time is invalid), whose invalid ones go to `problems.dlq`.
Every other topic accepts 1 MiB, which is what the worker's producers put in one batch
(streams/kafka_clients.py) and more than any message it writes (streams/work.py);
`check_limits` refuses to start against a topic that accepts less. `case-state` is the
compacted changelog of the cases' state (streams/case_store.py); `clock` (one partition,
LogAppendTime, an hour's retention) carries the workers' clock probes
(streams/clock_guard.py); `rules` (one partition, compacted by content hash) every rule set
applied (streams/rulesets.py); `notify-state` is the notifier's compacted state
(notify/notifier.py). `problem-records` (the problems the intake accepted, key =
problem_id) is compacted: the latest record of each key is kept for good.
`month-closures` (the white paper's frozen months, key = month) is never deleted: the
first closure of a month counts.
"""

import sys

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.kafka_clients import MAX_BATCH_BYTES, connection
from streams.settings import Settings

TOPICS = ("case-events", "warnings", "case-events.dlq", "case-rows", "case-state", "acks", "rules",
          "warning-actions", "access-log", "clock",
          # the notifier (notify/): its inputs and outputs beside the warnings and actions
          "lawyer-notices", "notify-commands", "notify-state", "notifications",
          # problems from other sources (streams/problem_intake.py) and closed months
          "problems", "problems.dlq", "problem-records", "problem-actions", "month-closures",
          # daily bulletins for the notifier (`casewatch report --day ... --send`)
          "bulletins")
MESSAGE_BYTES = MAX_BATCH_BYTES + 12  # a record batch's overhead beyond its records' limit
CONFIGS = {
    "case-events": {"max.message.bytes": str(4 * 1024 * 1024),
                    "message.timestamp.type": "LogAppendTime"},
    "case-state": {"cleanup.policy": "compact"},
    "clock": {"message.timestamp.type": "LogAppendTime", "retention.ms": "3600000"},
    "rules": {"cleanup.policy": "compact"},
    "notify-state": {"cleanup.policy": "compact"},
    "problems": {"max.message.bytes": str(4 * 1024 * 1024),
                 "message.timestamp.type": "LogAppendTime"},
    "problem-records": {"cleanup.policy": "compact"},
    "month-closures": {"retention.ms": "-1", "retention.bytes": "-1"},
}
SINGLE_PARTITION = {"clock", "rules"}


class TopicLimitError(RuntimeError):
    """A topic accepts smaller messages than casewatch writes to it."""


def topic_configs(settings: Settings, name: str) -> dict[str, str]:
    return {"min.insync.replicas": str(settings.min_insync_replicas),
            "max.message.bytes": str(MESSAGE_BYTES), **CONFIGS.get(name, {})}


def ensure_topics(settings: Settings, names: tuple[str, ...] = TOPICS) -> list[str]:
    """Create the absent topics (of `names`, all by default); return the names created."""
    admin = KafkaAdminClient(**connection(settings), client_id=f"{settings.app_id}-admin")
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(settings.topic(name),
                            1 if name in SINGLE_PARTITION else settings.partitions,
                            settings.replication_factor,
                            topic_configs=topic_configs(settings, name))
                   for name in names if settings.topic(name) not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another worker created them first
        return [t.name for t in missing]
    finally:
        admin.close()


def limit_problems(settings: Settings, described: dict[str, dict[str, str]]) -> list[str]:
    """What is wrong with the topics' message limits, given each topic's configs."""
    problems = []
    for name in TOPICS:
        topic = settings.topic(name)
        want = int(topic_configs(settings, name)["max.message.bytes"])
        have = described.get(topic, {}).get("max.message.bytes")
        if have is not None and int(have) < want:
            problems.append(f"topic {topic} accepts messages of {have} bytes, casewatch "
                            f"writes up to {want}: set its max.message.bytes to {want}")
    return problems


def describe_limits(settings: Settings) -> dict[str, dict[str, str]]:
    admin = KafkaAdminClient(**connection(settings), client_id=f"{settings.app_id}-admin")
    try:
        resources = [ConfigResource(ConfigResourceType.TOPIC, settings.topic(name),
                                    ["max.message.bytes"]) for name in TOPICS]
        described = admin.describe_configs(resources).get("topic", {})
        return {topic: {key: entry["value"] for key, entry in configs.items()}
                for topic, configs in described.items()}
    finally:
        admin.close()


def check_limits(settings: Settings) -> None:
    problems = limit_problems(settings, describe_limits(settings))
    if problems:
        raise TopicLimitError("; ".join(problems))


def main() -> None:
    """`python -m streams.topics`: create the topics of the environment's settings."""
    for name in ensure_topics(Settings.from_env()):
        print(f"[topics] created {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
