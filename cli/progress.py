"""Progress of a long command on its terminal: one line on standard error, redrawn in place.

Nothing at all is written when standard error is not a terminal (a pipe, a file, a CI log),
and nothing for work that ends within `delay` seconds, so scripts and quick runs see only
what they saw before.
"""

import os
import sys
import time
from collections.abc import Iterable, Iterator

#: Seconds of work before the line appears; `CASEWATCH_PROGRESS_DELAY` overrides it.
DEFAULT_DELAY = 0.5


def delay_from_env() -> float:
    return float(os.environ.get("CASEWATCH_PROGRESS_DELAY", DEFAULT_DELAY))


class Progress:
    def __init__(self, label: str, unit: str, total: int | None = None, stream=None,
                 delay: float | None = None, interval: float = 0.2, clock=time.monotonic):
        self.label, self.unit, self.total = label, unit, total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.count = 0
        self.drawn = False
        self._clock = clock
        self._started = clock()
        self._next = self._started + (delay_from_env() if delay is None else delay)
        self._interval = interval

    def advance(self, n: int = 1) -> None:
        self.count += n
        if self.enabled and self._clock() >= self._next:
            self._draw()

    def wrap(self, items: Iterable) -> Iterator:
        for item in items:
            self.advance()
            yield item

    def print(self, text: str) -> None:
        """A line of its own on the stream, above the progress line (which is redrawn)."""
        self.stream.write(("\r\x1b[K" if self.drawn else "") + text + "\n")
        if self.drawn:
            self._draw()
        self.stream.flush()

    def close(self) -> None:
        """The final count on its line, then a newline; nothing if nothing was drawn."""
        if self.drawn:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def line(self) -> str:
        elapsed = max(self._clock() - self._started, 1e-9)
        done = f"{self.count:,}"
        if self.total:
            done += f" / {self.total:,} ({100 * self.count // self.total}%)"
        return f"{self.label}: {done} {self.unit}, {self.count / elapsed:,.0f}/s"

    def _draw(self) -> None:
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()
        self.drawn = True
        self._next = self._clock() + self._interval
