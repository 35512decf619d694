"""The per-event pipeline without Faust: bytes in, alerts or a dead letter out.

The Faust agents in :mod:`stream.topology.app` only move bytes between topics and this
processor; everything it decides is unit-testable without a broker.

Every message is accounted for, whatever it holds: :meth:`EventProcessor.on_listing`
and :meth:`~EventProcessor.on_order` never raise. A message that is not a
valid event of the contract, or that the monitor fails on, becomes one dead
letter with the reason, counted in the metrics; everything they publish is
encoded here and fits the producer's size limit.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

import orjson

from schemas import (
    Alert,
    DeadLetter,
    InvalidEventError,
    ListingEvent,
    OrderEvent,
    parse_listing,
    parse_order,
)
from schemas.events import DeadLetterKind
from stream.logs import Throttle
from stream.pipeline.detector import Detector, DictSellerStore, Judgement, SellerStore
from stream.pipeline.limits import DEFAULT_LIMITS, Limits, time_problems
from stream.pipeline.metrics import MonitorMetrics
from stream.rings.messages import Announcement, MemberStatus
from stream.rules import CompiledRules

StreamKind = Literal["listings", "orders"]

logger = logging.getLogger(__name__)

# A dead letter's error text is at most this long (a person reads it).
MAX_ERROR_CHARS = 2000
# Currencies without a rate are named in the log once each, up to this many.
MAX_CURRENCIES_LOGGED = 50


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Source(NamedTuple):
    """Where an input message came from (a tuple: built for every event, cheaply)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None


RecordTopic = Literal[
    "alerts",
    "dead_letter",
    "ring_identifiers",
    "ring_updates",
    "listings_by_seller",
    "orders_by_seller",
]

REROUTED: dict[StreamKind, RecordTopic] = {
    "listings": "listings_by_seller",
    "orders": "orders_by_seller",
}
"""Where a misrouted event of each stream is forwarded, keyed by its seller_id."""


class Record(NamedTuple):
    """One encoded message to publish: an alert, a dead letter, or ring linking's."""

    topic: RecordTopic
    key: bytes | None
    value: bytes
    partition: int | None = None  # None: the producer's partitioner picks it by key


@dataclass
class Outcome:
    """What processing one input message produced, and the records to publish for it."""

    alerts: list[Alert] = field(default_factory=list)
    dead_letter: DeadLetter | None = None
    records: list[Record] = field(default_factory=list)
    ring: list[Announcement | MemberStatus] = field(default_factory=list)


class RejectedEventError(Exception):
    """An input message that is not a valid event of the contract."""

    def __init__(self, kind: DeadLetterKind, error: str) -> None:
        super().__init__(error)
        self.kind: DeadLetterKind = kind
        self.error = error


def copy_bytes(data: bytes, cap: int) -> tuple[str, Literal["utf-8", "base64"], bool]:
    """The first ``cap`` bytes of ``data`` as UTF-8 text, else base64, and whether cut.

    A cut that falls inside a UTF-8 character drops that character's bytes,
    so valid text stays text.
    """
    head, truncated = (data[:cap], True) if len(data) > cap else (data, False)
    try:
        return head.decode("utf-8"), "utf-8", truncated
    except UnicodeDecodeError as exc:
        # Only an incomplete character at the very end, left by the cut: drop it.
        if truncated and exc.end == len(head) and exc.reason == "unexpected end of data":
            try:
                return head[: exc.start].decode("utf-8"), "utf-8", truncated
            except UnicodeDecodeError:
                pass
        return base64.b64encode(head).decode("ascii"), "base64", truncated


def make_dead_letter(
    source: Source,
    error: str,
    payload: bytes | None,
    now: datetime,
    *,
    kind: DeadLetterKind = "invalid",
    limits: Limits = DEFAULT_LIMITS,
) -> DeadLetter:
    """A DeadLetter with the reason, a capped copy of the original key and bytes,
    and what identifies the whole original (size, SHA-256, topic/partition/offset)."""
    data = payload or b""
    text, encoding, truncated = copy_bytes(data, limits.dead_letter_payload_bytes)
    if source.key is None:
        key: str | None = None
        key_encoding: Literal["utf-8", "base64"] = "utf-8"
        key_truncated = False
    else:
        key, key_encoding, key_truncated = copy_bytes(source.key, limits.dead_letter_key_bytes)
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 3] + "..."
    return DeadLetter(
        source_topic=source.topic,
        partition=source.partition,
        offset=source.offset,
        key=key,
        key_encoding=key_encoding,
        key_size=0 if source.key is None else len(source.key),
        key_truncated=key_truncated,
        error=error,
        error_kind=kind,
        payload=text,
        payload_encoding=encoding,
        payload_size=len(data),
        payload_sha256=hashlib.sha256(data).hexdigest(),
        payload_truncated=truncated,
        received_at=now,
    )


