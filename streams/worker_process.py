"""Run `casewatch worker` as a child process: for integration tests, benches and demos."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path):
        own = {name: str(_free_port()) for name in ("CASEWATCH_HEALTH_PORT",
                                                    "CASEWATCH_SINK_METRICS_PORT")}
        self.env = {**os.environ, **own, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        port = self.env.get("CASEWATCH_METRICS_PORT", "9464")
        self.metrics_url = f"http://127.0.0.1:{port}/metrics"

    def start(self, ready_timeout: float = 90.0) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "casewatch"), "worker"], env=self.env, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float) -> None:
        """Ready once the worker logs that its due index was rebuilt (recovery done)."""
        deadline = time.monotonic() + timeout
        start_size = self.log_path.stat().st_size if self.log_path.exists() else 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited {self.proc.returncode}; see {self.log_path}")
            with self.log_path.open("rb") as f:
                f.seek(max(0, start_size - 1))
                if b"Worker]: Ready" in f.read():
                    return
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready in {timeout} s; see {self.log_path}")

    def metric_values(self, name: str) -> dict[str, float]:
        """Every sample of a metric, keyed by its label set ("" when it has none)."""
        with urllib.request.urlopen(self.metrics_url, timeout=5) as resp:
            lines = resp.read().decode().splitlines()
        out = {}
        for line in lines:
            if line.startswith(name + " ") or line.startswith(name + "{"):
                labels, _, value = line[len(name):].rpartition(" ")
                out[labels] = float(value)
        return out

    def metric(self, name: str) -> float:
        values = self.metric_values(name)
        if not values:
            raise KeyError(name)
        return sum(values.values())

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed or committed."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
