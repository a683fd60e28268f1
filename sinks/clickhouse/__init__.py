"""The ClickHouse side of the sink: client and settings, migrations, rows, retry-safe
batches, and the read queries (dashboards, white paper, console)."""
