"""Seeded test databases on both ClickHouse backends: the real server (databases with a
unique suffix, dropped afterwards) and chDB (in-process, in a directory of its own)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def on_server(*prefixes: str) -> Iterator[tuple[object, list[str]]]:
    """The local ClickHouse server, waited for, and one fresh database name per prefix."""
    from sinks.clickhouse.client import ClickHouse, Settings

    ch = ClickHouse(Settings.from_env())
    try:
        ch.wait_until_available(timeout=60)
    except TimeoutError as exc:
        pytest.fail(f"{exc}; is the stack up (deploy/stack start)?", pytrace=False)
    suffix = uuid.uuid4().hex[:10]
    names = [f"{prefix}_{suffix}" for prefix in prefixes]
    try:
        yield ch, names
    finally:
        for name in names:
            ch.execute(f"DROP DATABASE IF EXISTS {name}")


@contextmanager
def on_chdb(path) -> Iterator[object]:
    """chDB on `path` (skips the test where chDB is not installed)."""
    pytest.importorskip("chdb")
    from sinks.clickhouse.embedded import Embedded

    embedded = Embedded(str(path))
    try:
        yield embedded
    finally:
        embedded.close()
