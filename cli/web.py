"""`casewatch web`: the web console for monitoring staff (see web/)."""

import getpass
import logging
import sys


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("web", help="serve the web console (网页控制台)")
    p.add_argument("--hash-password", action="store_true",
                   help="read a password from stdin (or a prompt) and print its argon2 hash")
    p.add_argument("--insecure-demo", action="store_true",
                   help="listen on a non-loopback address even with the demo users or without "
                        "a Secure cookie (a demonstration only)")
    p.add_argument("--revoke-sessions", metavar="USER",
                   help="end every session of USER (on every server of this host) and exit")
    p.add_argument("--screen-token", metavar="NAME",
                   help="make a long-lived token for the wall display NAME, print it and exit; "
                        "open /screen#token=<token> on the display once")
    p.add_argument("--screen-token-days", type=float, default=365.0)
    p.add_argument("--revoke-screen-token", metavar="NAME",
                   help="revoke the screen token NAME and end its displays' sessions")
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
    from schemas.units import UnitsError
    from streams.settings import Settings
    from web.server import Exposed
    from web.server import run as serve
    from web.settings import WebSettings
    from web.users import UsersError

    if args.revoke_sessions or args.screen_token or args.revoke_screen_token:
        return _sessions(args, WebSettings.from_env())

    logging.basicConfig(level=args.loglevel.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("kafka", "aiokafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("clickhouse_driver").setLevel(logging.ERROR)  # we log the retries
    try:
        serve(Settings.from_env(), WebSettings.from_env(), insecure_demo=args.insecure_demo)
    except (UsersError, UnitsError, Exposed) as exc:
        print(f"casewatch web: {exc}", file=sys.stderr)
        return 2
    return 0


def _sessions(args, web_settings) -> int:
    """Administration of the server-side sessions (web/sessions.py)."""
    from web.sessions import SessionStore

    store = SessionStore(web_settings.sessions_file, web_settings.session_idle_minutes * 60)
    try:
        if args.revoke_sessions:
            n = store.revoke_user(args.revoke_sessions)
            print(f"{n} session(s) of {args.revoke_sessions} ended")
        if args.screen_token:
            token = store.create_screen_token(args.screen_token,
                                              args.screen_token_days * 86400)
            print(token)
            print(f"open /screen#token={token} once on the display {args.screen_token}; "
                  f"valid {args.screen_token_days:g} days", file=sys.stderr)
        if args.revoke_screen_token:
            if not store.revoke_screen_token(args.revoke_screen_token):
                print(f"no screen token {args.revoke_screen_token!r}", file=sys.stderr)
                return 1
            print(f"screen token {args.revoke_screen_token} revoked")
    finally:
        store.close()
    return 0
