"""No message can stop the monitor (through the real broker).

A hostile corpus (every class of the poison-pill issue, plus events built by
hypothesis from the contract with extreme values) goes to a running worker,
then valid listings: the worker stays up, judges every valid listing, and its
dead letters and counters equal what was invalid. A worker that reads the
same input again does not crash either, and SIGTERM stops a worker in time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from schemas import DeadLetter
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor, Source
from stream.rules import CompiledRules, load_rules
from stream.stats.store import CachedSellerStore
from tests.hostile import Hostile, Kind, contract_events, hostile_messages, listing
from tests.integration.conftest import RunningMonitor

pytestmark = pytest.mark.integration

Start = Callable[..., RunningMonitor]
GENERATED = 120  # hypothesis events in the corpus
VALID_AFTER = 50  # valid listings sent after the corpus
STOP_BOUND = 20.0  # LISTING_MONITOR_SHUTDOWN_TIMEOUT's default: SIGTERM exits within it


def generated_corpus(count: int) -> list[tuple[Kind, bytes]]:
    """``count`` events from :func:`tests.hostile.contract_events`, the same every run."""
    corpus: list[tuple[Kind, bytes]] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(contract_events())
    def collect(event: tuple[Kind, bytes]) -> None:
        corpus.append(event)

    collect()
    return corpus


def expected_kind(kind: Kind, value: bytes) -> str | None:
    """What the monitor makes of one generated event: None (judged) or the dead letter's kind."""
    processor = EventProcessor(
        CompiledRules.build(load_rules()),
        MonitorMetrics(CollectorRegistry()),
        store=CachedSellerStore({}),
    )
    source = Source(kind, 0, 0, None)
    outcome = (processor.on_listing if kind == "listings" else processor.on_order)(value, source)
    return None if outcome.dead_letter is None else outcome.dead_letter.error_kind


def valid_listings() -> list[dict[str, Any]]:
    """Fraudulent listings of distinct sellers: each one is judged into one alert."""
    return [
        listing(event_id=f"after-{n}", listing_id=f"L-after-{n}", seller_id=f"S-after-{n}")
        for n in range(VALID_AFTER)
    ]


def metric_sum(monitor: RunningMonitor, name: str, stream: str, values: tuple[str, ...]) -> float:
    label = "outcome" if name == "listing_monitor_events_total" else "reason"
    return sum(monitor.metric(f'{name}{{{label}="{value}",stream="{stream}"}}') for value in values)


def consumed(monitor: RunningMonitor) -> float:
    return sum(
        metric_sum(monitor, "listing_monitor_events_total", stream, ("valid", "invalid", "failed"))
        for stream in ("listings", "orders")
    )


def wait_until_consumed(monitor: RunningMonitor, total: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while consumed(monitor) < total:
        assert monitor.process.poll() is None, f"worker died:\n{monitor.log_tail()}"
        assert time.monotonic() < deadline, (
            f"consumed {consumed(monitor):g} of {total}:\n{monitor.log_tail()}"
        )
        time.sleep(0.5)


def test_hostile_corpus_neither_stops_nor_stalls_the_worker_and_every_message_is_counted(
    start_monitor: Start,
) -> None:
    handmade = hostile_messages()
    generated = generated_corpus(GENERATED)
    corpus: list[Hostile] = handmade + [
        Hostile(f"generated {n}", kind, value, dead_letter_kind=expected_kind(kind, value))
        for n, (kind, value) in enumerate(generated)
    ]
    after = valid_listings()
    monitor = start_monitor()
    # Compressed, a 5 MB event passes the broker's 1 MiB limit: the monitor must cope.
    producer = KafkaProducer(
        bootstrap_servers=monitor.settings.bootstrap.split(","),
        compression_type="gzip",
        max_request_size=16 * 1024 * 1024,
        acks="all",
    )
    topics = {"listings": monitor.settings.listings_topic, "orders": monitor.settings.orders_topic}
    try:
        for message in corpus:
            producer.send(topics[message.kind], key=message.key, value=message.value)
        for event in after:
            producer.send(
                topics["listings"], key=event["seller_id"].encode(), value=orjson.dumps(event)
            )
        producer.flush(timeout=60)
    finally:
        producer.close()
    total = len(corpus) + len(after)
    wait_until_consumed(monitor, total)

    # Every valid listing after the corpus was judged.
    alerts = monitor.collect(
        monitor.settings.alerts_topic,
        lambda found: {a["trigger_event_id"] for a in found} >= {e["event_id"] for e in after},
        timeout=60,
    )
    triggers = {a["trigger_event_id"] for a in alerts}
    assert {e["event_id"] for e in after} <= triggers, monitor.log_tail()

    # One dead letter per invalid message, with its kind; the counters agree.
    invalid = [m for m in corpus if m.dead_letter_kind is not None]
    letters = [DeadLetter.model_validate(d) for d in monitor.dead_letters(len(invalid), timeout=60)]
    assert len(letters) == len(invalid), monitor.log_tail()
    sent_offsets: dict[tuple[str, int], Hostile] = {}
    per_topic = {"listings": 0, "orders": 0}
    for message in corpus:
        sent_offsets[(topics[message.kind], per_topic[message.kind])] = message
        per_topic[message.kind] += 1
    for letter in letters:
        message = sent_offsets[(letter.source_topic, letter.offset)]
        assert letter.error_kind == message.dead_letter_kind, (message.name, letter.error)
        for name in message.error_names:
            assert name in letter.error, (message.name, letter.error)
        assert letter.payload_size == len(message.value)
    reasons = ("invalid", "unsupported_version", "too_large", "processing_error")
    for stream in ("listings", "orders"):
        expected = sum(1 for m in invalid if m.kind == stream)
        assert (
            metric_sum(monitor, "listing_monitor_dead_letters_total", stream, reasons) == expected
        )
        assert (
            metric_sum(monitor, "listing_monitor_events_total", stream, ("invalid", "failed"))
            == expected
        )
    assert monitor.metric('listing_monitor_state_resets_total{reason="unencodable"}') == 0
    assert monitor.process.poll() is None, monitor.log_tail()

    # SIGTERM stops the worker within the stated bound.
    began = time.monotonic()
    assert monitor.stop() == 0, monitor.log_tail()
    assert time.monotonic() - began < STOP_BOUND

    # A worker that reads the same input again (a new group, from the beginning) copes too.
    again = start_monitor(
        monitor.settings.model_copy(update={"app_id": f"lm-test-{uuid.uuid4().hex[:10]}"})
    )
    wait_until_consumed(again, total)
    assert metric_sum(again, "listing_monitor_events_total", "listings", ("valid",)) == sum(
        1 for m in corpus if m.kind == "listings" and m.dead_letter_kind is None
    ) + len(after)
    assert again.process.poll() is None, again.log_tail()
