"""The web console in Debian's Chromium (Playwright) against the real stack, worker and
web server: live push, the closed loop, access control, restart, and the README's
screenshots (docs/screenshots/)."""

import http.client
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from clickhouse_driver import Client
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient
from playwright.sync_api import expect, sync_playwright

from rules.ruleset import load_ruleset
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.support.collector import Collector
from tests.support.web_process import WebProcess
from tests.support.worker_process import WorkerProcess

CST = timezone(timedelta(hours=8))
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORDS = {"sup01": "demo-sup01", "u3301": "demo-u3301", "u3302": "demo-u3302",
             "screen01": "demo-screen01"}
LOGIN_WINDOW = 3  # seconds; short, so the rate-limit test does not lock the others out


class Console:
    def __init__(self, stack, tmp: Path):
        tag = uuid.uuid4().hex[:8]
        self.env = {
            "CASEWATCH_TOPIC_PREFIX": f"web{tag}.",
            "CASEWATCH_APP_ID": f"web{tag}",
            "CASEWATCH_STATE_DIR": str(tmp / "state"),
            "CASEWATCH_CLICKHOUSE_DATABASE": f"web_{tag}",
            "CASEWATCH_METRICS_PORT": "18110",
            "CASEWATCH_SINK_FLUSH_SECONDS": "0.5",
            "CASEWATCH_WEB_PORT": "18111",
            "CASEWATCH_WEB_SECRET": secrets.token_urlsafe(32),
            "CASEWATCH_WEB_USERS_FILE": str(REPO / "deploy" / "web-users.toml"),
            "CASEWATCH_WEB_LOGIN_WINDOW_SECONDS": str(LOGIN_WINDOW),
        }
        self.stack = stack
        self.settings = Settings.from_env(self.env)
        ensure_topics(self.settings)
        self.db = self.settings.clickhouse.database
        self.worker = WorkerProcess(self.env, tmp / "worker.log")
        self.web = WebProcess(self.env, tmp / "web.log")
        self.url = self.web.base_url
        self.producer = KafkaProducer(bootstrap_servers=stack.bootstrap)
        self.warnings = Collector(stack.bootstrap, self.settings.topic("warnings"))

    def publish(self, event: dict) -> None:
        self.producer.send(self.settings.topic("case-events"), key=event["case_id"].encode(),
                           value=json.dumps(event, ensure_ascii=False).encode())
        self.producer.flush()

    def wait_rows(self, sql: str, expected, timeout: float = 60.0):
        client = Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port)
        deadline, got = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                got = client.execute(sql.format(db=self.db))
            except Exception:  # ClickHouse restarting, or not migrated yet
                got = None
            if got == expected:
                return
            time.sleep(0.3)
        raise AssertionError(f"{sql}: expected {expected}, last saw {got}")

    def close(self):
        self.web.stop()
        self.worker.stop()
        self.warnings.close()
        self.producer.close()
        try:
            Client(self.stack.clickhouse_host, port=self.stack.clickhouse_port).execute(
                f"DROP DATABASE IF EXISTS {self.db}")
        except Exception:
            pass
        admin = KafkaAdminClient(bootstrap_servers=self.stack.bootstrap)
        prefix, app_id = self.env["CASEWATCH_TOPIC_PREFIX"], self.env["CASEWATCH_APP_ID"]
        admin.delete_topics([t for t in admin.list_topics()
                             if t.startswith(prefix) or t.startswith(app_id)])
        admin.close()


def event(case_id, n, event_type, occurred_at, unit="U3301", person="P1", **details):
    return dict(event_id=f"{case_id}-{n}", schema_version=1, event_type=event_type,
                occurred_at=occurred_at.isoformat(), case_id=case_id, case_kind="criminal",
                person_id=person, unit_id=unit, details=details)


