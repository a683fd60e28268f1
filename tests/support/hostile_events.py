"""An event file with every kind of line evaluate.md speaks of: generated events shuffled,
identical repeats, the same event written otherwise, conflicts within a case and across
cases (each way round), an id first given by an invalid line or dated too far ahead, lines
orjson cannot read and lines it can but the contract refuses, blank lines, CRLF endings."""

import json
import random
from datetime import UTC, datetime

from cli.lifecycles import generate_events


def dumps(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def hostile_lines(seed: int, n_events: int) -> list[str]:
    """Generated events, shuffled, with every kind of line evaluate.md speaks of mixed in."""
    rng = random.Random(seed)
    events = list(generate_events(n_events, seed=seed))
    lines = [dumps(e) for e in events]
    picks = rng.sample(events, 40)
    # an identical repeat, and the same event written otherwise (key order, UTC): one event
    lines += [dumps(e) for e in picks[:5]]
    for e in picks[5:10]:
        at = datetime.fromisoformat(e["occurred_at"]).astimezone(UTC)
        lines.append(json.dumps({**dict(reversed(list(e.items()))),
                                 "occurred_at": at.isoformat().replace("+00:00", "Z")}))
    # conflicts in the same case: another unit, another time
    lines += [dumps({**e, "unit_id": "U9999"}) for e in picks[10:15]]
    # conflicts of another type: a later event of a detained or arrested person given again
    # as the release (which would close the detention's or custody's duties, were it not
    # refused)
    def at(e):
        return datetime.fromisoformat(e["occurred_at"].replace("Z", "+00:00"))

    arrests = {(e["case_id"], e.get("person_id")): at(e) for e in events
               if e["event_type"] in ("detained", "arrested")}
    later = [e for e in events if e["event_type"] in ("interrogated", "arrest_requested",
                                                       "arrest_approved", "custody_extended")
             and (e["case_id"], e.get("person_id")) in arrests
             and at(e) > arrests[e["case_id"], e.get("person_id")]]
    lines += [dumps({**e, "event_type": "released", "details": {}}) for e in later[:40]]
    # conflicts across cases: the same event_id in another case (each way round)
    lines += [dumps({**e, "case_id": e["case_id"] + "X"}) for e in picks[15:20]]
    for e in picks[20:23]:  # an id whose first line is in another case, then its own again
        lines.insert(0, dumps({**e, "case_id": "ZZ" + e["case_id"]}))
    # an id first given dated years ahead (invalid: more than a day after the instant of
    # evaluation), then validly: the valid one stays; and an event only ever ahead
    for e in picks[0:3]:
        lines.insert(0, dumps({**e, "occurred_at": "2031-01-01T00:00:00+08:00",
                               "recorded_at": "2031-01-01T00:00:00+08:00"}))
    lines.append(dumps({**picks[3], "event_id": "ahead-only",
                        "occurred_at": "2031-01-01T00:00:00+08:00", "recorded_at": None}))
    # an id first given by an invalid line (readable JSON), then validly: the valid one stays
    for e in picks[23:26]:
        lines.insert(0, dumps({**e, "unit_id": ""}))
        lines.insert(0, dumps({**e, "unit_id": "", "case_id": "YY" + e["case_id"]}))
    # invalid lines orjson cannot read, and some it can
    lines += ["{not json", "[1, 2]", '"text"', "null", '{"event_id": 5}',
              dumps({**picks[26], "details": {"x": float("nan")}}),  # NaN: pydantic reads it
              dumps({**picks[27], "event_id": "x" * 200}),
              dumps({**picks[28], "note": "长" * 30_000}),  # over 64 KiB
              dumps({**picks[29], "case_id": 7}),
              '{"event_id":"dup-keys","case_id":"C-a","case_id":"C-b"}']
    lines += ["", "   ", "\t"]  # blank lines are skipped but counted
    rng.shuffle(lines)
    return lines


def write(path, lines: list[str], crlf_every: int = 17, final_newline: bool = False) -> None:
    text = "".join(x + ("\r\n" if i % crlf_every == 0 else "\n") for i, x in enumerate(lines))
    path.write_bytes((text if final_newline else text.rstrip("\n")).encode())
