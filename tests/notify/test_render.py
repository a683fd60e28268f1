"""Rendering: Chinese first, a digest's tail, links, and data that cannot inject markup
or headers."""

from notify.render import render
from tests.notify.receivers.conftest import notification


def test_title_counts_and_the_tail_links_the_units_console_view():
    n = notification(3).model_copy(update={"more": 7})
    r = render(n, "https://cw.example/")
    assert r.title == "【执法监督预警推送】U3301：新增3条，另有7条 / casewatch: 3 new, 7 more"
    assert "另有 7 条未列出 / and 7 more: https://cw.example/?unit=U3301" in r.text
    assert "https://cw.example/warning/w0" in r.markdown
    assert "<li>" in r.html and "拘留后应在24小时内通知家属" in r.html


def test_hostile_ids_inject_no_markup_and_no_header_line():
    n = notification(1)
    item = n.items[0].model_copy(update={"case_id": "C1](http://evil)<b>\nX",
                                         "message_zh": "<script>alert(1)</script>"})
    n = n.model_copy(update={"items": [item], "group": {"unit_id": "U1\r\nBcc: x@evil"}})
    r = render(n, "https://cw.example")
    assert "](http://evil)" not in r.markdown and "<b>" not in r.markdown
    assert "<script>" not in r.html
    assert "\n" not in r.title and "\r" not in r.title
