"""The topology: the Faust app, its topics, tables, agents, timers and web views, wired.

``create_app(settings)`` builds everything; importing this module has no side
effects. One agent, ``judge-events`` (:mod:`stream.topology.agent`), reads both
input topics in small batches, hands raw bytes to
:class:`stream.pipeline.processor.EventProcessor` and publishes what it returns
(:mod:`stream.topology.publisher`); what the events announce for ring linking
goes on to two more agents, ``index-identifiers`` and ``link-rings``
(:mod:`stream.topology.rings`). A timer, ``write-states-and-commit``, writes
the changed seller states to their changelogged table and then commits
(:mod:`stream.topology.state_writer`); a hook in Faust's monitor sensor writes
whatever changed since (and the reference sketches) before any commit.

Delivery is at-least-once: Faust flushes the producer before it commits input
offsets, so an alert or dead letter is never lost, and a replayed event yields
an alert with the same deterministic ``alert_id``. Around rebalances and stops
:class:`stream.topology.handover.Handover` guards Faust's consumer so that only
judged events are committed and none is judged twice. The agent runs with
``concurrency=1``, since higher concurrency can commit past messages still in
flight.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import faust
from faust.sensors import Monitor as FaustMonitor
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from stream import __version__
from stream.pipeline.limits import MAX_MESSAGE_BYTES, Limits
from stream.pipeline.metrics import SIZE_RECOUNT_SECONDS, MonitorMetrics, Recount
from stream.pipeline.processor import REROUTED, EventProcessor, StreamKind
from stream.rules import CompiledRules, RulesConfig, load_rules
from stream.settings import Settings
from stream.stats.store import CachedSellerStore
from stream.topology.agent import JudgeAgent
from stream.topology.connection import KafkaConnection
from stream.topology.faust_patches import (
    FETCH_MAX_WAIT_MS,
    FlushingMonitor,
    aiokafka_producer,
    check_private_api,
    shorten_fetch_wait,
)
from stream.topology.handover import Handover
from stream.topology.lag import LagProbe, LagReporter
from stream.topology.outage import KafkaClientLog
from stream.topology.publisher import Publisher
from stream.topology.reference_feed import ReferenceFeed
from stream.topology.rings import RingAgents, ring_topic_names, ring_topics, wire_rings
from stream.topology.state_writer import StateWriter
from stream.topology.topics import internal_topic, raw_topic, rerouted_topic_names
from stream.topology.web import add_health_pages, add_metrics_page, add_ring_pages

__all__ = [
    "FETCH_MAX_WAIT_MS",
    "Topology",
    "broker_urls",
    "create_app",
    "new_faust_app",
    "raw_topic",
    "tune_gc",
]

# Faust's own commit timer stays on as a fallback only: the monitor commits
# right after writing the seller states itself (``write-states-and-commit``).
FAUST_COMMIT_FALLBACK_INTERVAL = 30.0

# Python's default (700, 10, 10) runs a full collection every 100 young ones. A
# full collection walks every live object, and a busy worker holds many (seller
# states, the text memo, sketches): measured 7 full collections of ~80 ms in a
# 100k-event run, ~7% of its time. A tenth as often: +6-7% events/s. Young
# garbage is still collected as often as before.
GC_THRESHOLDS = (700, 10, 100)


def tune_gc() -> None:
    """Apply :data:`GC_THRESHOLDS` to this process (called by the worker commands)."""
    gc.set_threshold(*GC_THRESHOLDS)


def broker_urls(bootstrap: str) -> str:
    """Faust's broker URL list for a comma-separated bootstrap string."""
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip())


@dataclass
class Topology:
    """The built application and the pieces tests and the CLI reach into."""

    app: faust.App
    processor: EventProcessor
    metrics: MonitorMetrics
    rules: RulesConfig
    client_log: KafkaClientLog
    rings: RingAgents | None = None


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
    if settings.replication_factor < 1:
        raise ValueError(
            "Faust needs the replication factor as a number: resolve -1 (the broker's "
            "default) first, with stream.topology.kafka_admin.resolve_replication"
        )
    datadir = Path(settings.home) / "worker" / settings.app_id
    datadir.mkdir(parents=True, exist_ok=True)  # Faust does not create parents itself
    app = faust.App(
        settings.app_id,
        broker=broker_urls(settings.bootstrap),
        broker_credentials=KafkaConnection.from_settings(settings).faust_credentials(),
        value_serializer="raw",
        key_serializer="raw",
        store=store,
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.replication_factor,
        producer_acks=-1,  # every in-sync replica (the README names the min.insync.replicas)
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
        web_host=settings.web_advertised_host or settings.web_host,
    )
    shorten_fetch_wait(app)
    return app


