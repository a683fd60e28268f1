"""Load and check the rule catalogue (`catalogue/*.toml`)."""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rules.catalogue_model import (
    DeadlineRule,
    Extension,
    LegalBasis,
    Match,
    Requirement,
    Suspension,
    ViolationRule,
)
from rules.checks import validate_check
from rules.durations import parse_duration
from schemas.event_types import EVENT_TYPES

CATALOGUE_DIR = Path(__file__).with_name("catalogue")


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Catalogue:
    deadlines: tuple[DeadlineRule, ...]
    violations: tuple[ViolationRule, ...]
    #: the version of the rule set it was loaded with (rules/ruleset.py); "" when loaded alone
    version: str = ""

    @cached_property
    def by_id(self):
        return {r.id: r for r in (*self.deadlines, *self.violations)}

    @cached_property
    def by_trigger(self) -> dict[str, tuple[DeadlineRule, ...]]:
        out: dict[str, list[DeadlineRule]] = {}
        for rule in self.deadlines:
            out.setdefault(rule.trigger.event, []).append(rule)
        return {k: tuple(v) for k, v in out.items()}


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    return parse_catalogue({p.name: p.read_bytes() for p in directory.glob("*.toml")})


def parse_catalogue(files: Mapping[str, bytes], version: str = "") -> Catalogue:
    """The catalogue from its rule files' bytes by file name (`custody_limit.toml`, ...)."""
    deadlines, violations = [], []
    for name in sorted(files):
        try:
            data = tomllib.loads(files[name].decode("utf-8"))
            rule = _deadline(data) if "trigger" in data else _violation(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueError(f"{name}: {exc!r}") from exc
        if rule.id != Path(name).stem:
            raise CatalogueError(f"{name}: id {rule.id!r} differs from the file name")
        (deadlines if isinstance(rule, DeadlineRule) else violations).append(rule)
    catalogue = Catalogue(tuple(deadlines), tuple(violations), version)
    for rule in catalogue.deadlines:
        _check_same_fields(rule)
    _check_references(catalogue)
    return catalogue


def _match(data: dict) -> Match:
    event = data["event"]
    if event not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event!r}")
    return Match(event, tuple(sorted(data.get("where", {}).items())), tuple(data.get("same", ())))


def _trigger(data: dict) -> Match:
    if "same" in data:
        raise ValueError("a trigger has nothing to be the same as")
    return _match(data)


#: The levels a deadline rule's message may be given for (`[message.overdue]`, ...).
MESSAGE_LEVELS = ("approaching", "overdue")


def _common(data: dict, levels: tuple[str, ...] = ()) -> dict:
    if data["kind"] not in ("statutory", "policy"):
        raise ValueError(f"kind must be statutory or policy, not {data['kind']!r}")
    message = data["message"]
    unknown = set(message) - {"zh", "en", *levels}
    if unknown:
        raise ValueError(f"[message] has {sorted(unknown)}: only zh, en"
                         + "".join(f", [message.{x}]" for x in levels))
    return dict(
        id=data["id"],
        kind=data["kind"],
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        basis=tuple(LegalBasis(b["ref"], b["text_zh"], b.get("law")) for b in data["basis"]),
        message_zh=_text(message["zh"]),
        message_en=_text(message["en"]),
        level_messages=tuple((level, _text(message[level]["zh"]), _text(message[level]["en"]))
                             for level in levels if level in message),
    )


def _text(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"a message must be a non-empty string, not {value!r}")
    return value


def _extension(data: dict) -> Extension:
    req = data.get("requires")
    return Extension(
        match=_match(data),
        period=parse_duration(data["period"]),
        lead=parse_duration(data["lead"]) if "lead" in data else None,
        step=data.get("step"),
        requires=Requirement(req["trigger_field"], frozenset(req["any_of"])) if req else None,
        unmet_violation=data.get("unmet_violation"),
    )


def _suspension(data: dict | None) -> Suspension | None:
    if data is None:
        return None
    return Suspension(
        exempted_by=_match(data["exempted_by"]),
        resumed_by=_match(data["resumed_by"]),
        lawful_reasons=frozenset(data["lawful_reasons"]),
        resume_period=parse_duration(data["resume_period"]),
        invalid_violation=data["invalid_violation"],
    )


def _deadline(data: dict) -> DeadlineRule:
    return DeadlineRule(
        **_common(data, MESSAGE_LEVELS),
        trigger=_trigger(data["trigger"]),
        period=parse_duration(data["period"]),
        lead=parse_duration(data["lead"]),
        holiday_extends=bool(data["holiday_extends"]),
        closed_by=tuple(_match(m) for m in data["closed_by"]),
        extensions=tuple(_extension(e) for e in data.get("extensions", [])),
        restarted_by=tuple(_match(m) for m in data.get("restarted_by", [])),
        order_violation=data.get("order_violation"),
        suspension=_suspension(data.get("suspension")),
        started_by=tuple(_match(m) for m in data.get("started_by", [])),
    )


def _violation(data: dict) -> ViolationRule:
    check = data.get("check", {})
    if check:
        validate_check(check)
    return ViolationRule(**_common(data), check=check, raised_by=data.get("raised_by"))


def _matches_of(rule: DeadlineRule) -> list[Match]:
    matches = [*rule.closed_by, *rule.restarted_by, *rule.started_by,
               *(x.match for x in rule.extensions)]
    if rule.suspension is not None:
        matches += [rule.suspension.exempted_by, rule.suspension.resumed_by]
    return matches


def _check_same_fields(rule: DeadlineRule) -> None:
    """A `same` field must be a details field of both the trigger and the matched event."""
    trigger_fields = EVENT_TYPES[rule.trigger.event].details.model_fields
    for m in _matches_of(rule):
        for name in m.same:
            if name not in trigger_fields or name not in EVENT_TYPES[m.event].details.model_fields:
                raise CatalogueError(
                    f"{rule.id}: {m.event} cannot match the trigger's {name!r}: "
                    f"not a details field of both {rule.trigger.event} and {m.event}")


def _check_references(catalogue: Catalogue) -> None:
    """Every violation a deadline rule may raise must exist as a violation entry."""
    violation_ids = {v.id for v in catalogue.violations}
    for rule in catalogue.deadlines:
        named = {rule.order_violation, rule.suspension and rule.suspension.invalid_violation}
        named |= {e.unmet_violation for e in rule.extensions}
        missing = {n for n in named if n} - violation_ids
        if missing:
            raise CatalogueError(f"{rule.id}: unknown violation(s) {sorted(missing)}")
    if "extension_after_expiry" not in violation_ids:
        raise CatalogueError("the catalogue lacks extension_after_expiry")
