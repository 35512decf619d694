"""Every use of a Faust or aiokafka private attribute, in one place.

Each is one of the few things the public APIs do not offer, with its reason
where it is used. :func:`check_private_api` looks every one of them up when the
app is built, so a Faust or aiokafka release that moves one stops the worker at
start-up with a message naming it, instead of misbehaving under load. (The
consumer methods that :class:`stream.topology.handover.Handover` wraps are
public; it checks them itself when it installs.)
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import faust
from faust.sensors import Monitor as FaustMonitor

logger = logging.getLogger(__name__)

# How long the broker may hold a fetch request that finds no new data. Faust
# builds its aiokafka consumer with 1,500 ms and no setting to change it; see
# ``shorten_fetch_wait``.
FETCH_MAX_WAIT_MS = 100

PINNED = "the monitor is tested with faust-streaming 0.15.3 and aiokafka 0.14.0"


def check_private_api() -> None:
    """Look up every private attribute the monitor uses; raise naming any that moved.

    Raises:
        RuntimeError: when this Faust or aiokafka release lacks one of them.
    """
    missing: list[str] = []
    try:
        current = _current_event_var()
        if not isinstance(current, contextvars.ContextVar):
            missing.append("faust.streams._current_event (a ContextVar)")
    except ImportError:
        missing.append("faust.streams._current_event")
    from faust.transport.drivers import aiokafka as driver

    if not hasattr(driver.Producer, "_ensure_producer"):
        missing.append("faust Producer._ensure_producer")
    if "_consumer" not in inspect.getsource(driver.AIOKafkaConsumerThread):
        missing.append("faust AIOKafkaConsumerThread._consumer")
    from aiokafka.consumer.fetcher import Fetcher

    if "_fetch_max_wait_ms" not in inspect.getsource(Fetcher.__init__):
        missing.append("aiokafka Fetcher._fetch_max_wait_ms")
    if not hasattr(FaustMonitor, "on_commit_initiated"):
        missing.append("faust Monitor.on_commit_initiated")
    if missing:
        raise RuntimeError(
            "this Faust or aiokafka release moved what the monitor relies on: "
            + ", ".join(missing)
            + f"; {PINNED}"
        )


def _current_event_var() -> Any:
    from faust.streams import _current_event

    return _current_event


class FlushingMonitor(FaustMonitor):
    """Faust's monitor sensor that also runs ``before_commit`` as a commit begins.

    It replaces the default monitor rather than joining it as a second
    sensor: Faust calls every sensor several times per event, and a second
    one costs a few microseconds on each.
    """

    before_commit: Callable[[], None] | None = None

    def on_commit_initiated(self, consumer: Any) -> Any:
        if self.before_commit is not None:
            self.before_commit()
        return super().on_commit_initiated(consumer)


@contextmanager
def event_context() -> Iterator[Callable[[Any], None]]:
    """Write to tables as if inside the context of a given Faust event.

    Table stores that keep one database per partition (RocksDB) pick it from
    the event being processed; the monitor writes states between events, so it
    sets that event itself. Yields a function that enters an event's context;
    the previous context is restored on exit.
    """
    current = _current_event_var()
    token = current.set(None)
    try:
        yield lambda event: current.set(weakref.ref(event))
    finally:
        current.reset(token)


def aiokafka_producer(app: faust.App) -> Any:
    """The aiokafka producer under Faust's (for batch sends and metadata)."""
    return cast(Any, app.producer)._ensure_producer()


def shorten_fetch_wait(app: faust.App, wait_ms: int = FETCH_MAX_WAIT_MS) -> None:
    """Cap the broker's wait on an empty fetch at ``wait_ms`` once the consumer runs.

    aiokafka sends one fetch request per broker at a time, and while the
    records of the input partitions wait for the agent, the request it sends
    covers only the worker's idle partitions (Faust's assignor topic, the
    changelogs). The broker holds such a request for the whole fetch wait, so
    the inputs could be fetched again only 1.5 s later, and that backlog made
    the next wait: after one burst of input, alerts came ~1.1 s late for good
    (measured at 2,000 events/s). aiokafka reads the wait from its fetcher on
    every request, so it is set there.
    """

    async def set_wait(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        aiokafka_consumer = getattr(getattr(app.consumer, "_thread", None), "_consumer", None)
        fetcher = getattr(aiokafka_consumer, "_fetcher", None)
        if fetcher is not None and hasattr(fetcher, "_fetch_max_wait_ms"):
            fetcher._fetch_max_wait_ms = wait_ms
        else:  # a Faust or aiokafka release that moved it: say so rather than stall
            logger.warning(
                "could not shorten the fetch wait to %d ms (Faust or aiokafka changed); "
                "alerts may lag by up to 1.5 s after a burst of input",
                wait_ms,
            )

    # Faust types the receiver more narrowly than the signal calls it.
    app.on_partitions_assigned.connect(cast(Any, set_wait))
