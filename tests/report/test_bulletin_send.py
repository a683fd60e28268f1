"""report.bulletin_send: the record `casewatch report --day ... --send` publishes — the
headline figures of the built bulletin, its documents' paths, its id of day and scope."""

from datetime import datetime
from pathlib import Path

from report.bulletin import Bulletin, BulletinRow
from report.bulletin_send import bulletin_record
from report.day import Day
from report.render import Written
from schemas.bulletin import BulletinRecord
from schemas.timefmt import CST

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=CST)


def built(unit=None) -> Bulletin:
    day = Day.parse("2026-11-26")
    rows = [BulletinRow("U3302", (1, 2, 0), {"review": 1, "platform": 2}, 3, (1, 0, 1)),
            BulletinRow("U3301", (0, 1, 1), {}, 1, (2, 1, 0))]
    return Bulletin(day=day, at=day.end, generated_at=NOW, rows=rows, overdue=[],
                    overdue_total=4, clear_units=["U3303"], unit=unit)


def test_the_record_holds_the_headline_figures_and_where_the_documents_are(tmp_path):
    written = Written(tmp_path / "bulletin-2026-11-26.html", tmp_path / "bulletin-2026-11-26.pdf")
    record = bulletin_record(built(), written)
    assert record.bulletin_id == "bulletin-2026-11-26" and record.unit_id is None
    assert record.figures.model_dump() == {
        "new_warnings": 5, "new_problems": 3, "overdue_now": 4, "rectified": 3,
        "verified": 1, "returned": 1, "units_clear": 1}
    assert record.html == str(written.html.resolve()) and Path(record.pdf).is_absolute()
    assert BulletinRecord.model_validate_json(record.model_dump_json()) == record


def test_a_units_record_has_the_units_id(tmp_path):
    written = Written(Path("out/b.html"), Path("out/b.pdf"))
    record = bulletin_record(built(unit="U3302"), written)
    assert (record.bulletin_id, record.unit_id) == ("bulletin-2026-11-26-U3302", "U3302")
    assert record.html == str((Path.cwd() / "out/b.html").resolve())
