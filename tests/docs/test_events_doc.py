"""docs/events.md against the models in schemas/: every event type, its level and its details
fields, required or optional; the envelope's fields; the dead-letter record's fields."""

import json
import re
from pathlib import Path

import pytest

from schemas.event import Envelope
from schemas.event_types import EVENT_TYPES
from streams.dead_letter import dead_letter

DOC = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text(encoding="utf-8")


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table under `heading`."""
    section = DOC.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # without the header and the |---| line


TYPE_ROWS = {re.sub(r"`", "", row[0]): row for row in table_after("## Event types")}


def test_every_event_type_is_documented_once():
    assert list(TYPE_ROWS) == list(EVENT_TYPES)


@pytest.mark.parametrize("name", list(EVENT_TYPES))
def test_event_type_row_matches_the_model(name):
    t = EVENT_TYPES[name]
    _, label, level, details = TYPE_ROWS[name]
    assert label == t.label_zh
    assert level == ("case" if t.case_level else "person")
    optional = set(re.findall(r"\[`(\w+)`", details))
    named = set(re.findall(r"`(\w+)`", details))
    for field_name, field in t.details.model_fields.items():
        assert field_name in named, f"{name}: details field {field_name} not documented"
        assert (field_name in optional) == (not field.is_required()), field_name


def test_envelope_fields_are_documented():
    documented = {row[0].strip("`") for row in table_after("## Envelope")}
    assert documented == set(Envelope.model_fields) | {"event_type", "details"}


def test_dead_letter_fields_are_documented():
    record = json.loads(dead_letter(b"x", b"k", ["r"], "t", 0, 1))
    documented = set()
    for row in table_after("## Invalid input and the dead-letter topic"):
        documented |= set(re.findall(r"`(\w+)`", row[0]))
    assert documented == set(record)


def test_doc_types_are_documented_with_their_labels():
    from schemas.document_types import DOCUMENT_TYPES

    rows = table_after("names a dossier document")
    assert [(r[0].strip("`"), r[1]) for r in rows] == [
        (code, d.label_zh) for code, d in DOCUMENT_TYPES.items()]