def wire_operations(
    app: faust.App,
    settings: Settings,
    rules: RulesConfig,
    metrics: MonitorMetrics,
    agent: JudgeAgent,
    store: CachedSellerStore,
    seller_table: Any,
) -> None:
    """What an operator watches: lag on a timer, state sizes, versions, the process.

    Args:
        app: The Faust app (timers, the consumer's assignment).
        settings: ``lag_interval`` and the broker and group to ask.
        rules: Its version goes into the build-info metric.
        metrics: Where the figures go.
        agent: Knows the last judged event of each stream.
        store: The seller store (its decoded cache).
        seller_table: The seller-state table (its local store is counted).
    """
    metrics.build_info.labels(__version__, rules.version).set(1)
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=metrics.registry)
    sellers = Recount(lambda: len(seller_table.data), every=SIZE_RECOUNT_SECONDS)
    metrics.sellers_tracked.set_function(sellers)
    metrics.state_cache_entries.set_function(lambda: len(store.cache))

    # kafka-python (the lag probe's client) logs each connection at INFO
    kafka_python = logging.getLogger("kafka")
    kafka_python.setLevel(max(kafka_python.getEffectiveLevel(), logging.WARNING))
    probe = LagProbe(KafkaConnection.from_settings(settings), settings.app_id)
    reporter = LagReporter(
        metrics,
        {settings.listings_topic: "listings", settings.orders_topic: "orders"},
        last_judged=lambda: agent.last_judged,
        clock=time.time,
    )

    async def measure_lag() -> None:
        partitions = reporter.inputs(app.consumer.assignment())
        try:  # kafka-python blocks: in a thread, off the event loop
            lags = await asyncio.to_thread(probe.measure, partitions)
        except Exception as exc:  # the broker did not answer: try again next time
            reporter.failed(exc)
            return
        reporter.report(lags)

    app.timer(interval=settings.lag_interval, name="measure-lag")(measure_lag)


