"""The per-event pipeline without Faust: bytes in, alerts or a dead letter out.

The Faust agents in :mod:`stream.app` only move bytes between topics and this
processor; everything it decides is unit-testable without a broker.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

import orjson

from schemas import Alert, DeadLetter, InvalidEventError, parse_listing, parse_order
from stream.detector import Detector, DictSellerStore, Judgement, SellerStore
from stream.metrics import MonitorMetrics
from stream.rules import CompiledRules

StreamKind = Literal["listings", "orders"]


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Origin(NamedTuple):
    """Where an input message came from (a tuple: built for every event, cheaply)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None


@dataclass
class Outcome:
    """What processing one input message produced."""

    alerts: list[Alert] = field(default_factory=list)
    dead_letter: DeadLetter | None = None


def _text_or_base64(data: bytes) -> tuple[str, Literal["utf-8", "base64"]]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


def make_dead_letter(
    origin: Origin, error: str, payload: bytes | None, now: datetime
) -> DeadLetter:
    """A DeadLetter that keeps the original key and bytes next to the reason."""
    key, key_encoding = (None, "utf-8") if origin.key is None else _text_or_base64(origin.key)
    text, encoding = _text_or_base64(payload or b"")
    return DeadLetter(
        source_topic=origin.topic,
        partition=origin.partition,
        offset=origin.offset,
        key=key,
        key_encoding=key_encoding,  # type: ignore[arg-type]
        error=error,
        payload=text,
        payload_encoding=encoding,
        received_at=now,
    )


def encode(model: Alert | DeadLetter) -> bytes:
    """Serialise an outgoing message as compact UTF-8 JSON."""
    return orjson.dumps(model.model_dump(mode="json"))


class EventProcessor:
    """Validates input events, runs the detector and builds alerts and dead letters."""

    def __init__(
        self,
        rules: CompiledRules,
        metrics: MonitorMetrics,
        clock: Callable[[], datetime] = utc_now,
        store: SellerStore | None = None,
    ) -> None:
        self.rules = rules
        self.metrics = metrics
        self.clock = clock
        self.store: SellerStore = store if store is not None else DictSellerStore()
        self.detector = Detector(rules, self.store, clock)
        # labelled children resolved once: .labels() costs a few µs per call
        self._valid = {s: metrics.events.labels(s, "valid") for s in ("listings", "orders")}
        self._processing = {s: metrics.processing.labels(s) for s in ("listings", "orders")}
        self._rule_hits: dict[str, Any] = {}

    def _invalid(
        self, stream: StreamKind, origin: Origin, error: str, raw: bytes | None
    ) -> Outcome:
        self.metrics.events.labels(stream, "invalid").inc()
        self.metrics.dead_letters.labels(stream).inc()
        return Outcome(dead_letter=make_dead_letter(origin, error, raw, self.clock()))

    def _rule_hit(self, rule: str) -> None:
        counter = self._rule_hits.get(rule)
        if counter is None:
            counter = self._rule_hits[rule] = self.metrics.rule_hits.labels(rule)
        counter.inc()

    def _judged(self, stream: StreamKind, judgement: Judgement, started: float) -> Outcome:
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
        self._processing[stream].observe(time.perf_counter() - started)
        return Outcome(alerts=judgement.alerts)

    def on_listing(self, raw: bytes | None, origin: Origin) -> Outcome:
        """Judge one message from the listings topic."""
        started = time.perf_counter()
        if not raw:
            return self._invalid(
                "listings", origin, "payload is empty: expected a JSON object", raw
            )
        try:
            listing = parse_listing(raw)
        except InvalidEventError as exc:
            return self._invalid("listings", origin, str(exc), raw)
        return self._judged("listings", self.detector.on_listing(listing), started)

    def on_order(self, raw: bytes | None, origin: Origin) -> Outcome:
        """Judge one message from the orders topic (it feeds the seller's statistics)."""
        started = time.perf_counter()
        if not raw:
            return self._invalid("orders", origin, "payload is empty: expected a JSON object", raw)
        try:
            order = parse_order(raw)
        except InvalidEventError as exc:
            return self._invalid("orders", origin, str(exc), raw)
        return self._judged("orders", self.detector.on_order(order), started)
