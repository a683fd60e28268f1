"""`casewatch web`: the password-hash helper and a bad users file."""

import io

from argon2 import PasswordHasher

from cli.main import main


def test_hash_password_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert main(["web", "--hash-password"]) == 0
    digest = capsys.readouterr().out.strip()
    assert digest.startswith("$argon2id$") and PasswordHasher().verify(digest, "s3cret")


def test_empty_password_is_refused(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["web", "--hash-password"]) == 2
    assert "empty password" in capsys.readouterr().err


def test_a_malformed_users_file_stops_the_server_before_it_listens(tmp_path, monkeypatch,
                                                                   capsys):
    users = tmp_path / "users.toml"
    users.write_text('[[users]]\nid = "x"\nrole = "root"\n', encoding="utf-8")
    monkeypatch.setenv("CASEWATCH_WEB_USERS_FILE", str(users))
    assert main(["web"]) == 2
    assert "users.toml" in capsys.readouterr().err


def _web(tmp_path, **env):
    """`casewatch web` as a child with Kafka and ClickHouse pointed at closed ports."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.support.ports import free_port

    full = {**os.environ,
            "CASEWATCH_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "CASEWATCH_CLICKHOUSE_PORT": str(free_port()),
            "CASEWATCH_WEB_PORT": str(free_port()),
            "CASEWATCH_WEB_SESSIONS_FILE": str(tmp_path / "sessions.sqlite3"),
            "CASEWATCH_TOPIC_PREFIX": "clitest.", **env}
    command = [str(Path(sys.executable).parent / "casewatch"), "web"]
    return subprocess.Popen(command, env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True), full


def _refused(tmp_path, **env) -> str:
    """The output of a server that must exit (2) instead of listening."""
    import subprocess

    proc, _ = _web(tmp_path, **env)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"the server started with {env}") from None
    assert proc.returncode == 2, out
    return out


def test_hole5_demo_users_on_a_public_address_are_refused(tmp_path):
    assert "--insecure-demo" in _refused(tmp_path, CASEWATCH_WEB_HOST="0.0.0.0")


def test_hole5_an_insecure_cookie_on_a_public_address_is_refused(tmp_path):
    from tests.support.web_app import users_file

    out = _refused(tmp_path, CASEWATCH_WEB_HOST="0.0.0.0",
                   CASEWATCH_WEB_USERS_FILE=str(users_file(tmp_path)))
    assert "SECURE_COOKIE" in out


def test_hole10_the_server_answers_while_kafka_is_unreachable(tmp_path):
    import json
    import time
    import urllib.error
    import urllib.request

    proc, env = _web(tmp_path)
    url = f"http://127.0.0.1:{env['CASEWATCH_WEB_PORT']}"
    try:
        deadline, page, health = time.monotonic() + 15, None, None
        while time.monotonic() < deadline and page is None:
            try:
                urllib.request.urlopen(url + "/", timeout=2)
            except urllib.error.HTTPError as exc:
                page = (exc.code, exc.read().decode())
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        assert page is not None, "nothing listens while Kafka is unreachable"
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
        except urllib.error.HTTPError as exc:
            health = (exc.code, json.loads(exc.read()))
    finally:
        proc.kill()
        proc.communicate()
    assert page[0] == 503 and "正在启动" in page[1]
    assert health[0] == 503 and health[1]["state"] == "starting"


def test_an_invalid_unit_registry_stops_the_server_before_it_listens(tmp_path, monkeypatch,
                                                                    capsys):
    units = tmp_path / "units.toml"
    units.write_text('[[units]]\nid = "U1"\nname = "x"\nkind = "中心"\nparent = "U9"\n',
                     encoding="utf-8")
    monkeypatch.setenv("CASEWATCH_UNITS_FILE", str(units))
    monkeypatch.setenv("CASEWATCH_WEB_SESSIONS_FILE", str(tmp_path / "s.sqlite3"))
    assert main(["web"]) == 2
    assert "not registered" in capsys.readouterr().err


def test_screen_tokens_and_revocation_from_the_command_line(tmp_path, monkeypatch, capsys):
    from web.sessions import SessionStore

    monkeypatch.setenv("CASEWATCH_WEB_SESSIONS_FILE", str(tmp_path / "s.sqlite3"))
    assert main(["web", "--screen-token", "hall-1", "--screen-token-days", "30"]) == 0
    token = capsys.readouterr().out.strip()
    store = SessionStore(tmp_path / "s.sqlite3", 600)
    assert store.screen_token(token)[0] == "hall-1"
    store.create("u1", "unit", 3600)
    assert main(["web", "--revoke-sessions", "u1"]) == 0
    assert "1 session(s) of u1 ended" in capsys.readouterr().out
    assert main(["web", "--revoke-screen-token", "hall-1"]) == 0
    assert store.screen_token(token) is None
    assert main(["web", "--revoke-screen-token", "nope"]) == 1
    store.close()
