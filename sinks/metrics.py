"""Prometheus metrics of the sink, served at /metrics on CASEWATCH_SINK_METRICS_PORT."""

from prometheus_client import Counter, Gauge, Histogram

SINK_BATCH_SECONDS = Histogram(
    "casewatch_sink_batch_seconds", "Time to write one batch to ClickHouse"
)
SINK_ROWS = Counter("casewatch_sink_rows_total", "Rows written to ClickHouse", ["table"])
SINK_FAILURES = Counter("casewatch_sink_failures_total", "Failed ClickHouse batch writes")
SINK_DEAD_LETTERS = Counter(
    "casewatch_sink_dead_letters_total",
    "Input records the sink could not read, and rows of records it could not write", ["topic"]
)
SINK_LAG = Gauge(
    "casewatch_sink_lag_messages",
    "Records of an assigned partition not yet committed (end offset - committed offset)",
    ["topic", "partition"],
)
