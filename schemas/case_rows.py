"""Records of the case-rows topic: the ClickHouse rows one processed event yields.

One message per processed event, keyed by case_id, `{"rows": [row, ...]}`; each row names
the table it is for (the discriminator):

- `{"table": "events", "event": <the event's JSON text as received>, "partition": int,
  "offset": int, "received_at": "<ISO 8601 with offset>"}`: the source position of the
  event, for the archive;
- `{"table": "measure_state", "state": <MeasureState>, "version": int}`: a measure's
  current state; `version` grows per subject and measure (ReplacingMergeTree's version);
- `{"table": "obligation_state", "state": <ObligationState>, "version": int}`: an
  obligation's life record, warned or not, each time it changes; `version` grows per case
  with the measure states' (the same counter).
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from schemas.measure_state import MeasureState
from schemas.obligation_state import ObligationState


class EventRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    table: Literal["events"] = "events"
    event: str
    partition: int = Field(ge=0, lt=2**31)  # Kafka's int32, stored as UInt32
    offset: int = Field(ge=0, lt=2**63)
    received_at: AwareDatetime

    @field_serializer("received_at")
    def _isoformat(self, value: datetime) -> str:
        return value.isoformat()  # "+00:00", as the records have always carried


class MeasureStateRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    table: Literal["measure_state"] = "measure_state"
    state: MeasureState
    version: int = Field(ge=0, lt=2**63)  # stored as UInt64


class ObligationStateRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    table: Literal["obligation_state"] = "obligation_state"
    state: ObligationState
    version: int = Field(ge=0, lt=2**63)  # stored as UInt64


CaseRow = Annotated[EventRow | MeasureStateRow | ObligationStateRow,
                    Field(discriminator="table")]


class CaseRows(BaseModel):
    """One case-rows message: every row derived from one processed event."""

    model_config = ConfigDict(frozen=True)

    rows: list[CaseRow]
