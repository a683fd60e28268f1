"""What a user may see: all units, or the units their entry names and, for a registered
parent, its whole subtree (schemas/units.py). Checked against the registry in force, so a
reloaded registry changes what a parent covers without a new login."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from schemas.units import UnitRegistry

_EMPTY = UnitRegistry()


@dataclass(frozen=True)
class Scope:
    units: frozenset[str] | None  # None: every unit
    registry: Callable[[], UnitRegistry] = lambda: _EMPTY

    @classmethod
    def exact(cls, units: Iterable[str]) -> "Scope":
        """Exactly these unit ids (no registry)."""
        return cls(frozenset(units))

    def covers(self, unit_id: str) -> bool:
        return self.units is None or self.registry().covers(self.units, unit_id)

    def unit_ids(self) -> tuple[str, ...] | None:
        """Every unit id covered, sorted (for SQL `IN`); None for every unit."""
        if self.units is None:
            return None
        return tuple(sorted(self.registry().expand(self.units)))

    def key(self) -> str:
        return "*" if self.units is None else ",".join(sorted(self.units))
