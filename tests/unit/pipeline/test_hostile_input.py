"""No message can crash the processor, and every one is accounted for (in memory).

The same hostile messages go through a real worker in
``tests/integration/test_hostile.py``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from prometheus_client import CollectorRegistry

from schemas import Alert, DeadLetter, ListingEvent
from stream.pipeline.detector import Judgement
from stream.pipeline.limits import DEFAULT_LIMITS, Limits
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor, Outcome, Source, copy_bytes, make_dead_letter
from stream.rules import CompiledRules, load_rules
from stream.stats.store import CachedSellerStore
from tests.fixtures import example
from tests.hostile import Hostile, Kind, contract_events, hostile_messages, listing

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
RULES = CompiledRules.build(load_rules())


def new_processor(
    registry: CollectorRegistry | None = None, limits: Limits = DEFAULT_LIMITS
) -> EventProcessor:
    return EventProcessor(
        RULES,
        MonitorMetrics(registry or CollectorRegistry()),
        lambda: NOW,
        store=CachedSellerStore({}),
        limits=limits,
    )


def process(processor: EventProcessor, kind: Kind, value: bytes, key: bytes | None) -> Outcome:
    source = Source(kind, 2, 41, key)
    if kind == "listings":
        return processor.on_listing(value, source)
    return processor.on_order(value, source)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("message", hostile_messages(), ids=lambda m: m.name)
def test_every_hostile_message_is_judged_or_dead_lettered_with_its_reason(
    message: Hostile,
) -> None:
    registry = CollectorRegistry()
    processor = new_processor(registry)
    outcome = process(processor, message.kind, message.value, message.key)
    letter = outcome.dead_letter
    if message.dead_letter_kind is None:
        assert letter is None
        valid = {"stream": message.kind, "outcome": "valid"}
        assert sample(registry, "listing_monitor_events_total", **valid) == 1
        return
    assert letter is not None
    assert outcome.alerts == []
    assert letter.error_kind == message.dead_letter_kind
    for name in message.error_names:
        assert name in letter.error, (name, letter.error)
    labels = {"stream": message.kind, "reason": message.dead_letter_kind}
    assert sample(registry, "listing_monitor_dead_letters_total", **labels) == 1
    assert (
        sample(registry, "listing_monitor_events_total", stream=message.kind, outcome="invalid")
        == 1
    )
    # what identifies the whole original, whatever was copied
    assert letter.payload_size == len(message.value)
    assert letter.payload_sha256 == hashlib.sha256(message.value).hexdigest()
    assert (letter.source_topic, letter.partition, letter.offset) == (message.kind, 2, 41)


@pytest.mark.parametrize("message", hostile_messages(), ids=lambda m: m.name)
def test_everything_published_fits_in_a_message(message: Hostile) -> None:
    limits = Limits()
    outcome = process(new_processor(), message.kind, message.value, message.key)
    assert outcome.records
    for record in outcome.records:
        assert len(record.value) + len(record.key or b"") <= limits.max_message_bytes
        assert len(record.key or b"") <= limits.dead_letter_key_bytes + 128


def test_a_dead_letter_keeps_a_capped_copy_of_payload_and_key() -> None:
    processor = new_processor(limits=Limits(dead_letter_payload_bytes=100, dead_letter_key_bytes=8))
    payload = orjson.dumps(listing(title="t" * 5000))
    outcome = process(processor, "listings", payload, b"K" * 50)
    letter = outcome.dead_letter
    assert letter is not None
    assert letter.payload == payload[:100].decode()
    assert letter.payload_truncated
    assert (letter.key, letter.key_size, letter.key_truncated) == ("K" * 8, 50, True)
    assert outcome.records[0].key == b"K" * 8  # the Kafka key of the dead letter too
    short = process(processor, "listings", b"{}", b"S-1").dead_letter
    assert short is not None
    assert (short.payload, short.payload_truncated, short.key_truncated) == ("{}", False, False)


def test_a_dead_letter_full_of_escapes_still_fits() -> None:
    limits = Limits(dead_letter_payload_bytes=512 * 1024, max_message_bytes=1024 * 1024)
    outcome = process(new_processor(limits=limits), "orders", b"\x01" * 600_000, b"S-1")
    assert outcome.dead_letter is not None
    assert len(outcome.records[0].value) <= limits.max_message_bytes
    assert outcome.dead_letter.payload_truncated


@pytest.mark.parametrize(
    ("data", "cap", "expected"),
    [
        ("héllo".encode(), 100, ("héllo", "utf-8", False)),
        ("héllo".encode(), 2, ("h", "utf-8", True)),  # the cut fell inside "é"
        ("高仿".encode(), 4, ("高", "utf-8", True)),
        (b"\xff\xfe", 10, (base64.b64encode(b"\xff\xfe").decode(), "base64", False)),
        (b"ab\xffcd", 3, (base64.b64encode(b"ab\xff").decode(), "base64", True)),
    ],
)
def test_copied_bytes_stay_text_when_they_were_text(
    data: bytes, cap: int, expected: tuple[str, str, bool]
) -> None:
    assert copy_bytes(data, cap) == expected


def test_dead_letter_error_text_is_bounded() -> None:
    letter = make_dead_letter(Source("listings", 0, 1, None), "e" * 10_000, b"{}", NOW)
    assert len(letter.error) <= 2000


def test_unknown_currency_is_judged_without_the_price_rule_counted_and_named_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    processor = new_processor(registry)
    with caplog.at_level(logging.WARNING, logger="stream.pipeline.processor"):
        for n in range(3):
            event = listing(event_id=f"e-{n}", listing_id=f"L-{n}", currency="XXX", title="bag")
            outcome = process(processor, "listings", orjson.dumps(event), b"S-42")
            assert outcome.dead_letter is None
            rules = {r.rule for a in outcome.alerts for r in a.reasons}
            assert "price_far_below_reference" not in rules
    assert sample(registry, "listing_monitor_unknown_currency_total", stream="listings") == 3
    assert caplog.text.count("currency XXX has no exchange rate") == 1


def test_a_failure_while_judging_dead_letters_that_event_and_the_next_is_judged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    registry = CollectorRegistry()
    processor = new_processor(registry)
    real = processor.detector.on_listing

    def broken(event: ListingEvent) -> Judgement:
        if event.event_id == "evt-bug":
            raise KeyError("boom")
        return real(event)

    monkeypatch.setattr(processor.detector, "on_listing", broken)
    bug = orjson.dumps(listing(event_id="evt-bug"))
    with caplog.at_level(logging.ERROR, logger="stream.pipeline.processor"):
        outcome = process(processor, "listings", bug, b"S-42")
        process(processor, "listings", bug, b"S-42")
    letter = outcome.dead_letter
    assert letter is not None
    assert letter.error_kind == "processing_error"
    assert "KeyError" in letter.error
    assert "please report it" in letter.error
    assert letter.payload.encode() == bug
    labels = {"stream": "listings"}
    assert sample(registry, "listing_monitor_events_total", outcome="failed", **labels) == 2
    assert (
        sample(registry, "listing_monitor_dead_letters_total", reason="processing_error", **labels)
        == 2
    )
    assert caplog.text.count("failed to process listings[2]@41") == 1  # throttled
    assert process(processor, "listings", example("listing_created.json"), b"S-42").alerts


def test_an_alert_too_large_to_publish_dead_letters_its_event() -> None:
    processor = new_processor(limits=Limits(max_message_bytes=300))
    outcome = process(processor, "listings", example("listing_created.json"), b"S-42")
    assert outcome.alerts == []
    assert outcome.dead_letter is not None
    assert outcome.dead_letter.error_kind == "processing_error"
    assert "above the 300-byte message limit" in outcome.dead_letter.error


def test_times_are_checked_against_the_processors_clock() -> None:
    processor = new_processor()
    ahead = (NOW + timedelta(minutes=59)).isoformat()
    too_far = (NOW + timedelta(minutes=61)).isoformat()
    assert process(processor, "orders", orjson.dumps(ok_order(ahead)), b"S").dead_letter is None
    letter = process(processor, "orders", orjson.dumps(ok_order(too_far)), b"S").dead_letter
    assert letter is not None
    assert "event_time" in letter.error
    assert "more than 1 hour ahead" in letter.error


def ok_order(event_time: str) -> dict[str, object]:
    event: dict[str, object] = orjson.loads(example("order_placed.json"))
    event["event_time"] = event_time
    event["event_id"] = f"o-{event_time}"
    return event


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(contract_events())
def test_any_event_built_from_the_contract_is_judged_or_dead_lettered(
    event: tuple[Kind, bytes],
) -> None:
    kind, value = event
    registry = CollectorRegistry()
    processor = new_processor(registry)
    outcome = process(processor, kind, value, b"S-1")
    judged = sample(registry, "listing_monitor_events_total", stream=kind, outcome="valid")
    dead = sum(
        sample(registry, "listing_monitor_dead_letters_total", stream=kind, reason=reason)
        for reason in ("invalid", "unsupported_version", "too_large", "processing_error")
    )
    assert judged + dead == 1
    assert (outcome.dead_letter is not None) == (dead == 1)
    if outcome.dead_letter is not None:
        assert outcome.dead_letter.error_kind != "processing_error", outcome.dead_letter.error
        assert DeadLetter.model_validate_json(outcome.records[0].value) == outcome.dead_letter
    for alert in outcome.alerts:
        assert 2000 <= alert.event_time.year <= 2100
    for record in outcome.records:
        assert len(record.value) <= Limits().max_message_bytes
        if record.topic == "alerts":
            Alert.model_validate_json(record.value)
    # whatever the event did to the seller's state, it can be written
    store = processor.store
    assert isinstance(store, CachedSellerStore)
    resets: list[str] = []
    store.on_reset = resets.append
    store.flush()
    assert resets == []
