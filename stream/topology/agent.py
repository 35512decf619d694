"""The one agent, ``judge-events``: batches of input events in, records out.

Events are judged in small batches: Faust acknowledges a batch once the loop
is done with it (so a crash replays it, never skips it), and judging a run of
events back to back costs ~25% less per event than interleaving each one with
the framework's own work. Nothing in the loop raises: Faust would restart a
crashed agent, but the restarted one reads nothing (seen with a message too
large to send).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any

from stream.pipeline.metrics import LATENCY_LEVELS
from stream.pipeline.processor import EventProcessor, Outcome, Record, Source, StreamKind
from stream.rings.messages import Announcement, MemberStatus
from stream.stats.store import CachedSellerStore
from stream.topology.handover import Handover
from stream.topology.publisher import Publisher
from stream.topology.reference_feed import ReferenceFeed
from stream.topology.state_writer import StateWriter

log = logging.getLogger(__name__)


class JudgeAgent:
    """Judges batches of Faust events and publishes what they produce.

    Args:
        processor: The judging pipeline.
        streams: Input topic name to the stream it carries.
        rerouted: The topics of events forwarded by seller_id (see
            ``EventProcessor.reroute``) to the stream each carries; judged, never
            forwarded again.
        store: The seller store (told which partition each event is of).
        writer: The state writer (told the latest event of each partition).
        handover: Guards rebalances: which events may be judged now.
        publisher: Hands the records of a batch to the producer.
        ring_records: The records of what a batch announces for ring linking
            (:class:`stream.topology.rings.RingSender`); None: rings are off.
        clock: The current Unix time (alert latency is measured against it).
        reference_feed: The other partitions' learned reference prices
            (:class:`stream.topology.reference_feed.ReferenceFeed`); None: this
            worker's own only.
        owned_partitions: The input partitions assigned to this worker now.
        feed_wait: Seconds the first batch waits for the feed to have read the
            contributions that existed at start (then judging goes on without).
    """

    def __init__(
        self,
        processor: EventProcessor,
        streams: Mapping[str, StreamKind],
        store: CachedSellerStore,
        writer: StateWriter,
        handover: Handover,
        publisher: Publisher,
        ring_records: Callable[[list[Announcement | MemberStatus]], list[Record]] | None = None,
        clock: Callable[[], float] = time.time,
        rerouted: Mapping[str, StreamKind] | None = None,
        reference_feed: ReferenceFeed | None = None,
        owned_partitions: Callable[[], set[int]] = set,
        feed_wait: float = 30.0,
    ) -> None:
        self.processor = processor
        self.references = processor.detector.references
        self.reference_feed = reference_feed
        self.owned_partitions = owned_partitions
        self.feed_wait = feed_wait
        self.ring_records = ring_records
        self.streams = {**streams, **(rerouted or {})}
        self._kinds = len(set(self.streams.values()))
        self.handlers: dict[str, Callable[[bytes | None, Source], Outcome]] = {
            topic: processor.on_listing if kind == "listings" else processor.on_order
            for topic, kind in streams.items()
        }
        for topic, kind in (rerouted or {}).items():
            self.handlers[topic] = (
                processor.on_rerouted_listing if kind == "listings" else processor.on_rerouted_order
            )
        self.store = store
        self.writer = writer
        self.handover = handover
        self.publisher = publisher
        self.references_restored = False
        self.clock = clock
        # Kafka timestamp of the last judged event, per stream (for the lag in seconds)
        self.last_judged: dict[str, float] = {}
        self._latency = {
            level: processor.metrics.alert_latency.labels(level) for level in LATENCY_LEVELS
        }
        # (level, Kafka timestamp) of each alert of the batch being judged
        self._alerted: list[tuple[str, float]] = []

    def forget(self) -> None:
        """Partitions moved: the tables, once recovered, are the truth again."""
        self.store.forget()
        self.references_restored = False

    async def _wait_for_feed(self) -> None:
        """Let the feed read what the other partitions had learned, once (a few seconds
        at most: the changelog is compacted)."""
        feed = self.reference_feed
        if feed is None or feed.caught_up.is_set():
            return
        deadline = time.monotonic() + self.feed_wait
        while not feed.caught_up.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if not feed.caught_up.is_set():
            log.warning(
                "the other partitions' reference prices were not read within %g s; judging "
                "goes on with what was read, the rest follows",
                self.feed_wait,
            )

    def read_other_contributions(self) -> int:
        """Take in what the feed read of partitions this worker does not own; the count."""
        if self.reference_feed is None:
            return 0
        read = self.reference_feed.drain()
        if not read:
            return 0
        owned = self.owned_partitions()
        taken = 0
        for partition, key, raw in read:
            if partition in owned:
                continue
            try:
                self.references.restore(key, raw)
            except Exception as exc:  # not a sketch: keep judging with the others
                log.warning(
                    "ignored an unreadable reference contribution of partition %d (%s: %s)",
                    partition,
                    type(exc).__name__,
                    exc,
                )
                continue
            taken += 1
        self.processor.metrics.reference_contributions_read.inc(taken)
        return taken

    def judge(self, batch: list[Any]) -> list[Record]:
        """Judge a batch in memory: the records to publish for it (never raises).

        No await in here: a commit, which writes the seller states, happens
        between batches or while one is being published, never halfway
        through judging one.
        """
        records: list[Record] = []
        ring: list[Announcement | MemberStatus] = []
        seen: set[str] = set()
        for event in batch:
            message = event.message
            self.writer.saw(message.partition, event)
            self.store.partition = message.partition
            self.references.partition = message.partition
            source = Source(message.topic, message.partition, message.offset, message.key)
            try:
                outcome = self.handlers[message.topic](event.value, source)
            except Exception as exc:  # the processor contains its own errors: a last resort
                outcome = self.processor.failed(
                    self.streams[message.topic], source, event.value, exc
                )
            records.extend(outcome.records)
            ring.extend(outcome.ring)
            for alert in outcome.alerts:
                self._alerted.append((alert.level, message.timestamp))
        if batch:
            for event in reversed(batch):  # the last event of each stream in the batch
                stream = self.streams[event.message.topic]
                if stream not in seen:
                    seen.add(stream)
                    self.last_judged[stream] = event.message.timestamp
                    if len(seen) == self._kinds:
                        break
        if ring and self.ring_records is not None:
            records.extend(self.ring_records(ring))
        return records

    async def run(self, batches: AsyncIterable[list[Any]]) -> None:
        """Judge and publish every batch (Faust's ``take_events`` of the input stream)."""
        async for batch in batches:
            if not self.references_restored:
                await self._wait_for_feed()  # before the filter: a rebalance may come meanwhile
            # Not while partitions are handed over, nor an event judged already.
            batch = self.handover.not_yet_judged(batch)
            if not batch:
                continue
            if not self.references_restored:  # the tables are recovered before the first event
                self.writer.restore_references()
                self.references_restored = True
            self.read_other_contributions()
            self.handover.idle.clear()
            try:
                await self.publisher.publish(self.judge(batch))
                self._observe_latency()
            finally:
                self.handover.idle.set()

    def _observe_latency(self) -> None:
        """The batch's alerts were handed to the producer: how long after their input."""
        if not self._alerted:
            return
        now = self.clock()
        for level, timestamp in self._alerted:
            histogram = self._latency.get(level)
            if histogram is not None:
                histogram.observe(max(0.0, now - timestamp))
        self._alerted.clear()
