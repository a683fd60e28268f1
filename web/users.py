"""Users and roles from a TOML file; passwords checked against argon2 hashes.

    [[users]]
    id = "u3301-duty"             # an id, never a person's name
    role = "unit"                 # unit | supervisor | screen
    units = ["U3301"]             # unit role only: the units (or parents of units, covering
                                  # their subtrees in deploy/units.toml) it sees and acts on
    password_hash = "$argon2id$v=19$..."   # `casewatch web --hash-password`
"""

import tomllib
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Role = Literal["unit", "supervisor", "screen"]
USER_ID = r"^[A-Za-z0-9_.\-]{1,64}$"
_hasher = PasswordHasher()


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=USER_ID)
    role: Role
    units: frozenset[str] = frozenset()
    password_hash: str = Field(pattern=r"^\$argon2(id|i|d)\$")

    @model_validator(mode="after")
    def _units_match_role(self) -> "User":
        if self.role == "unit" and not self.units:
            raise ValueError("a unit user needs at least one unit")
        if self.role != "unit" and self.units:
            raise ValueError(f"a {self.role} user sees all units; drop 'units'")
        return self

    def public(self) -> dict:
        return {"id": self.id, "role": self.role, "units": sorted(self.units)}


class UsersError(ValueError):
    pass


def load_users(path: Path) -> dict[str, User]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        users = [User.model_validate(u) for u in data.get("users", [])]
    except (OSError, tomllib.TOMLDecodeError, ValidationError, TypeError) as exc:
        raise UsersError(f"{path}: {exc}") from exc
    by_id = {u.id: u for u in users}
    if len(by_id) != len(users):
        raise UsersError(f"{path}: duplicate user id")
    if not by_id:
        raise UsersError(f"{path}: no [[users]]")
    return by_id


#: the hashes of deploy/web-users.toml, whose passwords the README prints
DEMO_HASHES = frozenset({
    "$argon2id$v=19$m=65536,t=3,p=4$Zp68Aai8HSRTWFmYllJ7OA$2Jw1KhjULBa0i7iPCmWzLByCBlYIYT88VVRySWKdbHY",
    "$argon2id$v=19$m=65536,t=3,p=4$RPyHNd0XYtC+tZzVv+PBHA$Awb4sqO9m4U991R8Q1Pj06xBl0lM6L+e2U5uSbYGVoQ",
    "$argon2id$v=19$m=65536,t=3,p=4$N+D+EFrs66VgePy8b01DxA$9LjdVO2asXLGZCo385oldmrcI2KwhwFG1SZN2O15hiQ",
    "$argon2id$v=19$m=65536,t=3,p=4$oYR2GuV4HMP9v5PEwrmt8Q$fqixtq/2Bd1KRA/6RNjbCCzTP7dw6toGInw2ymhrHvA",
})


def demo_users(users: dict[str, User]) -> list[str]:
    """Ids of the users whose password is a published demo password."""
    return sorted(u.id for u in users.values() if u.password_hash in DEMO_HASHES)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True if the password matches; an unknown user costs a hash check all the same."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY = _hasher.hash("casewatch-no-such-user")
