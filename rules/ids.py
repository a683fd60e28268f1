"""Stable warning ids: the same obligation gives the same id everywhere, every time."""

from hashlib import blake2b


def warning_id(rule_id: str, case_id: str, person_id: str | None, event_id: str,
               part: str | None = None) -> str:
    """Identity of an obligation (its trigger) or of a violation (the offending event; `part`:
    what the violation names within it, such as a missing document, when there can be several).
    """
    key = "\x1f".join((rule_id, case_id, person_id or "", event_id, *([part] if part else [])))
    return blake2b(key.encode(), digest_size=12).hexdigest()
