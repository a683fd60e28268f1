"""schemas.document_types: the dossier documents `document_filed` may name, as data."""

import json

import pytest

from schemas.document_types import DOCUMENT_TYPES, load_document_types
from schemas.event import InvalidEvent, parse_event


def filed(doc_type) -> str:
    return json.dumps({
        "event_id": "E1", "schema_version": 1, "event_type": "document_filed",
        "occurred_at": "2026-05-11T10:00:00+08:00", "case_id": "C1",
        "case_kind": "criminal", "person_id": "P1", "unit_id": "U1",
        "details": {"doc_type": doc_type},
    })


def test_every_listed_document_is_a_valid_doc_type():
    assert "prosecution_opinion" in DOCUMENT_TYPES
    for code, doc in DOCUMENT_TYPES.items():
        assert parse_event(filed(code)).details.doc_type == code
        assert doc.label_zh and doc.label_en


@pytest.mark.parametrize("doc_type", ["indictment", "", "PROSECUTION_OPINION", 3, None])
def test_a_doc_type_not_in_the_list_is_refused(doc_type):
    with pytest.raises(InvalidEvent, match="doc_type"):
        parse_event(filed(doc_type))


def test_a_file_with_an_entry_lacking_a_label_does_not_load(tmp_path):
    path = tmp_path / "documents.toml"
    path.write_text('[x]\nlabel_zh = "某文书"\n', encoding="utf-8")
    with pytest.raises(KeyError):
        load_document_types(path)
    path.write_text('[x\n', encoding="utf-8")
    with pytest.raises(ValueError):
        load_document_types(path)
