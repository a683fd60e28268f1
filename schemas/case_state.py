"""Records of the `case-state` topic: the compacted changelog of the worker's case state.

Each record is one item of one case, keyed `<4 hex digits: byte length of case_id><case_id>
<item>` (streams/case_store.py), so compaction keeps each item's latest value. The items
are listed in `streams/case_items.py`; the case's meta item `m` is `CaseMeta`.
"""

from pydantic import BaseModel, ConfigDict


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
