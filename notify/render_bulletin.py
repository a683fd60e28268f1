"""A daily bulletin's notification as people read it (notify/render.py for the others):
日通报 YYYY-MM-DD, its scope, the headline figures, where the full documents are and the
console. Chinese first, English second; ids only."""

import html
from urllib.parse import urlencode

from notify.notification import Notification
from notify.render import Rendered, _md, reason_text  # render() calls render_bulletin
from schemas.bulletin import BulletinRecord


def _figures(b: BulletinRecord) -> tuple[str, str]:
    f = b.figures
    zh = (f"新增预警 {f.new_warnings} 条，新增问题 {f.new_problems} 个，"
          f"当前超期 {f.overdue_now} 项；"
          f"整改 {f.rectified}、核验 {f.verified}、退回 {f.returned}；"
          f"无未结事项单位 {f.units_clear} 个")
    en = (f"new warnings {f.new_warnings}, new problems {f.new_problems}, overdue now "
          f"{f.overdue_now}; rectified {f.rectified}, verified {f.verified}, returned "
          f"{f.returned}; units with nothing open {f.units_clear}")
    return zh, en


def render_bulletin(notification: Notification, console_url: str) -> Rendered:
    b = notification.bulletin
    scope = b.unit_id or "全部单位 all units"
    head = f"【执法监督日通报】{b.day.isoformat()} {scope} / casewatch daily bulletin"
    zh, en = _figures(b)
    console = console_url.rstrip("/") + "/" + (
        "?" + urlencode({"unit": b.unit_id}) if b.unit_id else "") if console_url else ""
    reason_zh, reason_en = reason_text(notification.reason)
    footer = f"{reason_zh} · {reason_en} · {notification.notification_id}"
    text = "\n".join([head, "", zh, en, "", f"全文 full text (HTML): {b.html}",
                      f"全文 full text (PDF): {b.pdf}"]
                     + ([f"控制台 console: {console}"] if console else []) + ["", footer])
    md = "\n".join([f"#### {_md(head)}", "", _md(zh), "", _md(en), "",
                    f"- 全文 HTML：{_md(b.html)}", f"- 全文 PDF：{_md(b.pdf)}"]
                   + ([f"- [控制台 console]({console})"] if console else [])
                   + ["", _md(footer)])
    e = html.escape
    body = (f"<html><body><h3>{e(head)}</h3><p>{e(zh)}<br><small>{e(en)}</small></p>"
            f"<ul><li>全文 HTML：{e(b.html)}</li><li>全文 PDF：{e(b.pdf)}</li></ul>"
            + (f'<p><a href="{e(console)}">控制台 console</a></p>' if console else "")
            + f"<p><small>{e(footer)}</small></p></body></html>")
    return Rendered(head, text, md, body)

