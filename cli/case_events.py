"""One case's lines made into its events, as `cli.jsonl.read_events` would keep them: each
line validated (and refused when dated more than a day after the instant of evaluation, as
the worker refuses it after its broker time: schemas/time_window.py), each event_id once
(its first valid line), a later line with the same event_id and other content a conflict.
Shared by the file replay and the archive.

A `Selection` (what `casewatch whatif` needs) skips the cases it has no concern with and,
in the others, the lines of the event types it does not read: such a line is neither
validated nor reported, unless its event_id is given more than once in the case (it may be
the first, which decides). (The file replay settles repeated ids before: cli/replay.py.)
"""

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from schemas.event import Envelope, InvalidEvent, parse_event
from schemas.time_window import check_not_ahead

#: (position, event_id and event_type as read before validation, message)
Line = tuple[int, str, str, bytes | str]


class Selection(Protocol):
    reads: frozenset[str]

    def concerns(self, event_types: set[str]) -> bool: ...


def selected(lines: list[Line], selection: Selection | None) -> list[Line]:
    """The lines to validate: all without a selection; none of a case of no concern."""
    if selection is None:
        return lines
    if not selection.concerns({line[2] for line in lines}):
        return []
    reads = selection.reads
    ids = Counter(line[1] for line in lines)
    return [line for line in lines if line[2] in reads or ids[line[1]] > 1]

#: (position, reason, event_id, position of the line it conflicts with): reason None for a
#: conflict, the position None otherwise
ProblemRecord = tuple[int, str | None, str | None, int | None]


def valid_event(raw: bytes | str, now: datetime) -> Envelope | str:
    """The line's event, or the reason it is not valid at `now`."""
    try:
        event = parse_event(raw)
    except InvalidEvent as exc:
        return "; ".join(exc.reasons)
    ahead = check_not_ahead(event, now)
    return "; ".join(ahead) if ahead else event


def case_events(case_id: str, lines: list[Line], now: datetime,
                report: Callable[[ProblemRecord], None]) -> list[Envelope]:
    """`lines` in input order."""
    first: dict[str, tuple[int, Envelope]] = {}
    events = []
    for position, event_id, _, raw in lines:
        event = valid_event(raw, now)
        if type(event) is str:
            report((position, event, event_id, None))
            continue
        if event.event_id != event_id or event.case_id != case_id:
            raise RuntimeError(f"position {position}: the JSON parsers disagree on its ids")
        seen = first.get(event_id)
        if seen is None:
            first[event_id] = (position, event)
            events.append(event)
        elif seen[1] != event:
            report((position, None, event_id, seen[0]))
    return events
