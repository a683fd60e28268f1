"""One partition's case state on local disk (RocksDB), the mirror of its changelog.

Keys: a case's items (`CaseLogic.changes`, listed in streams/case_items.py, and a
quarantined case's `q` and `x:` items, streams/quarantine.py) under
`<length><case_id><item>`, so a case reads an item by a point lookup and a group of items
(a subject's index) by a prefix scan (`reader`); its next due under `DUE + case_id`,
derived from its meta item so that the due index is rebuilt by one scan of a small key
range; `QUARANTINED + case_id` for each quarantined case, derived from its `q` item; and
the changelog offset the store has applied up to (`CHECKPOINT`). A record without a value
(a tombstone) deletes its item. Writes are applied only after their changelog records are
committed, so the store is always a prefix of the changelog: after a crash, replaying the
changelog from the checkpoint catches it up.
"""

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson
from rocksdict import Options, Rdict, WriteBatch

from streams.case_items import META_ITEM, QUARANTINE_ITEM

APPLY_STEP = 2000  # changelog records written between two yields of `apply_steps`
_META, _QUARANTINE = META_ITEM.encode(), QUARANTINE_ITEM.encode()
QUARANTINED = b"\xfd"
CHECKPOINT = b"\xfe"
DUE = b"\xff"


def _due_of(meta: bytes) -> float | None:
    """A meta item's next due; an unreadable one (an upgrade changed its format) is due at
    once, so that its case is loaded, fails, and is quarantined where staff see it."""
    try:
        due = orjson.loads(meta)["next_due"]  # read alone: a store takes thousands at once
        return None if due is None else float(due)
    except (ValueError, KeyError, TypeError):
        return 0.0


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


#: RocksDB's memtable size. After a crash, opening a store replays the writes not yet
#: flushed, holding the GIL: with the default 64 MiB that was 0.46 s per store (4 stores in
#: one rebalance: the worker's loop stood still for 1 s); with 8 MiB, 0.05 s.
WRITE_BUFFER = 8 * 2**20


def _options() -> Options:
    options = Options(raw_mode=True)
    options.set_write_buffer_size(WRITE_BUFFER)
    return options


class PartitionStore:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(path), _options())

    def reader(self, case_id: str) -> CaseReader:
        """A case's items, read on demand (`streams.case_items.ItemReader`)."""
        return CaseReader(self, case_id)

    def load(self, case_id: str) -> dict[str, bytes]:
        """Every item of a case (empty for a case never seen)."""
        return dict(self.reader(case_id).scan(""))

    def apply(self, records: Iterable[tuple[bytes, bytes]], checkpoint: int | None) -> None:
        """Write changelog records (key, value) and, if given, the next offset to apply."""
        for _ in self.apply_steps(records, checkpoint):
            pass

    def apply_steps(self, records: Iterable[tuple[bytes, bytes]], checkpoint: int | None,
                    step: int = APPLY_STEP) -> Iterator[None]:
        """`apply` in batches of `step` records, yielding after each (a job's changelog can
        be tens of thousands of records): the checkpoint goes with the last batch, so a
        crash in between replays them all again, which changes nothing."""
        batch, count = WriteBatch(raw_mode=True), 0
        for key, value in records:
            length = int(key[:4], 16)
            item = key[4 + length:]
            if value is None:
                batch.delete(key)
                if item == _QUARANTINE:
                    batch.delete(QUARANTINED + key[4:4 + length])
            else:
                batch.put(key, value)
                if item == _QUARANTINE:
                    batch.put(QUARANTINED + key[4:4 + length], b"")
                elif item == _META:
                    due = _due_of(value)
                    if due is None:
                        batch.delete(DUE + key[4:4 + length])
                    else:
                        batch.put(DUE + key[4:4 + length], repr(due).encode())
            count += 1
            if count == step:
                self._db.write(batch)
                yield
                batch, count = WriteBatch(raw_mode=True), 0
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

    def get(self, case_id: str, item: str) -> bytes | None:
        """One item of a case, or None."""
        return self._db.get(item_key(case_id, item))

    def case_ids(self, after: str, limit: int) -> list[str]:
        """Up to `limit` case ids in key order after `after` ("" : from the first)."""
        start = b"0001" if not after else case_prefix(after) + b"\xff"
        out = []
        while len(out) < limit:
            key = next(iter(self._db.keys(from_key=start)), None)
            if key is None or key[:1] in (QUARANTINED, CHECKPOINT, DUE):
                break
            case_id, _ = split_key(key)
            out.append(case_id)
            start = case_prefix(case_id) + b"\xff"
        return out

    def quarantined(self) -> list[str]:
        """The ids of the quarantined cases."""
        out = []
        for key in self._db.keys(from_key=QUARANTINED):
            if key[:1] != QUARANTINED:
                break
            out.append(key[1:].decode())
        return out

    def set_checkpoint(self, checkpoint: int) -> None:
        self._db[CHECKPOINT] = str(checkpoint).encode()

    def close(self) -> None:
        self._db.close()

    def destroy(self) -> None:
        """Forget everything (the changelog was recreated): recovery starts from offset 0."""
        self._db.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self._db = Rdict(str(self.path), _options())
