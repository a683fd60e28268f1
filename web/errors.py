"""Errors of the console: a code the pages translate, with Chinese and English text.

Every error answer is JSON `{"code", "error", "error_zh"}`; the pages show the message of
the code in the page's language (web/static/common.js, I18N `err.<code>`)."""

import json

from aiohttp import web

MESSAGES: dict[str, tuple[str, str]] = {
    "login_required": ("请先登录", "login required"),
    "bad_login": ("用户编号或密码错误", "wrong user or password"),
    "bad_request": ("请求格式错误", "malformed request"),
    "bad_user_id": ("用户编号格式错误", "malformed user id"),
    "json_required": ("请求须为 JSON", "the request must be JSON"),
    "cross_site": ("拒绝跨站请求", "cross-site request refused"),
    "too_many_attempts": ("尝试次数过多，请稍后再试", "too many attempts, try again later"),
    "busy": ("服务繁忙，请稍后再试", "busy, try again shortly"),
    "bad_csrf": ("页面已过期，请刷新后重试", "bad CSRF token: reload the page"),
    "malformed_csrf": ("安全令牌格式错误，请刷新页面", "malformed CSRF header"),
    "forbidden": ("无权访问", "not allowed for your role"),
    "not_found": ("未找到该记录", "no such record"),
    "loop_closed": ("该预警已闭环", "the warning's loop is closed"),
    "not_allowed": ("当前阶段不能进行此操作", "not allowed at this stage"),
    "taken": ("他人已先行处置，请刷新", "someone else acted first; reload"),
    "action_expected": ("请选择操作并填写说明", "action and note expected"),
    "note_required": ("请填写整改情况或退回理由", "a note is required"),
    "kafka_unavailable": ("消息服务不可用，操作未提交，请稍后重试",
                          "Kafka unavailable: not recorded, retry"),
    "not_confirmed": ("已提交，尚未确认，请稍后刷新", "sent, not yet confirmed; reload shortly"),
    "backend_unavailable": ("服务暂不可用，请稍后重试", "backend unavailable, retry"),
    "audit_unavailable": ("审计日志不可用，暂停查阅", "audit log unavailable: reads paused"),
    "too_many_streams": ("实时连接过多，请关闭多余页面", "too many live pages for this session"),
    "server_busy": ("实时连接已满，请稍后", "too many live connections on the server"),
    "bad_query": ("查询条件错误", "malformed query"),
    "query_too_short": ("请至少输入 2 个字符", "type at least 2 characters"),
    "starting": ("系统正在启动，请稍候", "starting, catching up with Kafka and ClickHouse"),
    "internal": ("服务器内部错误", "internal server error"),
}


def body(code: str, detail: str | None = None) -> str:
    zh, en = MESSAGES[code]
    return json.dumps({"code": code, "error": en + (f": {detail}" if detail else ""),
                       "error_zh": zh}, ensure_ascii=False)


def error(cls: type[web.HTTPException], code: str, detail: str | None = None,
          **kwargs) -> web.HTTPException:
    """An HTTP error answer with the code's messages (`raise error(...)`)."""
    return cls(text=body(code, detail), content_type="application/json", **kwargs)
