"""report/closure.py: a closed month's paper frozen whole, and the revisions a later event
makes to it, listed per unit and figure (the store on Kafka: tests/integration)."""

from datetime import UTC, datetime

import pytest

from report.closure import Closure, freeze, revisions
from report.month import Month
from report.paper import build_paper
from rules.scoring import load_scoring
from schemas.obligation_state import ObligationState
from sinks.clickhouse.rows import OBLIGATION_COLUMNS, obligation_row
from tests.support.databases import on_chdb
from tests.support.quality_seed import MONTH, nov, seed

MODEL = load_scoring()
NOW = datetime(2026, 12, 1, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def chdb(tmp_path_factory):
    with on_chdb(tmp_path_factory.mktemp("chdb-closure")) as embedded:
        seed(embedded, embedded.execute, "closure")
        yield embedded


def paper(ch):
    return build_paper(ch.execute, "closure", Month.parse(MONTH), MODEL, now=NOW)


def test_a_late_event_after_closing_is_a_revision_not_a_change(chdb):
    frozen = paper(chdb)
    closure = Closure(MONTH, NOW, "sup01", {"casewatch.case-rows": {0: 41}}, freeze(frozen))
    # a late event: U3301 had another obligation due in November, met 30 hours late
    late = ObligationState(
        obligation_id="A9", rule_id="det_family_notice", rule_kind="statutory", case_id="C109",
        person_id=None, unit_id="U3301", trigger_event_id="e-A9", triggered_at=nov(9),
        due_at=nov(10), status="resolved", late=True, resolved_at=nov(11, 6), extensions=0,
        level="overdue", changed_at=nov(11, 6))
    chdb.insert("closure.obligations", OBLIGATION_COLUMNS, [obligation_row(late, 3)])
    now = paper(chdb)
    again = closure.frozen_paper(datetime(2026, 12, 5, tzinfo=UTC))
    assert again.ranking == frozen.ranking and again.closed_at == NOW
    changed = {(r.unit_id, r.figure): (r.frozen, r.now) for r in revisions(again, now)}
    assert changed[("U3301", "应办 due")] == ("5", "6")
    assert changed[("U3301", "超期 late")] == ("1", "2")
    assert changed[("U3301", "问题 problems (platform)")] == ("1", "2")
    # A9 loses 4 (30 h) and 4 (never rectified): 100 x (1 - (5 + 8) / max(67 + 12, 100))
    assert changed[("U3301", "得分 score")] == ("95.00", "87.00")
    assert changed[("U3303", "名次 rank")] == ("2", "1")  # 92.00 now leads
    assert {u for u, _ in changed} == {"U3301", "U3303"}


def test_nothing_moved_nothing_listed(chdb):
    p = paper(chdb)
    assert revisions(p, p) == []