def background_cases(console: Console) -> None:
    """A few cases in several units, so the pages have something to show."""
    now = datetime.now(CST)
    for i, unit in enumerate(("U3301", "U3302", "U3303", "U3401", "U3402", "U3501")):
        console.publish(event(f"BG{i}A", 1, "detained", now - timedelta(hours=20 + 3 * i),
                              unit=unit, person=f"P{i}A"))
        console.publish(event(f"BG{i}B", 1, "summons_started", now - timedelta(hours=9 + i),
                              unit=unit, person=f"P{i}B", kind="summons"))
        console.publish(event(f"BG{i}C", 1, "bail_started", now - timedelta(days=300 + 20 * i),
                              unit=unit, person=f"P{i}C", approvals=[
                                  {"approver_id": f"L{unit[1:]}01", "role": "unit_head"},
                                  {"approver_id": f"L{unit[1:]}02", "role": "chief"}]))


@pytest.fixture(scope="module")
def console(stack, tmp_path_factory):
    c = Console(stack, tmp_path_factory.mktemp("web"))
    try:
        c.worker.start()
        background_cases(c)
        c.web.start()
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def login(browser, console, user: str):
    context = browser.new_context(base_url=console.url, viewport={"width": 1440, "height": 900},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    resp = context.request.post("/login", data={"user": user, "password": PASSWORDS[user]})
    assert resp.status == 200, resp.text()
    return context


def csrf(context) -> str:
    return context.request.get("/api/me").json()["csrf"]


def live_page(context, path="/"):
    page = context.new_page()
    page.goto(path)
    expect(page.locator("body[data-conn=live]")).to_be_attached(timeout=20_000)
    return page


def detained_warning(console, case_id, unit="U3301"):
    """Publish a detention 25 h ago; its family-notice warning (overdue) from the topic."""
    console.publish(event(case_id, 1, "detained", datetime.now(CST) - timedelta(hours=25),
                          unit=unit))
    return console.warnings.wait_for(lambda w: w["case_id"] == case_id
                                     and w["rule_id"] == "det_family_notice")


def test_login_page_is_served_and_a_wrong_password_refused(console, browser):
    page = browser.new_page(base_url=console.url)
    page.goto("/")
    expect(page).to_have_url(f"{console.url}/login?next=/")
    page.fill("#user", "u3301")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator("#err")).to_have_text("用户编号或密码错误")
    page.close()


def test_a_new_warning_appears_in_an_open_page_within_2_seconds(console, browser):
    context = login(browser, console, "sup01")
    page = live_page(context)
    arrived, warning = detained_warning(console, "LIVE1")
    row = page.locator(f'tr[data-id="{warning["warning_id"]}"]')
    expect(row).to_be_visible(timeout=10_000)
    shown = time.time()
    assert shown - arrived <= 2.0, f"row shown {shown - arrived:.2f} s after the message"
    expect(row.locator(".badge")).to_have_text("超期")
    # most urgent first: no approaching row above an overdue or violation row
    levels = page.locator("#rows tr").evaluate_all("rows => rows.map(r => r.dataset.level)")
    rank = {"violation": 0, "overdue": 1, "approaching": 2}
    assert [rank[x] for x in levels] == sorted(rank[x] for x in levels)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "list.png"))
    context.close()


