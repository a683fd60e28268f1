"""report/charts.py: SVG bars scaled to the maximum, labels escaped."""

import re
import xml.etree.ElementTree as ET

from report.charts import LABEL_W, VALUE_W, WIDTH, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def rects(svg: str) -> list[float]:
    return [float(r.get("width")) for r in ET.fromstring(svg).iter(f"{SVG}rect")]


def test_bars_scale_to_the_maximum_and_parse_as_xml():
    svg = bar_chart("得分 Score", [Bar("U1", 100.0), Bar("U2", 25.0)], maximum=100.0)
    span = WIDTH - LABEL_W - VALUE_W
    assert rects(svg) == [float(span), span / 4]
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert texts == ["得分 Score", "U1", "100", "U2", "25"]


def test_previous_values_and_legend():
    svg = bar_chart("x", [Bar("U1", 50.0, previous=100.0, text="50.0%")], maximum=100.0,
                    legend=("11月", "10月"))
    widths = rects(svg)
    assert widths[1] == 2 * widths[0]  # the previous month's thin bar
    assert "50.0%" in svg and "11月" in svg and "10月" in svg


def test_labels_are_escaped():
    svg = bar_chart("<b>&", [Bar('<script>"x"</script>', 1.0)], maximum=1.0)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)  # still well-formed


def test_no_bars_and_zero_maximum():
    svg = bar_chart("空 empty", [], maximum=0.0)
    assert re.search(r">—<", svg)
    assert rects(bar_chart("z", [Bar("U1", 0.0)], maximum=0.0)) == [0.0]
