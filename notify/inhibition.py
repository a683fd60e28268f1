"""Inhibition: an open item matching a rule's `source` holds back the items matching its
`target` that share the rule's `equal` labels (Alertmanager's inhibit_rules). The
default file's rule: an overdue warning holds back the approaching warnings of the same
rule and person. Sources are counted per equal-label tuple, kept current as items change.
"""

from collections import Counter

from notify.config import Inhibit
from notify.matchers import matches


class Inhibitor:
    def __init__(self, rules: list[Inhibit]):
        self.rules = list(rules)
        self._sources: list[Counter] = [Counter() for _ in self.rules]
        self._held: dict[str, list[tuple | None]] = {}  # subject -> its source keys

    def _keys(self, labels: dict[str, str] | None) -> list[tuple | None]:
        if labels is None or labels.get("status") != "open":
            return [None] * len(self.rules)
        return [tuple(labels.get(n) for n in r.equal) if matches(r.source, labels) else None
                for r in self.rules]

    def update(self, subject: str, labels: dict[str, str] | None) -> None:
        """The subject's current labels (None: gone)."""
        old = self._held.pop(subject, None)
        if old is not None:
            for counter, key in zip(self._sources, old, strict=True):
                if key is not None:
                    counter[key] -= 1
                    if counter[key] <= 0:
                        del counter[key]
        new = self._keys(labels)
        if any(k is not None for k in new):
            self._held[subject] = new
            for counter, key in zip(self._sources, new, strict=True):
                if key is not None:
                    counter[key] += 1

    def inhibited(self, subject: str, labels: dict[str, str]) -> bool:
        own = self._held.get(subject, [None] * len(self.rules))
        for rule, counter, mine in zip(self.rules, self._sources, own, strict=True):
            if not matches(rule.target, labels):
                continue
            key = tuple(labels.get(n) for n in rule.equal)
            if counter.get(key, 0) - (1 if mine == key else 0) > 0:
                return True
        return False
