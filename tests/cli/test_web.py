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
