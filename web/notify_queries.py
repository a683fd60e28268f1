"""ClickHouse reads of the notifier's console pages (delivery log, silences). SQL valid on
ClickHouse 18.16 and current releases; values bound as parameters."""

from sinks.clickhouse.migrate import check_identifier

DELIVERY_COLUMNS = ("notification_id", "status", "attempts", "receiver", "receiver_kind",
                    "reason", "unit_id", "group_key", "subjects", "changes", "more", "title",
                    "error", "created_at", "last_at", "latency_ms")

_DELIVERIES = """
SELECT * FROM (
    SELECT notification_id,
           argMax(status, attempt) AS cur_status,
           max(attempt) AS attempts,
           any(receiver) AS cur_receiver,
           any(receiver_kind),
           any(reason),
           any(unit_id) AS cur_unit,
           any(group_key),
           argMax(subjects, attempt),
           argMax(changes, attempt),
           any(more),
           any(title),
           argMax(error, attempt),
           min(created_at),
           max(attempted_at) AS last_at,
           argMax(latency_ms, attempt)
    FROM {db}.notifications
    GROUP BY notification_id
)
WHERE (%(status)s = '' OR cur_status = %(status)s)
  AND (%(receiver)s = '' OR cur_receiver = %(receiver)s)
  AND (%(unit)s = '' OR cur_unit = %(unit)s)
"""


def deliveries(db: str) -> str:
    """Each notification's latest attempt, newest first (parameters status, receiver,
    unit: '' for any; offset, limit)."""
    return (_DELIVERIES.format(db=check_identifier(db))
            + "ORDER BY last_at DESC, notification_id LIMIT %(offset)s, %(limit)s")


def deliveries_count(db: str) -> str:
    return f"SELECT count() FROM ({_DELIVERIES.format(db=check_identifier(db))})"


def delivery_status(db: str) -> str:
    """The latest status of notification `nid`."""
    return (f"SELECT argMax(status, attempt) FROM {check_identifier(db)}.notifications "
            "WHERE notification_id = %(nid)s")


SILENCE_COLUMNS = ("silence_id", "rule_id", "unit_id", "case_id", "starts_at", "ends_at",
                   "reason", "created_by", "created_at", "expired_at", "expired_by")


def silences(db: str) -> str:
    """Every silence with who made it and, if ended early, when and by whom."""
    db = check_identifier(db)
    return f"""
SELECT silence_id, s_rule, s_unit, s_case, s_starts, s_ends, s_reason, s_by, s_at,
       e_at, e_by
FROM (
    SELECT silence_id, any(rule_id) AS s_rule, any(unit_id) AS s_unit, any(case_id) AS s_case,
           any(starts_at) AS s_starts, any(ends_at) AS s_ends, any(reason) AS s_reason,
           any(actor_id) AS s_by, min(at) AS s_at
    FROM {db}.notify_audit
    WHERE command = 'silence'
    GROUP BY silence_id
) AS s
ANY LEFT JOIN (
    SELECT silence_id, min(at) AS e_at, argMin(actor_id, at) AS e_by
    FROM {db}.notify_audit
    WHERE command = 'expire'
    GROUP BY silence_id
) AS e USING silence_id
ORDER BY s_at DESC
LIMIT 500
"""
