"""ClickHouse checks of `casewatch doctor`: the server answers, the configured cluster is
known to it, and every migration in sinks/clickhouse/migrations/ is applied to the database."""

from cli.findings import Finding, first_line
from sinks.clickhouse.client import ClickHouse
from sinks.clickhouse.client import Settings as ClickHouseSettings
from sinks.clickhouse.migrate import applied_migrations, load_migrations

CONNECT_TIMEOUT = 5.0


def check_clickhouse(settings: ClickHouseSettings) -> list[Finding]:
    where = f"{settings.host}:{settings.port}"
    ch = ClickHouse(settings.model_copy(update={
        "connect_timeout": min(settings.connect_timeout, CONNECT_TIMEOUT)}))
    try:
        version = ch.execute("SELECT version()")[0][0]
    except Exception as exc:  # any failure to answer is the finding
        return [Finding(
            False,
            f"无法连接 ClickHouse（{where}，用户 {settings.user}）：{first_line(exc)}。请检查 "
            "CASEWATCH_CLICKHOUSE_HOST、_PORT、_USER、_PASSWORD 和 ClickHouse 服务；"
            "迁移因此未检查。",
            f"ClickHouse at {where} (user {settings.user}) does not answer: {first_line(exc)}. "
            "Check CASEWATCH_CLICKHOUSE_HOST, _PORT, _USER, _PASSWORD and the ClickHouse "
            "service; migrations were not checked.")]
    try:
        findings = [Finding(True, f"ClickHouse 可以连接（{where}，版本 {version}）。",
                            f"ClickHouse answers at {where} (version {version}).")]
        if settings.cluster:
            findings.append(cluster_finding(ch, settings.cluster))
        findings.append(migrations_finding(ch, settings.database))
        return findings
    finally:
        ch.client.disconnect()


def cluster_finding(ch: ClickHouse, cluster: str) -> Finding:
    hosts = ch.execute(f"SELECT count() FROM system.clusters WHERE cluster = '{cluster}'")[0][0]
    if not int(hosts):
        return Finding(False, f"ClickHouse 不认识集群 {cluster}（CASEWATCH_CLICKHOUSE_CLUSTER）："
                       "请在 remote_servers 中配置它（docs/deploying.md）。",
                       f"ClickHouse does not know cluster {cluster} "
                       "(CASEWATCH_CLICKHOUSE_CLUSTER): define it in remote_servers "
                       "(docs/deploying.md).")
    return Finding(True, f"ClickHouse 集群 {cluster} 有 {hosts} 个副本/分片节点。",
                   f"ClickHouse cluster {cluster} has {hosts} replica/shard hosts.")


def migrations_finding(ch: ClickHouse, db: str) -> Finding:
    wanted = [m.id for m in load_migrations()]
    try:
        applied = set(applied_migrations(ch.execute, db))
    except Exception as exc:  # no database or no record table: nothing applied yet
        return Finding(False, f"数据库 {db} 没有迁移记录（{first_line(exc)}）：worker 的 sink "
                       "启动时会建库并执行迁移；也请检查 CASEWATCH_CLICKHOUSE_DATABASE。",
                       f"Database {db} has no record of migrations ({first_line(exc)}): the "
                       "worker's sink creates it and migrates when it starts; also check "
                       "CASEWATCH_CLICKHOUSE_DATABASE.")
    pending = [i for i in wanted if i not in applied]
    if pending:
        return Finding(False, f"数据库 {db} 还有 {len(pending)} 个迁移未执行："
                       f"{', '.join(pending)}。重启 worker（sink 启动时执行迁移）。",
                       f"Database {db} lacks {len(pending)} migrations: {', '.join(pending)}. "
                       "Restart a worker (its sink migrates when it starts).")
    return Finding(True, f"数据库 {db}：全部 {len(wanted)} 个迁移已执行。",
                   f"Database {db}: all {len(wanted)} migrations applied.")
