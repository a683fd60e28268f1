"""Charts of the white paper as SVG, drawn here (no plotting library): horizontal bars.

The SVG is inlined in the HTML, which browsers and WeasyPrint both render; text uses the
document's CJK font. Every label is escaped.
"""

from dataclasses import dataclass
from html import escape

FONT = "Noto Sans CJK SC, Noto Serif CJK SC, WenQuanYi Micro Hei, sans-serif"
WIDTH, LABEL_W, VALUE_W, ROW_H, BAR_H, TOP = 640, 150, 70, 30, 12, 34
NOW, BEFORE = "#1f5fa8", "#b8c4d6"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    previous: float | None = None  # drawn as a thin bar under the main one
    text: str | None = None  # shown right of the bar (default: the value)


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.0):.1f}" height="{h}" fill="{fill}"/>'


def _text(x: float, y: float, text: str, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def bar_chart(
    title: str, bars: list[Bar], *, maximum: float, legend: tuple[str, str] | None = None
) -> str:
    """Horizontal bars scaled to `maximum`; with `legend` (now, before) a key is drawn."""
    span = WIDTH - LABEL_W - VALUE_W
    bottom = TOP + ROW_H * max(len(bars), 1)
    height = bottom + (22 if legend else 6)
    scale = span / maximum if maximum > 0 else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="12" role="img" '
        f'aria-label="{escape(title)}">',
        _text(0, 16, title, ' font-size="14" font-weight="bold"'),
        f'<line x1="{LABEL_W}" y1="{TOP - 6}" x2="{LABEL_W}" y2="{bottom}" stroke="#888"/>',
    ]
    for i, bar in enumerate(bars):
        y = TOP + i * ROW_H
        width = max(bar.value, 0.0) * scale
        parts.append(_text(LABEL_W - 8, y + BAR_H - 2, bar.label, ' text-anchor="end"'))
        parts.append(_rect(LABEL_W, y, width, BAR_H, NOW))
        if bar.previous is not None:
            parts.append(_rect(LABEL_W, y + BAR_H + 2, bar.previous * scale, 5, BEFORE))
        text = bar.text if bar.text is not None else f"{bar.value:g}"
        parts.append(_text(LABEL_W + width + 6, y + BAR_H - 2, text))
    if not bars:
        parts.append(_text(LABEL_W + 8, TOP + BAR_H, "—"))
    if legend:
        y = height - 12
        parts += [
            _rect(LABEL_W, y - 9, 12, 10, NOW),
            _text(LABEL_W + 16, y, legend[0]),
            _rect(LABEL_W + 130, y - 6, 12, 5, BEFORE),
            _text(LABEL_W + 146, y, legend[1]),
        ]
    parts.append("</svg>")
    return "\n".join(parts)
