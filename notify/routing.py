"""Which receivers an item goes to: the routes in order (the first match wins unless it
says `continue`), each receiver reference resolved for the item's unit."""

from dataclasses import dataclass

from notify.config import Config, Grouping
from notify.matchers import matches


@dataclass(frozen=True, slots=True)
class Target:
    #: what dedup remembers per subject: "r/<route>/<receiver>", "e/<policy>/<step>/<receiver>"
    key: str
    reason: str  # "route:<name>" or "escalation:<policy>#<step>"
    receiver: str
    grouping: Grouping


def route_targets(config: Config, labels: dict[str, str]) -> tuple[list[Target], list[str]]:
    """The targets of an item's labels, and the references that resolved to no receiver
    (a `@unit.<role>` the item's unit lacks)."""
    targets, unresolved = [], []
    for route in config.routes:
        if not matches(route.match, labels):
            continue
        grouping = route.grouping(config.defaults)
        for ref in route.receivers:
            receiver = config.resolve(ref, labels.get("unit_id"))
            if receiver is None:
                unresolved.append(f"route {route.name}: {ref} for unit {labels.get('unit_id')}")
                continue
            targets.append(Target(f"r/{route.name}/{receiver}", f"route:{route.name}",
                                  receiver, grouping))
        if not route.continue_:
            break
    return targets, unresolved


def target_of_key(config: Config, key: str) -> Target | None:
    """The target a remembered dedup key stands for under the current file (a resolution
    goes where the open state went), or None if its route or receiver is gone."""
    kind, _, rest = key.partition("/")
    if kind != "r":
        return None
    route_name, _, receiver = rest.partition("/")
    route = next((r for r in config.routes if r.name == route_name), None)
    if route is None or receiver not in {r.name for r in config.receivers}:
        return None
    return Target(key, f"route:{route_name}", receiver, route.grouping(config.defaults))
