"""Free TCP ports for the servers a test starts (worker metrics, web, sink metrics).

Ports come from one block, CASEWATCH_TEST_PORT_BASE (default 18600) and the 99 above it,
so developers sharing a machine can give each run its own block. A port is handed out
once per test process and only if nothing listens on it; once the block is used up, the
system picks a free port.
"""

import os
import socket

BLOCK = 100
_taken: set[int] = set()


def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    base = int(os.environ.get("CASEWATCH_TEST_PORT_BASE", "18600"))
    for port in range(base, base + BLOCK):
        if port not in _taken and _free(port):
            _taken.add(port)
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