def test_acknowledge_rectify_verify_in_the_page(console, browser):
    _, warning = detained_warning(console, "LOOP1")
    wid = warning["warning_id"]
    unit = login(browser, console, "u3301")
    page = live_page(unit)
    page.locator(f'tr[data-id="{wid}"] a').click()
    expect(page.locator("#stage")).to_have_text("待确认")
    expect(page.locator("#sec-basis blockquote").first).to_contain_text("CPL 85")
    expect(page.locator("#sec-events")).to_contain_text("执行刑事拘留")
    expect(page.locator("#sec-current_measure")).to_contain_text("刑事拘留")
    page.click("#do-acknowledge")
    expect(page.locator("#stage")).to_have_text("已确认")
    page.click("#do-rectify")  # without a note: refused in the page
    expect(page.locator("#acterr")).to_have_text("请填写整改情况或退回理由")
    page.fill("#note", "已于当日补发拘留通知书并电话通知家属")
    page.click("#do-rectify")
    expect(page.locator("#stage")).to_have_text("已整改待核查")
    expect(page.locator("#do-verify")).to_have_count(0)  # units do not verify

    supervisor = login(browser, console, "sup01")
    sup_page = supervisor.new_page()
    sup_page.goto(f"/warning/{wid}")
    sup_page.click("#do-verify")
    expect(sup_page.locator("#stage")).to_have_text("核查通过")

    version = load_ruleset().version  # of the rules the worker runs, as the sink wrote it
    console.wait_rows("SELECT DISTINCT catalogue_version FROM {db}.warning_history "
                      f"WHERE warning_id = '{wid}'", [(version,)])
    page.reload()
    expect(page.locator("#stage")).to_have_text("核查通过")
    shown_version = page.locator("#catalogue-version")
    expect(shown_version).to_have_text(version[:version.index("sha256:") + 19] + "…)")
    assert shown_version.get_attribute("title") == version
    history = page.locator("#sec-actions tbody tr")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("u3301")
    expect(history.nth(1)).to_contain_text("已于当日补发拘留通知书")
    expect(history.nth(2)).to_contain_text("sup01")
    page.screenshot(path=str(SHOTS / "warning.png"), full_page=True)
    page.click("#lang")  # English on demand
    expect(page.locator("#stage")).to_have_text("verified")
    expect(page.locator("nav.top")).to_contain_text("Warnings")
    page.click("#lang")
    expect(page.locator("#stage")).to_have_text("核查通过")

    console.wait_rows(
        "SELECT action, actor_id, actor_role FROM {db}.warning_actions FINAL "
        f"WHERE warning_id = '{wid}' ORDER BY acted_at, action",
        [("acknowledge", "u3301", "unit"), ("rectify", "u3301", "unit"),
         ("verify", "sup01", "supervisor")])
    topic = console.warnings.latest(wid)
    shown = unit.request.get(f"/api/warnings/{wid}").json()["warning"]
    assert (shown["level"], shown["status"], shown["due"], shown["catalogue_version"]) == (
        topic["level"], topic["status"], topic["due_at"], topic["catalogue_version"])
    expect(page.locator("header.head .badge")).to_have_text("超期")
    unit.close()
    supervisor.close()


def test_another_unit_neither_sees_nor_acts_and_the_api_guards(console, browser):
    _, warning = detained_warning(console, "SCOPE1", unit="U3301")
    wid = warning["warning_id"]
    _, theirs = detained_warning(console, "SCOPE2", unit="U3302")
    other = login(browser, console, "u3302")
    token = csrf(other)
    page = live_page(other)
    expect(page.locator(f'tr[data-id="{theirs["warning_id"]}"]')).to_be_visible()
    expect(page.locator(f'tr[data-id="{wid}"]')).to_have_count(0)
    listed = {w["id"] for w in other.request.get("/api/warnings").json()["warnings"]}
    assert wid not in listed and theirs["warning_id"] in listed
    assert other.request.get(f"/api/warnings/{wid}").status == 403
    act = {"data": {"action": "acknowledge"}}
    assert other.request.post(f"/api/warnings/{wid}/actions", headers={
        "X-CSRF-Token": token}, **act).status == 403

    anonymous = browser.new_context(base_url=console.url)
    for path in ("/api/warnings", f"/api/warnings/{wid}", "/api/stream", "/api/measures",
                 "/api/screen", "/api/me"):
        assert anonymous.request.get(path).status == 401, path
    assert anonymous.request.post(f"/api/warnings/{wid}/actions", **act).status == 401

    own = login(browser, console, "u3301")
    forged = own.request.post(f"/api/warnings/{wid}/actions",
                              headers={"X-CSRF-Token": token}, **act)  # another session's
    assert forged.status == 403 and "CSRF" in forged.text()
    assert own.request.post(f"/api/warnings/{wid}/actions", **act).status == 403
    screen = login(browser, console, "screen01")
    assert screen.request.post(f"/api/warnings/{wid}/actions",
                               headers={"X-CSRF-Token": csrf(screen)}, **act).status == 403
    assert own.request.get(f"/api/warnings/{wid}").json()["actions"] == []
    bad = own.request.post(f"/api/warnings/{wid}/actions", headers={
        "X-CSRF-Token": csrf(own)}, data={"action": "approve"})
    assert bad.status == 400
    ok = own.request.post(f"/api/warnings/{wid}/actions", headers={
        "X-CSRF-Token": csrf(own)}, **act)
    assert ok.status == 201 and ok.json()["action"]["actor_id"] == "u3301"
    for context in (other, anonymous, own, screen):
        context.close()


