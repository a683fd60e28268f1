"""casewatch notify: warnings, problems and lawyer notices to people's channels.

Alertmanager's model (routes, grouping, silences, inhibition) with PagerDuty-style
escalation policies, all as data (`deploy/notify.toml`). The pure parts (matching, routing,
grouping, escalation, silences, inhibition, rendering) take the time as an argument; the
process (`notify/service.py`) feeds them from Kafka and persists their state.
"""
