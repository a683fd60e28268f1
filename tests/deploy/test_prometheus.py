"""Prometheus as code: the alert rules (deploy/prometheus/alerts.yml) pass their promtool
unit tests (alerts.test.yml), a broken rule fails them, Prometheus loads the rules through
the stack's configuration, and every query of the pipeline-health dashboard runs there.

promtool comes from Debian's `prometheus` package (deploy/os-deps installs it). The
integration tests start a private Prometheus with deploy/prometheus/prometheus.yml, the
file the stack's Prometheus runs with, on a port of this suite's range (18290).
"""

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROM_DIR = REPO / "deploy" / "prometheus"
ALERTS, ALERT_TESTS = PROM_DIR / "alerts.yml", PROM_DIR / "alerts.test.yml"
PIPELINE = REPO / "deploy" / "grafana" / "dashboards" / "casewatch-pipeline.json"
PORT = 18290


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: run deploy/os-deps (Debian package prometheus)")
    return path


def promtool(*args: str, cwd: Path = PROM_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def alert_names() -> list[str]:
    return re.findall(r"^\s*- alert: (\w+)$", ALERTS.read_text(encoding="utf-8"), re.M)


def test_alert_rules_pass_their_unit_tests():
    result = promtool("test", "rules", ALERT_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_case():
    tests = ALERT_TESTS.read_text(encoding="utf-8")
    firing = set(re.findall(r"alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels:", tests))
    assert set(alert_names()) == firing
    assert len(alert_names()) == 9


def test_a_wrong_threshold_fails_the_unit_tests(tmp_path):
    """The promtool tests can fail: a rule waiting longer than documented breaks them."""
    broken = ALERTS.read_text(encoding="utf-8").replace(
        "casewatch_oldest_due_delay_seconds) > 30", "casewatch_oldest_due_delay_seconds) > 90"
    )
    assert broken != ALERTS.read_text(encoding="utf-8")
    (tmp_path / "alerts.yml").write_text(broken, encoding="utf-8")
    shutil.copy(ALERT_TESTS, tmp_path / ALERT_TESTS.name)
    result = promtool("test", "rules", ALERT_TESTS.name, cwd=tmp_path)
    assert result.returncode != 0
    assert "CasewatchDeadlinesFiringLate" in result.stdout + result.stderr


def test_stack_configuration_loads_the_rules():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 rules found" in result.stdout + result.stderr


# ---------------------------------------------------------------- a real Prometheus


def _get(path: str, **params) -> dict:
    url = f"http://127.0.0.1:{PORT}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory) -> Iterator[None]:
    data = tmp_path_factory.mktemp("prometheus")
    proc = subprocess.Popen(
        [
            tool("prometheus"),
            f"--config.file={PROM_DIR / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{PORT}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/-/ready", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"prometheus did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
    yield
    proc.terminate()
    proc.wait(timeout=30)


def pipeline_queries() -> list[tuple[str, str]]:
    dash = json.loads(PIPELINE.read_text(encoding="utf-8"))
    return [
        (f"{p['id']}-{t['refId']}", t["expr"])
        for p in dash["panels"]
        for t in p["targets"]
    ]


def grafana_expr(expr: str) -> str:
    """Grafana's Prometheus macros as it substitutes them (scrape interval 5 s)."""
    expr = expr.replace("$__rate_interval", "1m")
    leftover = re.search(r"\$\w+", expr)
    assert leftover is None, f"{leftover.group(0)} is not expanded by this test"
    return expr


@pytest.mark.integration
def test_prometheus_loads_the_alert_rules(prometheus):
    groups = _get("/api/v1/rules")["data"]["groups"]
    loaded = {r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"}
    assert loaded == set(alert_names())
    assert all(r["health"] != "err" for g in groups for r in g["rules"])


@pytest.mark.integration
@pytest.mark.parametrize("ref,expr", pipeline_queries(), ids=[q[0] for q in pipeline_queries()])
def test_pipeline_panel_query_runs(prometheus, ref, expr):
    body = _get("/api/v1/query", query=grafana_expr(expr))
    assert body["status"] == "success", body


@pytest.mark.integration
def test_a_malformed_query_is_refused(prometheus):
    """The check above can fail: Prometheus rejects a query that does not parse."""
    with pytest.raises(urllib.error.HTTPError) as exc:
        _get("/api/v1/query", query="sum by (topic (casewatch_sink_lag_messages)")
    assert exc.value.code == 400
