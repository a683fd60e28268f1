"""The event envelope, one model per event type, joined as a discriminated union."""

from typing import Annotated, Literal, Union

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    create_model,
)

from schemas.enums import CaseKind
from schemas.event_types import EVENT_TYPES, EventType
from schemas.time_window import EARLIEST, MAX_AHEAD, not_too_early
from schemas.timefmt import format_cst

MAX_MESSAGE_BYTES = 64 * 1024
#: RFC 3339 with an offset; stated in the JSON Schema, where `format` alone is advisory. The
#: date part refuses every year before 1989 and 1989 but its last day: whatever the offset,
#: those are before EARLIEST (schemas/time_window.py). The exact bound is `formatMinimum`
#: (a keyword of ajv-formats) and the description; the upper bound needs a clock.
RFC3339_WITH_OFFSET = (r"^(?:(?:199\d|[2-9]\d{3})-\d{2}-\d{2}|1989-12-31)"
                       r"T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
Timestamp = Annotated[AwareDatetime, AfterValidator(not_too_early), Field(
    description=f"not before {format_cst(EARLIEST)}, and not more than "
                f"{MAX_AHEAD.total_seconds() / 3600:.0f} hours after the time Kafka receives it",
    json_schema_extra={"pattern": RFC3339_WITH_OFFSET, "formatMinimum": format_cst(EARLIEST)})]
PersonId = Annotated[str, Field(min_length=1, max_length=64)]


class Envelope(BaseModel):
    """Fields every event carries (events.md, "Envelope")."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    event_id: Annotated[str, Field(min_length=1, max_length=128)]
    schema_version: Literal[1]
    occurred_at: Timestamp
    recorded_at: Timestamp | None = None
    case_id: Annotated[str, Field(min_length=1, max_length=64)]
    case_kind: CaseKind
    person_id: PersonId | None = None
    unit_id: Annotated[str, Field(min_length=1, max_length=32)]
    officer_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = []
    source: Annotated[str, Field(max_length=128)] | None = None


def _model_for(t: EventType) -> type[Envelope]:
    details = (t.details, ...) if t.details_required else (t.details, t.details())
    name = "".join(part.title() for part in t.name.split("_")) + "Event"
    person = {} if t.case_level else {"person_id": (PersonId, ...)}  # person-level: required
    return create_model(
        name,
        __base__=Envelope,
        __doc__=f"{t.name} — {t.label_zh}",
        event_type=(Literal[t.name], ...),
        details=details,
        **person,
    )


EVENT_MODELS: dict[str, type[Envelope]] = {name: _model_for(t) for name, t in EVENT_TYPES.items()}

Event = Annotated[Union[tuple(EVENT_MODELS.values())], Field(discriminator="event_type")]  # noqa: UP007
EVENT_ADAPTER: TypeAdapter = TypeAdapter(Event)


class InvalidEvent(ValueError):
    """Raised with the human-readable reasons an input is not a valid event."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def parse_event(raw: bytes | str) -> Envelope:
    """Validate one JSON message against the contract, or raise InvalidEvent."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_MESSAGE_BYTES:
        raise InvalidEvent([f"message is {size} bytes, over the {MAX_MESSAGE_BYTES} byte limit"])
    try:
        return EVENT_ADAPTER.validate_json(raw)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise InvalidEvent(_reasons(exc)) from None


def _reasons(exc: ValueError) -> list[str]:
    errors = getattr(exc, "errors", None)
    if errors is None:
        return [str(exc)]
    out = []
    for err in errors(include_url=False):
        if err["type"] == "union_tag_invalid":
            out.append(f"event_type: unknown event type {err['ctx']['tag']!r}")
            continue
        if err["type"] == "missing" and err["loc"][1:] == ("person_id",):
            out.append(f"person_id is required for event_type {err['loc'][0]}")
            continue
        where = ".".join(str(p) for p in err["loc"]) or "message"
        out.append(f"{where}: {err['msg']}")
    return out
