"""Problems in the web console, in Debian's Chromium (Playwright), on the real stack with a
worker (its sink runs the problems intake) and the web server: a problem entered each of
the three ways — the inspector's form, another system on the topic, a spreadsheet import —
goes round the loop in the browser (acknowledge, rectify, verify; one returned first);
malformed entries are refused with reasons; scope and roles hold; the actions reach
ClickHouse; the export lists them. Writes the README's screenshots of the form."""

import json
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.support.browser import acknowledge_and_rectify, chromium, logged_in, race
from tests.support.ports import free_port
from tests.support.problem_records import raw
from tests.support.sheets import write_xlsx
from tests.support.stack_rig import REPO, StackRig
from tests.support.web_process import WebProcess
from tests.support.worker_process import WorkerProcess

CST = timezone(timedelta(hours=8))
SHOTS = REPO / "docs" / "screenshots"
PASSWORDS = {"sup01": "demo-sup01", "u3301": "demo-u3301", "u3302": "demo-u3302",
             "insp01": "demo-insp01", "screen01": "demo-screen01"}


@pytest.fixture(scope="module")
def rig(stack, tmp_path_factory):
    """A worker (its sink runs the problems intake) and the web console."""
    tmp = tmp_path_factory.mktemp("problems-web")
    r = StackRig(stack, tmp, CASEWATCH_METRICS_PORT=str(free_port()),
                 CASEWATCH_WEB_PORT=str(free_port()),
                 CASEWATCH_WEB_SECRET=secrets.token_urlsafe(32),
                 CASEWATCH_WEB_USERS_FILE=str(REPO / "deploy" / "web-users.toml"))
    worker, r.web = WorkerProcess(r.env, tmp / "worker.log"), WebProcess(r.env, tmp / "web.log")
    r.url = r.web.base_url
    r.stoppable += [worker, r.web]
    try:
        worker.start()
        detained = {"event_id": "PC-C1-1", "schema_version": 1, "event_type": "detained",
                    "occurred_at": (datetime.now(CST) - timedelta(hours=3)).isoformat(),
                    "case_id": "PC-C1", "case_kind": "criminal", "person_id": "P77",
                    "unit_id": "U3301"}
        r.send("case-events", json.dumps(detained).encode(), b"PC-C1")
        r.wait_rows("SELECT count() FROM {db}.events FINAL WHERE case_id = 'PC-C1'", [(1,)])
        r.web.start()
        yield r
    finally:
        r.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def login(browser, rig, user: str):
    return logged_in(browser, rig.url, user, PASSWORDS[user])


def csrf(context) -> dict:
    return {"X-CSRF-Token": context.request.get("/api/me").json()["csrf"]}


def round_the_loop(browser, rig, pid: str, *, return_first: bool = False) -> None:
    """u3301 acknowledges and rectifies in the page, sup01 verifies (returns first)."""
    unit = login(browser, rig, "u3301")
    page = unit.new_page()
    page.goto("/problems")
    row = page.locator(f'tr[data-id="{pid}"]')
    expect(row).to_be_visible(timeout=30_000)
    row.locator("a").click()
    acknowledge_and_rectify(page, "已补正笔录签名并组织培训")
    supervisor = login(browser, rig, "sup01")
    sup = supervisor.new_page()
    sup.goto(f"/problem/{pid}")
    if return_first:
        sup.fill("#note", "签名页未附")
        sup.click("#do-return")
        expect(sup.locator("#stage")).to_have_text("已退回")
        page.reload()
        page.fill("#note", "已补附签名页")
        page.click("#do-rectify")
        expect(page.locator("#stage")).to_have_text("已整改待核查")
        sup.reload()
    sup.click("#do-verify")
    expect(sup.locator("#stage")).to_have_text("核查通过")
    page.goto("/problems")
    expect(page.locator(f'tr[data-id="{pid}"]')).to_have_count(0)  # out of the open queue
    unit.close()
    supervisor.close()


def form(browser, rig):
    """The inspector's context and the form page, loaded."""
    inspector = login(browser, rig, "insp01")
    page = inspector.new_page()
    page.goto("/problems/new")
    expect(page.locator("body[data-loaded]")).to_be_attached(timeout=20_000)
    return inspector, page


