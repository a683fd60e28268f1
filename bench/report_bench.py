"""Benchmark: the monthly white paper over a month of generated obligations, on ClickHouse 18.16.

    .venv/bin/python bench/report_bench.py [--obligations 72000] [--units 24] [--seed 1]

In one run it
1. generates `--obligations` obligations per month (October and November 2026) for
   `--units` units, each unit late on its own share of them (2 % to 25 %), every one as its
   life record (ClickHouse `obligations`, warned or not), plus violations (1 % of the
   obligations, in warning_history), problems found by the five other sources (1 %) and
   rectify actions, written into a fresh database of the stack's ClickHouse (user
   `default`);
2. baseline: one `FINAL` scan of `obligations` (the shape every figure query starts with);
3. times `report.paper.build_paper` (every figure query, both months), the HTML and the
   PDF of the whole paper (WeasyPrint), and one unit's PDF; counts the distinct scores of
   the ranking (thousands of obligations per unit must not tie at a clamp);
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
from schemas.obligation_state import ObligationState  # noqa: E402
from schemas.problem import ENTERED_SOURCES, FinderRole, Problem  # noqa: E402
from schemas.timefmt import CST  # noqa: E402
from schemas.warning import LegalBasis, Warning  # noqa: E402
from sinks.clickhouse.batch import Batch  # noqa: E402
from sinks.clickhouse.client import ClickHouse, Settings  # noqa: E402
from sinks.clickhouse.migrate import migrate  # noqa: E402
from sinks.clickhouse.rows import (  # noqa: E402
    OBLIGATIONS,
    PROBLEMS,
    WARNING_HISTORY,
    obligation_row,
    problem_row,
    warning_row,
)
from tests.support.quality_seed import ACTION_COLUMNS  # noqa: E402

RULES = [("det_family_notice", "statutory"), ("custody_limit", "statutory"),
         ("det_arrest_request", "statutory"), ("arrest_execution", "policy")]
VIOLATIONS = [("custody_extension_out_of_order", "statutory"), ("approval_insufficient", "policy")]
TYPES = ["record_unsigned", "notice_served_late", "evidence_list_incomplete",
         "property_unregistered", "wrong_legal_basis"]
BASIS = [LegalBasis(ref="CPL 85", text_zh="基准测试")]
EMITTED_AT = datetime(2026, 12, 2, 9, 0, tzinfo=CST)


def _moment(rng: random.Random, month: Month) -> datetime:
    return month.start + timedelta(seconds=rng.randrange(int(month.end_ts - month.start_ts)))


def obligation(rng: random.Random, n: int, unit: str, month: Month, late_share: float):
    """One obligation due in `month`, its life record, and when it arose if it went late."""
    due = _moment(rng, month)
    rule, rule_kind = rng.choice(RULES)
    common = dict(obligation_id=f"O{month}-{n}", rule_id=rule, rule_kind=rule_kind,
                  case_id=f"C{month}-{n // 3}", person_id=None, unit_id=unit,
                  trigger_event_id=f"e{n}", triggered_at=due - timedelta(days=1), due_at=due,
                  extensions=0)
    if rng.random() >= late_share:
        done = due - timedelta(hours=rng.uniform(0, 20))
        return ObligationState(**common, status="resolved", late=False, resolved_at=done,
                               level=None, changed_at=done), None
    if rng.random() < 0.7:
        done = due + timedelta(hours=rng.uniform(1, 300))
        return ObligationState(**common, status="resolved", late=True, resolved_at=done,
                               level="overdue", changed_at=done), due
    return ObligationState(**common, status="open", late=None, resolved_at=None,
                           level="overdue", changed_at=due), due


def seed_database(ch: ClickHouse, db: str, obligations: int, units: int, seed: int) -> int:
    rng = random.Random(seed)
    migrate(ch.execute, db)
    batch, actions, rows = Batch(ch, db=db, max_rows=50_000), [], 0
    shares = {f"U{3300 + u:04d}": 0.02 + 0.23 * u / max(units - 1, 1) for u in range(units)}

    def add(table: str, row: tuple) -> None:
        nonlocal rows
        batch.add("seed", 0, rows, [(table, row)])
        rows += 1
        if batch.should_flush():
            batch.flush()

    for month in (Month(2026, 10), Month(2026, 11)):
        for n in range(obligations):
            unit = f"U{3300 + rng.randrange(units):04d}"
            state, arose = obligation(rng, n, unit, month, shares[unit])
            add(OBLIGATIONS, obligation_row(state, 1))
            if arose is not None and rng.random() < 0.6:
                acted = arose + timedelta(days=rng.uniform(0.5, 14))
                actions.append((f"X{state.obligation_id}", state.obligation_id, state.case_id,
                                unit, state.rule_id, "rectify", "", "actor", "unit", acted, 1,
                                0, len(actions)))
        for n in range(obligations // 100):
            unit = f"U{3300 + rng.randrange(units):04d}"
            rule, rule_kind = rng.choice(VIOLATIONS)
            add(WARNING_HISTORY, warning_row(Warning(
                warning_id=f"V{month}-{n}", rule_id=rule, rule_kind=rule_kind,
                level="violation", status="open", late=None, case_id=f"C{month}-{n}",
                person_id=None, unit_id=unit, due_at=None, resolved_at=None,
                changed_at=_moment(rng, month), evidence=["e"], basis=BASIS,
                message_zh="基准", message_en="bench"), emitted_at=EMITTED_AT))
            add(PROBLEMS, problem_row(Problem(
                schema_version=1, problem_id=f"P{month}-{n}",
                source=rng.choice(ENTERED_SOURCES), unit_id=unit,
                case_id=f"C{month}-{n}", problem_type=rng.choice(TYPES), description="基准问题",
                found_by="insp01", found_by_role=FinderRole.inspector,
                found_at=_moment(rng, month)), n))
    batch.flush()
    for i in range(0, len(actions), 50_000):
        ch.insert(f"{db}.warning_actions", ACTION_COLUMNS, actions[i:i + 50_000])
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
    parser.add_argument("--obligations", type=int, default=72_000, help="per month")
    parser.add_argument("--units", type=int, default=24)
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
            f"SELECT count(), sum(late = 1) FROM {db}.obligations FINAL"))
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
    scores = [s.score.score for s in paper.ranking]
    clamped = sum(1 for v in scores if v <= 0 or v >= model.base)
    machine = f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    rows_table = [
        ("date", f"{now:%Y-%m-%d %H:%M} UTC"),
        ("machine", f"{machine}, ClickHouse 18.16 (local stack)"),
        ("data", f"{args.obligations:,} obligations (about {args.obligations // args.units:,} a"
                 f" unit), {args.obligations // 100:,} violations and as many found problems"
                 f" per month, {args.units} units; {rows:,} rows"),
        ("seeding (not timed against anything)", f"{seed_s:.1f} s"),
        ("baseline: one FINAL scan of obligations", f"{baseline_s:.2f} s"),
        ("`build_paper` (every figure query, both months)",
         f"{paper_s:.2f} s ({paper_s / baseline_s:.1f} × baseline)"),
        (f"HTML ({len(html) / 1e6:.1f} MB, {problems:,} problems listed)", f"{html_s:.2f} s"),
        (f"PDF of the whole paper ({pdf_bytes / 1e6:.1f} MB, {pages} pages)", f"{pdf_s:.1f} s"),
        (f"PDF of one unit ({unit})", f"{unit_s:.1f} s"),
        ("ranking", f"{len(scores)} units, {len(set(scores))} distinct scores "
                    f"({min(scores):.2f} to {max(scores):.2f}), {clamped} at 0 or 100"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows_table)
    write_section("white paper", f"""
Measured by `bench/report_bench.py` (`.venv/bin/python bench/report_bench.py`): generated
obligations, violations and found problems for October and November 2026 (seed
{args.seed}) in a fresh database of the local ClickHouse 18.16, the November paper built
and rendered. Measured on a shared, loaded machine (other engineers' tests running).

| measure | value |
|---|---|
{table}

The queries read every obligation, violation and problem of the database, about a dozen
times per paper; the PDF's cost grows with the number of problems listed. The default
(72,000 obligations a month: 3,000 a unit) is for a quiet machine.
""")
    print(f"build_paper {paper_s:.2f}s, html {html_s:.2f}s, pdf {pdf_s:.1f}s, unit {unit_s:.1f}s,"
          f" {len(set(scores))}/{len(scores)} distinct scores, {clamped} clamped")


if __name__ == "__main__":
    main()
