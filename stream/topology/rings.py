"""Ring linking on Kafka: two internal topics, two agents, changelogged tables.

Seller state is partitioned by seller, but an identifier's sellers can live on
any partition, so Kafka brings them together:

1. ``judge-events`` (the seller's partition) hands what its events announce to
   :class:`RingSender`: announcements go to ``<app-id>-ring-identifiers``, one
   message per partition per batch, each identifier always to the partition
   its key hashes to; a seller's risk status goes to ``<app-id>-ring-updates``.
2. ``index-identifiers`` keeps, per identifier, the sellers seen with it
   (table ``ring-identifiers``, partitioned like its topic) and sends each
   changed :class:`~stream.rings.messages.Edge` to ``<app-id>-ring-updates``.
3. ``link-rings`` reads the one partition of ring updates: the worker that owns
   it keeps every ring (tables ``ring-edges``, ``ring-of``, ``rings``,
   ``ring-statuses``, ``ring-soft``, one partition each) and publishes ring
   alerts to the alerts topic.

Every table has a changelog: a restart or a rebalance recovers every ring and
its id. Both agents read one message at a time with Faust's ordinary agent:
the messages are few (a batch's worth each), and each is acknowledged only
after what it produced was handed to the producer (at-least-once; applying an
edge or an announcement twice changes nothing).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import faust
from faust.types import TP

from stream.logs import Throttle
from stream.pipeline.metrics import MonitorMetrics, Recount
from stream.pipeline.processor import Record, Source, dead_letter_record, encode, utc_now
from stream.rings import Announcement, IdentifierIndex, MemberStatus, RingBook
from stream.rings.messages import (
    RingMessageError,
    RingUpdates,
    decode_announcements,
    decode_updates,
    encode_announcements,
    encode_updates,
)
from stream.rules import CompiledRules
from stream.settings import Settings
from stream.topology.changelog import LocalStore, send_batches
from stream.topology.faust_patches import aiokafka_producer
from stream.topology.handover import Handover
from stream.topology.publisher import Publisher
from stream.topology.topics import internal_topic

logger = logging.getLogger(__name__)

# Lone identifiers (nearly every tracking number) are swept from the index
# once per this much event time, per partition.
SWEEP_EVERY_SECONDS = 3600
COUNT_EVERY_SECONDS = 10.0
DAY_SECONDS = 86_400


def identifier_partition(key: str, partitions: int) -> int:
    """The ring-identifiers partition of an identifier (stable across processes)."""
    return zlib.crc32(key.encode("utf-8")) % partitions


def ring_topic_names(settings: Settings) -> tuple[str, str]:
    """The two internal topics: identifiers (partitioned), updates (one partition)."""
    return f"{settings.app_id}-ring-identifiers", f"{settings.app_id}-ring-updates"


@dataclass
class RingTables:
    """The changelogged tables of ring linking."""

    identifiers: Any
    edges: Any
    ring_of: Any
    rings: Any
    statuses: Any
    soft_of: Any


def _table(app: faust.App, name: str, partitions: int) -> Any:
    return app.Table(name, key_type=bytes, value_type=bytes, partitions=partitions)


class RingSender:
    """What the judging agent's batches announce, grouped into few Kafka messages."""

    def __init__(self, partitions: int, metrics: MonitorMetrics) -> None:
        self.partitions = partitions
        self._announced = metrics.ring_messages.labels("announcements")
        self._statuses = metrics.ring_messages.labels("statuses")
        self._sent = {
            name: metrics.ring_kafka_messages.labels(name)
            for name in ("ring_identifiers", "ring_updates")
        }

    def records(self, items: list[Announcement | MemberStatus]) -> list[Record]:
        """One message per identifiers partition and one of statuses, for a batch."""
        groups: dict[int, list[Announcement]] = {}
        statuses: list[MemberStatus] = []
        for item in items:
            if isinstance(item, MemberStatus):
                statuses.append(item)
            else:
                partition = identifier_partition(item.key, self.partitions)
                groups.setdefault(partition, []).append(item)
        records = [
            Record("ring_identifiers", None, encode_announcements(group), partition)
            for partition, group in sorted(groups.items())
        ]
        if statuses:
            records.append(
                Record("ring_updates", None, encode_updates(RingUpdates([], statuses)), 0)
            )
        self._announced.inc(sum(len(g) for g in groups.values()))
        self._statuses.inc(len(statuses))
        for record in records:
            self._sent[record.topic].inc()
        return records


