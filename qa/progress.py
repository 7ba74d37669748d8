"""A one-line progress bar on standard error, drawn only when it is a terminal.

Written here with ``\\r`` rather than taken from a library: the core install has no progress
library (tqdm is not among qa's dependencies), the bar needs only a count, a rate and a time left,
and nothing at all is written when stderr is a pipe or a file, so logs and tests see only the
summary lines.

>>> import io
>>> bar = Progress("indexing", total=10, unit="documents", stream=io.StringIO())
>>> bar.enabled  # a StringIO is not a terminal
False
>>> bar.update(5); bar.close()
>>> bar.stream.getvalue()
''
>>> format_duration(75.3), format_duration(4.26), format_duration(3725)
('1 min 15 s', '4.3 s', '1 h 2 min')
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``4.3 s``, ``1 min 15 s``, ``1 h 2 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class Progress:
    """``label [#####-----] 512/1,024 documents, 3,801 passages, 240/s, 2.1 s left``, redrawn at most
    every `interval` seconds with ``\\r`` on `stream` (standard error), and cleared by `close`.

    `total` may be None (unknown): then no bar and no time left, only the counts and the rate.
    Disabled (nothing written) unless `stream` is a terminal, or `enabled` forces it.
    """

    WIDTH = 24

    def __init__(
        self,
        label: str,
        total: int | None = None,
        unit: str = "",
        *,
        stream=None,
        enabled: bool | None = None,
        interval: float = 0.1,
    ):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):
                enabled = False
        self.enabled = bool(enabled)
        self.label, self.total, self.unit, self.interval = label, total, unit, interval
        self.count = 0
        self.extra: dict[str, int] = {}
        self.start = time.monotonic()
        self._drawn = 0.0
        self._shown = False

    def update(self, n: int = 1, **extra: int) -> None:
        """Advance by `n`; `extra` counts (``passages=...``) are shown after the main count."""
        self.count += n
        self.extra.update(extra)
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn >= self.interval or (self.total is not None and self.count >= self.total):
            self._drawn = now
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The text of the bar as it would be drawn now."""
        elapsed = max((now or time.monotonic()) - self.start, 1e-9)
        rate = self.count / elapsed
        parts = []
        if self.total:
            done = min(self.count / self.total, 1.0)
            filled = int(done * self.WIDTH)
            parts.append(
                f"{self.label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] "
                f"{self.count:,}/{self.total:,} {self.unit}".rstrip()
            )
        else:
            parts.append(f"{self.label} {self.count:,} {self.unit}".rstrip())
        parts += [f"{v:,} {k}" for k, v in self.extra.items()]
        parts.append(f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s")
        if self.total and rate > 0 and self.count < self.total:
            parts.append(f"{format_duration((self.total - self.count) / rate)} left")
        else:
            parts.append(format_duration(elapsed))
        return ", ".join(parts)

    def _draw(self, now: float) -> None:
        try:
            self.stream.write("\r\x1b[K" + self.line(now))
            self.stream.flush()
            self._shown = True
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        """Erase the bar (the summary line that follows takes its place)."""
        if self.enabled and self._shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self._shown = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
