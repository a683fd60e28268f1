"""The catalogue of problem types (`problems.toml`): what an inspector may record.

Pure: read and check the file, nothing else. `load_problem_types()` refuses a file that
breaks the rules below with ProblemTypesError naming the entry and the key.
"""

import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from rules.catalogue_model import LegalBasis

PROBLEMS_FILE = Path(__file__).with_name("problems.toml")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class ProblemTypesError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    title_zh: str
    title_en: str


@dataclass(frozen=True, slots=True)
class ProblemType:
    code: str
    title_zh: str
    title_en: str
    category: str
    points: float
    basis: tuple[LegalBasis, ...] = ()


@dataclass(frozen=True)
class ProblemTypes:
    categories: dict[str, Category]
    types: tuple[ProblemType, ...]

    @cached_property
    def by_code(self) -> dict[str, ProblemType]:
        return {t.code: t for t in self.types}


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProblemTypesError(f"{where}.{key} must be a non-empty string")
    return value


def _type(data: object, i: int, categories: dict[str, Category]) -> ProblemType:
    where = f"types[{i}]"
    if not isinstance(data, dict):
        raise ProblemTypesError(f"{where} must be a table")
    code = _text(data, "code", where)
    if not _CODE.match(code):
        raise ProblemTypesError(f"{where}.code {code!r}: lower-case letters, digits and _")
    where = f"types[{i}] ({code})"
    category = _text(data, "category", where)
    if category not in categories:
        raise ProblemTypesError(f"{where}.category {category!r} is not a [categories] entry")
    points = data.get("points")
    if (isinstance(points, bool) or not isinstance(points, int | float)
            or not math.isfinite(points) or points < 0):
        raise ProblemTypesError(f"{where}.points must be a number of at least 0")
    basis = data.get("basis", [])
    if not isinstance(basis, list) or not all(isinstance(b, dict) for b in basis):
        raise ProblemTypesError(f"{where}.basis must be a list of tables")
    return ProblemType(
        code=code,
        title_zh=_text(data, "title_zh", where),
        title_en=_text(data, "title_en", where),
        category=category,
        points=float(points),
        basis=tuple(LegalBasis(_text(b, "ref", f"{where}.basis"),
                               _text(b, "text_zh", f"{where}.basis"), b.get("law"))
                    for b in basis),
    )


def parse_problem_types(text: str) -> ProblemTypes:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProblemTypesError(f"not valid TOML: {exc}") from exc
    raw = data.get("categories")
    if not isinstance(raw, dict) or not raw:
        raise ProblemTypesError("[categories] is missing or empty")
    categories = {}
    for code, entry in raw.items():
        if not isinstance(entry, dict):
            raise ProblemTypesError(f"categories.{code} must be a table")
        where = f"categories.{code}"
        categories[code] = Category(code, _text(entry, "zh", where), _text(entry, "en", where))
    items = data.get("types")
    if not isinstance(items, list) or not items:
        raise ProblemTypesError("[[types]] are missing")
    types = tuple(_type(item, i, categories) for i, item in enumerate(items))
    seen: set[str] = set()
    for t in types:
        if t.code in seen:
            raise ProblemTypesError(f"problem type {t.code!r} appears twice")
        seen.add(t.code)
    return ProblemTypes(categories, types)


def load_problem_types(path: Path = PROBLEMS_FILE) -> ProblemTypes:
    try:
        return parse_problem_types(path.read_text(encoding="utf-8"))
    except ProblemTypesError as exc:
        raise ProblemTypesError(f"{path.name}: {exc}") from exc


@cache
def problem_types() -> ProblemTypes:
    """The shipped catalogue, read once."""
    return load_problem_types()
