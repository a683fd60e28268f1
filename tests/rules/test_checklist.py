"""evidence_checklist: at `arrest_requested` and `transferred_for_prosecution` the person's
dossier must hold the documents the rule lists for that stage (`document_filed`, at or before
the stage's instant); each missing document is one violation naming it."""

import random

import pytest
from rulekit import MON, Case, h, t

from rules.ids import warning_id

RULE = "evidence_checklist"
LATER = "2027-06-01T00:00:00+08:00"
ARREST_DOCS = ["case_filing_decision", "rights_notice", "interrogation_record",
               "arrest_request_form"]
PROSECUTION_DOCS = ["case_filing_decision", "rights_notice", "interrogation_record",
                    "prosecution_opinion"]
STAGE_AT = "2026-05-14T10:00:00+08:00"


def dossier(docs, at=MON, person_id="P1", case: Case | None = None) -> Case:
    case = case or Case()
    for n, doc in enumerate(docs):
        case.add("document_filed", at, event_id=f"doc-{person_id}-{n}", person_id=person_id,
                 doc_type=doc)
    return case


def missing(case: Case, now=LATER) -> dict[str, str]:
    """Missing document (from the warning id) → the stage event it was missing at."""
    out = {}
    for w in case.warnings(now, RULE):
        assert (w.level, w.status, w.due_at, w.late) == ("violation", "open", None, None)
        (stage,) = w.evidence
        doc = next(d for d in {*ARREST_DOCS, *PROSECUTION_DOCS}
                   if w.warning_id == warning_id(RULE, "C1", w.person_id, stage, d))
        out[doc] = stage
    return out


@pytest.mark.parametrize("stage, docs", [("arrest_requested", ARREST_DOCS),
                                         ("transferred_for_prosecution", PROSECUTION_DOCS)])
def test_a_complete_dossier_raises_nothing(stage, docs):
    case = dossier(docs)
    case.add(stage, STAGE_AT, event_id="stage")
    assert case.warnings(LATER, RULE) == []


@pytest.mark.parametrize("stage, docs", [("arrest_requested", ARREST_DOCS),
                                         ("transferred_for_prosecution", PROSECUTION_DOCS)])
def test_each_missing_document_is_one_violation(stage, docs):
    case = dossier(docs[:2])
    case.add(stage, STAGE_AT, event_id="stage")
    assert missing(case) == dict.fromkeys(docs[2:], "stage")


def test_the_violation_names_the_document_in_both_languages():
    case = dossier(ARREST_DOCS[:3])
    case.add("arrest_requested", STAGE_AT, event_id="stage")
    (w,) = case.warnings(LATER, RULE)
    assert w.message_zh == ("【违规】案件 C1 人员 P1："
                            "提请批准逮捕时案卷中没有提请批准逮捕书，应当补齐。")
    assert w.message_en == ("[violation] case C1, person P1: The dossier lacked the request for "
                            "arrest approval at the arrest request; complete it.")
    assert w.changed_at == t(STAGE_AT)
    assert [b.ref for b in w.basis][:2] == ["CPL 87", "CPL 162"]


def test_an_empty_dossier_misses_everything_the_stage_lists():
    case = Case()
    case.add("transferred_for_prosecution", STAGE_AT, event_id="stage")
    assert sorted(missing(case)) == sorted(PROSECUTION_DOCS)


@pytest.mark.parametrize("offset, counted", [
    pytest.param(-h(1), True, id="filed-before"),
    pytest.param(h(0), True, id="filed-at-the-same-instant"),
    pytest.param(h(1), False, id="filed-after"),
])
def test_a_document_counts_when_filed_no_later_than_the_stage(offset, counted):
    case = dossier(ARREST_DOCS[:3])
    case.add("document_filed", t(STAGE_AT) + offset, event_id="a-late-doc",
             doc_type="arrest_request_form")
    case.add("arrest_requested", STAGE_AT, event_id="stage")
    assert missing(case) == ({} if counted else {"arrest_request_form": "stage"})


def test_another_persons_document_does_not_count():
    case = dossier(ARREST_DOCS[:3])
    dossier(["arrest_request_form"], person_id="P2", case=case)
    case.add("arrest_requested", STAGE_AT, event_id="stage")
    assert missing(case) == {"arrest_request_form": "stage"}


def test_every_stage_event_is_checked_on_its_own():
    case = dossier(["case_filing_decision", "rights_notice", "interrogation_record"])
    case.add("arrest_requested", STAGE_AT, event_id="r1")
    case.add("document_filed", "2026-05-20T10:00:00+08:00", doc_type="arrest_request_form")
    case.add("arrest_requested", "2026-05-21T10:00:00+08:00", event_id="r2")
    case.add("transferred_for_prosecution", "2026-07-01T10:00:00+08:00", event_id="tp")
    found = {(w.evidence[0], w.warning_id) for w in case.warnings(LATER, RULE)}
    assert found == {("r1", warning_id(RULE, "C1", "P1", "r1", "arrest_request_form")),
                     ("tp", warning_id(RULE, "C1", "P1", "tp", "prosecution_opinion"))}


def test_a_retracted_document_no_longer_counts():
    case = dossier(ARREST_DOCS)
    case.add("arrest_requested", STAGE_AT, event_id="stage")
    case.add("event_retracted", "2026-05-15T10:00:00+08:00", retracts_event_id="doc-P1-3")
    assert missing(case) == {"arrest_request_form": "stage"}


def test_a_retracted_stage_withdraws_its_violations_keeping_their_words():
    case = dossier(ARREST_DOCS[:3])
    case.add("arrest_requested", STAGE_AT, event_id="stage")
    case.add("event_retracted", "2026-05-15T10:00:00+08:00", event_id="retr",
             retracts_event_id="stage")
    (w,) = case.warnings(LATER, RULE)
    assert (w.status, w.evidence) == ("withdrawn", ["stage", "retr"])
    assert w.message_zh.endswith("没有提请批准逮捕书，应当补齐。（已撤回）")
    assert w.message_en.endswith("at the arrest request; complete it. (withdrawn)")


def test_publication_order_and_duplicates_do_not_matter():
    events = [("document_filed", MON, "d1", {"doc_type": "rights_notice"}),
              ("document_filed", STAGE_AT, "d2", {"doc_type": "interrogation_record"}),
              ("arrest_requested", STAGE_AT, "r", {}),
              ("document_filed", "2026-05-15T10:00:00+08:00", "d3",
               {"doc_type": "arrest_request_form"}),
              ("transferred_for_prosecution", "2026-06-01T10:00:00+08:00", "tp", {})]
    ordered = Case()
    for event_type, at, eid, details in events:
        ordered.add(event_type, at, event_id=eid, **details)
    expected = sorted(w.model_dump_json() for w in ordered.warnings(LATER, RULE))
    assert len(expected) == 2 + 2
    for seed in range(5):
        shuffled = Case()
        replay = events + events[1:3]
        random.Random(seed).shuffle(replay)
        for event_type, at, eid, details in replay:
            shuffled.add(event_type, at, event_id=eid, **details)
        assert sorted(w.model_dump_json() for w in shuffled.warnings(LATER, RULE)) == expected