def encode(model: Alert | DeadLetter) -> bytes:
    """Serialise an outgoing message as compact UTF-8 JSON."""
    return orjson.dumps(model.model_dump(mode="json"))


def dead_letter_record(
    source: Source,
    error: str,
    raw: bytes | None,
    now: datetime,
    kind: DeadLetterKind = "invalid",
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[DeadLetter, Record]:
    """A dead letter and its record, keyed by the original key, small enough to publish."""
    key = None if source.key is None else source.key[: limits.dead_letter_key_bytes]
    while True:
        letter = make_dead_letter(source, error, raw, now, kind=kind, limits=limits)
        value = encode(letter)
        fits = len(value) + len(key or b"") <= limits.max_message_bytes
        if fits or not limits.dead_letter_payload_bytes:
            return letter, Record("dead_letter", key, value)
        # JSON escapes can make text up to six times longer: copy less.
        limits = replace(limits, dead_letter_payload_bytes=limits.dead_letter_payload_bytes // 4)


class EventProcessor:
    """Validates input events, runs the detector and builds alerts and dead letters."""

    def __init__(
        self,
        rules: CompiledRules,
        metrics: MonitorMetrics,
        clock: Callable[[], datetime] = utc_now,
        store: SellerStore | None = None,
        limits: Limits = DEFAULT_LIMITS,
        reroute: bool = False,
    ) -> None:
        self.rules = rules
        # More than one partition: an event keyed other than by its seller_id is on
        # another worker's partition than its seller's state, so it is forwarded.
        self.reroute = reroute
        self.metrics = metrics
        self.clock = clock
        self.limits = limits
        self.store: SellerStore = store if store is not None else DictSellerStore()
        self.detector = Detector(rules, self.store, clock)
        # labelled children resolved once: .labels() costs a few µs per call
        self._valid = {s: metrics.events.labels(s, "valid") for s in ("listings", "orders")}
        self._processing = {s: metrics.processing.labels(s) for s in ("listings", "orders")}
        self._rerouted = {s: metrics.rerouted_events.labels(s) for s in ("listings", "orders")}
        self._rule_hits: dict[str, Any] = {}
        self._failures = Throttle(logger, interval=60.0)
        self._currencies_logged: set[str] = set()

    # ------------------------------------------------------------ entry points

    def on_listing(self, raw: bytes | None, source: Source) -> Outcome:
        """Judge one message from the listings topic (or forward it: see
        ``reroute``); never raises."""
        return self._process("listings", raw, source, self.reroute)

    def on_order(self, raw: bytes | None, source: Source) -> Outcome:
        """Judge one message from the orders topic (it feeds the seller's statistics)."""
        return self._process("orders", raw, source, self.reroute)

    def on_rerouted_listing(self, raw: bytes | None, source: Source) -> Outcome:
        """Judge a listing forwarded by its seller_id: here is its seller's state."""
        return self._process("listings", raw, source, reroute=False)

    def on_rerouted_order(self, raw: bytes | None, source: Source) -> Outcome:
        """Judge an order forwarded by its seller_id."""
        return self._process("orders", raw, source, reroute=False)

    # ------------------------------------------------------------------ steps

    def _process(
        self, stream: StreamKind, raw: bytes | None, source: Source, reroute: bool
    ) -> Outcome:
        started = time.perf_counter()
        try:
            event = self._accept(stream, raw)
            if reroute:
                seller_key = event.seller_id.encode("utf-8")
                if source.key != seller_key:
                    self._rerouted[stream].inc()
                    return Outcome(records=[Record(REROUTED[stream], seller_key, raw or b"")])
            judgement = (
                self.detector.on_listing(event)
                if isinstance(event, ListingEvent)
                else self.detector.on_order(event)
            )
            records = self._encode_alerts(judgement.alerts)
            self._count_judged(stream, event, judgement, started)
            return Outcome(alerts=judgement.alerts, records=records, ring=judgement.ring)
        except RejectedEventError as rejected:
            return self._dead_letter(stream, source, raw, rejected.kind, rejected.error)
        except Exception as exc:  # a bug must cost one event, never the worker
            return self.failed(stream, source, raw, exc)

    def _accept(self, stream: StreamKind, raw: bytes | None) -> ListingEvent | OrderEvent:
        """The valid event in ``raw``, or :class:`RejectedEventError` naming every problem."""
        if not raw:
            raise RejectedEventError("invalid", "payload is empty: expected a JSON object")
        if len(raw) > self.limits.max_event_bytes:
            raise RejectedEventError(
                "too_large",
                f"payload is {len(raw):,} bytes; events may be at most "
                f"{self.limits.max_event_bytes:,} bytes (LISTING_MONITOR_MAX_EVENT_BYTES)",
            )
        try:
            event: ListingEvent | OrderEvent = (
                parse_listing(raw) if stream == "listings" else parse_order(raw)
            )
        except InvalidEventError as exc:
            raise RejectedEventError(
                "unsupported_version" if exc.unsupported_version else "invalid", str(exc)
            ) from None
        problems = time_problems(event, self.clock(), self.limits)
        if problems:
            raise RejectedEventError("invalid", "; ".join(problems))
        return event

    def _encode_alerts(self, alerts: list[Alert]) -> list[Record]:
        records = []
        for alert in alerts:
            value = encode(alert)
            if len(value) > self.limits.max_message_bytes:
                raise RuntimeError(
                    f"its {alert.level} alert would be {len(value):,} bytes, above the "
                    f"{self.limits.max_message_bytes:,}-byte message limit"
                )
            records.append(Record("alerts", alert.seller_id.encode("utf-8"), value))
        return records

    def _count_judged(
        self,
        stream: StreamKind,
        event: ListingEvent | OrderEvent,
        judgement: Judgement,
        started: float,
    ) -> None:
        metrics = self.metrics
        self._valid[stream].inc()
        for reason in judgement.reasons:
            self._rule_hit(reason.rule)
        for alert in judgement.alerts:
            metrics.alerts.labels(alert.level, alert.severity).inc()
            if alert.level == "seller":
                for reason in alert.reasons:
                    self._rule_hit(reason.rule)
        if not judgement.counted:
            metrics.late_events.labels(stream).inc()
        if judgement.suppressed:
            metrics.suppressed_alerts.inc(judgement.suppressed)
        currency = event.currency
        if currency is not None and currency not in self.rules.catalog.rates:
            self._unknown_currency(stream, currency)
        self._processing[stream].observe(time.perf_counter() - started)

    def _unknown_currency(self, stream: StreamKind, currency: str) -> None:
        """Count an event judged without the price rule: no rate for its currency."""
        self.metrics.unknown_currency.labels(stream).inc()
        logged = self._currencies_logged
        if currency not in logged and len(logged) < MAX_CURRENCIES_LOGGED:
            logged.add(currency)
            logger.warning(
                "currency %s has no exchange rate in rules %s: its events are judged "
                "without the price rule (add it to [catalog.rates] in the rules file)",
                currency,
                self.rules.config.version,
            )

    def _rule_hit(self, rule: str) -> None:
        counter = self._rule_hits.get(rule)
        if counter is None:
            counter = self._rule_hits[rule] = self.metrics.rule_hits.labels(rule)
        counter.inc()

    def _dead_letter(
        self,
        stream: StreamKind,
        source: Source,
        raw: bytes | None,
        kind: DeadLetterKind,
        error: str,
    ) -> Outcome:
        outcome = "failed" if kind == "processing_error" else "invalid"
        self.metrics.events.labels(stream, outcome).inc()
        self.metrics.dead_letters.labels(stream, kind).inc()
        letter, record = dead_letter_record(source, error, raw, self.clock(), kind, self.limits)
        return Outcome(dead_letter=letter, records=[record])

    def failed(
        self, stream: StreamKind, source: Source, raw: bytes | None, exc: Exception
    ) -> Outcome:
        """Dead-letter a message the monitor failed on (a bug), and log it (throttled)."""
        what = f"{type(exc).__name__}: {exc}"
        self._failures.log(
            type(exc).__name__,
            logging.ERROR,
            "failed to process %s[%d]@%d (%r); it went to the dead-letter topic",
            source.topic,
            source.partition,
            source.offset,
            what[:200],
            exc_info=exc,
        )
        return self._dead_letter(
            stream,
            source,
            raw,
            "processing_error",
            f"the monitor failed on this event ({what}); it is not in the seller's "
            "statistics. This is a bug in the monitor: please report it with this dead letter",
        )
