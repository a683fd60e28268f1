"""Kafka checks of `casewatch doctor`: the cluster answers, every casewatch topic exists
with the configured partitions and replicas and has a leader, and the worker's and the
sink's consumer groups (and the problems intake's, in the sink process) have running
members and little lag."""

from kafka import TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError

from cli.findings import Finding, first_line
from sinks.decode import DECODERS
from streams import kafka_clients
from streams.settings import Settings
from streams.topics import SINGLE_PARTITION, TOPICS

UNKNOWN_TOPIC = 3
#: consumer group (suffix after the app id) -> the casewatch topics it consumes
GROUPS = {"": ("case-events",), "-sink": tuple(DECODERS),
          "-problems": ("problems",)}  # the problems intake, in the sink process
TIMEOUT_MS = 5000


def check_kafka(settings: Settings, max_lag: int) -> list[Finding]:
    where = settings.kafka_bootstrap
    try:
        admin = kafka_clients.admin(settings, f"{settings.app_id}-doctor",
                                    request_timeout_ms=TIMEOUT_MS, bootstrap_timeout_ms=TIMEOUT_MS)
    except KafkaError as exc:
        return [Finding(
            False,
            f"无法连接 Kafka（{where}）：{first_line(exc)}。请检查 CASEWATCH_KAFKA_BOOTSTRAP、"
            "网络和 Kafka 服务；主题和消费组因此未检查。",
            f"Kafka at {where} is not reachable: {first_line(exc)}. Check "
            "CASEWATCH_KAFKA_BOOTSTRAP, the network and the Kafka service; topics and "
            "consumer groups were not checked.")]
    try:
        findings = [Finding(True, f"Kafka 可以连接（{where}）。", f"Kafka answers at {where}.")]
        wanted = [settings.topic(name) for name in TOPICS]
        described = sorted(admin.describe_topics(wanted), key=lambda d: wanted.index(d["name"]))
        findings += [topic_finding(d, settings) for d in described]
        partitions = {d["name"]: [p["partition_index"] for p in d["partitions"]]
                      for d in described if d["error_code"] == 0}
        for suffix, names in GROUPS.items():
            group = settings.app_id + suffix
            try:
                findings.append(group_finding(admin, group, [settings.topic(n) for n in names],
                                              partitions, max_lag))
            except KafkaError as exc:  # e.g. no group coordinator yet on a new cluster
                findings.append(Finding(
                    False, f"无法读取消费组 {group}：{first_line(exc)}。",
                    f"Consumer group {group} cannot be read: {first_line(exc)}."))
        return findings
    except KafkaError as exc:
        return [*findings, Finding(False, f"读取 Kafka 元数据失败：{first_line(exc)}。",
                                   f"Reading Kafka metadata failed: {first_line(exc)}.")]
    finally:
        admin.close()


