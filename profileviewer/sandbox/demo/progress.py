"""A progress bar for long seeds: count/total, rate and ETA, on stderr.

On a terminal it redraws one line with `\\r`; in a log (not a TTY) it writes a full line
now and then, so CI output stays readable. Nothing is drawn for a run that finishes within
`quiet_seconds` or by its first report: the command's summary line is enough there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO

from django.core.management.base import OutputWrapper


def _plain(text: str) -> str:
    return text


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


class ProgressBar:
    """A `seed(progress=...)` callback: (profiles done, profiles, events done, events)."""

    def __init__(
        self,
        stream: IO[str] | OutputWrapper,
        *,
        width: int = 30,
        quiet_seconds: float = 1.0,
        line_every_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.width = width
        self.quiet_seconds = quiet_seconds
        self.line_every_seconds = line_every_seconds
        self.clock = clock
        self.started = clock()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        # A management command's OutputWrapper ends every write with a newline unless told
        # otherwise, which would defeat the carriage-return redraw.
        self.drawn = False
        self.last_line = self.started

    def render(self, done: int, total: int, events: int, total_events: int) -> str:
        # Progress and ETA go by events: profiles differ a hundredfold in size.
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = events / elapsed
        fraction = events / total_events if total_events else 1.0
        filled = int(self.width * min(fraction, 1.0))
        bar = "#" * filled + "-" * (self.width - filled)
        eta = _duration((total_events - events) / rate) if rate > 0 else "?"
        return (
            f"[{bar}] {events:,}/{total_events:,} events, {done:,}/{total:,} profiles, "
            f"{rate:,.0f} events/s, ETA {eta}"
        )

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            # A command's OutputWrapper ends every write with a newline unless told not to,
            # which would defeat the carriage-return redraw.
            # Its stderr also paints everything red on a terminal: keep the bar plain.
            self.stream.write(text, style_func=_plain, ending="")
        else:
            self.stream.write(text)

    def __call__(self, done: int, total: int, events: int, total_events: int) -> None:
        now = self.clock()
        finished = done >= total
        if not self.drawn and (finished or now - self.started < self.quiet_seconds):
            # Quick runs show no bar at all: the command's summary line says it all.
            return
        if self.tty:
            self._write(
                "\r" + self.render(done, total, events, total_events) + ("\n" if finished else "")
            )
        elif finished or not self.drawn or now - self.last_line >= self.line_every_seconds:
            self._write(self.render(done, total, events, total_events) + "\n")
            self.last_line = now
        else:
            return
        self.drawn = True
        self.stream.flush()
