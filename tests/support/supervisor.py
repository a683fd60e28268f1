"""A worker kept running the way a service manager keeps it (systemd's
Restart=on-failure, as deploy/ prescribes): started again whenever it exits, each exit code
recorded. A worker that stops loudly is restarted; one that hangs is not, and the test's
wait for quiescence fails."""

import threading

from tests.support.worker_process import WorkerProcess


class Supervisor:
    def __init__(self, worker: WorkerProcess, interval: float = 1.0):
        self.worker = worker
        self.interval = interval
        self.exits: list[int | None] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Supervisor":
        self.worker.supervised = True
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)
        self.worker.supervised = False

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.worker.proc is not None and not self.worker.alive:
                self.exits.append(self.worker.proc.returncode)
                print(f"worker exited {self.worker.proc.returncode}: restarted", flush=True)
                self.worker.start(wait=False)