def topic_finding(described: dict, settings: Settings) -> Finding:
    """One topic from KafkaAdminClient.describe_topics, against the settings."""
    name = described["name"]
    if described["error_code"] == UNKNOWN_TOPIC:
        return Finding(False, f"主题 {name} 不存在。worker 启动时会创建它，也可按 "
                       "docs/deploying.md 手工创建。",
                       f"Topic {name} does not exist. The worker creates it when it starts, or "
                       "create it as docs/deploying.md shows.")
    if described["error_code"]:
        return Finding(False, f"主题 {name} 无法读取（错误码 {described['error_code']}）。",
                       f"Topic {name} cannot be described (error code "
                       f"{described['error_code']}).")
    parts = described["partitions"]
    replicas = min(len(p["replica_nodes"]) for p in parts)
    leaderless = sorted(p["partition_index"] for p in parts if p["leader_id"] < 0)
    short = sorted(p["partition_index"] for p in parts
                   if len(p["isr_nodes"]) < settings.min_insync_replicas)
    wanted = 1 if name.removeprefix(settings.topic_prefix) in SINGLE_PARTITION else \
        settings.partitions
    if len(parts) != wanted:
        return Finding(False, f"主题 {name} 有 {len(parts)} 个分区，但配置为 {wanted}"
                       "（CASEWATCH_PARTITIONS）。两者必须一致：改配置，或按新的分区数重建主题。",
                       f"Topic {name} has {len(parts)} partitions but {wanted} are "
                       "configured (CASEWATCH_PARTITIONS). They must agree: fix the setting or "
                       "recreate the topic.")
    if replicas < settings.replication_factor:
        return Finding(False, f"主题 {name} 只有 {replicas} 个副本，配置要求 "
                       f"{settings.replication_factor}（CASEWATCH_REPLICATION_FACTOR）。",
                       f"Topic {name} has {replicas} replicas; {settings.replication_factor} "
                       "are configured (CASEWATCH_REPLICATION_FACTOR).")
    if leaderless:
        return Finding(False, f"主题 {name} 的分区 {leaderless} 没有 leader：有 broker 停了，"
                       "这些分区现在不能读写。",
                       f"Topic {name}: partitions {leaderless} have no leader (a broker is "
                       "down); they can be neither read nor written.")
    if short:
        return Finding(False, f"主题 {name} 的分区 {short} 同步副本少于 "
                       f"{settings.min_insync_replicas}：写入会被拒绝。",
                       f"Topic {name}: partitions {short} have fewer than "
                       f"{settings.min_insync_replicas} in-sync replicas; writes are refused.")
    return Finding(True, f"主题 {name}：{len(parts)} 个分区，{replicas} 个副本。",
                   f"Topic {name}: {len(parts)} partitions, replication factor {replicas}.")


def lag(committed: dict, earliest: dict, latest: dict) -> int:
    """Messages not yet consumed: per partition, its end minus the committed offset (the
    partition's start when nothing was committed)."""
    return sum(max(0, end - committed.get(tp, earliest.get(tp, 0)))
               for tp, end in latest.items())


def group_finding(admin, group: str, topics: list[str], partitions: dict[str, list[int]],
                  max_lag: int) -> Finding:
    info = admin.describe_groups([group])[group]
    if info.get("error") or info["group_state"] == "Dead":
        return Finding(False, f"消费组 {group} 不存在：worker 还没有运行过，或 CASEWATCH_APP_ID "
                       "不对。",
                       f"Consumer group {group} does not exist: the worker has never run, or "
                       "CASEWATCH_APP_ID is wrong.")
    members = len(info["members"])
    if not members:
        return Finding(False, f"消费组 {group} 没有在运行的成员（状态 {info['group_state']}）："
                       "worker 没有运行。",
                       f"Consumer group {group} has no running member (state "
                       f"{info['group_state']}): no worker is running.")
    tps = [TopicPartition(t, p) for t in topics for p in partitions.get(t, [])]
    committed = admin.list_group_offsets({group: tps})[group]
    offsets = {tp: getattr(o, "offset", -1) for tp, o in committed.items()}
    earliest = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in tps})
    latest = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
    behind = lag({tp: o for tp, o in offsets.items() if o >= 0},
                 {tp: o.offset for tp, o in earliest.items()},
                 {tp: o.offset for tp, o in latest.items()})
    if behind > max_lag:
        return Finding(False, f"消费组 {group} 积压 {behind} 条消息，超过 {max_lag}（--max-lag）："
                       "处理跟不上，考虑增加 worker（docs/deploying.md）。",
                       f"Consumer group {group} is {behind} messages behind, over {max_lag} "
                       "(--max-lag): processing does not keep up; consider more workers "
                       "(docs/deploying.md).")
    return Finding(True, f"消费组 {group}：{members} 个成员在运行，积压 {behind} 条消息。",
                   f"Consumer group {group}: {members} members running, {behind} messages "
                   "behind.")
