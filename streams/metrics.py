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
BATCH_SECONDS = Histogram(
    "casewatch_job_seconds", "Time to run one job (a source batch or a round of dues)",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
CACHED_CASES = Gauge("casewatch_cached_cases", "Parsed cases held in memory")
QUARANTINED = Gauge(
    "casewatch_quarantined_cases", "Cases set aside because they cannot be processed",
    ["partition"],
)
FENCED = Counter(
    "casewatch_fenced_total", "Partitions this worker lost because another producer fenced it"
)
RESTORE_SECONDS = Counter(
    "casewatch_restore_seconds_total", "Time spent catching stores up with their changelogs"
)
WORK_STRETCH = Histogram(
    "casewatch_work_stretch_seconds",
    "CPU time a job ran between two hand-backs of the event loop",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1),
)
LOOP_LAG = Histogram(
    "casewatch_event_loop_lag_seconds",
    "How late a 50 ms sleep on the worker's event loop wakes up (the loop was blocked)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)
LOOP_LAG_MAX = Gauge(
    "casewatch_event_loop_lag_max_seconds", "The longest event-loop lag seen since start"
)
LOOP_HELD_MAX = Gauge(
    "casewatch_event_loop_held_max_seconds",
    "The longest event-loop lag the loop's thread spent running (CPU time), since start",
)
GC_PAUSE = Histogram(
    "casewatch_gc_pause_seconds", "Garbage collections of the worker, by generation",
    ["generation"], buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)
GC_PAUSE_MAX = Gauge("casewatch_gc_pause_max_seconds", "The longest garbage collection since start")
GC_SWEPT = Counter(
    "casewatch_gc_swept_objects_total",
    "Unreachable objects found by the periodic full collection (streams/collector.py)",
)
CLOCK_SKEW = Gauge(
    "casewatch_clock_skew_seconds",
    "This worker's clock minus the Kafka broker's (from the broker's append time of a probe)",
)
CLOCK_HELD = Gauge(
    "casewatch_clock_held", "1 while jobs are held because the clock is off by more than allowed"
)
RULESET_SWITCHES = Counter(
    "casewatch_ruleset_switches_total", "Partitions switched to another rule set at a marker"
)
SWEPT = Counter(
    "casewatch_swept_cases_total", "Cases re-timed under a partition's new rule set"
)
RULESET_REFUSED = Counter(
    "casewatch_ruleset_refused_total",
    "Changed rule sets of CASEWATCH_RULES_DIR refused because they do not load",
)