def sse_frames(console, cookie: str, last_event_id: int, want: int) -> list[tuple[int, dict]]:
    """Read `want` data frames of /api/stream resumed at `last_event_id`."""
    host, port = console.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20)
    conn.request("GET", "/api/stream", headers={"Cookie": cookie,
                                                "Last-Event-ID": str(last_event_id)})
    resp = conn.getresponse()
    assert resp.status == 200
    frames, seq = [], None
    while len(frames) < want:
        line = resp.fp.readline().decode().rstrip("\n")
        if line.startswith("id: "):
            seq = int(line[4:])
        elif line.startswith("data: "):
            frames.append((seq, json.loads(line[6:])))
        elif line.startswith("event: resync"):
            raise AssertionError("resync instead of a replay")
    conn.close()
    return frames


def test_a_client_resuming_with_last_event_id_gets_exactly_what_it_missed(console, browser):
    context = login(browser, console, "u3302")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    start = context.request.get("/api/warnings").json()["seq"]
    detained_warning(console, "RESUME1", unit="U3302")
    detained_warning(console, "RESUME2", unit="U3302")
    console.warnings.wait_for(lambda w: w["case_id"] == "RESUME2"
                              and w["rule_id"] == "det_first_interrogation")
    time.sleep(1.0)  # let the server take both cases in
    seen = sse_frames(console, cookie, start, want=6)  # 3 warnings per detention
    seqs = [s for s, _ in seen]
    assert seqs == sorted(set(seqs))  # increasing, no duplicate
    cases = {e["w"]["case"] for _, e in seen}
    assert cases == {"RESUME1", "RESUME2"}
    again = sse_frames(console, cookie, seqs[2], want=3)  # resume mid-way
    assert [s for s, _ in again] == seqs[3:6]
    context.close()


def test_login_attempts_are_rate_limited(console, browser):
    context = browser.new_context(base_url=console.url)
    statuses = [context.request.post("/login", data={"user": "nobody", "password": "x"}).status
                for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    limited = context.request.post("/login", data={"user": "u3301", "password": "demo-u3301"})
    assert limited.status == 429  # the address is locked out, even with the right password
    assert context.request.post("/login", data="not json").status == 400
    time.sleep(LOGIN_WINDOW + 0.5)
    assert context.request.post("/login", data={"user": "u3301",
                                                "password": "demo-u3301"}).status == 200
    context.close()


def test_a_page_open_across_a_web_restart_shows_a_warning_raised_meanwhile(console, browser):
    context = login(browser, console, "sup01")
    page = live_page(context)
    console.web.stop()
    expect(page.locator("body[data-conn=reconnecting]")).to_be_attached(timeout=10_000)
    _, warning = detained_warning(console, "RESTART1", unit="U3305")
    console.web.start()
    row = page.locator(f'tr[data-id="{warning["warning_id"]}"]')
    expect(row).to_be_visible(timeout=20_000)
    expect(row).to_have_count(1)
    expect(page.locator("body[data-conn=live]")).to_be_attached()
    ids = page.locator("#rows tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert len(ids) == len(set(ids))
    context.close()


def test_measure_board_and_big_screen(console, browser):
    context = login(browser, console, "sup01")
    page = context.new_page()
    page.goto("/measures")
    expect(page.locator("#mrows tr").first).to_be_visible(timeout=20_000)
    expect(page.locator("#mrows")).to_contain_text("取保候审")
    page.select_option("#m-measure", "detention")
    expect(page.locator("#mrows tr").first).to_contain_text("刑事拘留")
    page.select_option("#m-measure", "")
    expect(page.locator("#mrows")).to_contain_text("取保候审")
    page.screenshot(path=str(SHOTS / "measures.png"))
    screen = login(browser, console, "screen01")
    wall = screen.new_page()
    wall.goto("/screen")
    expect(wall.locator("body[data-drawn]")).to_be_attached(timeout=20_000)
    expect(wall.locator("#n-overdue")).not_to_have_text("—")
    assert int(wall.locator("#n-open").inner_text()) >= 1
    wall.wait_for_timeout(1500)  # chart animations
    wall.screenshot(path=str(SHOTS / "screen.png"))
    context.close()
    screen.close()
