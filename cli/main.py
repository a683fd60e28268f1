"""Entry point of the `casewatch` command."""

import argparse
import sys

from cli import console, demo_feed, evaluate, generate, publish, schema_export, web, worker


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casewatch", description="执法监督时限预警 casewatch")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (evaluate, generate, publish, schema_export, worker, demo_feed, console, web):
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, 0 on --help
        return int(exc.code or 0)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