class RingAgents:
    """The bodies of ``index-identifiers`` and ``link-rings``."""

    def __init__(
        self,
        rules: CompiledRules,
        tables: RingTables,
        metrics: MonitorMetrics,
        clock: Callable[[], datetime] = utc_now,
        owns_rings: Callable[[], bool] = lambda: True,
        rebalances: Callable[[], int] = lambda: 0,
    ) -> None:
        self.policy = rules.config.rings
        self.index = IdentifierIndex(tables.identifiers, self.policy)  # a LocalStore on a worker
        self.book = RingBook(
            rules,
            tables.edges,
            tables.ring_of,
            tables.rings,
            tables.statuses,
            tables.soft_of,
            clock,
        )
        self.metrics = metrics
        self.clock = clock
        self.retention = int(rules.config.statistics.retention_days * DAY_SECONDS)
        self.swept: dict[int, int] = {}
        self.rebalances = rebalances
        self.rebalances_seen = rebalances()
        self._edges = metrics.ring_messages.labels("edges")
        self._sent = metrics.ring_kafka_messages.labels("ring_updates")
        self._failures = Throttle(logger, interval=60.0)

        # Only the owner reports: another worker may hold a standby copy of
        # the ring tables, and the dashboards sum over workers.
        self.owns_rings = owns_rings
        self._counts = Recount(self.book.counts, every=COUNT_EVERY_SECONDS)
        metrics.rings.set_function(lambda: self._count(0))
        metrics.large_rings.set_function(lambda: self._count(1))
        metrics.supernodes.set_function(lambda: self._count(2))

    def _count(self, which: int) -> float:
        """Live rings, large rings or super-nodes (0 unless this worker owns the rings).

        Counting reads every ring and edge: at most once per COUNT_EVERY_SECONDS,
        however often /metrics is scraped (the bench scrapes 10 times a second).
        """
        if not self.owns_rings():
            return 0
        return float(self._counts()[which])

    def _dead_letter(self, stream: str, source: Source, raw: bytes | None, error: str) -> Record:
        self.metrics.dead_letters.labels(stream, "invalid").inc()
        return dead_letter_record(source, error, raw, self.clock())[1]

    def _failed(self, stream: str, source: Source, raw: bytes | None, exc: Exception) -> Record:
        self._failures.log(
            type(exc).__name__,
            logging.ERROR,
            "failed on %s[%d]@%d (%s); it went to the dead-letter topic",
            source.topic,
            source.partition,
            source.offset,
            type(exc).__name__,
            exc_info=exc,
        )
        self.metrics.dead_letters.labels(stream, "processing_error").inc()
        error = (
            f"the monitor failed on this ring message ({type(exc).__name__}: {exc}); "
            "this is a bug in the monitor: please report it with this dead letter"
        )
        return dead_letter_record(source, error, raw, self.clock(), "processing_error")[1]

    def on_announcements(self, raw: bytes | None, source: Source) -> list[Record]:
        """One ring-identifiers message: the edges it changes (never raises)."""
        try:
            announcements = decode_announcements(raw)
        except RingMessageError as exc:
            return [
                self._dead_letter("ring_identifiers", source, raw, f"ring announcements: {exc}")
            ]
        try:
            edges = [
                edge
                for edge in (self.index.add(a, source.partition) for a in announcements)
                if edge is not None
            ]
            self._sweep(announcements, source.partition)
        except Exception as exc:  # a bug must cost one message, never the worker
            return [self._failed("ring_identifiers", source, raw, exc)]
        if not edges:
            return []
        self._edges.inc(len(edges))
        self._sent.inc()
        return [Record("ring_updates", None, encode_updates(RingUpdates(edges, [])), 0)]

    def _sweep(self, announcements: list[Announcement], partition: int) -> None:
        if self.rebalances() != self.rebalances_seen:
            self.rebalances_seen = self.rebalances()
            self.index.forget_expiry_order()
        latest = max((a.at for a in announcements), default=0)
        last = self.swept.setdefault(partition, latest)
        if latest - last >= SWEEP_EVERY_SECONDS:
            self.swept[partition] = latest
            self.index.expire(latest, self.retention, partition)

    def on_updates(self, raw: bytes | None, source: Source) -> list[Record]:
        """One ring-updates message: the ring alerts it causes (never raises)."""
        try:
            updates = decode_updates(raw)
        except RingMessageError as exc:
            return [self._dead_letter("ring_updates", source, raw, f"ring updates: {exc}")]
        try:
            alerts = []
            for edge in updates.edges:
                alerts.extend(self.book.apply_edge(edge))
            for status in updates.statuses:
                alerts.extend(self.book.apply_status(status))
        except Exception as exc:
            return [self._failed("ring_updates", source, raw, exc)]
        for alert in alerts:
            self.metrics.alerts.labels(alert.level, alert.severity).inc()
        return [Record("alerts", a.seller_id.encode("utf-8"), encode(a)) for a in alerts]


# The tables each ring agent writes. Each agent sends only its own tables'
# changes, to the partition of the message it applied: the index table is
# partitioned like ring-identifiers, the book's tables have the one partition
# of ring-updates. (With one list for both, an agent sent the other's changes
# while that one awaited a send: to a partition the changelog lacks, which
# crashed the agent and lost the edges of the message it was applying.)
INDEX_TABLES = ("identifiers",)
BOOK_TABLES = ("edges", "ring_of", "rings", "statuses", "soft_of")

