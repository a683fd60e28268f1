"""web.users: the users file and argon2 password checks."""

import pytest

from web.users import UsersError, hash_password, load_users, verify_password

HASH = hash_password("s3cret")


def write(tmp_path, text):
    path = tmp_path / "users.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_and_verify(tmp_path):
    users = load_users(write(tmp_path, f'''
[[users]]
id = "u1"
role = "unit"
units = ["U1", "U2"]
password_hash = "{HASH}"

[[users]]
id = "sup"
role = "supervisor"
password_hash = "{HASH}"
'''))
    u1, sup = users["u1"], users["sup"]
    assert u1.units == {"U1", "U2"} and sup.units == frozenset()
    assert verify_password(u1, "s3cret")
    assert not verify_password(u1, "wrong")
    assert not verify_password(None, "s3cret")


def test_the_demo_file_loads_and_its_passwords_match():
    from pathlib import Path
    users = load_users(Path(__file__).parents[2] / "deploy" / "web-users.toml")
    assert {u.role for u in users.values()} == {"unit", "supervisor", "screen"}
    assert verify_password(users["u3301"], "demo-u3301")


@pytest.mark.parametrize("text, needle", [
    ("not toml [", "Expected"),
    ("", "no \\[\\[users\\]\\]"),
    (f'[[users]]\nid = "u"\nrole = "unit"\npassword_hash = "{HASH}"', "at least one unit"),
    (f'[[users]]\nid = "s"\nrole = "supervisor"\nunits = ["U1"]\npassword_hash = "{HASH}"',
     "sees all units"),
    ('[[users]]\nid = "s"\nrole = "supervisor"\npassword_hash = "plain"', "password_hash"),
    (f'[[users]]\nid = "s"\nrole = "admin"\npassword_hash = "{HASH}"', "role"),
    (f'[[users]]\nid = "张 三"\nrole = "screen"\npassword_hash = "{HASH}"', "id"),
    (f'[[users]]\nid = "s"\nrole = "screen"\npassword_hash = "{HASH}"\n'
     f'[[users]]\nid = "s"\nrole = "screen"\npassword_hash = "{HASH}"', "duplicate"),
])
def test_malformed_users_files_are_refused(tmp_path, text, needle):
    with pytest.raises(UsersError, match=needle):
        load_users(write(tmp_path, text))


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(UsersError):
        load_users(tmp_path / "absent.toml")


def test_every_demo_hash_is_known_as_one():
    from pathlib import Path

    from web.users import DEMO_HASHES, demo_users
    users = load_users(Path(__file__).parents[2] / "deploy" / "web-users.toml")
    assert {u.password_hash for u in users.values()} == DEMO_HASHES
    assert demo_users(users) == sorted(users)
