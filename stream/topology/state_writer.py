"""Writing changed seller states and learned reference prices to their tables.

Seller states live in a changelogged Faust table, one compact value per
seller. Every ``commit_interval`` the writer drains the store's changed states
straight into the local table store and, through the producer, into the
changelog in a few large batches, then commits: through Faust's table API
each state would be one buffered send, and a thousand of them stall message
delivery at each commit (p50 latency ~1.1 s at 2,000 events/s: see the README);
writing each changed seller once per interval rather than more often keeps
encoding cheap (measured: +16% events/s against every 0.5 s).

Faust also calls :meth:`StateWriter.flush` right before it flushes its
producer and commits on its own: every commit then covers the state of every
event it commits (a crash replays events, never loses state).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from stream.logs import Throttle
from stream.pipeline.metrics import MonitorMetrics
from stream.stats.reference import ReferenceBook
from stream.stats.store import CachedSellerStore
from stream.topology.changelog import send_batches
from stream.topology.faust_patches import event_context
from stream.topology.handover import commit_now

logger = logging.getLogger(__name__)

EventContext = Callable[[], AbstractContextManager[Callable[[Any], None]]]


class StateWriter:
    """Writes the seller store's changes and the reference sketches to their tables.

    Args:
        store: The seller store whose changed states are written.
        seller_table: The changelogged table of seller states.
        reference_table: The changelogged table of reference sketches.
        references: The learned reference prices.
        metrics: Where written states are counted.
        producer: Faust's producer (it knows the changelog's partitioner).
        client: The aiokafka producer under it (batch sends, metadata).
        context: Enters a Faust event's context for table writes
            (:func:`stream.topology.faust_patches.event_context`).
    """

    def __init__(
        self,
        store: CachedSellerStore,
        seller_table: Any,
        reference_table: Any,
        references: ReferenceBook,
        metrics: MonitorMetrics,
        producer: Callable[[], Any],
        client: Callable[[], Any],
        context: EventContext = event_context,
    ) -> None:
        self.store = store
        self.seller_table = seller_table
        self.reference_table = reference_table
        self.references = references
        self.metrics = metrics
        self.producer = producer
        self.client = client
        self.context = context
        self.changelog: str = seller_table.changelog_topic.get_topic_name()
        self.reference_changelog: str = reference_table.changelog_topic.get_topic_name()
        self._unknown = Throttle(logger, interval=60.0)
        # Table stores that keep one database per partition (RocksDB) write in
        # the context of an event of that partition: the latest of each.
        self.latest_event: dict[int, Any] = {}
        # One write at a time: a write still in flight when partitions are
        # handed over would otherwise reach the changelog after the new owner's.
        self.lock = asyncio.Lock()

    def saw(self, partition: int, event: Any) -> None:
        """Remember the latest event of a partition (called for every event judged)."""
        self.latest_event[partition] = event

    def restore_references(self) -> None:
        """Load the learned reference sketches from their (recovered) table."""
        for key, raw in self.reference_table.items():
            try:
                self.references.restore(key, raw)
            except Exception as exc:  # not a sketch: learn that pair afresh
                logger.warning(
                    "ignored an unreadable reference sketch in the table (%s: %s)",
                    type(exc).__name__,
                    exc,
                )

    def flush(self) -> None:
        """Write changed seller states and reference sketches through the tables' API.

        Runs as a commit begins; most commits find (almost) nothing left to
        write here, since :meth:`write_and_commit` wrote it already.
        """
        if not self.store.dirty and not self.references.dirty:
            return
        # Faust's table API picks the changelog partition from the producer's
        # metadata and raises (crashing the app) when that topic is unknown
        # there: then the changes wait for the next write (write_and_commit
        # fetches the metadata first).
        unknown = [t for t in (self.changelog, self.reference_changelog) if not self._known(t)]
        if unknown:
            self._unknown.log(
                tuple(unknown),
                logging.WARNING,
                "no producer metadata for %s yet: seller states and sketches wait for "
                "the next write",
                ", ".join(unknown),
            )
            return
        with self.context() as enter:

            def enter_partition(partition: int) -> None:
                enter(self.latest_event[partition])

            states, size = self.store.flush(enter_partition)
            self.metrics.state_writes.inc(states)
            self.metrics.state_bytes.inc(size)
            # a partition's learned prices go to the same partition of the changelog,
            # and move with it (see stream/stats/reference.py)
            for partition, key, raw in self.references.changes():
                if partition not in self.latest_event:  # no context to write it in yet
                    self.references.dirty.add(self.references.parse_table_key(key))
                    continue
                enter_partition(partition)
                self.reference_table.data[key] = raw  # the local store
                self.reference_table.send_changelog(partition, key, raw)

    async def write(self) -> int:
        """Write the changed seller states: the local store, then the changelog in batches.

        Returns:
            The number of states written.
        """
        items = self.store.drain()
        with self.context() as enter:
            for partition, key, value in items:
                enter(self.latest_event[partition])
                self.seller_table.data[key] = value  # the local store only
        # The changelog records go out as a few large batches (aiokafka's
        # batch API), partitioned by key like Faust's own table writes.
        producer = self.producer()
        await send_batches(
            self.client(),
            self.changelog,
            (
                (producer.key_partition(self.changelog, key).partition, key, value)
                for _, key, value in items
            ),
        )
        self.metrics.state_writes.inc(len(items))
        self.metrics.state_bytes.inc(sum(len(value) for _, _, value in items))
        return len(items)

    def _known(self, topic: str) -> bool:
        """Whether the producer knows the partitions of ``topic``."""
        return self.client().client.cluster.partitions_for_topic(topic) is not None

    async def write_and_commit(self, consumer: Any) -> None:
        """Write the changed states, then commit every acknowledged offset.

        The commit also writes the learned sketches through the table API
        (:meth:`flush`), which needs the producer's metadata of their changelog:
        it is fetched first. Without it (the broker does not answer) nothing is
        committed this time; the next call tries again.
        """
        async with self.lock:
            try:
                for topic in (self.changelog, self.reference_changelog):
                    await self.client().partitions_for(topic)
            except Exception as exc:  # a timer that raises would stop the worker
                self._unknown.log(
                    type(exc).__name__,
                    logging.WARNING,
                    "no producer metadata for the state changelogs (%s: %s); committing later",
                    type(exc).__name__,
                    exc,
                )
                return
            if self.store.dirty:
                await self.write()
            await commit_now(consumer)
