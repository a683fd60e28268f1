"""What the exactly-once worker needs of Kafka beyond topics and groups, for `casewatch
doctor`: every topic accepts the messages casewatch writes (streams/topics.py), and this
machine's clock agrees with the broker's (a worker whose clock is off holds its jobs:
streams/clock_guard.py)."""

import time

from kafka.errors import KafkaError

from cli.findings import Finding, first_line
from streams import kafka_clients
from streams.settings import Settings
from streams.topics import describe_limits, limit_problems


def check_limits(settings: Settings) -> Finding:
    try:
        problems = limit_problems(settings, describe_limits(settings))
    except KafkaError as exc:
        return Finding(False, f"无法读取主题配置：{first_line(exc)}。",
                       f"The topics' configurations cannot be read: {first_line(exc)}.")
    if problems:
        return Finding(False, "主题消息上限小于 casewatch 写入的消息，worker 不会启动：" +
                       "；".join(problems) + "。",
                       "A topic accepts smaller messages than casewatch writes; the worker "
                       "will not start: " + "; ".join(problems) + ".")
    return Finding(True, "各主题的消息上限足够。", "Every topic accepts the messages casewatch "
                   "writes.")


def clock_skew(settings: Settings) -> float | None:
    """This machine's clock minus the broker's, from the broker's append time of a probe
    on the clock topic; None when the topic does not stamp LogAppendTime."""
    producer = kafka_clients.producer(settings, acks=1, client_id=f"{settings.app_id}-doctor")
    try:
        sent = time.time()
        # stamped 1970: a topic that keeps the producer's time gives that back
        meta = producer.send(settings.topic("clock"), b"", key=b"doctor",
                             timestamp_ms=0).get(timeout=10)
        acked = time.time()
    finally:
        producer.close()
    if not meta.timestamp or meta.timestamp < 0:
        return None
    return (sent + acked) / 2 - meta.timestamp / 1000


def check_clock(settings: Settings) -> Finding:
    try:
        skew = clock_skew(settings)
    except KafkaError as exc:
        return Finding(False, f"无法与 Kafka 对时：{first_line(exc)}。",
                       f"The clock cannot be compared with Kafka's: {first_line(exc)}.")
    if skew is None:
        return Finding(False, f"主题 {settings.topic('clock')} 未使用 LogAppendTime，无法对时。",
                       f"Topic {settings.topic('clock')} does not stamp LogAppendTime: the "
                       "clock cannot be compared.")
    limit = settings.max_clock_skew
    if abs(skew) > limit:
        return Finding(False, f"本机时钟与 Kafka 相差 {skew:+.1f} 秒，超过 {limit:.0f} 秒"
                       "（CASEWATCH_MAX_CLOCK_SKEW）：此机上的 worker 会暂停处理，"
                       "请校准时钟（NTP）。",
                       f"This machine's clock is {skew:+.1f} s off the broker's, over "
                       f"{limit:.0f} s (CASEWATCH_MAX_CLOCK_SKEW): a worker here holds its "
                       "jobs; set the clock right (NTP).")
    return Finding(True, f"本机时钟与 Kafka 相差 {skew:+.2f} 秒。",
                   f"This machine's clock is {skew:+.2f} s off the broker's.")
