"""Run `casewatch worker` as a child process: for integration tests and benches.

The child runs in its own session, so `kill()` SIGKILLs the worker together with the
sink process it supervises, as a crashed host or a killed container would.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.ports import free_port

VENV_BIN = Path(sys.executable).parent
#: What a worker without the /ready endpoint (before core v2) logs once it runs.
LEGACY_READY_LINE = b"Worker]: Ready"


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path,
                 command: list[str] | None = None):
        # two workers on one host need their own health and sink metrics ports
        own = {name: str(free_port()) for name in ("CASEWATCH_HEALTH_PORT",
                                                   "CASEWATCH_SINK_METRICS_PORT")
               if name not in env}
        self.env = {**os.environ, **own, **env}
        self.log_path = log_path
        self.command = command or [str(VENV_BIN / "casewatch"), "worker"]
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.supervised = False  # restarted when it exits (tests/support/supervisor.py)
        local = "http://127.0.0.1"
        self.metrics_url = f"{local}:{self.env.get('CASEWATCH_METRICS_PORT', '9464')}/metrics"
        self.ready_url = f"{local}:{self.env['CASEWATCH_HEALTH_PORT']}/ready"
        self._log_mark = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, ready_timeout: float = 90.0, wait: bool = True) -> None:
        """Spawn the worker; with `wait`, return once it is ready (see `wait_ready`)."""
        self._log_mark = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self.starts += 1
        if wait:
            self.wait_ready(ready_timeout)

    def ready_status(self) -> int | None:
        """HTTP status of GET /ready, None while nothing listens on the web port."""
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until GET /ready (on CASEWATCH_HEALTH_PORT) answers 200: the worker's partitions
        are recovered and it consumes. A worker that serves no /ready (404, or no server)
        counts as ready once it logs Faust's ready line, as workers before core v2 did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited {self.proc.returncode}; see {self.log_path}")
            status = self.ready_status()
            if status == 200:
                return
            if status in (None, 404) and self._logged_ready():
                return
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready in {timeout} s; see {self.log_path}")

    def _logged_ready(self) -> bool:
        with self.log_path.open("rb") as f:
            f.seek(max(0, self._log_mark - 1))
            return LEGACY_READY_LINE in f.read()

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

    def pause(self) -> None:
        """SIGSTOP the worker and its children, as a long GC pause or a stalled VM does."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    @property
    def stopped(self) -> bool:
        """The worker is SIGSTOPped (state T)."""
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] == "T"

    def resume(self) -> None:
        os.killpg(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL the worker and its children: a crash, nothing flushed or committed."""
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL after 60 s."""
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