def test_an_inspector_records_a_problem_in_the_form_and_it_goes_round_the_loop(rig, browser):
    inspector, page = form(browser, rig)
    page.select_option("#f-source", "case_review")
    page.fill("#f-case", "PC-C1")
    page.click("#f-lookup")
    expect(page.locator("#case-info")).to_contain_text("U3301")
    expect(page.locator("#f-unit")).to_have_value("U3301")
    page.select_option("#f-person", "P77")
    page.select_option("#f-type", "record_unsigned")
    expect(page.locator("#type-info")).to_contain_text("MPS 206")
    page.fill("#f-description", "讯问笔录第2页无犯罪嫌疑人签名、捺指印")
    page.fill("#f-attachments", "卷宗 PC-C1 第12页\ndms://cases/PC-C1/12")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "problem-form.png"), full_page=True)
    page.click("#f-submit")
    page.wait_for_url("**/problem/web-*", timeout=20_000)
    pid = page.url.rsplit("/", 1)[1]
    expect(page.locator("#finder")).to_have_text("insp01 · 督察")
    expect(page.locator("#sec-basis")).to_contain_text("逐页签名、捺指印")
    expect(page.locator("#sec-attachments")).to_contain_text("dms://cases/PC-C1/12")
    expect(page.locator("header.head .src")).to_have_text("案件评查")
    assert page.locator("#do-acknowledge").count() == 0  # inspectors enter, units act
    rig.wait_rows(f"SELECT source, unit_id, case_id, person_id, found_by_role FROM "
                  f"{{db}}.problems FINAL WHERE problem_id = '{pid}'",
                  [("case_review", "U3301", "PC-C1", "P77", "inspector")])
    round_the_loop(browser, rig, pid, return_first=True)
    page.goto(f"/problem/{pid}")
    expect(page.locator("#sec-actions tbody tr")).to_have_count(5)
    page.screenshot(path=str(SHOTS / "problem.png"), full_page=True)
    rig.wait_rows(f"SELECT action, actor_id, actor_role FROM {{db}}.problem_actions FINAL "
                  f"WHERE problem_id = '{pid}' ORDER BY action",  # acted_at: whole seconds
                  [("acknowledge", "u3301", "unit"), ("rectify", "u3301", "unit"),
                   ("rectify", "u3301", "unit"), ("return", "sup01", "supervisor"),
                   ("verify", "sup01", "supervisor")])
    inspector.close()


def test_the_form_refuses_a_bad_entry_with_its_reasons(rig, browser):
    inspector, page = form(browser, rig)
    page.fill("#f-unit", "U3301")
    page.click("#f-submit")  # no type, no description
    expect(page.locator("#f-errors li").first).to_be_visible()
    reasons = page.locator("#f-errors").inner_text()
    assert "problem_type" in reasons and "description" in reasons
    bad = inspector.request.post("/api/problems", headers=csrf(inspector), data={
        "source": "platform", "unit_id": "U3301", "problem_type": "other",
        "description": "x"})
    assert bad.status == 400 and "source platform" in bad.json()["error"]
    future = inspector.request.post("/api/problems", headers=csrf(inspector), data={
        "source": "patrol", "unit_id": "U3301", "problem_type": "other", "description": "x",
        "found_at": "2099-01-01T00:00:00+08:00"})
    assert future.status == 400 and "in the future" in future.json()["error"]
    inspector.close()


def test_a_problem_from_another_system_on_the_topic_goes_round_the_loop(rig, browser):
    rig.send("problems", raw(problem_id="CR-PC-1", case_id="PC-C1", person_id=...,
                             found_at=datetime.now(CST).isoformat()), b"CR-PC-1")
    rig.send("problems", raw(problem_id="CR-PC-2", problem_type="nope"), b"CR-PC-2")  # refused
    round_the_loop(browser, rig, "CR-PC-1")
    letters = [json.loads(m.value) for m in rig.read("problems.dlq")]
    assert [d["key"] for d in letters] == ["CR-PC-2"]
    assert "unknown problem type 'nope'" in letters[0]["reasons"][0]


