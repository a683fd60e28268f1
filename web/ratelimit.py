"""Failed-login limit: at most N failures per window for a client address and for a user id."""

import time
from collections import deque


class LoginLimiter:
    def __init__(self, failures: int, window_seconds: float, clock=time.monotonic):
        self.failures = failures
        self.window = window_seconds
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        cutoff = self._clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._seen[key]
            return deque()
        return times

    def retry_after(self, *keys: str) -> float:
        """Seconds until another attempt is allowed for all keys (0 = allowed now)."""
        wait = 0.0
        for key in keys:
            times = self._recent(key)
            if len(times) >= self.failures:
                wait = max(wait, times[0] + self.window - self._clock())
        return wait

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._seen.setdefault(key, deque()).append(now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._seen.pop(key, None)
