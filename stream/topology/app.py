"""The topology: the Faust app, its topics, agents and web views, in one place.

``create_app(settings)`` builds everything; importing this module has no side
effects. One agent, ``judge-events``, reads both input topics in small batches,
hands raw bytes to :class:`stream.pipeline.processor.EventProcessor` and publishes what it
returns. A timer, ``write-states-and-commit``, writes the changed seller states to
their changelogged table and then commits; a hook in Faust's monitor sensor writes
whatever changed since (and the reference sketches) before any commit.

Delivery is at-least-once: Faust flushes the producer before it commits input
offsets, so an alert or dead letter is never lost, and a replayed event yields
an alert with the same deterministic ``alert_id``. Around rebalances and stops
:class:`stream.topology.handover.Handover` guards Faust's consumer so that only judged
events are committed and none is judged twice. The agent runs with
``concurrency=1``, since higher concurrency can commit past messages still in
flight.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import faust
from faust.sensors import Monitor as FaustMonitor
from faust.streams import _current_event
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from stream.logs import Throttle
from stream.pipeline.limits import MAX_MESSAGE_BYTES, Limits
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor, Origin, Outcome, Record, StreamKind
from stream.rules import CompiledRules, RulesConfig, load_rules
from stream.settings import Settings
from stream.stats.store import CachedSellerStore
from stream.topology.handover import Handover, commit_now
from stream.topology.outage import KafkaClientLog

# Faust's own commit timer stays on as a fallback only: the monitor commits
# right after writing the seller states itself (``write_states_and_commit``).
FAUST_COMMIT_FALLBACK_INTERVAL = 30.0

# How long the broker may hold a fetch request that finds no new data. Faust
# builds its aiokafka consumer with 1,500 ms and no setting to change it; see
# ``shorten_fetch_wait``.
FETCH_MAX_WAIT_MS = 100

logger = logging.getLogger(__name__)

# Python's default (700, 10, 10) runs a full collection every 100 young ones. A
# full collection walks every live object, and a busy worker holds many (seller
# states, the text memo, sketches): measured 7 full collections of ~80 ms in a
# 100k-event run, ~7% of its time. A tenth as often: +6-7% events/s. Young
# garbage is still collected as often as before.
GC_THRESHOLDS = (700, 10, 100)


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


def tune_gc() -> None:
    """Apply :data:`GC_THRESHOLDS` to this process (called by the worker commands)."""
    gc.set_threshold(*GC_THRESHOLDS)


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


def broker_urls(bootstrap: str) -> str:
    """Faust's broker URL list for a comma-separated bootstrap string."""
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip())


class Publisher:
    """Publishes the records of judged batches to their topics.

    A record that cannot even be handed to the producer (Kafka unreachable
    for longer than the producer buffers) is retried until it can: the batch
    stays unacknowledged meanwhile, so nothing judged is lost and nothing
    after it is committed. A delivery the broker refuses later is counted in
    ``listing_monitor_publish_errors_total`` and logged.
    """

    RETRY_MAX_SECONDS = 5.0

    def __init__(self, topics: Mapping[str, Any], metrics: MonitorMetrics) -> None:
        self.topics = topics
        self._errors = {name: metrics.publish_errors.labels(name) for name in topics}
        self._on_delivery = {name: partial(self._delivered, name) for name in topics}
        self._log = Throttle(logger, interval=60.0)

    async def publish(self, records: list[Record]) -> None:
        """Hand every record to the producer, in order."""
        for record in records:
            await self._send(record)

    async def _send(self, record: Record) -> None:
        topic = self.topics[record.topic]
        pause = 0.1
        while True:
            try:
                delivery = await topic.send(key=record.key, value=record.value)
            except Exception as exc:
                self._log.log(
                    ("send", type(exc).__name__),
                    logging.ERROR,
                    "cannot hand a message for %s to the producer (%s: %s); retrying "
                    "(the batch stays uncommitted meanwhile)",
                    topic.get_topic_name(),
                    type(exc).__name__,
                    exc,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.RETRY_MAX_SECONDS)
                continue
            delivery.add_done_callback(self._on_delivery[record.topic])
            return

    def _delivered(self, name: str, delivery: asyncio.Future[Any]) -> None:
        if delivery.cancelled() or delivery.exception() is None:
            return
        exc = delivery.exception()
        self._errors[name].inc()
        self._log.log(
            ("delivery", name, type(exc).__name__),
            logging.ERROR,
            "the broker refused a message for %s: %s: %s",
            self.topics[name].get_topic_name(),
            type(exc).__name__,
            exc,
        )


