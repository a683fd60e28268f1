"""The work queue in Chromium against the console served in-process (issue 12, "one loop for
all"): a unit's queue lists its warnings and problems together (a problem and a warning of
the same id apart), /problems the problems only; a problem goes round the loop on its
explanation page and leaves the queues of every page live; search finds it closed; the
big screen counts open problems apart."""

from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM
from tests.support.web_app import PASSWORDS, console, item, problem, serve

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture
def served(tmp_path):
    c = console(tmp_path)
    c.open_set.apply_item(item("W1", unit="U3301", level="overdue"))
    c.open_set.apply_item(item("W3", unit="U3302"))
    c.ctx.problems.apply_problem(problem("P1", unit="U3301"))
    c.ctx.problems.apply_problem(problem("W1", unit="U3301", source="patrol", case=None,
                                         problem_type="property_self_kept"))
    c.ctx.problems.apply_problem(problem("P3", unit="U3302", source="self_check"))
    with serve(c) as url:
        yield url, c


def test_a_problem_goes_round_the_loop_in_the_units_queue(served, tmp_path):
    from playwright.sync_api import expect

    from tests.support.browser import acknowledge_and_rectify, chromium, logged_in

    url, c = served
    with chromium() as browser:
        unit = logged_in(browser, url, "u3301", PASSWORDS["u3301"])
        queue = unit.new_page()
        queue.goto("/")
        rows = queue.locator("#rows tr")
        expect(rows).to_have_count(3)  # W1 warning, W1 and P1 problems; not U3302's
        assert [(r.get_attribute("data-kind"), r.get_attribute("data-id"))
                for r in rows.all()] == [("warning", "W1"), ("problem", "P1"),
                                         ("problem", "W1")]
        expect(queue.locator('tr[data-kind="problem"][data-id="P1"] .badge')).to_have_text(
            "案件评查")
        expect(queue.locator('tr[data-kind="problem"][data-id="P1"] a')).to_have_text(
            "讯问笔录未逐页签名捺指印")
        queue.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
        queue.select_option("#f-kind", "problem")
        expect(rows).to_have_count(2)
        assert "kind=problem" in queue.url
        assert "kind=problem" in queue.locator("#export-csv").get_attribute("href")
        queue.select_option("#f-kind", "")
        expect(rows).to_have_count(3)

        problems = unit.new_page()
        problems.goto("/problems")
        expect(problems.locator("#rows tr")).to_have_count(2)
        expect(problems.locator("#new-problem")).to_be_visible()  # its own self-checks
        expect(problems.locator("#f-kind")).to_be_hidden()
        problems.screenshot(path=str(tmp_path / "problems.png"), full_page=True)

        page = unit.new_page()
        page.goto("/problems")
        page.locator('tr[data-id="P1"] a').click()
        page.wait_for_url("**/problem/P1")
        acknowledge_and_rectify(page, "已补正笔录签名")
        expect(queue.locator('tr[data-kind="problem"][data-id="P1"] .stage')).to_have_text(
            "已整改待核查")  # the queue followed live

        supervisor = logged_in(browser, url, "sup01", PASSWORDS["sup01"])
        sup = supervisor.new_page()
        sup.goto("/problem/P1")
        sup.click("#do-verify")
        expect(sup.locator("#stage")).to_have_text("核查通过")
        expect(sup.locator("#loop button")).to_have_count(0)  # its loop is closed
        expect(page.locator("#stage")).to_have_text("核查通过")  # the unit's page followed
        for shown in (queue, problems):  # it left both queues, live
            expect(shown.locator('tr[data-kind="problem"][data-id="P1"]')).to_have_count(0)
        expect(queue.locator('tr[data-kind="warning"][data-id="W1"]')).to_have_count(1)

        queue.fill("#q", "C-P")
        queue.click("#searchform button")
        found = queue.locator('#results-rows tr[data-kind="problem"][data-id="P1"]')
        expect(found).to_contain_text("已闭环")

        sup.goto("/screen")
        expect(sup.locator("#n-problems")).to_have_text("2")  # W1 (U3301) and P3 (U3302)
        expect(sup.locator("#n-open")).to_have_text("2")  # the warnings: W1 and W3
        browser.close()
    assert [a.action for a in c.open_set.actions_of(("problem", "P1"))] == [
        "acknowledge", "rectify", "verify"]
    assert c.open_set.actions_of(("warning", "W1")) == []
