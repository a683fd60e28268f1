"""cli.schema_export: `casewatch schema --out DIR` and the JSON Schema it writes.

The validation tests need the `jsonschema` package, which the project does not depend on;
without it they are skipped.
"""

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from cli.lifecycles import generate_events
from cli.main import main
from schemas.event import InvalidEvent, parse_event
from schemas.event_types import EVENT_TYPES

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture(scope="module")
def schema_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("schema")
    assert main(["schema", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def jsonschema():
    return pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def samples() -> dict[str, dict]:
    """A generated example of every event type."""
    found: dict[str, dict] = {}
    for event in generate_events(30_000, seed=11):
        found.setdefault(event["event_type"], event)
    assert found.keys() == EVENT_TYPES.keys()
    return found


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_schema_writes_one_file_per_model_and_event_type(schema_dir, capsys):
    names = {p.relative_to(schema_dir).as_posix() for p in schema_dir.rglob("*.json")}
    expected = {"event.schema.json", "warning.schema.json", "measure-state.schema.json"} | {
        f"events/{t}.schema.json" for t in EVENT_TYPES
    }
    assert names == expected
    for name in names:
        schema = load(schema_dir / name)
        assert schema["$schema"] == DRAFT_2020_12 and schema["title"]
    event = load(schema_dir / "event.schema.json")
    assert event["discriminator"]["propertyName"] == "event_type"
    assert set(event["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_schema_into_a_new_nested_directory(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    assert main(["schema", "--out", str(out)]) == 0
    assert f"wrote {len(EVENT_TYPES) + 3} schema files" in capsys.readouterr().out
    assert (out / "events" / "detained.schema.json").is_file()


def test_schema_needs_out(capsys):
    assert main(["schema"]) == 2


def validator(jsonschema, schema_dir: Path, name: str = "event.schema.json"):
    schema = load(schema_dir / name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_generated_events_are_valid_against_event_schema(jsonschema, schema_dir, samples):
    v = validator(jsonschema, schema_dir)
    for event in [*samples.values(), *generate_events(150, seed=3)]:
        errors = [e.message for e in v.iter_errors(event)]
        assert errors == [], (event["event_type"], errors)


def test_each_event_type_schema_accepts_its_type_only(jsonschema, schema_dir, samples):
    for name, event in samples.items():
        v = validator(jsonschema, schema_dir, f"events/{name}.schema.json")
        assert v.is_valid(event), name
        other = samples["interrogated" if name != "interrogated" else "arrested"]
        assert not v.is_valid(other), name


def _broken(samples: dict[str, dict]) -> dict[str, dict]:
    def edit(event_type: str, fn) -> dict:
        event = copy.deepcopy(samples[event_type])
        fn(event)
        return event

    return {
        "unknown event_type": edit("interrogated", lambda e: e.update(event_type="teleported")),
        "missing case_id": edit("interrogated", lambda e: e.pop("case_id")),
        "missing event_id": edit("arrested", lambda e: e.pop("event_id")),
        "empty event_id": edit("arrested", lambda e: e.update(event_id="")),
        "schema_version 2": edit("arrested", lambda e: e.update(schema_version=2)),
        "case_kind civil": edit("arrested", lambda e: e.update(case_kind="civil")),
        "officer_ids not a list": edit("arrested", lambda e: e.update(officer_ids="O1")),
        "unit_id too long": edit("arrested", lambda e: e.update(unit_id="U" * 33)),
        "to_days 8": edit("detention_period_extended", lambda e: e["details"].update(to_days=8)),
        "details missing": edit("family_notified", lambda e: e.pop("details")),
        "measure unknown": edit("family_notified", lambda e: e["details"].update(measure="x")),
        "approver role unknown": edit(
            "bail_started", lambda e: e["details"]["approvals"][0].update(role="janitor")),
        "designated not bool": edit("rs_started",
                                    lambda e: e["details"].update(designated="maybe")),
        "doc_type unknown": edit("document_filed",
                                 lambda e: e["details"].update(doc_type="indictment")),
        "property_id missing": edit("property_seized", lambda e: e.pop("details")),
        "property_id empty": edit("property_handed_over",
                                  lambda e: e["details"].update(property_id="")),
        "filed missing": edit("filing_decided", lambda e: e["details"].pop("filed")),
        "filing to_days 15": edit("filing_review_extended",
                                  lambda e: e["details"].update(to_days=15)),
        "questioning extended unapproved": edit("continued_questioning_extended",
                                                lambda e: e.pop("details")),
        "measure for questioning misspelt": edit(
            "family_notified", lambda e: e["details"].update(measure="questioning")),
    }


def test_invalid_events_fail_the_schema_as_they_fail_parse_event(jsonschema, schema_dir,
                                                                 samples):
    v = validator(jsonschema, schema_dir)
    for what, event in _broken(samples).items():
        assert not v.is_valid(event), what
        with pytest.raises(InvalidEvent):
            parse_event(json.dumps(event))


def test_person_level_event_without_person_id_fails_the_schema(jsonschema, schema_dir, samples):
    event = copy.deepcopy(samples["interrogated"])
    del event["person_id"]
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps(event))
    assert not validator(jsonschema, schema_dir).is_valid(event)


LAX = {
    "occurred_at as epoch seconds": ("arrested", lambda e: e.update(occurred_at=1777618800)),
    "designated 'y'": ("rs_started", lambda e: e["details"].update(designated="y")),
    "granted 1": ("measure_change_decided", lambda e: e["details"].update(granted=1)),
    "filed 'yes'": ("filing_decided", lambda e: e["details"].update(filed="yes")),
    "approval_required 0": ("lawyer_meeting_requested",
                            lambda e: e.setdefault("details", {}).update(approval_required=0)),
    "property_id 7": ("property_disposed", lambda e: e["details"].update(property_id=7)),
}


@pytest.mark.parametrize("event_type, fn", LAX.values(), ids=LAX.keys())
def test_wrong_value_types_fail_both_schema_and_parse_event(jsonschema, schema_dir, samples,
                                                            event_type, fn):
    event = copy.deepcopy(samples[event_type])
    fn(event)
    assert not validator(jsonschema, schema_dir).is_valid(event)
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps(event))


def test_a_timestamp_without_offset_fails_the_schema_and_parse_event(jsonschema, schema_dir,
                                                                      samples):
    event = copy.deepcopy(samples["detained"])
    event["occurred_at"] = "2026-05-01T15:00:00"
    assert not validator(jsonschema, schema_dir).is_valid(event)
    with pytest.raises(InvalidEvent):
        parse_event(json.dumps(event))


@pytest.mark.parametrize("stamp", ["1900-01-01T00:00:00+08:00", "1970-01-01T00:00:00Z",
                                   "1989-12-30T23:59:59-12:00"])
def test_a_date_before_1990_fails_the_schema_and_parse_event(jsonschema, schema_dir, samples,
                                                             stamp):
    event = copy.deepcopy(samples["detained"])
    event["occurred_at"] = stamp
    assert not validator(jsonschema, schema_dir).is_valid(event)
    with pytest.raises(InvalidEvent, match="before 1990-01-01T00:00:00"):
        parse_event(json.dumps(event))


def test_the_schema_states_both_bounds_of_a_timestamp(schema_dir):
    for name in ("occurred_at", "recorded_at"):
        prop = load(schema_dir / "events/detained.schema.json")["properties"][name]
        prop = prop.get("anyOf", [prop])[0]
        assert prop["formatMinimum"] == "1990-01-01T00:00:00+08:00"
        assert prop["description"] == ("not before 1990-01-01T00:00:00+08:00, and not more "
                                       "than 24 hours after the time Kafka receives it")


def test_what_the_schema_pattern_refuses_parse_event_refuses(jsonschema, schema_dir, samples):
    # the pattern refuses only dates surely before the bound, whatever their offset; the
    # last day of 1989 it leaves to formatMinimum and to parse_event
    from hypothesis import given, settings
    from hypothesis import strategies as st

    v = validator(jsonschema, schema_dir)

    @settings(max_examples=300, deadline=None)
    @given(day=st.dates(min_value=date(1985, 1, 1),
                        max_value=date(1991, 1, 1)),
           hour=st.integers(0, 23), offset=st.integers(-12, 14))
    def check(day, hour, offset):
        sign = "+" if offset >= 0 else "-"
        event = copy.deepcopy(samples["detained"])
        event["occurred_at"] = f"{day.isoformat()}T{hour:02d}:00:00{sign}{abs(offset):02d}:00"
        if not v.is_valid(event):
            with pytest.raises(InvalidEvent):
                parse_event(json.dumps(event))

    check()
