"""Fixtures shared by every test directory."""

import os
import pty
import subprocess
import threading

import pytest


def _run_on_terminal(args: list[str], cwd, env=None, timeout: float = 120) -> tuple[int, str]:
    """Run a command with standard error on a pseudo-terminal (standard output discarded);
    (exit status, everything the terminal received, as text). Progress shows at once, so
    that a fast machine finishing inside the usual delay still draws it."""
    env = {**(os.environ if env is None else env), "CASEWATCH_PROGRESS_DELAY": "0"}
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the other end closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, timeout=timeout,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def run_on_terminal():
    return _run_on_terminal
