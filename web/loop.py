"""The closed loop of a warning or a problem: acknowledge → rectify → verify (or return →
rectify again).

An item's stage follows from its actions in order. Who may do what at which stage is this
table; a violation's or a problem's loop closes when it is verified, an obligation's when
it is resolved (the worker publishes that).
"""

from collections.abc import Iterable

from schemas.warning_action import Action, ActorRole, WarningAction

NEW = "new"
STAGE_AFTER = {
    Action.acknowledge: "acknowledged",
    Action.rectify: "rectified",
    Action.verify: "verified",
    Action.send_back: "returned",
}

#: action -> (stages it may follow, roles that may take it)
ALLOWED: dict[Action, tuple[frozenset[str], frozenset[ActorRole]]] = {
    Action.acknowledge: (frozenset({NEW}), frozenset({ActorRole.unit, ActorRole.supervisor})),
    Action.rectify: (frozenset({"acknowledged", "returned"}), frozenset({ActorRole.unit})),
    Action.verify: (frozenset({"rectified"}), frozenset({ActorRole.supervisor})),
    Action.send_back: (frozenset({"rectified"}), frozenset({ActorRole.supervisor})),
}


class NotAllowed(ValueError):
    pass


def stage(actions: Iterable[WarningAction]) -> str:
    current = NEW
    for a in actions:
        current = STAGE_AFTER[a.action]
    return current


def check(action: Action, role: str, current: str) -> None:
    """Raise NotAllowed unless `role` may take `action` at stage `current`."""
    stages, roles = ALLOWED[action]
    if role not in roles:
        raise NotAllowed(f"role {role!r} may not {action}")
    if current not in stages:
        raise NotAllowed(f"cannot {action} at stage {current!r}")


def available(role: str, current: str) -> list[str]:
    """The actions `role` may take now."""
    return [str(a) for a, (stages, roles) in ALLOWED.items()
            if role in roles and current in stages]


#: levels whose loop a supervisor's verification closes (an obligation's stays open until
#: the worker resolves it)
CLOSED_BY_VERIFY = frozenset({"violation", "problem"})


def loop_closed(level: str, status: str, current: str) -> bool:
    """Closed: the obligation is no longer open, or the violation or problem was verified."""
    return status != "open" or (level in CLOSED_BY_VERIFY and current == "verified")
