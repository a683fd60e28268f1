"""ClickHouse sink: the sink contract, row mapping, batched retry-safe writes, the consumer.

- base.py: the contract (add/flush/revoke in line with Kafka offsets)
- batch.py: the ClickHouse implementation, one insert per table per flush
- decode.py: input topic records -> rows (through schemas/); rows.py: models -> row tuples
- consumer.py: Kafka -> sink loop with manual commits (run by `casewatch sink`)
- clickhouse.py: server connection from settings; embedded.py: chDB with the same calls
- migrate.py + migrations/*.sql: schema; queries.py: read queries; metrics.py: Prometheus
See docs/clickhouse.md.
"""
