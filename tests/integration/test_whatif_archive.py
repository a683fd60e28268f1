"""`casewatch whatif --from-clickhouse` on the local ClickHouse (18.16), read as the
read-only user: the archive gives the same answer as the same events in a file."""

import json
from datetime import datetime

import pytest

from cli.lifecycles import generate_events
from cli.main import main
from schemas.event import parse_event
from sinks.clickhouse.migrate import migrate
from sinks.clickhouse.rows import EVENT_COLUMNS, EVENTS, event_row
from tests.support.databases import on_server
from tests.support.rulesets import copy_rules, edit

pytestmark = pytest.mark.integration

TO = "2028-07-01T00:00:00+08:00"  # after every event: none is dated ahead of it


@pytest.fixture
def proposal(tmp_path):
    d = copy_rules(tmp_path / "proposed")
    edit(d / "catalogue/custody_limit.toml", 'lead = "15d"', 'lead = "25d"')
    return d


def test_the_archive_gives_what_the_file_gives(tmp_path, capsys, monkeypatch, proposal):
    messages = [json.dumps(e, ensure_ascii=False) for e in generate_events(6000, seed=21)]
    file = tmp_path / "events.jsonl"
    file.write_text("".join(m + "\n" for m in messages), encoding="utf-8")
    args = ("--catalogue", str(proposal), "--to", TO, "--format", "json", "--jobs", "2")
    assert main(["whatif", str(file), *args]) == 0
    from_file = json.loads(capsys.readouterr()[0])
    assert from_file["totals"]["warnings"] > 20

    with on_server("whatif") as (ch, (db,)):
        migrate(ch.execute, db)
        received = datetime.fromisoformat("2026-06-01T00:00:00+08:00")
        rows = [event_row(parse_event(m), partition=0, offset=i, received_at=received, body=m)
                for i, m in enumerate(messages)]
        ch.insert(f"{db}.{EVENTS}", EVENT_COLUMNS, rows)
        monkeypatch.setenv("CASEWATCH_CLICKHOUSE_DATABASE", db)
        code = main(["whatif", "--from-clickhouse", *args])
        out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    from_archive = json.loads(out)
    for doc in (from_file, from_archive):
        del doc["events"]  # the archive holds a repeated event once or twice, by merges
    assert from_archive == from_file
