"""Login attempts, limited per client address and per user id.

An attempt is counted when it starts, before its password is checked, so a burst of
parallel guesses is refused after the first few instead of all being checked. At most one
check per key runs at a time. A success clears its user id's failures (only the user could
cause it) and takes back only its own attempt from the address.

- per address: at most N attempts per window (the attacker's own address);
- per user id: after N failures in the window each further attempt waits a delay that
  doubles per failure up to `max_delay` — a delay, not a lockout, so nobody can lock a
  user out by typing wrong passwords under their id.

Keys are bounded: expired ones are dropped as time passes, and beyond `max_keys` the
least recently used go first.
"""

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class LoginLimiter:
    def __init__(self, failures: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000,
                 max_delay: float = 30.0):
        self.failures = failures
        self.window = window_seconds
        self.max_keys = max_keys
        self.max_delay = max_delay
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._busy: set[str] = set()

    def __len__(self) -> int:
        return len(self._seen)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._seen[key]
        return times

    def _sweep(self, now: float) -> None:
        """Drop keys whose last attempt left the window (the least recently used come
        first), then the oldest beyond `max_keys`."""
        while self._seen:
            key, times = next(iter(self._seen.items()))
            if times and times[-1] > now - self.window:
                break
            del self._seen[key]
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)

    def wait(self, key: str, progressive: bool) -> float:
        """Seconds before `key` may try again (0: now)."""
        now = self._clock()
        self._sweep(now)
        if key in self._busy:
            return 1.0
        times = self._recent(key, now)
        if len(times) < self.failures:
            return 0.0
        if progressive:
            delay = min(2.0 ** (len(times) - self.failures + 1), self.max_delay)
            return max(0.0, times[-1] + delay - now)
        return max(0.0, times[0] + self.window - now)

    def begin(self, *keys: str) -> None:
        """Count an attempt for every key and mark it busy until `end`."""
        now = self._clock()
        for key in keys:
            self._seen.setdefault(key, deque()).append(now)
            self._seen.move_to_end(key)
            self._busy.add(key)
        self._sweep(now)

    def end(self, *keys: str) -> None:
        """The attempt's check is over."""
        for key in keys:
            self._busy.discard(key)

    def refund(self, key: str) -> None:
        """Take back the last attempt counted for `key` (it succeeded)."""
        times = self._seen.get(key)
        if times:
            times.pop()
            if not times:
                del self._seen[key]

    def forget(self, key: str) -> None:
        """Drop every attempt of `key` (a user who proved their password)."""
        self._seen.pop(key, None)
