"""Logging that stays readable when the same thing happens thousands of times."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from typing import Any

# Distinct keys a Throttle remembers; beyond this it forgets the oldest.
MAX_KEYS = 256


class Throttle:
    """Logs a recurring message at most once per ``interval`` seconds per key.

    The next message logged for a key says how many were held back since the
    last one, so nothing happens unseen, but a flood costs one line a minute.
    """

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._last: dict[Hashable, tuple[float, int]] = {}

    def log(
        self, key: Hashable, level: int, message: str, *args: Any, exc_info: Any = None
    ) -> bool:
        """Log ``message % args`` unless ``key`` was logged within the interval.

        Returns:
            Whether the message was logged.
        """
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last[0] < self.interval:
            self._last[key] = (last[0], last[1] + 1)
            return False
        if last is not None and last[1]:
            message += " (%d more like it in the last %.0f s)"
            args = (*args, last[1], now - last[0])
        if key not in self._last and len(self._last) >= MAX_KEYS:
            del self._last[next(iter(self._last))]
        self._last[key] = (now, 0)
        self.logger.log(level, message, *args, exc_info=exc_info)
        return True
