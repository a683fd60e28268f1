"""The unit registry: which handling units exist, their names, kinds and parents.

Read from a TOML file (`deploy/units.toml`, or CASEWATCH_UNITS_FILE):

    [[units]]
    id = "U3300"
    name = "东城分局"
    kind = "分局"            # 分局 | 派出所 | 大队 | 中心
    parent = "U3000"         # optional; the parent's subtree covers this unit

Pure (no Kafka, ClickHouse or web): the worker, the reports and the console use it. A unit
id an event carries that is not registered is still a unit: it is shown as its id marked
未登记 (unregistered), and `UnitRegistry.name` never fails.
"""

import logging
import os
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

DEFAULT_FILE = Path("deploy/units.toml")
ENV_FILE = "CASEWATCH_UNITS_FILE"
UNREGISTERED_ZH = "未登记"
UNREGISTERED_EN = "unregistered"
Kind = Literal["分局", "派出所", "大队", "中心"]


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,32}$")
    name: str = Field(min_length=1, max_length=64, description="the unit's name in Chinese")
    kind: Kind
    parent: str | None = None


class UnitsError(ValueError):
    pass


class UnitRegistry:
    """Registered units, checked: unique ids, known parents, no cycles."""

    def __init__(self, units: Iterable[Unit] = ()):
        self.units: dict[str, Unit] = {}
        for unit in units:
            if unit.id in self.units:
                raise UnitsError(f"duplicate unit id {unit.id!r}")
            self.units[unit.id] = unit
        self._children: dict[str, list[str]] = {}
        for unit in self.units.values():
            if unit.parent is None:
                continue
            if unit.parent not in self.units:
                raise UnitsError(f"unit {unit.id!r}: parent {unit.parent!r} is not registered")
            self._children.setdefault(unit.parent, []).append(unit.id)
        for unit_id in self.units:
            self.ancestors(unit_id)  # raises on a cycle

    @classmethod
    def from_toml(cls, text: str, source: str = "units") -> "UnitRegistry":
        try:
            data = tomllib.loads(text)
            entries = data.get("units", [])
            if not isinstance(entries, list):
                raise UnitsError("'units' must be an array of tables ([[units]])")
            return cls(Unit.model_validate(u) for u in entries)
        except (tomllib.TOMLDecodeError, ValidationError, UnitsError, TypeError) as exc:
            raise UnitsError(f"{source}: {exc}") from exc

    @classmethod
    def load(cls, path: Path) -> "UnitRegistry":
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UnitsError(f"{path}: {exc}") from exc
        return cls.from_toml(text, str(path))

    # ------------------------------------------------------------------ reads

    def registered(self, unit_id: str) -> bool:
        return unit_id in self.units

    def name(self, unit_id: str) -> str:
        """The unit's Chinese name; an unregistered id as `<id>（未登记）`."""
        unit = self.units.get(unit_id)
        return unit.name if unit else f"{unit_id}（{UNREGISTERED_ZH}）"

    def describe(self, unit_id: str) -> dict:
        """{id, name, kind, parent, registered} for pages and exports."""
        unit = self.units.get(unit_id)
        if unit is None:
            return {"id": unit_id, "name": None, "kind": None, "parent": None,
                    "registered": False}
        return {"id": unit.id, "name": unit.name, "kind": unit.kind, "parent": unit.parent,
                "registered": True}

    def ancestors(self, unit_id: str) -> tuple[str, ...]:
        """The parents of `unit_id`, nearest first (empty for a root or an unknown id)."""
        out: list[str] = []
        unit = self.units.get(unit_id)
        while unit is not None and unit.parent is not None:
            if unit.parent in out or unit.parent == unit_id:
                raise UnitsError(f"unit {unit_id!r}: its parents form a cycle")
            out.append(unit.parent)
            unit = self.units.get(unit.parent)
        return tuple(out)

    def subtree(self, unit_id: str) -> frozenset[str]:
        """`unit_id` and every registered unit below it."""
        out, todo = {unit_id}, [unit_id]
        while todo:
            for child in self._children.get(todo.pop(), ()):
                out.add(child)
                todo.append(child)
        return frozenset(out)

    def covers(self, scope: Iterable[str], unit_id: str) -> bool:
        """Whether a scope naming units (or their parents) covers `unit_id`."""
        scope = scope if isinstance(scope, (set, frozenset)) else set(scope)
        return unit_id in scope or any(a in scope for a in self.ancestors(unit_id))

    def expand(self, scope: Iterable[str]) -> frozenset[str]:
        """Every unit id a scope covers: its units and their registered subtrees."""
        out: set[str] = set()
        for unit_id in scope:
            out |= self.subtree(unit_id)
        return frozenset(out)

    def of_kind(self, kind: str) -> list[str]:
        return sorted(u.id for u in self.units.values() if u.kind == kind)


class WatchedUnits:
    """The registry of a file, reloaded when the file changes (checked at most every
    `interval` seconds). A changed file that does not validate is refused with a logged
    error and the previous registry stays in force (`error` says why)."""

    def __init__(self, path: Path, interval: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        self.path = path
        self.interval = interval
        self._clock = clock
        self._stamp = self._stat()
        self.registry = UnitRegistry.load(path)  # an invalid file at start raises
        self.error: str | None = None
        self._checked = clock()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def current(self) -> UnitRegistry:
        now = self._clock()
        if now - self._checked >= self.interval:
            self._checked = now
            stamp = self._stat()
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self.registry = UnitRegistry.load(self.path)
                    self.error = None
                    log.info("unit registry reloaded from %s: %d units", self.path,
                             len(self.registry.units))
                except UnitsError as exc:
                    self.error = str(exc)
                    log.error("unit registry %s not reloaded, the previous one stays: %s",
                              self.path, exc)
        return self.registry


def units_file(env: Mapping[str, str] = os.environ) -> Path:
    """The registry's path: CASEWATCH_UNITS_FILE, else deploy/units.toml."""
    return Path(env.get(ENV_FILE, str(DEFAULT_FILE)))
