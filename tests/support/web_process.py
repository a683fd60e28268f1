"""Run `casewatch web` as a child process: for integration tests, benches and demos."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


class WebProcess:
    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = {**os.environ,
                    "CASEWATCH_WEB_SESSIONS_FILE": str(log_path.with_suffix(".sessions")), **env}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        host = self.env.get("CASEWATCH_WEB_HOST", "127.0.0.1")
        self.base_url = f"http://{host}:{self.env.get('CASEWATCH_WEB_PORT', '8080')}"

    def start(self, ready_timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "casewatch"), "web"], env=self.env, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float) -> None:
        """Ready once /healthz answers: the open set is loaded and the server listens."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"web exited {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"web not ready in {timeout} s; see {self.log_path}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