def test_a_spreadsheet_row_goes_round_the_loop(rig, browser, tmp_path):
    now = datetime.now(CST).replace(tzinfo=None, microsecond=0)
    sheet = write_xlsx(tmp_path / "patrol.xlsx", [
        [1, "网上巡查", "U3301", "PC-C1", "涉案财物由办案人员自行保管", "扣押手机存放于办公室",
         "insp02", now, "", ""]])
    done = subprocess.run([sys.executable, "-m", "cli.main", "problems", "import", str(sheet)],
                          cwd=REPO, env=rig.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    viewer = login(browser, rig, "sup01")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [p for p in viewer.request.get("/api/problems").json()["problems"]
                 if p["source"] == "patrol" and p["type"] == "property_self_kept"]
        if found:
            break
        time.sleep(0.5)
    (imported,) = found
    assert imported["id"].startswith("imp-") and imported["found_by"] == "insp02"
    round_the_loop(browser, rig, imported["id"])
    viewer.close()


def test_scope_roles_and_the_export(rig, browser):
    sup = login(browser, rig, "sup01")
    export = sup.request.get("/api/problems/export")
    assert export.status == 200 and export.headers["content-type"].startswith("text/csv")
    text = export.body().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("problem_id,source,unit_id")
    assert text.count(",verified,") >= 3  # the three ways, round the loop
    pid = next(line.split(",")[0] for line in text.splitlines() if ",case_review," in line)
    other = login(browser, rig, "u3302")
    assert other.request.get(f"/api/problems/{pid}").status == 404  # as an unknown one
    assert all(p["unit"] != "U3301" for p in other.request.get("/api/problems?closed=1")
               .json()["problems"])
    assert other.request.get("/api/cases/PC-C1").status == 404  # not its units' case
    entry = {"source": "cross_check", "unit_id": "U3302", "problem_type": "other",
             "description": "越权登记"}
    assert other.request.post("/api/problems", headers=csrf(other), data=entry).status == 403
    own = other.request.post("/api/problems", headers=csrf(other),
                             data={**entry, "source": "self_check"})
    assert own.status == 201 and own.json()["problem"]["found_by_role"] == "unit"
    inspector = login(browser, rig, "insp01")
    act = {"action": "acknowledge"}
    assert inspector.request.post(f"/api/problems/{own.json()['problem']['id']}/actions",
                                  headers=csrf(inspector), data=act).status == 403
    screen = login(browser, rig, "screen01")
    assert screen.request.post("/api/problems", headers=csrf(screen), data=entry).status == 403
    anonymous = browser.new_context(base_url=rig.url)
    for path in ("/api/problems", f"/api/problems/{pid}", "/api/problems/export",
                 "/api/problem-types", "/api/cases/PC-C1"):
        assert anonymous.request.get(path).status == 401, path
    # reads of a problem are in the audit trail as a warning's are (ClickHouse access_log)
    assert sup.request.get(f"/api/problems/{pid}").status == 200
    rig.wait_rows("SELECT DISTINCT action, actor_id, unit_id FROM {db}.access_log FINAL "
                  f"WHERE target = '{pid}' AND actor_id = 'sup01'",
                  [("read_problem", "sup01", "U3301")])
    audit = sup.request.get(f"/api/audit?target={pid}&actor=sup01").json()["rows"]
    assert audit and {r["action"] for r in audit} == {"read_problem"}
    for context in (sup, other, inspector, screen, anonymous):
        context.close()


def test_two_servers_never_both_accept_one_step_of_a_problem(rig, browser, tmp_path):
    """Two console processes on one topic: a unit's and a supervisor's acknowledgement of
    one problem at once; one is accepted (201), the other lost its step (409), and both
    servers show the one action."""
    rig.send("problems", raw(problem_id="RACE-P1", found_at=datetime.now(CST).isoformat()),
             b"RACE-P1")
    second = WebProcess({**rig.env, "CASEWATCH_WEB_PORT": str(free_port())},
                        tmp_path / "second.log")
    second.start()
    try:
        one = login(browser, rig, "u3301")
        two = logged_in(browser, second.base_url, "sup01", PASSWORDS["sup01"])
        for context in (one, two):
            rig.wait_for(lambda c=context: c.request.get("/api/problems/RACE-P1").status == 200,
                         what="the problem in both consoles")
        statuses = race([(rig.url, one), (second.base_url, two)],
                        "/api/problems/RACE-P1/actions", {"action": "acknowledge"})
        assert statuses == [201, 409]
        def settled(context):
            shown = context.request.get("/api/problems/RACE-P1").json()
            return shown["problem"]["stage"] == "acknowledged" and len(shown["actions"]) == 1

        for context in (one, two):
            rig.wait_for(lambda c=context: settled(c), timeout=10,
                         what="the one action, acknowledged")
        # ClickHouse keeps both (as warning_actions does): the console ignores the loser
        rig.wait_rows("SELECT count(), uniqExact(actor_id) FROM {db}.problem_actions FINAL "
                      "WHERE problem_id = 'RACE-P1' AND action = 'acknowledge'", [(2, 2)])
        one.close()
        two.close()
    finally:
        second.stop()