@dataclass
class Monitor:
    """The built application and the pieces tests and the CLI reach into."""

    app: faust.App
    processor: EventProcessor
    metrics: MonitorMetrics
    rules: RulesConfig
    client_log: KafkaClientLog


def raw_topic(app: faust.App, *names: str) -> Any:
    """A topic (or several read as one) whose keys and values stay raw bytes."""
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )


def new_faust_app(
    settings: Settings,
    *,
    store: str,
    commit_interval: float = 2.8,
    commit_every: int | None = 10_000,
    monitor: type[FaustMonitor] = FaustMonitor,
) -> faust.App:
    """A Faust app with the options every worker of this project shares.

    Used by :func:`create_app` and by the bench's bare baseline agent, so that
    the two are measured under the same consumer settings.

    Args:
        settings: Runtime configuration.
        store: Faust table store URL.
        commit_interval: Seconds between Faust's own offset commits (its default).
        commit_every: Commit after this many acknowledged messages (Faust's
            default); None: only on the timer.
        monitor: Faust's monitor sensor class (its default: ``faust.sensors.Monitor``).
    """
    datadir = Path(settings.home) / "worker" / settings.app_id
    datadir.mkdir(parents=True, exist_ok=True)  # Faust does not create parents itself
    app = faust.App(
        settings.app_id,
        broker=broker_urls(settings.bootstrap),
        value_serializer="raw",
        key_serializer="raw",
        store=store,
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        processing_guarantee="at_least_once",
        broker_commit_interval=commit_interval,
        Monitor=monitor,
        broker_commit_every=commit_every if commit_every is not None else 2**62,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout,
        # Faust's 1 MiB per-partition fetch caps a worker near 3k events/s here;
        # larger fetches let it run at CPU speed (measured: 2.8k -> 11k events/s).
        consumer_max_fetch_size=settings.fetch_max_bytes,
        producer_max_batch_size=1024 * 1024,  # seller states are written in large batches
        # Every message the monitor sends is at most this large (stream.pipeline.limits),
        # within the broker's default limit of 1,048,588 bytes per message.
        producer_max_request_size=MAX_MESSAGE_BYTES,
        datadir=str(datadir),
        web_enabled=settings.web_enabled,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
    )
    shorten_fetch_wait(app)
    return app


