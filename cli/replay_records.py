"""The replay's records on disk as single byte strings, which sort, pickle and compare far
faster than tuples (cli/replay.py): a key that sorts as its text does, then fixed fields.

A key is the text in UTF-8 with each NUL escaped as NUL 0x01 and ended by NUL NUL, so byte
order is the text's order (Python's `str` order) and the end is unambiguous.

- line of a case: key(case_id), position, then its event_type, event_id and message;
- exclusion (a line that conflicts with another case's): key(case_id), position — the
  same prefix as the line's own record.
"""

import struct

END = b"\x00\x00"
_LINE = struct.Struct(">QII")  # position, len(event_type), len(event_id)
_PACK_LINE = _LINE.pack


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def key(text: str) -> bytes:
    return key_of(encode(text))


def key_of(data: bytes) -> bytes:
    """The key of text already encoded."""
    return data + END if b"\x00" not in data else data.replace(b"\x00", b"\x00\x01") + END


def text_of(key_bytes: bytes) -> str:
    """The text of a key without its end."""
    return key_bytes.replace(b"\x00\x01", b"\x00").decode("utf-8", "surrogatepass")


def line_record(case_id: bytes, position: int, event_type: bytes, event_id: bytes,
                raw: bytes) -> bytes:
    """From the texts encoded (`encode`)."""
    return b"".join((key_of(case_id), _PACK_LINE(position, len(event_type), len(event_id)),
                     event_type, event_id, raw))


def read_line(record: bytes) -> tuple[bytes, int, str, str, bytes]:
    """(case key without its end, position, event_id, event_type, message)."""
    end = record.index(END)
    position, nt, ne = _LINE.unpack_from(record, end + 2)
    at = end + 2 + _LINE.size
    return (record[:end], position,
            record[at + nt:at + nt + ne].decode("utf-8", "surrogatepass"),
            record[at:at + nt].decode("utf-8", "surrogatepass"), record[at + nt + ne:])


def exclusion(case_id: str, position: int) -> bytes:
    return key(case_id) + position.to_bytes(8, "big")


def line_prefix(record: bytes) -> bytes:
    """What an exclusion of this line looks like."""
    return record[:record.index(END) + 10]
