"""`casewatch web`: the web console for monitoring staff (see web/)."""

import getpass
import logging
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("web", help="serve the web console (网页控制台)")
    p.add_argument("--hash-password", action="store_true",
                   help="read a password from stdin (or a prompt) and print its argon2 hash")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.hash_password:
        from web.users import hash_password

        password = (getpass.getpass("password: ") if sys.stdin.isatty()
                    else sys.stdin.readline().rstrip("\n"))
        if not password:
            print("empty password", file=sys.stderr)
            return 2
        print(hash_password(password))
        return 0
    from streams.settings import Settings
    from web.server import run as serve
    from web.settings import WebSettings
    from web.users import UsersError

    logging.basicConfig(level=args.loglevel.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("kafka", "aiokafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("clickhouse_driver").setLevel(logging.ERROR)  # we log the retries
    try:
        serve(Settings.from_env(), WebSettings.from_env())
    except UsersError as exc:
        print(f"casewatch web: {exc}", file=sys.stderr)
        return 2
    return 0
