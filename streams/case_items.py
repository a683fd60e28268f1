"""The items a case is persisted as (its changelog records and local store keys), and how a
case reads them back: by point lookups and prefix scans (`ItemReader`), so that a case
loaded from its store reads what it needs, not its whole history.

| item | value |
|---|---|
| `e:<event_id>` | the event's message as it was accepted |
| `s:<subject>` | the subject's walk (`streams.subject_state`, JSON), its latest event ids |
| `i:<subject><n>` | the ids of `INDEX_CHUNK` more of the subject's events (JSON), for re-walks |
| `p:w:<warning_id>` | `w` + the warning last published |
| `p:o:<obligation_id>` | `o` + the obligation's life record last published |
| `p:m:<person_id>:<measure>` | `m` + the measure state last published |
| `m` | `schemas.case_state.CaseMeta` |
| `q` | `schemas.case_state.Quarantine`: the case cannot be processed (quarantine.py) |
| `x:<source offset, 20 digits>` | a quarantined case's pending event, as it was received |
| `u:<warning_id>` | `open` or `resolved`: a system warning 未登记单位 shown about the case |
| `n:<notice_id>` | `1`: a key-node notice to a defence lawyer went out (lawyer_notices.py) |

`<subject>` is the person id, or empty for the case's own (case-level) subject, prefixed by
its length in 4 hex digits where another part follows; `<n>` counts from 0 in 8 digits. A
subject's index is its chunks and the ids its state holds: an event adds no record of its
own to the changelog besides itself. A record without a value (a tombstone) removes its
item: a case leaving quarantine removes its `q` and `x:` items.
"""

from collections.abc import Iterator, Mapping
from typing import Protocol

from schemas.case_state import CaseMeta

EVENT_ITEM, INDEX_ITEM, SUBJECT_ITEM, PUBLISHED_ITEM, META_ITEM = "e:", "i:", "s:", "p:", "m"
QUARANTINE_ITEM, PENDING_PREFIX = "q", "x:"
UNIT_WARNING_PREFIX, NOTICE_PREFIX = "u:", "n:"
INDEX_CHUNK = 64  # event ids per index item


class ItemReader(Protocol):
    """One case's persisted items."""

    def get(self, item: str) -> bytes | None: ...

    def scan(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        """Every item whose name starts with `prefix`, in name order."""


class MemoryItems:
    """Items held in a dict (tests, and a case that has none stored)."""

    def __init__(self, items: Mapping[str, bytes] | None = None):
        self._items = dict(items or {})

    def get(self, item: str) -> bytes | None:
        return self._items.get(item)

    def scan(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        for item in sorted(self._items):
            if item.startswith(prefix):
                yield item, self._items[item]


def subject_key(subject: str | None) -> str:
    return subject or ""


def subject_of_key(key: str) -> str | None:
    return key or None


def index_prefix(subject: str | None) -> str:
    key = subject_key(subject)
    return f"{INDEX_ITEM}{len(key):04x}{key}"


def index_item(subject: str | None, chunk: int) -> str:
    return f"{index_prefix(subject)}{chunk:08d}"


def parse_meta(value: bytes) -> CaseMeta:
    return CaseMeta.model_validate_json(value)
