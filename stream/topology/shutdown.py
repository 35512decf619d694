"""A stop that always ends: SIGTERM exits within a bound, whatever the worker is doing.

Faust stops a worker by waiting for every message in flight to be acknowledged,
then flushing and committing. If an agent is stuck (a broker that does not
answer, a bug), that wait has no end: an operator's SIGTERM hung for minutes.
The watchdog armed when stopping begins ends the process after
``LISTING_MONITOR_SHUTDOWN_TIMEOUT`` seconds. Nothing is lost by it: offsets
not committed by then are simply read again by the next worker.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import faust

from stream.topology.outage import KafkaClientLog

logger = logging.getLogger(__name__)

EXIT_CODE = 75  # EX_TEMPFAIL: stopped, but not cleanly; the next start resumes


class ShutdownWatchdog:
    """Ends the process ``timeout`` seconds after :meth:`arm` unless it ends first."""

    def __init__(self, timeout: float, exit: Callable[[int], Any] = os._exit) -> None:
        self.timeout = timeout
        self._exit = exit
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        """Start counting (once; later calls change nothing)."""
        if self._timer is None:
            self._timer = threading.Timer(self.timeout, self._expire)
            self._timer.daemon = True  # a clean exit does not wait for it
            self._timer.start()

    def disarm(self) -> None:
        """Stop counting (tests)."""
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        logger.critical(
            "the worker did not stop within %g s of being asked to; exiting now "
            "(events not yet committed will be judged again by the next worker)",
            self.timeout,
        )
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):  # exiting anyway
                handler.flush()
        self._exit(EXIT_CODE)


class BoundedWorker(faust.Worker):
    """Faust's worker, with a :class:`ShutdownWatchdog` armed as soon as it starts stopping.

    Args:
        app: The Faust app to run.
        shutdown_timeout: Seconds the stop may take.
        log_filter: Installed on the worker's log handlers once they exist
            (:class:`stream.topology.outage.KafkaClientLog`).
    """

    def __init__(
        self,
        app: faust.App,
        *,
        shutdown_timeout: float,
        log_filter: KafkaClientLog | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.watchdog = ShutdownWatchdog(shutdown_timeout)
        self.log_filter = log_filter

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        super().on_setup_root_logger(logger, level)
        if self.log_filter is not None:
            self.log_filter.install(logger)

    async def on_stop(self) -> None:
        self.watchdog.arm()
        await super().on_stop()
