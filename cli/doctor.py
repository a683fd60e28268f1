"""`casewatch doctor`: is this installation healthy? It checks Kafka, the casewatch topics
(partitions, replicas, message limits), this machine's clock against the broker's,
ClickHouse and its migrations, and the consumer groups' lag, with the
same settings as the worker, and says what is wrong in plain words (Chinese, then English).
Exit status 0 when every check passes, 1 otherwise."""

import sys

from cli.findings import summary

EXIT_HEALTHY, EXIT_PROBLEMS = 0, 1


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("doctor", help="check Kafka, topics, ClickHouse, migrations, lag")
    p.add_argument("--max-lag", type=int, default=10_000,
                   help="messages a consumer group may be behind and still be healthy")
    p.set_defaults(func=run)


def run(args) -> int:
    from cli.doctor_clickhouse import check_clickhouse
    from cli.doctor_kafka import check_kafka
    from cli.doctor_streams import check_clock, check_limits
    from streams.settings import Settings

    settings = Settings.from_env()
    findings = check_kafka(settings, args.max_lag)
    if findings and findings[0].ok:  # Kafka answers
        findings += [check_limits(settings), check_clock(settings)]
    findings += check_clickhouse(settings.clickhouse)
    for finding in [*findings, summary(findings)]:
        print(finding)
    sys.stdout.flush()
    return EXIT_HEALTHY if all(f.ok for f in findings) else EXIT_PROBLEMS