def create_app(
    settings: Settings,
    *,
    rules: RulesConfig | None = None,
    registry: CollectorRegistry | None = None,
) -> Topology:
    """Build the monitor's Faust app from settings.

    Args:
        settings: Runtime configuration.
        rules: A rules configuration; default: loaded from ``settings.rules_file``.
        registry: Prometheus registry for the metrics; default: a fresh one.

    Raises:
        stream.rules.RulesConfigError: when the rules file is invalid (the
            worker refuses to start rather than run with unknown rules).
        RuntimeError: when Faust or aiokafka lack a private attribute the
            monitor relies on (see :mod:`stream.topology.faust_patches`).
    """
    check_private_api()
    rules = rules if rules is not None else load_rules(settings.rules_file)
    metrics = MonitorMetrics(registry)
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
    compiled = CompiledRules.build(rules)
    # With more partitions than one, an event keyed other than by its seller_id is
    # forwarded through a topic keyed by seller_id to the seller's partition.
    reroute = settings.topic_partitions > 1
    processor = EventProcessor(
        compiled, metrics, store=store, limits=Limits.from_settings(settings), reroute=reroute
    )
    writer = StateWriter(
        store,
        seller_table,
        reference_table,
        processor.detector.references,
        metrics,
        producer=lambda: app.producer,
        client=lambda: aiokafka_producer(app),
    )
    # Faust calls sensors right before it flushes its producer and commits the
    # consumed offsets: writing the states there makes every commit cover the
    # state of every event it commits.
    cast(FlushingMonitor, app.monitor).before_commit = writer.flush

    async def write_states_and_commit() -> None:
        await writer.write_and_commit(app.consumer)

    app.timer(interval=settings.commit_interval, name="write-states-and-commit")(
        write_states_and_commit
    )

    streams: dict[str, StreamKind] = {
        settings.listings_topic: "listings",
        settings.orders_topic: "orders",
    }
    rerouted: dict[str, StreamKind] = (
        dict(zip(rerouted_topic_names(settings), ("listings", "orders"), strict=True))
        if reroute
        else {}
    )
    rings_on = rules.rings.enabled
    # Ring linking's topics are guarded like the input topics: Faust must not
    # acknowledge a ring message nobody applied (see stream.topology.handover).
    guarded = set(streams) | set(rerouted)
    if rings_on:
        guarded |= set(ring_topic_names(settings))
    handover = Handover(
        write_states_and_commit,
        batch_timeout=settings.session_timeout / 2,
        inputs=frozenset(guarded),
    )
    topics: dict[str, Any] = {
        "alerts": raw_topic(app, settings.alerts_topic),
        "dead_letter": raw_topic(app, settings.dead_letter_topic),
    }
    if rings_on:
        topics.update(ring_topics(app, settings))
    for name, kind in rerouted.items():
        topics[REROUTED[kind]] = internal_topic(app, name, settings.topic_partitions)
    publisher = Publisher(topics, metrics)
    ring_agents: RingAgents | None = None
    ring_records = None
    if rings_on:
        sender, ring_agents = wire_rings(
            app, settings, compiled, metrics, topics, publisher, handover
        )
        ring_records = sender.records
    # With more partitions than one, each worker reads the learned reference prices
    # of the partitions it does not own from their changelog (see reference_feed).
    reference_feed = (
        ReferenceFeed(
            KafkaConnection.from_settings(settings),
            reference_table.changelog_topic.get_topic_name(),
        )
        if settings.topic_partitions > 1
        else None
    )

    def owned_partitions() -> set[int]:
        return {
            tp.partition for tp in app.consumer.assignment() if tp.topic == settings.listings_topic
        }

    agent = JudgeAgent(
        processor,
        streams,
        store,
        writer,
        handover,
        publisher,
        ring_records,
        rerouted=rerouted,
        reference_feed=reference_feed,
        owned_partitions=owned_partitions,
    )

    if reference_feed is not None:
        # also between batches when idle, so that the references (and the metric) stay
        # current; judging a batch never awaits, so this never runs in the middle of one
        async def read_reference_contributions() -> None:
            agent.read_other_contributions()

        app.timer(interval=1.0, name="read-reference-contributions")(read_reference_contributions)

    async def judge_events(stream: Any) -> None:
        await agent.run(stream.take_events(settings.batch_max_events, settings.batch_max_wait))

    judge_events.__qualname__ = "judge-events"  # what Faust shows in its logs
    # one agent over the inputs and the forwarded events: Faust gives a worker the
    # same partitions of all of them, with the seller states of those partitions
    events_topic = raw_topic(app, settings.listings_topic, settings.orders_topic, *rerouted)
    app.agent(events_topic, name="judge-events", concurrency=1)(judge_events)

    async def on_assigned(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        handover.install(app)  # normally done already, at the first (empty) revocation
        # State writes pick the changelog partition from the producer's
        # metadata, which it fetches for a topic only when asked: without
        # this, the first write to a new changelog crashed the worker
        # ("'NoneType' object is not iterable" in aiokafka's _partition).
        client = aiokafka_producer(app)
        for table in (seller_table, reference_table):
            await client.partitions_for(table.changelog_topic.get_topic_name())
        if reference_feed is not None:
            reference_feed.start()  # once: the changelog exists by now

    async def on_revoked(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        # Faust revokes an empty set when the consumer first joins its group:
        # the consumer exists, and no partition is assigned yet.
        handover.install(app)
        agent.forget()

    async def stop_reference_feed(sender: Any, **kwargs: Any) -> None:
        if reference_feed is not None:
            await asyncio.to_thread(reference_feed.stop)

    # Faust types the receivers more narrowly than the signals call them.
    app.on_partitions_assigned.connect(cast(Any, on_assigned))
    app.on_partitions_revoked.connect(cast(Any, on_revoked))
    app.on_before_shutdown.connect(cast(Any, stop_reference_feed))

    # The worker's log handlers filter the Kafka client's retry noise through
    # client_log; this probe tells it when the broker answers again.
    client_log = KafkaClientLog()

    async def probe_kafka() -> None:
        if not client_log.in_outage:
            return
        client = aiokafka_producer(app).client
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
    wire_operations(app, settings, rules, metrics, agent, store, seller_table)
    add_health_pages(app, rules.version)
    add_metrics_page(app, metrics.registry)
    if ring_agents is not None:
        add_ring_pages(app, ring_agents.book)
    return Topology(
        app=app,
        processor=processor,
        metrics=metrics,
        rules=rules,
        client_log=client_log,
        rings=ring_agents,
    )
