"""One partition's case state on local disk (RocksDB), the mirror of its changelog.

Keys: a case's items (`CaseLogic.changes`, listed in streams/case_items.py) under
`<length><case_id><item>`, so a case reads an item by a point lookup and a group of items
(a subject's index) by a prefix scan (`reader`); its next due under `DUE + case_id`,
derived from its meta item so that the due index is rebuilt by one scan of a small key
range; and the changelog offset the store has applied up to (`CHECKPOINT`). Writes are
applied only after their changelog records are acknowledged, so the store is always a
prefix of the changelog: after a crash, replaying the changelog from the checkpoint
catches it up.
"""

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from rocksdict import Options, Rdict, WriteBatch

from streams.case_items import META_ITEM, parse_meta

CHECKPOINT = b"\xfe"
DUE = b"\xff"


def case_prefix(case_id: str) -> bytes:
    raw = case_id.encode()
    return b"%04x" % len(raw) + raw


def item_key(case_id: str, item: str) -> bytes:
    return case_prefix(case_id) + item.encode()


def split_key(key: bytes) -> tuple[str, str]:
    length = int(key[:4], 16)
    return key[4 : 4 + length].decode(), key[4 + length :].decode()


class CaseReader:
    """Point lookups and prefix scans of one case's items, as the store holds them now."""

    def __init__(self, store: "PartitionStore", case_id: str):
        self._store = store
        self._prefix = case_prefix(case_id)

    def get(self, item: str) -> bytes | None:
        return self._store._db.get(self._prefix + item.encode())

    def scan(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        start = self._prefix + prefix.encode()
        skip = len(self._prefix)
        for key, value in self._store._db.items(from_key=start):
            if not key.startswith(start):
                break
            yield key[skip:].decode(), value


class PartitionStore:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(path), Options(raw_mode=True))

    def reader(self, case_id: str) -> "CaseReader":
        """A case's items, read on demand (`streams.case_items.ItemReader`)."""
        return CaseReader(self, case_id)

    def load(self, case_id: str) -> dict[str, bytes]:
        """Every item of a case (empty for a case never seen)."""
        return dict(self.reader(case_id).scan(""))

    def apply(self, records: Iterable[tuple[bytes, bytes]], checkpoint: int | None) -> None:
        """Write changelog records (key, value) and, if given, the next offset to apply."""
        batch = WriteBatch(raw_mode=True)
        for key, value in records:
            if value is None:
                continue  # casewatch writes no tombstones; a foreign one is ignored
            batch.put(key, value)
            case_id, item = split_key(key)
            if item == META_ITEM:
                due = parse_meta(value).next_due
                if due is None:
                    batch.delete(DUE + case_id.encode())
                else:
                    batch.put(DUE + case_id.encode(), repr(due).encode())
        if checkpoint is not None:
            batch.put(CHECKPOINT, str(checkpoint).encode())
        self._db.write(batch)

    def checkpoint(self) -> int:
        raw = self._db.get(CHECKPOINT)
        return 0 if raw is None else int(raw)

    def dues(self) -> Iterator[tuple[str, float]]:
        """(case_id, next due) of every case with something due."""
        for key, value in self._db.items(from_key=DUE):
            yield key[1:].decode(), float(value)

    def close(self) -> None:
        self._db.close()

    def destroy(self) -> None:
        """Forget everything (the changelog was recreated): recovery starts from offset 0."""
        self._db.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self._db = Rdict(str(self.path), Options(raw_mode=True))
