"""Prometheus metrics of the worker, served at /metrics on CASEWATCH_METRICS_PORT."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_IN = Counter(
    "casewatch_events_in_total", "Messages read from the case-events topic", ["result"]
)  # result: valid, invalid, duplicate, conflict, error
WARNINGS = Counter(
    "casewatch_warnings_total", "Warning state changes published", ["rule", "level", "status"]
)
DUE_INDEX_SIZE = Gauge("casewatch_due_index_size", "Cases waiting for a clock-driven change")
OLDEST_DUE_DELAY = Gauge(
    "casewatch_oldest_due_delay_seconds",
    "How far behind its due the oldest pending timer is (0 when none is late)",
)
FIRE_DELAY = Histogram(
    "casewatch_timer_fire_delay_seconds",
    "From a case's due instant to its re-evaluation",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300),
)
CONSUMER_LAG = Gauge(
    "casewatch_consumer_lag_messages", "Messages not yet processed", ["topic", "partition"]
)
CALENDAR_FALLBACK = Gauge(
    "casewatch_calendar_fallback_years",
    "Years counted with the weekend fallback calendar (official schedule not yet known)",
)
SEND_FAILURES = Counter(
    "casewatch_send_failures_total", "Rounds of output messages Kafka did not acknowledge"
)
RECOVERY_SECONDS = Histogram(
    "casewatch_recovery_seconds", "Time to catch up assigned partitions' state and index",
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300),
)
BATCH_SECONDS = Histogram(
    "casewatch_job_seconds", "Time to run one job (a source batch or a round of dues)",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
CACHED_CASES = Gauge("casewatch_cached_cases", "Parsed cases held in memory")
