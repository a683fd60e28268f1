"""Debian's Chromium through Playwright, as the console's tests drive it: launched headless,
and a logged-in context (China time, a desktop-sized viewport)."""

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, BrowserContext, sync_playwright

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
