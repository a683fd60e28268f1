"""A notification as people read it: title, plain text, Markdown (the messengers' robots)
and HTML (email). Chinese first, English second; ids only, never names; every item
links to its console page, and a digest ends with "and N more" and the console view."""

import html
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from notify.alert import LEVEL_ZH
from notify.notification import CHANGE_EN, CHANGE_ZH, Item, Notification
from schemas.timefmt import format_cst

REASON_ZH = {"route": "预警推送", "escalation": "逐级提醒"}


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    text: str
    markdown: str
    html: str


def _when(value) -> str:
    return format_cst(value)[:16].replace("T", " ") if value is not None else "—"


def _counts(items: list[Item], more: int) -> tuple[str, str]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.change] = counts.get(item.change, 0) + 1
    zh = "，".join(f"{CHANGE_ZH[c]}{n}条" for c, n in counts.items())
    en = ", ".join(f"{n} {CHANGE_EN[c]}" for c, n in counts.items())
    if more:
        zh += f"，另有{more}条"
        en += f", {more} more"
    return zh, en


def console_view(console_url: str, notification: Notification) -> str:
    query = {k: v for k, v in notification.group.items() if k == "unit_id" and v}
    base = console_url.rstrip("/") + "/"
    return base + ("?" + urlencode({"unit": query["unit_id"]}) if query else "")


def reason_text(reason: str) -> tuple[str, str]:
    kind, _, name = reason.partition(":")
    if kind == "escalation":
        policy, _, step = name.partition("#")
        return f"逐级提醒 {policy} 第{step}级", f"escalation {policy}, step {step}"
    return REASON_ZH.get(kind, kind), name


def _scope(notification: Notification) -> str:
    values = [v for v in notification.group.values() if v]
    return " ".join(values) if values else "全部 all"


def title(notification: Notification) -> str:
    zh_reason, _ = reason_text(notification.reason)
    zh, en = _counts(notification.items, notification.more)
    text = f"【执法监督{zh_reason}】{_scope(notification)}：{zh} / casewatch: {en}"
    return "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text)  # one line


def _item_line(item: Item) -> tuple[str, str]:
    """(Chinese, English) one-line summaries of an item, without markup."""
    who = f"案件 {item.case_id}" + (f" 人员 {item.person_id}" if item.person_id else "")
    due = f" 期限 {_when(item.due_at)}" if item.due_at else ""
    zh = (f"[{CHANGE_ZH[item.change]}][{LEVEL_ZH.get(item.level, item.level)}] "
          f"{item.unit_id} {who}{due} {item.rule_id}：{item.message_zh}")
    en = f"({CHANGE_EN[item.change]}, {item.level}) {item.message_en}"
    return zh, en


def render(notification: Notification, console_url: str,
           max_items: int | None = None) -> Rendered:
    """`max_items` shows fewer items than the notification holds (a receiver with a size
    limit); the rest count as "more". A daily bulletin's: notify/render_bulletin.py."""
    if notification.bulletin is not None:
        from notify.render_bulletin import render_bulletin

        return render_bulletin(notification, console_url)
    items = notification.items[:max_items] if max_items is not None else notification.items
    more = notification.more + len(notification.items) - len(items)
    base = console_url.rstrip("/")
    view = console_view(console_url, notification)
    head = title(notification)
    zh_reason, en_reason = reason_text(notification.reason)
    text_lines, md_lines, html_items = [head, ""], [f"#### {head}", ""], []
    for item in items:
        zh, en = _item_line(item)
        link = base + quote(item.link) if item.link else ""
        text_lines += [f"- {zh}", f"  {en}"] + ([f"  {link}"] if link else [])
        md_lines.append(f"- {_md(zh)}" + (f" [查看 open]({link})" if link else ""))
        anchor = f' <a href="{html.escape(link)}">查看 open</a>' if link else ""
        html_items.append(f"<li>{html.escape(zh)}<br><small>{html.escape(en)}</small>"
                          f"{anchor}</li>")
    tail_zh = f"另有 {more} 条未列出 / and {more} more" if more else "全部预警 / all warnings"
    text_lines += ["", f"{tail_zh}: {view}", f"{zh_reason} · {en_reason} · "
                   f"{notification.notification_id}"]
    md_lines += ["", f"[{tail_zh}]({view})", "",
                 f"{_md(zh_reason)} · {notification.notification_id}"]
    body = (f"<html><body><h3>{html.escape(head)}</h3><ul>{''.join(html_items)}</ul>"
            f'<p><a href="{html.escape(view)}">{html.escape(tail_zh)}</a></p>'
            f"<p><small>{html.escape(zh_reason)} · {html.escape(en_reason)} · "
            f"{notification.notification_id}</small></p></body></html>")
    return Rendered(head, "\n".join(text_lines), "\n".join(md_lines), body)


_MD_SAFE = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "'",
                          "\n": " ", "\r": " "})


def _md(text: str) -> str:
    """Text that adds no markup of its own (ids and messages are data): the characters
    the robots' Markdown (and WeCom's <font> tags) would read become full-width."""
    return text.translate(_MD_SAFE)
