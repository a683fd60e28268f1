"""Whether a problem record may enter the loop: the one check every way in shares (the web
form, `casewatch problems import`, the topic's intake).

`accept_problem(raw, key, received_at)` returns the Problem or raises InvalidProblem with
every reason, in plain words: not JSON, over 64 KiB, a field missing or wrong, a key other
than its problem_id, a problem type not in rules/problems.toml, found in the future.
"""

import json
from datetime import datetime, timedelta

from pydantic import ValidationError

from rules.problem_types import ProblemTypes, problem_types
from schemas.problem import MAX_PROBLEM_BYTES, Problem

#: how far `found_at` may lie after the moment the record was sent (clocks drift)
CLOCK_SKEW = timedelta(minutes=10)


class InvalidProblem(ValueError):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def reasons_of(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "record"
        out.append(f"{where}: {err['msg']}")
    return out


def check_problem(problem: Problem, received_at: datetime,
                  types: ProblemTypes | None = None) -> list[str]:
    """What is wrong with a well-formed problem beyond its schema ([] if nothing)."""
    types = types or problem_types()
    out = []
    if problem.problem_type not in types.by_code:
        out.append(_unknown_type(problem.problem_type))
    if problem.found_at > received_at + CLOCK_SKEW:
        out.append(f"found_at: {problem.found_at.isoformat()} is in the future")
    return out


def _type_reasons(raw: bytes, types: ProblemTypes) -> list[str]:
    """The catalogue's word on a record the schema refused, so every reason comes at once."""
    try:
        code = json.loads(raw).get("problem_type")
    except (ValueError, AttributeError):
        return []
    if isinstance(code, str) and code and code not in types.by_code:
        return [_unknown_type(code)]
    return []


def _unknown_type(code: str) -> str:
    return f"problem_type: unknown problem type {code!r} (rules/problems.toml)"


def accept_problem(raw: bytes | None, key: bytes | None, received_at: datetime,
                   types: ProblemTypes | None = None) -> Problem:
    """The problem `raw` carries, checked; InvalidProblem says every reason it is not."""
    if raw is None:
        raise InvalidProblem(["the message has no value"])
    if len(raw) > MAX_PROBLEM_BYTES:
        raise InvalidProblem([f"message is {len(raw)} bytes, over the {MAX_PROBLEM_BYTES} "
                              "byte limit"])
    types = types or problem_types()
    try:
        problem = Problem.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidProblem(reasons_of(exc) + _type_reasons(raw, types)) from None
    reasons = check_problem(problem, received_at, types)
    if key is None or key.decode("utf-8", "replace") != problem.problem_id:
        reasons.insert(0, "the message key must be the problem_id "
                          f"({problem.problem_id!r}), got {key!r}")
    if reasons:
        raise InvalidProblem(reasons)
    return problem
