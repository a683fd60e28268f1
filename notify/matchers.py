"""Label matchers of the routing file: `{ unit_id = ["U33*"], level = ["overdue"] }`.

Every named label must match one of its patterns (shell-style: `*`, `?`, `[...]`); an
absent label matches no pattern. An empty matcher matches everything.
"""

from collections.abc import Mapping
from fnmatch import fnmatchcase

#: The labels an item carries and a matcher or `group_by` may name. `kind` is what the
#: item is: warning, problem, lawyer_notice, or bulletin (a daily bulletin, which carries
#: only kind, source, subject_id and its unit_id if it is one unit's).
LABELS = frozenset({"kind", "source", "unit_id", "level", "rule_id", "rule_kind", "case_id",
                    "person_id", "status", "subject_id", "problem_type", "stage", "node",
                    "lawyer_id"})


def check_labels(names, where: str) -> None:
    unknown = sorted(set(names) - LABELS)
    if unknown:
        raise ValueError(f"{where}: unknown label(s) {unknown}; known: {sorted(LABELS)}")


def matches(matcher: Mapping[str, tuple[str, ...]], labels: Mapping[str, str]) -> bool:
    for name, patterns in matcher.items():
        value = labels.get(name)
        if value is None or not any(fnmatchcase(value, p) for p in patterns):
            return False
    return True
