"""What a broker outage looks like in the worker's log: when it began, that it lasts, when it ended.

The Kafka client logs an error or warning for every retry of every connection,
fetch, produce and heartbeat: a 20 s outage wrote 3,501 lines in 40 s, which
buries the one fact an operator needs. :class:`KafkaClientLog` (a logging
filter on the worker's handlers) turns the client's connection complaints
into

* one warning when the first one arrives ("lost the connection to Kafka"),
* a reminder a minute while it lasts, with how many were held back,
* one line when the broker answers again (:meth:`KafkaClientLog.reachable`,
  called by the worker's probe), with how long it lasted;

and lets the client's other warnings through at most once a minute each.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Words in the Kafka client's messages that mean "the broker cannot be reached".
CONNECTION_SIGNS = (
    "Unable connect to node",
    "Unable to update metadata",
    "Connect call failed",
    "NodeNotReadyError",
    "KafkaConnectionError",
    "Connection at",
    "coordinator dead",
    "Heartbeat session expired",
    "is either not started or not valid",
    "RequestTimedOutError",
    "KafkaTimeoutError",
)
CLIENT_LOGGERS = ("aiokafka", "kafka")
MAX_TEMPLATES = 256  # distinct other warnings remembered for throttling


class KafkaClientLog(logging.Filter):
    """A logging filter that collapses the Kafka client's retry noise (see the module)."""

    def __init__(
        self,
        reminder_interval: float = 60.0,
        quiet: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.reminder_interval = reminder_interval
        self.quiet = quiet
        self.clock = clock
        self.began: float | None = None  # when the outage began (clock time)
        self.last_complaint = 0.0
        self.held_back = 0
        self._last_reminder = 0.0
        self._others: dict[tuple[str, str], tuple[float, int]] = {}
        # the record decided last: several handlers ask about the same record
        self._last_record: tuple[logging.LogRecord, bool] | None = None

    @property
    def in_outage(self) -> bool:
        """Whether the broker is thought unreachable."""
        return self.began is not None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(CLIENT_LOGGERS):
            return True
        if self._last_record is not None and self._last_record[0] is record:
            return self._last_record[1]
        keep = self._decide(record)
        self._last_record = (record, keep)
        return keep

    def _decide(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        now = self.clock()
        if not any(sign in message for sign in CONNECTION_SIGNS):
            return self._other(record, now)
        self.last_complaint = now
        if self.began is None:
            self.began = self._last_reminder = now
            self.held_back = 0
            logger.warning(
                "lost the connection to Kafka (%s); retrying. The Kafka client's further "
                "complaints are held back until it answers again",
                message.strip()[:300],
            )
            return False
        self.held_back += 1
        if now - self._last_reminder >= self.reminder_interval:
            self._last_reminder = now
            logger.warning(
                "Kafka still unreachable after %.0f s (%d client errors held back)",
                now - self.began,
                self.held_back,
            )
        return False

    def _other(self, record: logging.LogRecord, now: float) -> bool:
        """Any other client warning: at most once per ``reminder_interval`` per message."""
        key = (record.name, str(record.msg))
        seen = self._others.get(key)
        if seen is not None and now - seen[0] < self.reminder_interval:
            self._others[key] = (seen[0], seen[1] + 1)
            return False
        if seen is not None and seen[1]:
            record.msg = f"{record.msg} (and {seen[1]} more like it in {now - seen[0]:.0f} s)"
        if key not in self._others and len(self._others) >= MAX_TEMPLATES:
            del self._others[next(iter(self._others))]
        self._others[key] = (now, 0)
        return True

    def reachable(self) -> None:
        """The broker answered: end the outage, saying how long it lasted.

        Only once the client has stopped complaining for ``quiet`` seconds: a
        broker that just came back takes a moment to serve every request.
        """
        now = self.clock()
        if self.began is None or now - self.last_complaint < self.quiet:
            return
        lasted = now - self.began
        logger.warning(
            "Kafka reachable again after %.1f s (%d client errors held back)",
            lasted,
            self.held_back,
        )
        self.began = None

    def install(self, root: logging.Logger) -> None:
        """Filter every handler of ``root`` (the worker's log handlers)."""
        for handler in root.handlers:
            if self not in handler.filters:
                handler.addFilter(self)
