"""rules.ruleset: the rule set read whole from a directory, its content hash and version,
and the version every warning carries."""

import hashlib
import re
import shutil
from datetime import datetime

import pytest

from rules.catalogue import CatalogueError
from rules.engine import Engine
from rules.ruleset import RULES_DIR, content_hash, load_ruleset, read_files
from schemas.event import parse_event
from tests.support.rulesets import copy_rules, edit

VERSION = re.compile(r"^(?:(?P<human>\S+) \()?(?P<hash>sha256:[0-9a-f]{64})\)?$")


@pytest.fixture
def copy(tmp_path):
    """A copy of rules/ (its data files only) somewhere else."""
    return copy_rules(tmp_path / "proposed")


def test_the_hash_is_sha256_over_named_framed_files_in_a_fixed_order():
    """The definition, spelled out independently: rule files by name, then calendar,
    measures, scoring; each as `<len(name)>:<name>\\n<len(bytes)>:<bytes>`."""
    files = {"scoring.toml": b"s", "catalogue/b.toml": b"bb", "calendar.toml": b"",
             "measures.toml": b"m\n", "catalogue/a.toml": b"a"}
    expected = hashlib.sha256(
        b"16:catalogue/a.toml\n1:a" b"16:catalogue/b.toml\n2:bb" b"13:calendar.toml\n0:"
        b"13:measures.toml\n2:m\n" b"12:scoring.toml\n1:s").hexdigest()
    assert content_hash(files) == "sha256:" + expected
    assert content_hash(dict(reversed(list(files.items())))) == "sha256:" + expected


def test_bytes_cannot_move_between_files_unnoticed():
    a = {"catalogue/a.toml": b"xy", "catalogue/b.toml": b"z"}
    b = {"catalogue/a.toml": b"x", "catalogue/b.toml": b"yz"}
    assert content_hash(a) != content_hash(b)


def test_the_version_has_the_human_version_and_the_hash():
    rules = load_ruleset()
    match = VERSION.match(rules.version)
    assert match and match["hash"] == rules.content_hash == content_hash(read_files(RULES_DIR))
    assert match["human"] == rules.human_version and rules.human_version
    assert rules.catalogue.version == rules.version


def test_a_copy_elsewhere_has_the_same_version(copy):
    assert load_ruleset(copy).version == load_ruleset().version


@pytest.mark.parametrize("file, old, new", [
    ("catalogue/custody_limit.toml", 'lead = "15d"', 'lead = "20d"'),
    ("catalogue/bail_limit.toml", "# 取保候审", "#  取保候审"),  # a comment counts too
    ("calendar.toml", "extra_holidays = []", 'extra_holidays = ["2031-01-02"]'),
    ("measures.toml", 'label_zh = "逮捕"', 'label_zh = "逮捕 "'),
    ("scoring.toml", "[score]", "[score]\n"),
])
def test_any_byte_changed_changes_the_hash(copy, file, old, new):
    before = load_ruleset(copy)
    edit(copy / file, old, new)
    after = load_ruleset(copy)
    assert after.content_hash != before.content_hash
    assert after.human_version == before.human_version


def test_a_new_rule_file_changes_the_hash(copy):
    before = load_ruleset(copy).content_hash
    shutil.copy(copy / "catalogue" / "bail_limit.toml", copy / "catalogue" / "bail_limit2.toml")
    edit(copy / "catalogue" / "bail_limit2.toml", 'id = "bail_limit"', 'id = "bail_limit2"')
    assert load_ruleset(copy).content_hash != before


def test_the_human_version_is_a_label_outside_the_hash(copy):
    before = load_ruleset(copy)
    (copy / "VERSION.toml").write_text('version = "2027.01-3"\n', encoding="utf-8")
    after = load_ruleset(copy)
    assert after.content_hash == before.content_hash
    assert after.version == f"2027.01-3 ({before.content_hash})"


def test_without_a_human_version_the_version_is_the_hash(copy):
    (copy / "VERSION.toml").unlink()
    rules = load_ruleset(copy)
    assert rules.human_version is None and rules.version == rules.content_hash


@pytest.mark.parametrize("text", [
    'version = "2026 12"', 'version = "x (sha256:00)"', "version = 3", 'version = ""',
    'version = "2026.12-1"\nnote = "x"', "not toml", 'version = "' + "9" * 33 + '"',
])
def test_a_bad_human_version_is_refused(copy, text):
    (copy / "VERSION.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match="VERSION.toml"):
        load_ruleset(copy)


@pytest.mark.parametrize("file, old, new", [
    ("catalogue/custody_limit.toml", 'lead = "15d"', 'lead = "15x"'),
    ("calendar.toml", "extra_holidays = []", 'extra_holidays = ["someday"]'),
    ("measures.toml", 'due_rule = "summons_duration"', 'due_rule = "no_such_rule"'),
    ("measures.toml", "[summons]", "[summons"),
    ("scoring.toml", "[score]", "[scor]"),
])
def test_a_bad_file_is_refused_naming_it(copy, file, old, new):
    edit(copy / file, old, new)
    with pytest.raises(CatalogueError, match=re.escape(file.split("/")[-1])):
        load_ruleset(copy)


@pytest.mark.parametrize("missing", ["catalogue", "calendar.toml", "measures.toml",
                                     "scoring.toml"])
def test_a_missing_part_is_refused(copy, missing):
    path = copy / missing
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    with pytest.raises(CatalogueError, match=re.escape(missing)):
        load_ruleset(copy)


def test_not_utf8_is_refused(copy):
    (copy / "catalogue" / "rs_limit.toml").write_bytes(b"id = \"rs_limit\"\n\xff\n")
    with pytest.raises(CatalogueError, match="rs_limit.toml"):
        load_ruleset(copy)


DETAINED = parse_event(b'{"event_id":"E1","schema_version":1,"event_type":"detained",'
                       b'"occurred_at":"2026-05-01T15:00:00+08:00","case_id":"C1",'
                       b'"case_kind":"criminal","person_id":"P1","unit_id":"U3301"}')
RETRACTION = parse_event(b'{"event_id":"E2","schema_version":1,"event_type":"event_retracted",'
                         b'"occurred_at":"2026-05-03T15:00:00+08:00","case_id":"C1",'
                         b'"case_kind":"criminal","unit_id":"U3301",'
                         b'"details":{"retracts_event_id":"E1"}}')


def test_every_warning_carries_the_version_of_its_engine(copy):
    edit(copy / "catalogue" / "det_family_notice.toml", 'lead = "4h"', 'lead = "5h"')
    at = datetime.fromisoformat("2026-05-02T12:00:00+08:00")
    for engine, rules in ((Engine(), load_ruleset()),
                          (Engine.from_ruleset(load_ruleset(copy)), load_ruleset(copy))):
        warnings = engine.evaluate_case([DETAINED], at).warnings
        assert warnings and {w.catalogue_version for w in warnings} == {rules.version}
        withdrawn = engine.evaluate_case([DETAINED, RETRACTION], at.replace(day=4)).warnings
        assert {w.status for w in withdrawn} == {"withdrawn"}
        assert {w.catalogue_version for w in withdrawn} == {rules.version}
    assert load_ruleset(copy).version != load_ruleset().version
