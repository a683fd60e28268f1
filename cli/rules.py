"""`casewatch rules apply DIR`: change the rules of a running installation.

The rule set in DIR (laid out like rules/: catalogue/*.toml, calendar.toml, measures.toml,
scoring.toml, optionally VERSION.toml) is checked whole; one that does not load is refused
with its reason and nothing is published (exit 2). One that loads is published to the
`rules` topic and marked on every partition of `case-events`: each partition switches at
its marker and re-times its cases (streams/rulesets.py). Try a change first with
`casewatch whatif --catalogue DIR`.
"""

import sys
from pathlib import Path

EXIT_OK, EXIT_REFUSED, EXIT_UNAVAILABLE = 0, 2, 4


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("rules", help="change the rules of a running installation")
    actions = p.add_subparsers(dest="action", required=True)
    apply = actions.add_parser("apply", help="check a rule set and switch every worker to it")
    apply.add_argument("directory", type=Path, metavar="DIR",
                       help="the rule set: a directory laid out like rules/")
    apply.add_argument("--by", default=None, metavar="OPERATOR",
                       help="who applies it (default: CASEWATCH_OPERATOR)")
    apply.set_defaults(func=run_apply)


def run_apply(args) -> int:
    import os

    from kafka.errors import KafkaError

    from cli.findings import first_line
    from rules.catalogue import CatalogueError
    from rules.ruleset import read_ruleset_files
    from streams.rulesets import publish_ruleset, ruleset_record
    from streams.settings import Settings
    from streams.topics import ensure_topics

    by = args.by or os.environ.get("CASEWATCH_OPERATOR", "operator")
    try:
        record = ruleset_record(*read_ruleset_files(args.directory), by)
    except (CatalogueError, OSError) as exc:
        print(f"casewatch rules apply: 规则集无法加载，未发布 refused, nothing published: "
              f"{args.directory}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    settings = Settings.from_env()
    try:
        ensure_topics(settings)
        marked = publish_ruleset(settings, record)
    except KafkaError as exc:
        print(f"casewatch rules apply: Kafka 不可用 unavailable: {first_line(exc)}",
              file=sys.stderr)
        return EXIT_UNAVAILABLE
    version = f"{record.human_version} ({record.content_hash})" if record.human_version \
        else record.content_hash
    print(f"规则集 {version} 已发布，{marked} 个分区将依次切换并重新计时。\n"
          f"rule set {version} published; {marked} partitions switch at their marker and "
          "re-time their cases.")
    return EXIT_OK
