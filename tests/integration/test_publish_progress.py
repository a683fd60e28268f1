"""`casewatch publish` of a large file: progress on a terminal, quiet in a pipe."""

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

CASEWATCH = Path(sys.executable).parent / "casewatch"
N = 20_000


@pytest.fixture
def topic(stack):
    name = f"it-progress-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap)
    admin.create_topics([NewTopic(name, 1, 1)])
    yield name
    admin.delete_topics([name])
    admin.close()


@pytest.fixture
def events(tmp_path) -> Path:
    path = tmp_path / "events.jsonl"
    # all in the past: publish refuses an event dated more than a day ahead of its clock
    start = (datetime.now(UTC) - timedelta(days=3 * 365)).isoformat()
    subprocess.run([str(CASEWATCH), "generate", "--events", str(N), "--start", start,
                    "--out", str(path)], check=True, capture_output=True)
    with path.open("a") as f:
        f.write("not json\n")
    return path


def test_publish_progress_on_a_terminal_and_quiet_in_a_pipe(stack, topic, events, tmp_path,
                                                            run_on_terminal):
    args = [CASEWATCH, "publish", events, "--topic", topic, "--bootstrap", stack.bootstrap]
    status, terminal = run_on_terminal(args, tmp_path)
    assert status == 3
    assert f"发送 publishing: {N + 1:,} lines" in terminal
    assert f"\x1b[Kline {N + 1}: " in terminal  # the problem on a line of its own
    piped = subprocess.run([str(a) for a in args], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
    assert piped.returncode == 3
    assert piped.stderr.splitlines()[1:] == [
        f"published {N} events to {topic}; 1 invalid lines not sent"]
    assert piped.stderr.startswith(f"line {N + 1}: ")
    assert "\r" not in piped.stderr
