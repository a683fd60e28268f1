"""The routing file: the shipped one is valid; malformed ones are refused with errors that
name the place; secrets come from the environment and never appear in messages."""

from pathlib import Path

import pytest

from notify.config import ConfigError, load_config, parse_duration

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "deploy" / "notify.toml"


def shipped_env(path: Path = SHIPPED) -> dict[str, str]:
    import re
    return {name: f"value-of-{name}" for name in re.findall(r'"(CASEWATCH_[A-Z0-9_]+)"',
                                                           path.read_text())}


def test_the_shipped_file_is_valid_with_its_secrets_set():
    loaded = load_config(SHIPPED, shipped_env())
    assert {r.name for r in loaded.config.receivers} >= {"centre", "lawyer-platform"}
    assert "value-of" not in repr(loaded)
    assert loaded.config.resolve("@unit.leader", "U3302") == "leaders-mail"


def test_an_unset_secret_is_named_not_shown(tmp_path):
    env = shipped_env()
    del env["CASEWATCH_NOTIFY_CENTRE_DINGTALK_SECRET"]
    with pytest.raises(ConfigError) as err:
        load_config(SHIPPED, env)
    assert "CASEWATCH_NOTIFY_CENTRE_DINGTALK_SECRET" in str(err.value)
    assert "value-of" not in str(err.value)


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "notify.toml"
    path.write_text(text, encoding="utf-8")
    return path


RECEIVER = '[[receivers]]\nname = "a"\nkind = "webhook"\nurl = "https://a.example/"\n'


@pytest.mark.parametrize("text, expected", [
    ("routes = [", "not valid TOML"),
    ('[[routes]]\nname = "r"\nreceivers = ["nobody"]\n', "unknown receiver 'nobody'"),
    (RECEIVER + '[[routes]]\nname = "r"\nreceivers = ["@unit.duty"]\n',
     "no unit has the role 'duty'"),
    (RECEIVER + '[[routes]]\nname = "r"\nmatch = { colour = ["red"] }\nreceivers = ["a"]\n',
     "unknown label(s) ['colour']"),
    (RECEIVER + '[defaults]\ngroup_wait = "soon"\n', "bad duration 'soon'"),
    (RECEIVER + RECEIVER, "duplicate receiver name 'a'"),
    ('[[receivers]]\nname = "a"\nkind = "pager"\n', "receivers.0"),
    ('[[receivers]]\nname = "a"\nkind = "webhook"\n', "exactly one of url and url_env"),
    ('[[receivers]]\nname = "a"\nkind = "webhook"\nurl = "https://x/"\nsecret = "s3"\n',
     "secret: Extra inputs are not permitted"),
    ('[[receivers]]\nname = "m"\nkind = "email"\nhost = "h"\nfrom = "a@b"\nto = []\n',
     "to: List should have at least 1 item"),
    (RECEIVER + '[[escalations]]\nname = "e"\nsteps = [{ receivers = ["a"] }]\n',
     "exactly one of after and before_due"),
    (RECEIVER + '[units.U1]\nduty = "ghost"\n', "units.U1.duty: unknown receiver 'ghost'"),
])
def test_malformed_files_are_refused_with_the_place_and_the_problem(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), {})
    assert expected in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml", {})


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("5m", 300), ("2h", 7200),
                                           ("3d", 259200), ("250ms", 0.25), (12, 12)])
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "-1s", "1w", True])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_the_readme_shows_the_shipped_file():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("(`deploy/notify.toml`;", 1)[1].split("```toml\n", 1)[1].split(
        "\n```", 1)[0]
    assert block == SHIPPED.read_text(encoding="utf-8").rstrip()