def create_app(
    settings: Settings,
    *,
    rules: RulesConfig | None = None,
    registry: CollectorRegistry | None = None,
) -> Monitor:
    """Build the monitor's Faust app from settings.

    Args:
        settings: Runtime configuration.
        rules: A rules configuration; default: loaded from ``settings.rules_file``.
        registry: Prometheus registry for the metrics; default: a fresh one.

    Raises:
        stream.rules.RulesConfigError: when the rules file is invalid (the
            worker refuses to start rather than run with unknown rules).
    """
    rules = rules if rules is not None else load_rules(settings.rules_file)
    metrics = MonitorMetrics(registry)
    limits = Limits.from_settings(settings)

    app = new_faust_app(
        settings,
        store=settings.store,
        commit_interval=max(FAUST_COMMIT_FALLBACK_INTERVAL, settings.commit_interval),
        commit_every=None,
        monitor=FlushingMonitor,
    )

    # Seller state: one compact value per seller in a changelogged table.
    # use_partitioner: the changelog partition follows the key (seller id), so
    # states can be written outside the context of the event that changed them.
    seller_table = app.Table(
        "seller-state",
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topic_partitions,
        use_partitioner=True,
    )
    # Learned reference prices: one KLL sketch per (brand, category).
    reference_table = app.Table(
        "reference-prices",
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topic_partitions,
        use_partitioner=True,
    )
    store = CachedSellerStore(
        seller_table,
        settings.state_cache_size,
        on_reset=lambda reason: metrics.state_resets.labels(reason).inc(),
    )
    processor = EventProcessor(CompiledRules.build(rules), metrics, store=store, limits=limits)
    references = processor.detector.references
    references_restored = False

    def restore_references() -> None:
        nonlocal references_restored
        for key, raw in reference_table.items():
            references.restore(key, raw)
        references_restored = True

    events_topic = raw_topic(app, settings.listings_topic, settings.orders_topic)
    publisher = Publisher(
        {
            "alerts": raw_topic(app, settings.alerts_topic),
            "dead_letter": raw_topic(app, settings.dead_letter_topic),
        },
        metrics,
    )
    handlers: dict[str, Callable[[bytes | None, Origin], Outcome]] = {
        settings.listings_topic: processor.on_listing,
        settings.orders_topic: processor.on_order,
    }
    stream_of: dict[str, StreamKind] = {
        settings.listings_topic: "listings",
        settings.orders_topic: "orders",
    }

    # Table stores that keep one database per partition (RocksDB) write in
    # the context of an event of that partition: remember the latest of each.
    latest_event: dict[int, Any] = {}

    def flush_state() -> None:
        """Write changed seller states and reference sketches to their tables."""
        if not store.dirty and not references.dirty:
            return
        token = _current_event.set(None)
        try:

            def enter_partition(partition: int) -> None:
                _current_event.set(weakref.ref(latest_event[partition]))

            metrics.state_writes.inc(store.flush(enter_partition))
            if references.dirty and latest_event:  # sketches belong to no partition
                enter_partition(next(iter(latest_event)))
                for key, raw in references.changes():
                    reference_table[key] = raw
        finally:
            _current_event.reset(token)

    # Faust calls sensors right before it flushes its producer and commits the
    # consumed offsets: writing the states there makes every commit cover the
    # state of every event it commits (a crash replays events, never loses
    # state). Most commits find (almost) nothing left to write here: see
    # ``write_states_and_commit``.
    cast(FlushingMonitor, app.monitor).before_commit = flush_state

    # Every ``commit_interval`` the monitor writes the changed states itself,
    # straight to the local store and, through the producer, to the changelog
    # in a few large batches, then commits. Through Faust's table API each
    # state would be one buffered send, and a thousand of them stall message
    # delivery at each commit (measured: p50 latency 0.8 s at 2,000 events/s);
    # writing each changed seller once per interval rather than more often
    # keeps encoding cheap (measured: +16% events/s against every 0.5 s).
    changelog = seller_table.changelog_topic.get_topic_name()

    async def write_states() -> None:
        items = store.drain()
        token = _current_event.set(None)
        try:
            for partition, key, value in items:
                _current_event.set(weakref.ref(latest_event[partition]))
                seller_table.data[key] = value  # the local store only
        finally:
            _current_event.reset(token)
        # The changelog records go out as a few large batches (aiokafka's
        # batch API), partitioned by key like Faust's own table writes.
        producer: Any = app.producer
        client = producer._ensure_producer()  # the aiokafka producer underneath
        await client.partitions_for(changelog)  # its metadata: at once when known
        batches: dict[int, Any] = {}
        for _, key, value in items:
            partition = producer.key_partition(changelog, key).partition
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = client.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                await client.send_batch(batch, changelog, partition=partition)
                batch = batches[partition] = client.create_batch()
                batch.append(key=key, value=value, timestamp=None)
        for partition, batch in batches.items():
            await client.send_batch(batch, changelog, partition=partition)
        metrics.state_writes.inc(len(items))

    # One state writer at a time: a write still in flight when partitions are
    # handed over would otherwise reach the changelog after the new owner's.
    state_writes = asyncio.Lock()

    async def write_states_and_commit() -> None:
        async with state_writes:
            if store.dirty:
                await write_states()
            await commit_now(app.consumer)

    app.timer(interval=settings.commit_interval, name="write-states-and-commit")(
        write_states_and_commit
    )

    input_topics = frozenset((settings.listings_topic, settings.orders_topic))
    handover = Handover(
        write_states_and_commit, batch_timeout=settings.session_timeout / 2, inputs=input_topics
    )

    def judge(batch: list[Any]) -> list[Record]:
        """Judge a batch in memory: the records to publish for it (never raises).

        No await in here: a commit, which writes the seller states, happens
        between batches or while one is being published, never halfway
        through judging one.
        """
        records: list[Record] = []
        for event in batch:
            message = event.message
            latest_event[message.partition] = event
            store.partition = message.partition
            origin = Origin(message.topic, message.partition, message.offset, message.key)
            try:
                outcome = handlers[message.topic](event.value, origin)
            except Exception as exc:  # the processor contains its own errors: a last resort
                outcome = processor.failed(stream_of[message.topic], origin, event.value, exc)
            records.extend(outcome.records)
        return records

    async def judge_events(stream: Any) -> None:
        # Events are judged in small batches: Faust acknowledges a batch once
        # the loop below is done with it (so a crash replays it, never skips
        # it), and judging a run of events back to back costs ~25% less per
        # event than interleaving each one with the framework's own work.
        # Nothing in the loop raises: Faust would restart a crashed agent, but
        # the restarted one reads nothing (seen with a message too large to send).
        batches = stream.take_events(settings.batch_max_events, settings.batch_max_wait)
        async for batch in batches:
            # Not while partitions are handed over, nor an event judged already.
            batch = handover.not_yet_judged(batch)
            if not batch:
                continue
            if not references_restored:  # the tables are recovered before the first event
                restore_references()
            handover.idle.clear()
            try:
                await publisher.publish(judge(batch))
            finally:
                handover.idle.set()

    judge_events.__qualname__ = "judge-events"  # what Faust shows in its logs
    app.agent(events_topic, name="judge-events", concurrency=1)(judge_events)

    async def on_assigned(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        handover.install(app)  # normally done already, at the first (empty) revocation
        # State writes pick the changelog partition from the producer's
        # metadata, which it fetches for a topic only when asked: without
        # this, the first write to a new changelog crashed the worker
        # ("'NoneType' object is not iterable" in aiokafka's _partition).
        client = cast(Any, app.producer)._ensure_producer()
        for table in (seller_table, reference_table):
            await client.partitions_for(table.changelog_topic.get_topic_name())

    async def forget_cached_states(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        nonlocal references_restored
        # Faust revokes an empty set when the consumer first joins its group:
        # the consumer exists, and no partition is assigned yet.
        handover.install(app)
        store.forget()  # partitions moved: the restored tables are the truth again
        references_restored = False

    # Faust types the receivers more narrowly than the signals call them.
    app.on_partitions_assigned.connect(cast(Any, on_assigned))
    app.on_partitions_revoked.connect(cast(Any, forget_cached_states))

    # The worker's log handlers filter the Kafka client's retry noise through
    # client_log; this probe tells it when the broker answers again.
    client_log = KafkaClientLog()

    async def probe_kafka() -> None:
        if not client_log.in_outage:
            return
        client = cast(Any, app.producer)._ensure_producer().client
        try:
            answered = await asyncio.wait_for(client.force_metadata_update(), timeout=5.0)
        except Exception:  # still unreachable: the next probe asks again
            return
        if answered:
            client_log.reachable()

    app.timer(interval=1.0, name="probe-kafka")(probe_kafka)

    async def expire_silent_sellers() -> None:
        watermark = processor.detector.watermark
        if watermark:
            expired = store.expire(watermark, rules.statistics.retention_days)
            metrics.sellers_expired.inc(expired)

    app.timer(interval=settings.expiry_interval, name="expire-silent-sellers")(
        expire_silent_sellers
    )

    # aiohttp takes the charset apart from the media type.
    media_type = CONTENT_TYPE_LATEST.split("; charset=")[0]

    async def metrics_page(view: Any, request: Any) -> Any:
        return view.bytes(generate_latest(metrics.registry), content_type=media_type)

    app.page("/metrics")(metrics_page)

    return Monitor(
        app=app, processor=processor, metrics=metrics, rules=rules, client_log=client_log
    )
