"""What the console shows about rules: titles, legal basis, and the measure a rule watches."""

from functools import cache

from rules.catalogue import load_catalogue
from rules.measures import load_measures
from schemas.event_types import EVENT_TYPES


@cache
def rules_info() -> dict[str, dict]:
    """rule_id -> {title_zh, title_en, kind, basis: [{ref, text_zh}], measure}."""
    starts = {event: m.name for m in load_measures() for event in m.starts}
    out = {}
    for rule in load_catalogue().by_id.values():
        trigger = getattr(rule, "trigger", None)
        out[rule.id] = {
            "title_zh": rule.title_zh,
            "title_en": rule.title_en,
            "kind": rule.kind,
            "violation": trigger is None,
            "basis": [{"ref": b.ref, "text_zh": b.text_zh} for b in rule.basis],
            "measure": starts.get(trigger.event) if trigger else None,
        }
    return out


@cache
def measure_labels() -> dict[str, str]:
    return {m.name: m.label_zh for m in load_measures()}


@cache
def event_labels() -> dict[str, str]:
    return {name: t.label_zh for name, t in EVENT_TYPES.items()}
