"""Debian's Chromium through Playwright, as the console's tests drive it: launched headless,
and a logged-in context (China time, a desktop-sized viewport)."""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def logged_in(browser: Browser, base_url: str, user: str, password: str) -> BrowserContext:
    context = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 900},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    resp = context.request.post("/login", data={"user": user, "password": password})
    assert resp.status == 200, resp.text()
    return context


def session_of(context: BrowserContext) -> tuple[str, str]:
    """(the Cookie header, the CSRF token) of a logged-in context, for plain HTTP calls."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    return cookie, context.request.get("/api/me").json()["csrf"]


def race(calls: list[tuple[str, BrowserContext]], path: str, body: dict) -> list[int]:
    """POST `body` to `path` on every (base URL, logged-in context) at once (threads released
    together); the answers' statuses, sorted."""
    requests = []
    for base, context in calls:
        cookie, token = session_of(context)
        requests.append(urllib.request.Request(
            f"{base}{path}", method="POST", data=json.dumps(body).encode(),
            headers={"Cookie": cookie, "X-CSRF-Token": token,
                     "Content-Type": "application/json"}))
    barrier, statuses = threading.Barrier(len(requests)), []

    def post(request):
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                statuses.append(resp.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=post, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(statuses)


def acknowledge_and_rectify(page: Page, note: str) -> None:
    """On an explanation page (a warning's or a problem's) at stage new, a unit's user
    acknowledges and records the rectification; the page shows each stage, and no verify
    button (units do not verify)."""
    expect(page.locator("#stage")).to_have_text("待确认")
    page.click("#do-acknowledge")
    expect(page.locator("#stage")).to_have_text("已确认")
    page.fill("#note", note)
    page.click("#do-rectify")
    expect(page.locator("#stage")).to_have_text("已整改待核查")
    expect(page.locator("#do-verify")).to_have_count(0)
