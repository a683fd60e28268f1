"""streams.case_store: a partition's cases on local RocksDB, keyed for prefix scans."""

import pytest

from schemas.case_state import CaseMeta
from streams.case_store import PartitionStore, item_key, split_key


def meta(offset: int, version: int, due: float | None) -> bytes:
    return CaseMeta(offset=offset, version=version, next_due=due).model_dump_json().encode()


@pytest.fixture
def store(tmp_path):
    s = PartitionStore(tmp_path / "cases-0")
    yield s
    s.close()


@pytest.mark.parametrize("case_id", ["C1", "案件-1", "a\x00b", "x" * 64, "C1m"])
def test_keys_split_back(case_id):
    assert split_key(item_key(case_id, "e:E1")) == (case_id, "e:E1")
    assert split_key(item_key(case_id, "m")) == (case_id, "m")


def test_a_case_is_its_own_items_only(store):
    # "C1" is a prefix of "C10" and of "C1\x00x": their items must not leak into C1's
    store.apply([(item_key("C1", "m"), meta(3, 1, None)), (item_key("C1", "e:E1"), b"{}"),
                 (item_key("C10", "m"), meta(5, 0, None)), (item_key("C1\x00x", "e:E9"), b"[]")],
                checkpoint=4)
    assert store.load("C1") == {"m": meta(3, 1, None), "e:E1": b"{}"}
    assert store.load("C10") == {"m": meta(5, 0, None)}
    assert store.load("C2") == {}
    assert store.checkpoint() == 4


def test_dues_follow_the_meta_items(store):
    store.apply([(item_key("A", "m"), meta(1, 0, 100.5)),
                 (item_key("B", "m"), meta(2, 0, 50.0))], None)
    assert sorted(store.dues()) == [("A", 100.5), ("B", 50.0)]
    store.apply([(item_key("A", "m"), meta(3, 0, None))], None)  # nothing due any more
    assert list(store.dues()) == [("B", 50.0)]
    assert store.checkpoint() == 0  # none was given


def test_survives_reopening_and_destroy_forgets(tmp_path):
    s = PartitionStore(tmp_path / "p")
    s.apply([(item_key("A", "m"), meta(1, 0, 7.0))], checkpoint=10)
    s.close()
    s = PartitionStore(tmp_path / "p")
    assert (s.load("A"), s.checkpoint(), list(s.dues())) == (
        {"m": meta(1, 0, 7.0)}, 10, [("A", 7.0)])
    s.destroy()
    assert (s.load("A"), s.checkpoint(), list(s.dues())) == ({}, 0, [])
    s.close()


def test_tombstones_are_ignored(store):
    store.apply([(item_key("A", "e:E1"), None), (item_key("A", "m"), meta(0, 0, None))], None)
    assert store.load("A") == {"m": meta(0, 0, None)}


@pytest.mark.parametrize("case_id", ["\xfe", "\xff", "", "C1"])
def test_case_keys_never_meet_the_checkpoint_or_due_keys(store, case_id):
    key = item_key(case_id, "m")
    assert key[:1] in b"0123456789abcdef"
    store.apply([(key, meta(0, 0, 1.0))], checkpoint=2)
    assert (store.load(case_id), store.checkpoint()) == ({"m": meta(0, 0, 1.0)}, 2)
    assert list(store.dues()) == [(case_id, 1.0)]


def test_a_case_reads_its_items_one_by_one_and_by_prefix(store):
    store.apply([(item_key("C1", "e:E1"), b"1"), (item_key("C1", "e:E2"), b"2"),
                 (item_key("C1", "i:0002P1E1"), b""), (item_key("C1", "m"), meta(0, 0, None)),
                 (item_key("C10", "e:E3"), b"3"), (item_key("C1\x00", "e:E4"), b"4")], None)
    reader = store.reader("C1")
    assert (reader.get("e:E1"), reader.get("e:E3"), reader.get("x")) == (b"1", None, None)
    assert list(reader.scan("e:")) == [("e:E1", b"1"), ("e:E2", b"2")]
    assert list(reader.scan("i:0002P1")) == [("i:0002P1E1", b"")]
    assert list(reader.scan("p:")) == []
    assert [item for item, _ in reader.scan("")] == ["e:E1", "e:E2", "i:0002P1E1", "m"]
    assert list(store.reader("C2").scan("")) == []


def test_a_long_changelog_is_applied_in_steps_and_checkpointed_at_the_end(store):
    records = [(item_key("A", f"e:E{n}"), b"%d" % n) for n in range(5)]
    records.append((item_key("A", "m"), meta(0, 0, 9.0)))
    steps = store.apply_steps(records, checkpoint=7, step=2)
    next(steps)
    assert (len(store.load("A")), store.checkpoint()) == (2, 0)  # a crash here replays all
    assert list(steps) == [None, None]
    assert (len(store.load("A")), store.checkpoint(), list(store.dues())) == (6, 7, [("A", 9.0)])
