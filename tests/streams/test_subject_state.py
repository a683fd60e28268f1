"""streams.subject_state: a subject's walk as persisted between messages."""

import json
from datetime import datetime, timedelta

import orjson
import pytest

from streams.case_logic import Arrival, CaseLogic
from streams.subject_state import SubjectState
from tests.support.timeline import CaseTimeline, shared_engine

NOW = datetime.fromisoformat("2026-05-11T21:00:00+08:00")


def stored(case: CaseTimeline) -> dict[str, bytes]:
    logic, items = CaseLogic("C1", shared_engine()), {}
    for n, event in enumerate(case.events):
        logic.on_events([Arrival(event, event.model_dump_json().encode(), n)], NOW)
        items.update(logic.changes())
    return items


def test_a_state_loads_as_it_was_dumped():
    case = CaseTimeline(start="2026-05-11T10:00:00+08:00")
    case.add("detained")
    case.add("family_notice_exempted", hours=1, measure="detention", reason="cannot_notify")
    ahead = case.add("released", hours=30)  # dated after NOW: pending
    items = stored(case)
    events = {e.event_id: e for e in case.events}
    state = SubjectState.load(shared_engine(), "P1", "C1", items["s:P1"],
                                    events.__getitem__)
    assert (state.now, state.pending, state.latest) == (NOW, [ahead], ahead.occurred_at)
    assert state.last == (case.events[1].occurred_at, case.events[1].event_id)
    assert state.next_due() == case.instant(hours=20)  # the interrogation's lead
    assert [k[0] for k in state.fold.runs] == ["det_arrest_request", "det_family_notice",
                                               "det_first_interrogation", "det_transfer_to_jail"]
    assert orjson.loads(state.dump()) == orjson.loads(items["s:P1"])


@pytest.mark.parametrize("change", [
    lambda d: d.update(format=99),
    lambda d: d.pop("fold"),
    lambda d: d["next"].append(None),  # one more than the open obligations
    lambda d: d["fold"]["runs"][0].__setitem__(0, "no_such_rule"),
], ids=["other format", "no walk", "next times do not match", "unknown rule"])
def test_a_malformed_state_is_refused(change):
    case = CaseTimeline(start="2026-05-11T10:00:00+08:00")
    case.add("detained")
    items = stored(case)
    data = json.loads(items["s:P1"])
    change(data)
    items["s:P1"] = json.dumps(data).encode()
    logic = CaseLogic.restore("C1", shared_engine(), items)
    later = case.add("interrogated", hours=2)
    with pytest.raises((ValueError, KeyError)):
        logic.on_events([Arrival(later, later.model_dump_json().encode(), 9)],
                        NOW + timedelta(hours=1))


def test_a_subject_listed_without_its_state_is_refused():
    case = CaseTimeline(start="2026-05-11T10:00:00+08:00")
    case.add("detained")
    items = stored(case)
    del items["s:P1"]
    later = case.add("interrogated", hours=2)
    with pytest.raises(KeyError, match="no stored state"):
        CaseLogic.restore("C1", shared_engine(), items).on_events(
            [Arrival(later, later.model_dump_json().encode(), 9)], NOW)
