"""Stable warning ids: the same obligation gives the same id everywhere, every time."""

from hashlib import blake2b


def warning_id(rule_id: str, case_id: str, person_id: str | None, event_id: str) -> str:
    """Identity of an obligation (its trigger) or of a violation (the offending event)."""
    key = "\x1f".join((rule_id, case_id, person_id or "", event_id))
    return blake2b(key.encode(), digest_size=12).hexdigest()
