"""One partition's case state on local disk (RocksDB), the mirror of its changelog.

Keys: a case's items (`CaseLogic.changes`, and a quarantined case's `q` and `x:` items,
streams/quarantine.py) under `<length><case_id><item>`, so a case is one prefix scan; its
next due under `DUE + case_id`, derived from its meta item so that the due index is rebuilt
by one scan of a small key range; `QUARANTINED + case_id` for each quarantined case,
derived from its `q` item; and the changelog offset the store has applied up to
(`CHECKPOINT`). A record without a value (a tombstone) deletes its item. Writes are applied
only after their changelog records are committed, so the store is always a prefix of the
changelog: after a crash, replaying the changelog from the checkpoint catches it up.
"""

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from rocksdict import Options, Rdict, WriteBatch

from streams.case_logic import META_ITEM, parse_meta
from streams.quarantine import QUARANTINE_ITEM

QUARANTINED = b"\xfd"
CHECKPOINT = b"\xfe"
DUE = b"\xff"


def _due_of(meta: bytes) -> float | None:
    """A meta item's next due; an unreadable one (an upgrade changed its format) is due at
    once, so that its case is loaded, fails, and is quarantined where staff see it."""
    try:
        return parse_meta(meta)[2]
    except ValueError:
        return 0.0


def case_prefix(case_id: str) -> bytes:
    raw = case_id.encode()
    return b"%04x" % len(raw) + raw


def item_key(case_id: str, item: str) -> bytes:
    return case_prefix(case_id) + item.encode()


def split_key(key: bytes) -> tuple[str, str]:
    length = int(key[:4], 16)
    return key[4 : 4 + length].decode(), key[4 + length :].decode()


class PartitionStore:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(path), Options(raw_mode=True))

    def load(self, case_id: str) -> dict[str, bytes]:
        """Every item of a case (empty for a case never seen)."""
        prefix = case_prefix(case_id)
        out = {}
        for key, value in self._db.items(from_key=prefix):
            if not key.startswith(prefix) or key[:1] in (QUARANTINED, CHECKPOINT, DUE):
                break
            out[key[len(prefix):].decode()] = value
        return out

    def apply(self, records: Iterable[tuple[bytes, bytes]], checkpoint: int | None) -> None:
        """Write changelog records (key, value) and, if given, the next offset to apply."""
        batch = WriteBatch(raw_mode=True)
        for key, value in records:
            case_id, item = split_key(key)
            if value is None:
                batch.delete(key)
                if item == QUARANTINE_ITEM:
                    batch.delete(QUARANTINED + case_id.encode())
                continue
            batch.put(key, value)
            if item == QUARANTINE_ITEM:
                batch.put(QUARANTINED + case_id.encode(), b"")
            elif item == META_ITEM:
                due = _due_of(value)
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

    def get(self, case_id: str, item: str) -> bytes | None:
        """One item of a case, or None."""
        return self._db.get(item_key(case_id, item))

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
        self._db = Rdict(str(self.path), Options(raw_mode=True))
