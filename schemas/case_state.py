"""Records of the `case-state` topic: the compacted changelog of the worker's case state.

Each record is one item of one case, keyed `<4 hex digits: byte length of case_id><case_id>
<item>` (streams/case_store.py), so compaction keeps each item's latest value:

| item | value |
|---|---|
| `e:<event_id>` | the event as it was accepted (`schemas.event`, validated) |
| `p:w:<warning_id>` | `w` + the warning last published (`schemas.warning.Warning`) |
| `p:m:<person_id>:<measure>` | `m` + the measure state last published (`MeasureState`) |
| `m` | `CaseMeta` |
| `q` | `Quarantine`: the case could not be processed (streams/quarantine.py) |
| `x:<source offset, 20 digits>` | a quarantined case's pending event, as it was received |

A record without a value (a tombstone) removes its item: a case leaving quarantine removes
its `q` and `x:` items.
"""

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.warning import Warning


class CaseMeta(BaseModel):
    """What the worker keeps of a case besides its events and publications."""

    model_config = ConfigDict(frozen=True)

    offset: int  # the highest source offset applied: a message at or below it is redelivered
    version: int  # of the measure states published, growing with each publication
    next_due: float | None  # epoch seconds of its next clock-driven change


class Quarantine(BaseModel):
    """Why a case is set aside, and the system warning staff were shown about it."""

    model_config = ConfigDict(frozen=True)

    reason: str  # what failed: "restore", "events" or "due"
    error: str  # the exception, as text
    since: AwareDatetime
    warning: Warning
