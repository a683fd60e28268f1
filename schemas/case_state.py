"""Records of the `case-state` topic: the compacted changelog of the worker's case state.

Each record is one item of one case, keyed `<4 hex digits: byte length of case_id><case_id>
<item>` (streams/case_store.py), so compaction keeps each item's latest value. A case's
items are listed in `streams/case_items.py` (its meta item `m` is `CaseMeta`, a
quarantined case's `q` item `Quarantine`).
"""

from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas.warning import Warning


class CaseMeta(BaseModel):
    """What the worker keeps of a case besides its events, walks and publications."""

    model_config = ConfigDict(frozen=True)

    offset: int  # the highest source offset applied: a message at or below it is redelivered
    version: int  # of the measure and obligation states published, growing with each
    next_due: float | None  # epoch seconds of its next clock-driven change
    # The rules' fingerprint the subjects' walks were made with (`Engine.fingerprint`); ""
    # for a case stored before walks were persisted. Another fingerprint: walk afresh.
    walk: str = ""
    # Every subject of the case ("" for the case-level one) and its next due.
    subjects: dict[str, float | None] = {}
    targets: list[str] = []  # the event ids retractions of the case name


class Quarantine(BaseModel):
    """Why a case is set aside, and the system warning staff were shown about it."""

    model_config = ConfigDict(frozen=True)

    reason: str  # what failed: "restore", "events" or "due"
    error: str  # the exception, as text
    since: AwareDatetime
    warning: Warning
