"""A one-line progress bar on stderr: count, rate, and ETA when the total is known.

The same figures go to the export's metrics (profileviewer/observability/metrics.py).
"""

from __future__ import annotations

import time
from typing import TextIO

from profileviewer.observability import metrics

REDRAW_SECONDS = 0.2  # on a terminal
LOG_SECONDS = 10.0  # into a file or pipe: a line now and then, not a flood


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    def __init__(self, stream: TextIO, *, total: int | None = None, start_count: int = 0) -> None:
        self.stream = stream
        self.total = total
        self.start_count = start_count
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last_drawn = 0.0
        self.drawn = False
        self.first = True

    def line(self, count: int, events: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (count - self.start_count) / elapsed
        text = f"{count:,} profiles, {events:,} events, {rate:,.1f} profiles/s"
        if self.total:
            left = max(self.total - count, 0)
            eta = _clock(left / rate) if rate > 0 else "--:--"
            text = f"{count:,}/{self.total:,} profiles ({count / self.total:.0%}), " + (
                f"{events:,} events, {rate:,.1f} profiles/s, ETA {eta}"
            )
        else:
            text += ", ETA unknown (pass --total N for one)"
        return text

    def __call__(self, count: int, events: int) -> None:
        if self.first:
            # A resumed export starts counting above zero: rate the profiles done in this run.
            self.first = False
            self.start_count = count - 1
        metrics.export_progress(count, events, self.total)
        now = time.monotonic()
        if now - self.last_drawn < (REDRAW_SECONDS if self.tty else LOG_SECONDS):
            return
        self.last_drawn = now
        self.draw(count, events)

    def draw(self, count: int, events: int) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line(count, events))
        else:
            self.stream.write(self.line(count, events) + "\n")
        self.stream.flush()
        self.drawn = True

    def finish(self, count: int | None = None, events: int = 0) -> None:
        """End the bar, first redrawing it at the final count when one is given."""
        if count is not None and self.drawn:
            self.draw(count, events)
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
