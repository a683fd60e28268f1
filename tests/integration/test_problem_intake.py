"""Problems entered two of the three ways — on the topic `<prefix>problems` by other
systems, and by `casewatch problems import` — through `casewatch sink`'s intake, on the
real Kafka and ClickHouse 18.16: a valid record is recorded once (even sent twice),
malformed and conflicting records reach `problems.dlq` with their reasons, an unsatisfied
visit result on case-rows opens a visit problem, a spreadsheet's valid rows are published
and its bad rows reported; all land in ClickHouse. (The third way, the web form:
tests/integration/test_problem_console.py.)"""

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests.support.problem_records import raw
from tests.support.sheets import BAD_ROWS, ROWS, write_xlsx
from tests.support.stack_rig import REPO, StackRig


@pytest.fixture(scope="module")
def rig(stack, tmp_path_factory):
    rig = StackRig(stack, tmp_path_factory.mktemp("intake"))
    try:
        yield rig
    finally:
        rig.close()


def problems_cli(rig: StackRig, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "problems", *args], cwd=REPO,
                          env=rig.env, capture_output=True, text=True, timeout=120)


def visit_rows(event_id: str, satisfaction: str) -> bytes:
    event = {"event_id": event_id, "schema_version": 1, "event_type": "visit_result",
             "occurred_at": "2026-01-05T10:00:00+08:00", "case_id": "CV1",
             "case_kind": "criminal", "unit_id": "U3302",
             "details": {"visit_id": "V1", "party_role": "victim", "channel": "phone",
                         "replied": True, "satisfaction": satisfaction}}
    return json.dumps({"rows": [{"table": "events", "event": json.dumps(event), "partition": 0,
                                 "offset": 1, "received_at": datetime.now(UTC).isoformat()}]}
                      ).encode()


def test_topic_entry_records_valid_problems_and_dead_letters_the_rest(rig):
    good, key = raw(), b"CR-2026-0001"
    rig.send("problems", good, key)
    rig.send("problems", good, key)  # sent twice: one problem
    rig.send("problems", raw(description="改过的描述"), key)  # another body: a conflict
    rig.send("problems", raw(problem_id="CR-2", problem_type="late_lunch"), b"CR-2")
    rig.send("problems", b'{"problem_id": "CR-3"', b"CR-3")
    rig.send("problems", raw(problem_id="CR-4"), b"not-its-id")
    rig.send("case-rows", visit_rows("vr1", "unsatisfied"), b"CV1")
    rig.send("case-rows", visit_rows("vr2", "satisfied"), b"CV1")
    if rig.sink is None:
        rig.start_sink()

    rig.wait_for(lambda: len(rig.read("problems.dlq")) == 4, what="four dead letters")
    letters = {json.loads(m.value)["key"]: json.loads(m.value) for m in rig.read("problems.dlq")}
    assert any("conflict: problem_id 'CR-2026-0001'" in r
               for r in letters["CR-2026-0001"]["reasons"])
    assert any("unknown problem type 'late_lunch'" in r for r in letters["CR-2"]["reasons"])
    assert any("Invalid JSON" in r for r in letters["CR-3"]["reasons"])
    assert any("the message key must be the problem_id" in r
               for r in letters["not-its-id"]["reasons"])
    assert letters["CR-2"]["topic"] == rig.topic("problems")
    assert json.loads(letters["CR-2"]["value_text"])["problem_id"] == "CR-2"

    rig.wait_for(lambda: rig.query("SELECT count() FROM {db}.problems FINAL")[0][0] == 2,
                 what="two problems in ClickHouse")
    rows = rig.query("SELECT problem_id, source, unit_id, problem_type, description "
                     "FROM {db}.problems FINAL ORDER BY source")
    (review, visit) = rows
    assert review == ("CR-2026-0001", "case_review", "U3301", "record_unsigned",
                      "第3页讯问笔录无犯罪嫌疑人签名")
    assert visit[1:4] == ("visit", "U3302", "visit_unsatisfied")
    records = rig.read("problem-records")
    assert sorted(m.key.decode() for m in records) == sorted([review[0], visit[0]])


def test_a_spreadsheet_publishes_its_valid_rows_and_reports_the_rest(rig, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    refused = problems_cli(rig, "import", str(broken))
    assert refused.returncode == 2 and "not a readable xlsx workbook" in refused.stderr
    assert "Traceback" not in refused.stderr

    sheet = write_xlsx(tmp_path / "2026-01.xlsx", ROWS + BAD_ROWS)
    dry = problems_cli(rig, "import", str(sheet), "--dry-run")
    assert dry.returncode == 3 and "3 rows valid, 3 invalid rows not sent" in dry.stderr
    before = len(rig.read("problems"))
    assert before == 0 or rig.sink is not None  # the dry run sent nothing
    done = problems_cli(rig, "import", str(sheet))
    assert done.returncode == 3, done.stderr
    assert "第 5 行 / row 5" in done.stderr and "3 rows published" in done.stderr
    assert len(rig.read("problems")) == before + 3
    again = problems_cli(rig, "import", str(sheet))  # the same sheet twice: same problems
    assert again.returncode == 3
    if rig.sink is None:
        rig.start_sink()
    rig.wait_for(lambda: sorted(r[0] for r in rig.query(
        "SELECT source FROM {db}.problems FINAL WHERE found_by_role = 'inspector' "
        "AND problem_id LIKE 'imp-%'")) == ["case_review", "cross_check", "patrol"],
        what="the three imported problems, once each")
    assert rig.query("SELECT count() FROM {db}.problems FINAL WHERE problem_id LIKE 'imp-%'"
                     )[0][0] == 3
