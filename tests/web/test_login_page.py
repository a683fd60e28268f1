"""The login page in Chromium against the console served in-process: where `next` may
send a browser after login (hole 3 of issue 15: an open redirect)."""

from pathlib import Path

import pytest

from tests.support.web_app import PASSWORDS, console, item, serve

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture
def served(tmp_path):
    """The console on a free loopback port, in a thread of its own."""
    c = console(tmp_path)
    c.open_set.apply_item(item("W1", unit="U3301"))
    c.open_set.apply_item(item("W2", unit="U-E2E"))
    with serve(c) as url:
        yield url, c


@pytest.mark.parametrize("target", ["/%5Cevil.example/login", "//evil.example/",
                                    "http://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_hole3_next_never_leaves_the_origin(served, target):
    from playwright.sync_api import sync_playwright

    served, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.route("http://evil.example/**", lambda route: route.fulfill(body="evil"))
        page.goto(f"{served}/login?next={target}")
        page.fill("#user", "u3301")
        page.fill("#password", PASSWORDS["u3301"])
        page.click("button[type=submit]")
        page.wait_for_timeout(1500)
        url = page.url
        browser.close()
    assert url.startswith(served + "/"), url


def test_a_banner_says_when_clickhouse_is_down_and_the_list_names_units(served):
    from playwright.sync_api import expect, sync_playwright

    url, c = served
    c.health.clickhouse_error = "Connection refused (127.0.0.1:9000)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{url}/login")
        page.fill("#user", "sup01")
        page.fill("#password", PASSWORDS["sup01"])
        page.click("button[type=submit]")
        expect(page.locator("#banner")).to_contain_text("ClickHouse", timeout=10_000)
        expect(page.locator('tr[data-id="W1"] .unit')).to_have_text("东城分局城关派出所")
        expect(page.locator('tr[data-id="W2"] .unit')).to_contain_text("未登记")
        browser.close()
