"""A small progress reporter on stderr: count, percent, events/s, ETA.

Reused by `wic replay`, the demo and the benchmarks. On a terminal it redraws one line
(`\\r`); otherwise (CI logs, pipes) it prints a plain line at most every `interval` seconds,
so a log file never fills with carriage returns.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """Report progress of `total` units (events); `total=None` when unknown."""

    def __init__(self, label: str, total: int | None = None, *, stream: TextIO | None = None,
                 interval: float | None = None, unit: str = "events") -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.1 if self.tty else 2.0)
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """The text of one report, e.g. `replay clearing [####----] 50% 500/1000 events …`."""
        rate = self.rate()
        parts = [self.label]
        if self.total:
            frac = min(1.0, self.done / self.total)
            filled = int(frac * BAR_WIDTH)
            parts.append(f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {frac * 100:5.1f}%")
            parts.append(f"{self.done}/{self.total} {self.unit}")
            remaining = (self.total - self.done) / rate if rate > 0 else None
            eta = _duration(remaining) if remaining is not None else "--:--"
            parts.append(f"{rate:,.0f}/s ETA {eta}")
        else:
            parts.append(f"{self.done} {self.unit} {rate:,.0f}/s")
        return " ".join(parts)

    def update(self, done: int) -> None:
        """Set the absolute count; redraws when the interval has passed."""
        self.done = done
        now = time.monotonic()
        if now - self._last_draw >= self.interval:
            self._last_draw = now
            self._draw()

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def finish(self) -> None:
        """Final line with the total elapsed time (always printed)."""
        elapsed = _duration(time.monotonic() - self.started)
        text = f"{self.line()} done in {elapsed}"
        self.stream.write(("\r\x1b[K" + text if self.tty else text) + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()