# A table's local store and its changelog topic.
Changelogged = tuple[LocalStore, str]


class RingStep:
    """One ring agent's loop: apply each message, send its tables' changes, publish.

    Args:
        handle: :meth:`RingAgents.on_announcements` or :meth:`RingAgents.on_updates`.
        changelogs: The stores this agent writes, with their changelog topics.
        producer: The aiokafka producer (looked up when first needed).
        publisher: Hands the records ``handle`` returns to the producer.
        handover: Skips messages handed over or delivered twice.
    """

    def __init__(
        self,
        handle: Callable[[bytes | None, Source], list[Record]],
        changelogs: list[Changelogged],
        producer: Callable[[], Any],
        publisher: Publisher,
        handover: Handover,
    ) -> None:
        self.handle = handle
        self.changelogs = changelogs
        self.producer = producer
        self.publisher = publisher
        self.handover = handover

    async def run(self, events: AsyncIterator[Any]) -> None:
        """Apply every event of the agent's stream."""
        async for event in events:
            if not self.handover.not_yet_judged([event]):
                continue  # handed over meanwhile (its next reader applies it), or a repeat
            message = event.message
            source = Source(message.topic, message.partition, message.offset, message.key)
            records = self.handle(event.value, source)
            # What a message causes goes to the producer before its table
            # changes: a replay after a crash then finds the tables without the
            # changes and causes it again (an edge, or an alert with the same
            # id), rather than finding them changed and causing nothing.
            await self.publisher.publish(records)
            for store, changelog in self.changelogs:
                changes = store.drain()
                if changes:
                    await send_batches(
                        self.producer(),
                        changelog,
                        ((message.partition, key, value) for key, value in changes.items()),
                    )


def ring_topics(app: faust.App, settings: Settings) -> dict[str, Any]:
    """The two internal ring topics, by record topic (Faust creates them at start)."""
    identifiers_name, updates_name = ring_topic_names(settings)
    return {
        "ring_identifiers": internal_topic(app, identifiers_name, settings.topic_partitions),
        "ring_updates": internal_topic(app, updates_name, 1),
    }


def wire_rings(
    app: faust.App,
    settings: Settings,
    rules: CompiledRules,
    metrics: MonitorMetrics,
    topics: dict[str, Any],
    publisher: Publisher,
    handover: Handover,
) -> tuple[RingSender, RingAgents]:
    """Add the ring tables and agents to ``app``.

    Args:
        app: The Faust app.
        settings: Runtime configuration (partitions).
        rules: The compiled rules (``[rings]``).
        metrics: Where ring messages and rings are counted.
        topics: :func:`ring_topics`.
        publisher: Hands records to the producer (knows the ring topics).
        handover: Guards rebalances (the ring topics are among its inputs).
    """
    partitions = settings.topic_partitions
    # Every ring table writes its local store and sends its changelog records
    # in batches after each message (see stream.topology.changelog): the index
    # writes nearly one entry per order, and a merge or a shared return address
    # rewrites dozens of entries at once, which through Faust's table API
    # filled its producer buffer and paused every agent for ~0.5 s.
    faust_tables = {
        "identifiers": _table(app, "ring-identifiers", partitions),
        "edges": _table(app, "ring-edges", 1),
        "ring_of": _table(app, "ring-of", 1),
        "rings": _table(app, "rings", 1),
        "statuses": _table(app, "ring-statuses", 1),
        "soft_of": _table(app, "ring-soft", 1),
    }
    stores = {name: LocalStore(table) for name, table in faust_tables.items()}

    def changelogs(names: tuple[str, ...]) -> list[Changelogged]:
        return [
            (stores[name], faust_tables[name].changelog_topic.get_topic_name()) for name in names
        ]

    tables = RingTables(**stores)
    rings_changelog = TP(faust_tables["rings"].changelog_topic.get_topic_name(), 0)
    agents = RingAgents(
        rules,
        tables,
        metrics,
        owns_rings=lambda: rings_changelog in app.assignor.assigned_actives(),
        rebalances=lambda: app.rebalancing_count,
    )
    sender = RingSender(partitions, metrics)

    def producer() -> Any:
        return aiokafka_producer(app)

    index_step = RingStep(
        agents.on_announcements, changelogs(INDEX_TABLES), producer, publisher, handover
    )
    book_step = RingStep(agents.on_updates, changelogs(BOOK_TABLES), producer, publisher, handover)

    async def index_identifiers(stream: Any) -> None:
        await index_step.run(stream.events())

    async def link_rings(stream: Any) -> None:
        await book_step.run(stream.events())

    index_identifiers.__qualname__ = "index-identifiers"
    link_rings.__qualname__ = "link-rings"
    app.agent(topics["ring_identifiers"], name="index-identifiers", concurrency=1)(
        index_identifiers
    )
    app.agent(topics["ring_updates"], name="link-rings", concurrency=1)(link_rings)
    return sender, agents
