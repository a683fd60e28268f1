"""Benchmark: the monthly white paper over a month of generated warnings, on ClickHouse 18.16.

    .venv/bin/python bench/report_bench.py [--obligations 20000] [--units 30] [--seed 1]

In one run it
1. generates `--obligations` obligations per month (October and November 2026) for
   `--units` units, about 6% of them late or still open, plus violations (1% of the
   obligations), each as its state changes (sinks.clickhouse.rows), and writes them into a fresh
   database of the stack's ClickHouse (user `default`), with a units' actions table;
2. baseline: one scan of warning_history that groups by warning_id (the shape every
   figure query starts with);
3. times `report.paper.build_paper` (every figure query, both months), the HTML and the
   PDF of the whole paper (WeasyPrint), and one unit's PDF;
4. drops the database and writes the figures into the section "## white paper" of
   docs/benchmarks.md.
"""

import argparse
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from report.month import Month  # noqa: E402
from report.paper import build_paper  # noqa: E402
from report.render import render_html, write_report  # noqa: E402
from rules.scoring import load_scoring  # noqa: E402
from schemas.timefmt import CST  # noqa: E402
from schemas.warning import LegalBasis, Warning  # noqa: E402
from sinks.clickhouse.batch import Batch  # noqa: E402
from sinks.clickhouse.client import ClickHouse, Settings  # noqa: E402
from sinks.clickhouse.migrate import migrate  # noqa: E402
from sinks.clickhouse.rows import WARNING_HISTORY, warning_row  # noqa: E402
from tests.support.quality_seed import ACTION_COLUMNS  # noqa: E402

RULES = [("det_family_notice", "statutory"), ("custody_limit", "statutory"),
         ("det_arrest_request", "statutory"), ("arrest_execution", "policy")]
VIOLATIONS = [("custody_extension_out_of_order", "statutory"), ("approval_insufficient", "policy")]
BASIS = [LegalBasis(ref="CPL 85", text_zh="基准测试")]
EMITTED_AT = datetime(2026, 12, 2, 9, 0, tzinfo=CST)


def states(rng: random.Random, n: int, unit: str, month: Month, kind: str):
    """The state changes of one generated warning, and an action row or None."""
    start = month.start + timedelta(seconds=rng.randrange(int(month.end_ts - month.start_ts)))
    base = dict(warning_id=f"W{month}-{n}", case_id=f"C{month}-{n // 3}", person_id=None,
                unit_id=unit, evidence=["e"], basis=BASIS, message_zh="基准", message_en="bench")
    if kind == "violation":
        rule, rule_kind = rng.choice(VIOLATIONS)
        raised = Warning(**base, rule_id=rule, rule_kind=rule_kind, level="violation",
                         status="open", late=None, due_at=None, resolved_at=None, changed_at=start)
        return [raised], start + timedelta(days=rng.uniform(0.5, 12))
    rule, rule_kind = rng.choice(RULES)
    due = start
    opened = Warning(**base, rule_id=rule, rule_kind=rule_kind, level="approaching",
                     status="open", late=None, due_at=due, resolved_at=None,
                     changed_at=due - timedelta(hours=rng.uniform(2, 48)))
    out = [opened]
    roll = rng.random()
    if roll < 0.94:  # on time
        done = due - timedelta(hours=rng.uniform(0, 2))
        out.append(opened.model_copy(update={"status": "resolved", "late": False,
                                             "resolved_at": done, "changed_at": done}))
        return out, None
    overdue = opened.model_copy(update={"level": "overdue", "changed_at": due})
    out.append(overdue)
    if roll < 0.98:  # closed late
        done = due + timedelta(hours=rng.uniform(1, 200))
        out.append(overdue.model_copy(update={"status": "resolved", "late": True,
                                              "resolved_at": done, "changed_at": done}))
    return out, due + timedelta(days=rng.uniform(1, 12))


