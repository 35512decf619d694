"""Prometheus metrics of the monitor, on an injectable registry.

Names follow ``listing_monitor_<noun>_total|_seconds|_bytes``; labels are
low-cardinality (stream kind, outcome, rule, level, severity), never ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar, get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.events import AlertLevel, DeadLetterKind, Severity

STREAMS = ("listings", "orders")
RING_STREAMS = ("ring_identifiers", "ring_updates")
RING_MESSAGES = ("announcements", "edges", "statuses")
OUTCOMES = ("valid", "invalid", "failed")
SEVERITIES: tuple[str, ...] = get_args(Severity)
ALERT_LEVELS: tuple[str, ...] = get_args(AlertLevel)
LATENCY_LEVELS = ("listing", "seller")  # the alerts the judging agent publishes
DEAD_LETTER_REASONS: tuple[str, ...] = get_args(DeadLetterKind)


# Gauges that count a table recount at most this often, however often /metrics
# is scraped: counting a RocksDB store reads every key.
SIZE_RECOUNT_SECONDS = 10.0

T = TypeVar("T")


class Recount(Generic[T]):
    """A gauge function that calls ``count`` at most once per ``every`` seconds."""

    def __init__(
        self,
        count: Callable[[], T],
        every: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.count = count
        self.every = every
        self.clock = clock
        self._at: float | None = None
        self._value: T | None = None

    def __call__(self) -> T:
        now = self.clock()
        if self._value is None or self._at is None or now - self._at >= self.every:
            self._at, self._value = now, self.count()
        return self._value


class MonitorMetrics:
    """The monitor's counters and histograms, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.events = Counter(
            "listing_monitor_events_total",
            "Input events consumed, by stream and outcome: valid (judged), invalid "
            "(dead-lettered: not an event of the contract) or failed (dead-lettered: the "
            "monitor failed on it).",
            ["stream", "outcome"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "listing_monitor_dead_letters_total",
            "Input messages sent to the dead-letter topic, by stream and reason (the dead "
            "letter's error_kind).",
            ["stream", "reason"],
            registry=self.registry,
        )
        self.unknown_currency = Counter(
            "listing_monitor_unknown_currency_total",
            "Valid events in a currency without an exchange rate in the rules: judged "
            "without the price rule.",
            ["stream"],
            registry=self.registry,
        )
        self.alerts = Counter(
            "listing_monitor_alerts_total",
            "Alerts published, by level and severity.",
            ["level", "severity"],
            registry=self.registry,
        )
        self.rule_hits = Counter(
            "listing_monitor_rule_hits_total",
            "Times each rule fired (whether or not an alert followed).",
            ["rule"],
            registry=self.registry,
        )
        self.late_events = Counter(
            "listing_monitor_late_events_total",
            "Events later than the allowed lateness: judged, but not counted in the windows.",
            ["stream"],
            registry=self.registry,
        )
        self.rerouted_events = Counter(
            "listing_monitor_rerouted_events_total",
            "Valid events whose message key was not their seller_id, forwarded keyed by "
            "seller_id to the worker that keeps the seller's state (with more than one "
            "partition; judged there).",
            ["stream"],
            registry=self.registry,
        )
        self.suppressed_alerts = Counter(
            "listing_monitor_suppressed_alerts_total",
            "Alerts withheld because the same entity was alerted in the same band recently.",
            registry=self.registry,
        )
        self.state_writes = Counter(
            "listing_monitor_state_writes_total",
            "Seller states written to the changelogged table (once per changed seller per commit).",
            registry=self.registry,
        )
        self.state_resets = Counter(
            "listing_monitor_state_resets_total",
            "Seller states that could not be read (undecodable) or written (unencodable) "
            "and were reset to their last written version.",
            ["reason"],
            registry=self.registry,
        )
        self.reference_contributions_read = Counter(
            "listing_monitor_reference_contributions_read_total",
            "Learned reference prices of input partitions this worker does not own, read "
            "from the reference table's changelog (one per brand, category and partition "
            "changed there).",
            registry=self.registry,
        )
        self.publish_errors = Counter(
            "listing_monitor_publish_errors_total",
            "Messages the broker refused to store, by output topic (alerts, dead_letter).",
            ["topic"],
            registry=self.registry,
        )
        self.sellers_expired = Counter(
            "listing_monitor_sellers_expired_total",
            "Seller states deleted after the retention period without events.",
            registry=self.registry,
        )
        self.ring_messages = Counter(
            "listing_monitor_ring_messages_total",
            "Ring-linking records sent between workers, by kind: announcements (a seller "
            "newly seen with an identifier), edges (an identifier's sellers), statuses (a "
            "seller's own band rose). Several travel in one Kafka message.",
            ["kind"],
            registry=self.registry,
        )
        self.ring_kafka_messages = Counter(
            "listing_monitor_ring_kafka_messages_total",
            "Kafka messages sent to the internal ring topics, by topic.",
            ["topic"],
            registry=self.registry,
        )
        self.rings = Gauge(
            "listing_monitor_rings",
            "Rings of linked sellers kept by this worker (merged and dissolved ones not counted).",
            registry=self.registry,
        )
        self.large_rings = Gauge(
            "listing_monitor_large_rings",
            "Rings with at least [rings] large_ring_members members.",
            registry=self.registry,
        )
        self.supernodes = Gauge(
            "listing_monitor_supernode_identifiers",
            "Identifiers shared by more sellers than [rings] max_fanout: they link nobody.",
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "listing_monitor_consumer_lag_messages",
            "Messages of an input partition assigned to this worker not committed yet "
            "(end offset minus committed offset), asked of the broker every "
            "LISTING_MONITOR_LAG_INTERVAL seconds.",
            ["stream", "partition"],
            registry=self.registry,
        )
        self.consumer_lag_seconds = Gauge(
            "listing_monitor_consumer_lag_seconds",
            "While messages of a stream wait on this worker's partitions: the age of the "
            "last judged event of that stream (its Kafka timestamp against now); 0 when "
            "none wait.",
            ["stream"],
            registry=self.registry,
        )
        self.lag_probe_errors = Counter(
            "listing_monitor_lag_probe_errors_total",
            "Lag measurements that failed (the broker did not answer); the lag gauges keep "
            "their last values.",
            registry=self.registry,
        )
        self.alert_latency = Histogram(
            "listing_monitor_alert_latency_seconds",
            "From the Kafka timestamp of the input message (the broker's append time on a "
            "topic with LogAppendTime, else the producer's) to its alert being handed to "
            "the producer, by level (listing, seller; ring alerts come from ring linking "
            "and are not in it).",
            ["level"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
            registry=self.registry,
        )
        self.sellers_tracked = Gauge(
            "listing_monitor_sellers_tracked",
            "Seller states in this worker's table (its partitions, and standby copies if "
            "standby replicas are on); recounted at most every 10 s.",
            registry=self.registry,
        )
        self.state_cache_entries = Gauge(
            "listing_monitor_state_cache_entries",
            "Decoded seller states kept in memory (at most LISTING_MONITOR_STATE_CACHE_SIZE).",
            registry=self.registry,
        )
        self.state_bytes = Counter(
            "listing_monitor_state_written_bytes_total",
            "Bytes of seller states written to the changelogged table.",
            registry=self.registry,
        )
        self.build_info = Gauge(
            "listing_monitor_build_info",
            "Always 1; its labels carry the package version and the rules version.",
            ["version", "rules_version"],
            registry=self.registry,
        )
        self.processing = Histogram(
            "listing_monitor_processing_seconds",
            "Time to decode, validate and judge one input event, by stream.",
            ["stream"],
            buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
            registry=self.registry,
        )
        # Create the labelled children up front so dashboards see zeros, not gaps.
        for stream in STREAMS:
            for outcome in OUTCOMES:
                self.events.labels(stream, outcome)
            for reason in DEAD_LETTER_REASONS:
                self.dead_letters.labels(stream, reason)
            self.unknown_currency.labels(stream)
            self.late_events.labels(stream)
            self.processing.labels(stream)
            self.rerouted_events.labels(stream)
        for level in LATENCY_LEVELS:
            self.alert_latency.labels(level)
        for level in ALERT_LEVELS:
            for severity in SEVERITIES:
                self.alerts.labels(level, severity)
        for kind in RING_MESSAGES:
            self.ring_messages.labels(kind)
        for stream in RING_STREAMS:
            self.ring_kafka_messages.labels(stream)
            for reason in DEAD_LETTER_REASONS:
                self.dead_letters.labels(stream, reason)
        for reason in ("undecodable", "unencodable"):
            self.state_resets.labels(reason)
        for topic in ("alerts", "dead_letter"):
            self.publish_errors.labels(topic)
