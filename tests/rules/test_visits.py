"""The satisfaction visit after a case closed (rules/catalogue/visit_after_closure.toml):
a policy deadline on the case, met by the visit (or its result), warned when missed."""

from rulekit import MIN, MON, Case, d, t

DUE = t("2026-06-11T00:00:00+08:00")  # 30 days after 2026-05-11, ending at 24:00


def closed_case() -> Case:
    case = Case()
    case.add("detained", "2026-05-01T10:00:00+08:00", event_id="d")
    case.add("case_closed", MON, event_id="closed")
    return case


def test_no_visit_is_warned_then_overdue():
    case = closed_case()
    assert case.warnings(DUE - d(7) - MIN, "visit_after_closure") == []
    w = case.warning("visit_after_closure", DUE - d(7))
    assert (w.level, w.rule_kind, w.person_id, w.due_at) == ("approaching", "policy", None, DUE)
    assert case.warning("visit_after_closure", DUE).level == "overdue"


def test_a_visit_in_time_leaves_no_warning():
    case = closed_case()
    case.add("visit_made", "2026-05-20T10:00:00+08:00", event_id="v")
    assert case.warnings("2026-07-01T00:00:00+08:00", "visit_after_closure") == []


def test_a_late_result_alone_resolves_the_visit_late():
    case = closed_case()
    case.add("visit_result", DUE + d(2), event_id="r", replied=True,
             satisfaction="unsatisfied", comment_ref="CMT-9")
    w = case.warning("visit_after_closure", "2026-07-01T00:00:00+08:00")
    assert (w.status, w.late, w.evidence) == ("resolved", True, ["closed", "r"])


def test_the_other_obligations_of_the_case_are_closed_as_before():
    case = closed_case()
    found = {w.rule_id: w.status for w in case.warnings("2026-07-01T00:00:00+08:00")}
    assert found["det_family_notice"] == "resolved"  # closed after its due: late
    assert found["visit_after_closure"] == "open"