def seed_database(ch: ClickHouse, db: str, obligations: int, units: int, seed: int) -> int:
    rng = random.Random(seed)
    migrate(ch.execute, db)
    batch, actions, rows = Batch(ch, db=db, max_rows=50_000), [], 0
    for month in (Month(2026, 10), Month(2026, 11)):
        for n in range(obligations + obligations // 100):
            unit = f"U{3300 + rng.randrange(units):04d}"
            kind = "obligation" if n < obligations else "violation"
            changes, rectified = states(rng, n, unit, month, kind)
            for w in changes:
                row = warning_row(w, emitted_at=EMITTED_AT)
                batch.add("seed", 0, rows, [(WARNING_HISTORY, row)])
                rows += 1
            if rectified is not None and rng.random() < 0.7:
                w = changes[0]
                actions.append((f"X{w.warning_id}", w.warning_id, w.case_id, unit, w.rule_id,
                                "rectify", "", "actor", "unit", rectified, 1))
            if batch.should_flush():
                batch.flush()
    batch.flush()
    ch.insert(f"{db}.warning_actions", ACTION_COLUMNS, actions)
    return rows


def pdf_pages(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return match.group(1) if match else "?"


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=20_000, help="per month")
    parser.add_argument("--units", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ch = ClickHouse(Settings.from_env())
    ch.wait_until_available(timeout=60)
    db = f"casewatch_bench_report_{uuid.uuid4().hex[:8]}"
    model = load_scoring()
    month = Month(2026, 11)
    try:
        seed_s, rows = timed(lambda: seed_database(ch, db, args.obligations, args.units,
                                                   args.seed))
        baseline_s, _ = timed(lambda: ch.execute(
            "SELECT count() FROM (SELECT warning_id, "
            "argMax(status, (kafka_offset, emitted_at, changed_at))"
            f" FROM {db}.warning_history GROUP BY warning_id)"))
        now = datetime.now(UTC)
        paper_s, paper = timed(lambda: build_paper(ch.execute, db, month, model, now=now))
        html_s, html = timed(lambda: render_html(paper, model))
        with tempfile.TemporaryDirectory() as out:
            pdf_s, written = timed(lambda: write_report(paper, model, Path(out)))
            pdf_bytes = written.pdf.stat().st_size
            pages = pdf_pages(written.pdf)
            unit = paper.ranking[-1].unit_id
            unit_paper = build_paper(ch.execute, db, month, model, now=now, unit=unit)
            unit_s, _ = timed(lambda: write_report(unit_paper, model, Path(out) / "unit"))
    finally:
        ch.execute(f"DROP DATABASE IF EXISTS {db}")

    problems = sum(len(s.problems) for s in paper.ranking)
    machine = f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    rows_table = [
        ("date", f"{now:%Y-%m-%d %H:%M} UTC"),
        ("machine", f"{machine}, ClickHouse 18.16 (local stack)"),
        ("data", f"{args.obligations:,} obligations + {args.obligations // 100:,} violations"
                 f" per month, {args.units} units; {rows:,} warning_history rows"),
        ("seeding (not timed against anything)", f"{seed_s:.1f} s"),
        ("baseline: one GROUP BY warning_id scan of warning_history", f"{baseline_s:.2f} s"),
        ("`build_paper` (every figure query, both months)",
         f"{paper_s:.2f} s ({paper_s / baseline_s:.1f} × baseline)"),
        (f"HTML ({len(html) / 1e6:.1f} MB, {problems:,} problems listed)", f"{html_s:.2f} s"),
        (f"PDF of the whole paper ({pdf_bytes / 1e6:.1f} MB, {pages} pages)", f"{pdf_s:.1f} s"),
        (f"PDF of one unit ({unit})", f"{unit_s:.1f} s"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows_table)
    write_section("white paper", f"""
Measured by `bench/report_bench.py` (`.venv/bin/python bench/report_bench.py`): generated
warnings for October and November 2026 (seed {args.seed}) in a fresh database of the local
ClickHouse 18.16, the November paper built and rendered.

| measure | value |
|---|---|
{table}

The queries read every warning of the database (latest state per warning), about a dozen
times per paper; the PDF's cost grows with the number of problems listed.
""")
    print(f"build_paper {paper_s:.2f}s, html {html_s:.2f}s, pdf {pdf_s:.1f}s, unit {unit_s:.1f}s")


if __name__ == "__main__":
    main()
