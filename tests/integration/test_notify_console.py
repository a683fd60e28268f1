"""The notifier's console pages in Debian's Chromium against the real stack: the delivery
log shows what was sent to whom and what failed, a retry goes through; silences are made
and ended from the page and audited; only supervisors see either. Writes the README's
screenshot docs/screenshots/notify.png."""

import os
import secrets
import signal
import subprocess
from pathlib import Path

import pytest
from clickhouse_driver import Client
from playwright.sync_api import expect

from tests.integration import test_web_console
from tests.integration.notify_bureau import Bureau, warning
from tests.integration.test_notify import wait_for
from tests.integration.test_web_console import login
from tests.support.ports import free_port
from tests.support.web_process import VENV_BIN, WebProcess

browser = test_web_console.browser  # the same Chromium fixture
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
VIOLATION = """
[[escalations]]
name = "violation"
match = { level = ["violation"] }
steps = [{ after = "0s", receivers = ["centre"] }]
group_wait = "1s"
"""


class Console:
    def __init__(self, stack, tmp: Path):
        self.bureau = Bureau(stack, tmp, group_wait="1s", extra=VIOLATION)
        self.db = f"{self.bureau.app_id}_db"
        self.env = {**self.bureau.env, "CASEWATCH_CLICKHOUSE_DATABASE": self.db,
                    "CASEWATCH_SINK_METRICS_PORT": str(free_port()),
                    "CASEWATCH_SINK_FLUSH_SECONDS": "0.5",
                    "CASEWATCH_WEB_PORT": str(free_port()),
                    "CASEWATCH_WEB_SECRET": secrets.token_urlsafe(32),
                    "CASEWATCH_WEB_USERS_FILE": str(REPO / "deploy" / "web-users.toml")}
        with (tmp / "sink.log").open("ab") as log:
            self.sink = subprocess.Popen([str(VENV_BIN / "casewatch"), "sink"],
                                         env={**os.environ, **self.env}, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.web = WebProcess(self.env, tmp / "web.log")
        self.url = self.web.base_url
        self.ch = Client(stack.clickhouse_host, port=stack.clickhouse_port)

    def rows(self, sql: str):
        try:
            return self.ch.execute(sql.format(db=self.db))
        except Exception:  # not migrated yet
            return []

    def close(self):
        self.web.stop()
        if self.sink.poll() is None:
            os.killpg(self.sink.pid, signal.SIGTERM)
            self.sink.wait(30)
        self.bureau.close()
        self.ch.execute(f"DROP DATABASE IF EXISTS {self.db}")


@pytest.fixture(scope="module")
def console(stack, tmp_path_factory):
    c = Console(stack, tmp_path_factory.mktemp("notify-console"))
    try:
        b = c.bureau
        b.wecom.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}  # refused for good
        b.notifier.start()
        for i in range(4):
            b.warn(warning(f"u1w{i}", unit="U1", level=("overdue", "approaching")[i % 2]))
        b.warn(warning("u2w0", unit="U2"))
        b.warn(warning("u3w0", unit="U3", level="violation"))
        b.flush()
        wait_for(lambda: c.rows("SELECT count() FROM {db}.notifications")[:1] >= [(7,)],
                 timeout=60, what="the delivery log in ClickHouse")
        c.web.start()
        yield c
    finally:
        c.close()


def test_the_delivery_log_shows_who_got_what_and_a_failure_is_retried(console, browser):
    context = login(browser, console, "sup01")
    page = context.new_page()
    page.goto("/notify")
    expect(page.locator("body[data-loaded='1']")).to_be_attached(timeout=20_000)
    failed = page.locator("tr.st-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("u2-wecom (wecom)")
    expect(failed).to_contain_text("errcode 93000")
    # U1 webhook, U3 mail, the centre's escalation, 3 Kafka copies
    expect(page.locator("tr.st-sent")).to_have_count(6)
    expect(page.locator("tr.st-sent", has_text="escalation:violation#1")).to_contain_text(
        "centre (dingtalk)")
    expect(page.locator("tr.st-sent").first).to_contain_text("已送达")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "notify.png"))
    console.bureau.wecom.answer = {"errcode": 0, "errmsg": "ok"}  # the robot fixed
    failed.locator("button.retry").click()
    expect(failed.locator(".stage")).to_have_text("已提交重试")
    wait_for(lambda: len(console.bureau.wecom.requests) == 2, timeout=30, what="the retry")
    wait_for(lambda: console.rows("SELECT count() FROM {db}.notify_audit "
                                  "WHERE command = 'retry' AND actor_id = 'sup01'") == [(1,)],
             timeout=30, what="the retry's audit row")
    page.wait_for_timeout(2000)
    page.reload()
    expect(page.locator("tr.st-failed")).to_have_count(0, timeout=20_000)
    context.close()


def test_a_silence_is_made_and_ended_from_the_page_and_audited(console, browser):
    context = login(browser, console, "sup01")
    page = context.new_page()
    page.goto("/silences")
    expect(page.locator("body[data-loaded='1']")).to_be_attached(timeout=20_000)
    page.fill("#s-case", "C-quiet")
    page.fill("#s-hours", "2")
    page.click("#silence-form button[type=submit]")  # no reason yet: refused
    expect(page.locator("#s-err")).to_contain_text("reason", timeout=5_000)
    page.fill("#s-reason", "案件合并审查中 under joint review")
    page.click("#silence-form button[type=submit]")
    row = page.locator("#srows tr").first
    expect(row).to_contain_text("C-quiet", timeout=20_000)
    expect(row).to_contain_text("生效中")
    row.locator("button").click()
    page.wait_for_timeout(2000)
    page.reload()
    expect(page.locator("#srows tr").first).to_contain_text("已结束", timeout=20_000)
    expect(page.locator("#srows tr").first).to_contain_text("sup01")
    audit = wait_for(lambda: console.rows(
        "SELECT command, actor_id, case_id, reason FROM {db}.notify_audit FINAL "
        "WHERE command IN ('silence', 'expire') ORDER BY at, command DESC") or None,
        what="the audit rows")
    assert [(r[0], r[1]) for r in audit][-2:] == [("silence", "sup01"), ("expire", "sup01")]
    context.close()


def test_a_silence_without_a_reason_is_refused(console, browser):
    context = login(browser, console, "sup01")
    csrf = context.request.get("/api/me").json()["csrf"]
    resp = context.request.post("/api/notify/silences", headers={"X-CSRF-Token": csrf},
                                data={"unit_id": "U1", "hours": 1, "reason": " "})
    assert resp.status == 400 and "reason" in resp.json()["error"]
    resp = context.request.post("/api/notify/silences", headers={"X-CSRF-Token": csrf},
                                data={"hours": 1, "reason": "x"})
    assert resp.status == 400 and "rule, a unit or a case" in resp.json()["error"]
    resp = context.request.post("/api/notify/silences", data={"unit_id": "U1", "hours": 1,
                                                              "reason": "no csrf"})
    assert resp.status == 403
    context.close()


def test_only_supervisors_see_the_pages_and_their_data(console, browser):
    context = login(browser, console, "u3301")
    assert context.request.get("/api/notify/deliveries").status == 403
    assert context.request.get("/api/notify/silences").status == 403
    page = context.new_page()
    page.goto("/")
    expect(page.locator("nav.top")).to_be_visible(timeout=20_000)
    expect(page.locator("nav.top a[href='/notify']")).to_have_count(0)
    context.close()
    anonymous = browser.new_context(base_url=console.url)
    assert anonymous.request.get("/api/notify/deliveries").status == 401
    anonymous.close()
