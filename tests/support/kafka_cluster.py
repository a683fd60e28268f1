"""The three-broker local Kafka of `deploy/stack start kafka-cluster`, for tests of
replication and of a broker lost mid-stream: its bootstrap, each node's address, and
kill/start/stop per node (`deploy/stack kill kafka-cluster-N`), plus the partition state
(leader, ISR) such a test waits on. The `kafka_cluster` fixture (tests/integration/
conftest.py) starts it on demand; it is not part of the shared stack.
"""

import time
from dataclasses import dataclass

from kafka import KafkaAdminClient

NODES = (1, 2, 3)


@dataclass(frozen=True)
class PartitionState:
    leader: int  # -1 while it has none
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


class KafkaCluster:
    def __init__(self, run):
        """`run(*args)`: deploy/stack with these arguments (raises if it fails)."""
        self._run = run
        self.nodes = {n: f"127.0.0.1:{29190 + n}" for n in NODES}
        self.bootstrap = ",".join(self.nodes.values())

    # -- the nodes ---------------------------------------------------------------------

    def start(self, node: int | None = None) -> None:
        """Start one node (default: every node not running) and wait until it is healthy:
        registered with the cluster, unfenced."""
        self._run("start", self._service(node))

    def kill(self, node: int) -> None:
        """SIGKILL one node, as a crash."""
        self._run("kill", self._service(node))

    def stop(self, node: int | None = None) -> None:
        """Stop cleanly (SIGTERM; the nodes together)."""
        self._run("stop", self._service(node))

    def running(self, node: int | None = None) -> bool:
        """Whether the node (default: every node) runs and is healthy."""
        try:
            self._run("status", self._service(node))
        except RuntimeError:
            return False
        return True

    @staticmethod
    def _service(node: int | None) -> str:
        if node is None:
            return "kafka-cluster"
        if node not in NODES:
            raise ValueError(f"no node {node}; the cluster has {NODES}")
        return f"kafka-cluster-{node}"

    # -- what the partitions look like --------------------------------------------------

    def admin(self) -> KafkaAdminClient:
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)

    def partitions(self, *topics: str) -> dict[tuple[str, int], PartitionState]:
        admin = self.admin()
        try:
            described = admin.describe_topics(list(topics))
        finally:
            admin.close()
        return {(t["name"], p["partition_index"]): PartitionState(
                    p["leader_id"], tuple(p["replica_nodes"]), tuple(p["isr_nodes"]))
                for t in described for p in t["partitions"]}

    def leader(self, topic: str, partition: int) -> int:
        return self.partitions(topic)[(topic, partition)].leader

    def wait_partitions(self, topics: list[str], ok, what: str,
                        timeout: float = 90.0) -> dict[tuple[str, int], PartitionState]:
        """Wait until `ok(state)` holds for every partition of `topics`; return them."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                states = self.partitions(*topics)
            except Exception as exc:  # noqa: BLE001  metadata moves while a node dies
                states, error = {}, exc
            else:
                error = None
                if states and all(ok(s) for s in states.values()):
                    return states
            if time.monotonic() > deadline:
                raise AssertionError(f"partitions not {what} after {timeout:.0f} s: "
                                     f"{states or error}")
            time.sleep(0.5)

    def wait_isr(self, topics: list[str], members: set[int],
                 timeout: float = 90.0) -> dict[tuple[str, int], PartitionState]:
        """Wait until every partition of `topics` has exactly `members` in sync, led by
        one of them."""
        return self.wait_partitions(
            topics, lambda s: set(s.isr) == members and s.leader in members,
            f"in sync on {sorted(members)}", timeout)

