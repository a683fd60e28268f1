"""Render Python values as ClickHouse SQL literals, strictly by column type.

Used where rows travel as SQL text (chDB). A value that does not fit its column raises
TypeError naming the column, instead of letting the server coerce it (recent ClickHouse
turns 'x' into NULL for a Nullable(UInt8), for instance). Covers the types the sink's
tables use: String, (U)IntN, DateTime('tz'), Nullable(T), Array(T).
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

_INT = re.compile(r"^(U?)Int(8|16|32|64)$")
_DATETIME = re.compile(r"^DateTime(?:\('([^']+)'\))?$")


def _wrapped(ch_type: str, name: str) -> str | None:
    prefix = name + "("
    if ch_type.startswith(prefix) and ch_type.endswith(")"):
        return ch_type[len(prefix) : -1]
    return None


def _mismatch(column: str, ch_type: str, value: object) -> TypeError:
    return TypeError(f"column {column!r} ({ch_type}): cannot take {type(value).__name__} {value!r}")


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render(value: object, ch_type: str, column: str = "?", declared: str | None = None) -> str:
    """The SQL literal for `value` in a column of type `ch_type`, or TypeError."""
    declared = declared or ch_type  # the column's full type, for error messages
    inner = _wrapped(ch_type, "Nullable")
    if inner is not None:
        return "NULL" if value is None else render(value, inner, column, declared)
    inner = _wrapped(ch_type, "Array")
    if inner is not None:
        if not isinstance(value, list | tuple):
            raise _mismatch(column, declared, value)
        return "[" + ", ".join(render(item, inner, column, declared) for item in value) + "]"
    if ch_type == "String":
        if not isinstance(value, str):
            raise _mismatch(column, declared, value)
        return quote_string(value)
    match = _INT.match(ch_type)
    if match:
        if not isinstance(value, int):
            raise _mismatch(column, declared, value)
        bits = int(match.group(2))
        low, high = (
            (0, 2**bits - 1) if match.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        )
        if not low <= value <= high:
            raise _mismatch(column, declared, value)
        return str(int(value))
    match = _DATETIME.match(ch_type)
    if match:
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise _mismatch(column, declared, value)
        zone = ZoneInfo(match.group(1) or "UTC")
        return quote_string(value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"))
    raise TypeError(f"column {column!r}: type {ch_type} is not supported by "
                    "sinks.clickhouse.literals")


def render_row(row: tuple, columns: list[tuple[str, str]]) -> str:
    """`(v1, v2, ...)` for one row, given (name, type) per column."""
    if len(row) != len(columns):
        raise TypeError(f"row has {len(row)} values for {len(columns)} columns")
    return "(" + ", ".join(render(v, t, n) for v, (n, t) in zip(row, columns, strict=True)) + ")"
