"""One input partition owned by this worker, as Kafka Streams' task: its local store, its
transactional producer, and where it stands.

- `restoring`: taken up (assigned, or lost and taken up again); its producer fences every
  earlier owner, then its store catches up with the changelog, its due index is rebuilt and
  its quarantined cases are tried again. Its source partition stays paused meanwhile.
- `active`: its records and dues are processed.
- `suspended`: revoked by a rebalance. Its store, cached cases and due entries are kept in
  case the same rebalance gives it back (the consumer's protocol is eager: every rebalance
  revokes everything first); if the changelog shows no other writer since, they are used as
  they are.
- `lost`: its producer was fenced — another worker owns the partition, or the broker
  aborted a transaction that ran too long. Nothing more is written; its cached cases and
  dues are dropped. If the group still gives it to this worker after a short wait (a
  rebalance would have taken it away), it is taken up again from the changelog.
"""

from dataclasses import dataclass

from streams.case_store import PartitionStore
from streams.outputs import PartitionProducer

RESTORING, ACTIVE, SUSPENDED, LOST = "restoring", "active", "suspended", "lost"


@dataclass(eq=False)
class Task:
    partition: int
    store: PartitionStore
    state: str = RESTORING
    producer: PartitionProducer | None = None
    kept: bool = False  # came back from `suspended`: its cache and dues may still hold
    restore_end: int | None = None  # the changelog end it catches up to
    applied: int = 0  # changelog records applied by this restore
    retry_at: float = 0.0  # when a lost task may be taken up again (monotonic)
    committed: int | None = None  # the source offset committed last
