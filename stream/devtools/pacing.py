"""Pacing sends at a fixed rate (``produce --rate``, ``simulate --rate``, the bench)."""

from __future__ import annotations

import time


class Pacer:
    """Spaces sends evenly at ``rate`` per second (no pacing when rate is None)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        self.next_at += self.interval
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
