"""A rule set changed in a running two-worker deployment (issue 14, item 2): `casewatch
rules apply` under load; every worker switches at its partitions' markers and re-times
what it holds; the warnings topic and ClickHouse end equal to `casewatch evaluate` under
the new rules; a rule set that does not load is refused and changes nothing."""

import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest

from cli.lifecycles import generate_events
from rules.ruleset import load_ruleset
from tests.support.checks import pipeline_failures
from tests.support.kafka_topics import read_topic
from tests.support.oracle import last_on_topic
from tests.support.publishing import Publisher, encode
from tests.support.quiescence import wait_processed
from tests.support.rulesets import copy_rules, edit
from tests.support.sandbox import Sandbox
from tests.support.worker_process import VENV_BIN

pytestmark = pytest.mark.timeout(900)


def recent_events(n: int) -> list[dict]:
    """Lifecycles of the last months: bail and custody still running, their leads ahead."""
    now = datetime.now(UTC)
    events = generate_events(n, seed=7, start=now - timedelta(days=120))
    return [e for e in events if datetime.fromisoformat(e["occurred_at"]) < now]


def apply(box: Sandbox, directory) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "casewatch"), "rules", "apply", str(directory),
                           "--by", "op1"], env=box.workers[0].env, capture_output=True,
                          text=True, timeout=120)


def test_a_lead_and_a_period_changed_under_load_retime_everything(sandbox, tmp_path):
    events = recent_events(8_000)
    proposal = copy_rules(tmp_path / "proposal")
    edit(proposal / "catalogue" / "custody_limit.toml", 'lead = "15d"', 'lead = "25d"')
    edit(proposal / "catalogue" / "bail_limit.toml", 'period = "12mo"', 'period = "4mo"')
    first, second = sandbox.worker("w1"), sandbox.worker("w2")
    first.start()
    second.start()
    feed = Publisher(sandbox.stack.bootstrap, sandbox.topic("case-events"),
                     [encode(e) for e in events], seconds=30).start()
    wait_processed(sandbox, len(events) // 2)
    applied = apply(sandbox, proposal)
    assert applied.returncode == 0, applied.stderr
    assert "rule set 2026.12-1 (sha256:" in applied.stdout
    feed.join()
    failures = pipeline_failures(sandbox, events, tmp_path, catalogue=proposal, settle=10)
    assert not failures, "\n".join(failures)
    switched = sum(w.metric("casewatch_ruleset_switches_total") for w in (first, second))
    assert switched >= 4  # every partition, whichever worker owns it
    warnings = last_on_topic(read_topic(sandbox.stack.bootstrap, sandbox.topic("warnings")))
    version = load_ruleset(proposal).version
    open_bail = [w for w in warnings.values()
                 if w["rule_id"] == "bail_limit" and w["status"] == "open"]
    assert open_bail and {w["catalogue_version"] for w in open_bail} == {version}


def test_a_rule_set_that_does_not_load_is_refused_and_nothing_changes(sandbox, tmp_path):
    broken = copy_rules(tmp_path / "broken")
    edit(broken / "catalogue" / "bail_limit.toml", 'period = "12mo"', 'period = "twelve"')
    worker = sandbox.worker("w1")
    worker.start()
    refused = apply(sandbox, broken)
    assert refused.returncode == 2
    assert "bail_limit" in refused.stderr and "refused, nothing published" in refused.stderr
    assert read_topic(sandbox.stack.bootstrap, sandbox.topic("rules")) == []
    time.sleep(1)
    assert worker.metric("casewatch_ruleset_switches_total") == 0
