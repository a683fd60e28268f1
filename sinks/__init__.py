"""ClickHouse sink: migrations, row mapping, batched retry-safe writes, read queries.

- rows.py: models -> row tuples (pure)
- batch.py: add()/should_flush()/flush() in line with Kafka offsets
- clickhouse.py: server connection from settings; embedded.py: chDB with the same calls
- migrate.py + migrations/*.sql: schema; queries.py: read queries
See docs/clickhouse.md.
"""
