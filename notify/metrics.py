"""Prometheus metrics of `casewatch notify`, served at /metrics on
CASEWATCH_NOTIFY_METRICS_PORT."""

from prometheus_client import Counter, Gauge, Histogram

SENT = Counter("casewatch_notify_sent_total", "Notifications delivered",
               ["receiver", "kind"])
FAILED = Counter("casewatch_notify_failed_total", "Delivery attempts that failed",
                 ["receiver", "kind"])
GIVEN_UP = Counter("casewatch_notify_given_up_total",
                   "Notifications that failed for good (kept for a retry from the console)",
                   ["receiver", "kind"])
DELIVERY_SECONDS = Histogram("casewatch_notify_delivery_seconds", "Time of one attempt",
                             ["kind"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
QUEUE_AGE = Gauge("casewatch_notify_queue_age_seconds",
                  "Age of the oldest notification decided and not yet delivered (0: none)")
PENDING = Gauge("casewatch_notify_pending_notifications",
                "Notifications decided and not yet delivered (failed ones included)")
WAITING_ITEMS = Gauge("casewatch_notify_group_items",
                      "Items waiting in groups for group_wait or group_interval")
LAG = Gauge("casewatch_notify_lag_messages",
            "Input records of an assigned partition not yet committed", ["topic", "partition"])
BAD_RECORDS = Counter("casewatch_notify_bad_records_total",
                      "Input records the notifier could not read (dead-lettered)", ["topic"])
UNROUTED = Gauge("casewatch_notify_unresolved_receivers",
                 "Receiver references (@unit.<role>) that named no receiver for a unit")
RELOADS = Counter("casewatch_notify_config_reloads_total", "Routing file reloads",
                  ["result"])  # ok, refused
