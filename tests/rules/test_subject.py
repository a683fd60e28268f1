"""rules.subject.SubjectFold: a subject's walk, persisted between events and continued.

Each history below is walked event by event, the walk dumped to JSON and loaded again
before every step; after each step it must read (at several instants) as the walk of the
whole history so far. The histories put every part of the walk's state to use: a
suspended notice, ordered custody extensions and a recount, a 30-day extension's
requirement, measure spells and checks.
"""

from datetime import timedelta

import orjson
import pytest

from rules.engine import subject_events
from rules.subject import SubjectFold
from tests.support.timeline import CaseTimeline, shared_engine

APPROVALS = [{"approver_id": "L1", "role": "deputy"}]


def suspended_notice(case):
    case.add("detained")
    case.add("family_notice_exempted", hours=2, measure="detention", reason="cannot_notify")
    case.add("interrogated", hours=30)
    case.add("notice_exemption_ended", hours=50, measure="detention")
    case.add("family_notified", hours=60, measure="detention")


def custody(case):
    case.add("arrested")
    case.add("custody_extended", days=50, basis="cpl_156", approved_by="L1")
    case.add("custody_extended", days=80, basis="cpl_159", approved_by="L1")  # out of order
    case.add("custody_recounted", days=85, reason="new_major_crime")
    case.add("custody_extended", days=120, basis="cpl_156", approved_by="L1")
    case.add("released", days=200)


def detention_extension(case):
    case.add("detained", suspect_flags=["group"])
    case.add("detention_period_extended", hours=50, to_days=30, approved_by="L1")
    case.add("bail_started", days=20, approvals=APPROVALS)
    case.add("case_flagged_special", days=21)
    case.add("rs_started", days=22, designated=True, approvals=APPROVALS)
    case.add("summons_ended", days=23)
    case.add("summons_started", days=23, hours=2, kind="summons")
    for n in range(3):
        case.add("returned_for_supplementary_investigation", days=30 + 40 * n)


@pytest.mark.parametrize("history", [suspended_notice, custody, detention_extension])
def test_a_reloaded_walk_continues_as_the_whole_walk(history):
    engine = shared_engine()
    case = CaseTimeline()
    history(case)
    by_id = {e.event_id: e for e in case.events}
    for subject in ("P1", None):
        mine = subject_events(case.events, subject)
        fold = SubjectFold(engine, subject)
        for i, event in enumerate(mine):
            dumped = orjson.loads(orjson.dumps(fold.dump()))
            fold = SubjectFold.load(engine, subject, case.case_id, dumped, by_id.__getitem__)
            fold.step(event)
            whole = engine.walk(mine[: i + 1], subject)
            for after in (timedelta(0), timedelta(hours=20), timedelta(days=300)):
                now = event.occurred_at + after
                open_runs = {k: r.read(now) for k, r in whole.history.items() if not r.ended}
                got = {k: r.read(now) for k, r in fold.runs.items()}
                assert {k: _state(o) for k, o in got.items()} == {
                    k: _state(o) for k, o in open_runs.items()}, (event.event_type, after)
            assert (fold.checks, fold.spells) == (whole.checks, whole.spells)


def _state(ob) -> tuple | None:
    if ob is None:
        return None  # a period that has not started
    return (ob.due, ob.level, ob.level_at, ob.status, ob.status_at, ob.late, ob.resolved_at,
            tuple(ob.evidence), ob.next_at, ob.extensions, ob.moved_at)

