"""The white paper as HTML (Jinja2 template) and PDF (WeasyPrint), charts inlined as SVG.

PDF text needs a font with Chinese glyphs: Debian's fonts-noto-cjk (installed by
deploy/report-deps); the CSS names Noto Sans CJK SC first.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from report.charts import Bar, bar_chart
from report.paper import WhitePaper
from rules.scoring import Rectification, ScoringModel
from schemas.timefmt import CST
from schemas.units import UnitRegistry

RECTIFICATION_ZH = {
    Rectification.on_time: "按时整改",
    Rectification.late: "逾期整改",
    Rectification.missing: "未整改（已超期）",
    Rectification.pending: "整改期内",
    Rectification.unscored: "—",
}
ACTION_ZH = {
    "acknowledge": "已签收",
    "rectify": "已整改",
    "verify": "已核验",
    "return": "已退回",
}


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def points(value: float) -> str:
    return f"{value:.1f}"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def change(value: float | None, suffix: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}{suffix}" if round(value, 1) != 0 else f"0.0{suffix}"


def instant(ts: int | None) -> str:
    if not ts:
        return "—"
    return datetime.fromtimestamp(ts, CST).strftime("%Y-%m-%d %H:%M")


def local_time(value: datetime) -> str:
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def action(value: str | None) -> str:
    return "未处理" if not value else ACTION_ZH.get(value, value)


def unit_label(units: UnitRegistry):
    """A unit as the paper names it: `名称（id）`, or `id（未登记）` when unregistered."""
    def label(unit_id: str) -> str:
        return (f"{units.name(unit_id)}（{unit_id}）" if units.registered(unit_id)
                else units.name(unit_id))
    return label


def _environment(units: UnitRegistry) -> Environment:
    env = Environment(
        loader=PackageLoader("report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        hours=hours, points=points, percent=percent, change=change, instant=instant,
        action=action, local_time=local_time, rectification=lambda r: RECTIFICATION_ZH[r],
        unit=unit_label(units),
    )
    return env


def charts(paper: WhitePaper) -> dict[str, str]:
    """SVG of the ranking, the on-time rates and (whole paper only) the most broken rules."""
    units = paper.ranking if paper.unit is None else paper.sections
    out = {
        "scores": bar_chart(
            "得分（本月与上月）Score, this month and last",
            [
                Bar(s.unit_id, s.score.score, s.previous_score and s.previous_score.score,
                    points(s.score.score))
                for s in units
            ],
            maximum=max(100.0, *(s.score.score for s in units)),
            legend=(paper.month.label_zh, paper.previous_month.label_zh),
        ),
        "on_time": bar_chart(
            "按时办结率 On-time rate",
            [
                Bar(s.unit_id, (s.figures.on_time_rate or 0.0) * 100,
                    None if s.on_time_rate_change is None else s.previous.on_time_rate * 100,
                    percent(s.figures.on_time_rate))
                for s in units
            ],
            maximum=100.0,
            legend=(paper.month.label_zh, paper.previous_month.label_zh),
        ),
    }
    if paper.unit is None:
        rules = paper.broken_rules
        out["rules"] = bar_chart(
            "高发问题规则 Most broken rules",
            [Bar(r.rule_title, r.row.problems) for r in rules],
            maximum=max([r.row.problems for r in rules] or [1]),
        )
    return out


def render_html(paper: WhitePaper, model: ScoringModel,
                units: UnitRegistry | None = None) -> str:
    """The paper as HTML; units are named from `units` (unregistered ids marked)."""
    template = _environment(units or UnitRegistry()).get_template("white_paper.html.j2")
    return template.render(paper=paper, model=model, charts=charts(paper))


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path


def file_stem(paper: WhitePaper) -> str:
    """white-paper-YYYY-MM[-UNIT]; characters of a unit id unsafe in a file name become _."""
    suffix = "-" + re.sub(r"[^\w-]", "_", paper.unit) if paper.unit else ""
    return f"white-paper-{paper.month}{suffix}"


def write_report(paper: WhitePaper, model: ScoringModel, out_dir: Path,
                 units: UnitRegistry | None = None) -> Written:
    """Write <stem>.html and <stem>.pdf into `out_dir` (created if missing)."""
    from weasyprint import HTML  # heavy import: only when a PDF is written

    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_html(paper, model, units)
    written = Written(out_dir / f"{file_stem(paper)}.html", out_dir / f"{file_stem(paper)}.pdf")
    written.html.write_text(html, encoding="utf-8")
    HTML(string=html, base_url=str(out_dir)).write_pdf(written.pdf)
    return written
