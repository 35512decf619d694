"""The Faust-free pipeline: bytes in, alerts or dead letters out, counted."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest
from prometheus_client import CollectorRegistry

from schemas import Alert, DeadLetter
from stream.pipeline.detector import DictSellerStore
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor, Source, encode
from stream.rules import CompiledRules, load_rules
from tests.fixtures import INVALID, INVALID_CASES, example

# after every example's event_time (events may be at most an hour ahead of the clock)
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SOURCE = Source("listings", 0, 17, b"S-42")


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def processor(registry: CollectorRegistry) -> EventProcessor:
    return EventProcessor(CompiledRules.build(load_rules()), MonitorMetrics(registry), lambda: NOW)


def metric(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_fraudulent_listing_yields_one_alert(
    processor: EventProcessor, registry: CollectorRegistry
) -> None:
    outcome = processor.on_listing(example("listing_created.json"), SOURCE)
    assert outcome.dead_letter is None
    assert len(outcome.alerts) == 1
    assert outcome.alerts[0].alert_time == NOW
    assert metric(registry, "listing_monitor_events_total", stream="listings", outcome="valid") == 1
    assert (
        metric(registry, "listing_monitor_alerts_total", level="listing", severity="critical") == 1
    )
    assert (
        metric(registry, "listing_monitor_rule_hits_total", rule="price_far_below_reference") == 1
    )


def test_same_event_twice_gives_the_same_alert_id(processor: EventProcessor) -> None:
    first = processor.on_listing(example("listing_created.json"), SOURCE).alerts[0]
    second = processor.on_listing(example("listing_created.json"), SOURCE).alerts[0]
    assert first.alert_id == second.alert_id


def test_removed_listing_yields_nothing(processor: EventProcessor) -> None:
    outcome = processor.on_listing(example("listing_removed.json"), SOURCE)
    assert outcome.alerts == []
    assert outcome.dead_letter is None


def test_valid_orders_pass(processor: EventProcessor, registry: CollectorRegistry) -> None:
    for name in ("order_placed.json", "order_refunded.json"):
        outcome = processor.on_order(example(name), Source("orders", 0, 1, b"S-42"))
        assert outcome.dead_letter is None
    assert metric(registry, "listing_monitor_events_total", stream="orders", outcome="valid") == 2


@pytest.mark.parametrize("name", sorted(INVALID_CASES))
def test_invalid_examples_become_dead_letters(
    processor: EventProcessor, registry: CollectorRegistry, name: str
) -> None:
    kind, expected = INVALID_CASES[name]
    raw = (INVALID / name).read_bytes()
    source = Source(kind, 2, 99, b"S-1")
    handle = processor.on_order if kind == "orders" else processor.on_listing
    outcome = handle(raw, source)
    assert outcome.alerts == []
    letter = outcome.dead_letter
    assert letter is not None
    assert expected in letter.error
    assert (letter.source_topic, letter.partition, letter.offset, letter.key) == (
        kind,
        2,
        99,
        "S-1",
    )
    assert letter.payload.encode("utf-8") == raw
    assert letter.received_at == NOW
    assert (
        metric(registry, "listing_monitor_dead_letters_total", stream=kind, reason="invalid") == 1
    )
    assert metric(registry, "listing_monitor_events_total", stream=kind, outcome="invalid") == 1


def test_binary_payload_and_key_are_kept_as_base64(processor: EventProcessor) -> None:
    raw = b"\xff\xfe\x00binary"
    outcome = processor.on_listing(raw, Source("listings", 0, 1, b"\xff"))
    letter = outcome.dead_letter
    assert letter is not None
    assert letter.payload_encoding == "base64"
    assert base64.b64decode(letter.payload) == raw
    assert letter.key_encoding == "base64"
    assert base64.b64decode(letter.key or "") == b"\xff"


def test_empty_message_and_missing_key(processor: EventProcessor) -> None:
    outcome = processor.on_listing(None, Source("listings", 0, 5, None))
    assert outcome.dead_letter is not None
    assert "empty" in outcome.dead_letter.error
    assert outcome.dead_letter.key is None


def test_messages_are_encoded_as_contract_json(processor: EventProcessor) -> None:
    alert = processor.on_listing(example("listing_created.json"), SOURCE).alerts[0]
    decoded = orjson.loads(encode(alert))
    assert decoded["alert_time"] == "2026-11-30T09:00:00Z"
    assert decoded["event_time"] == "2026-11-22T08:15:00Z"
    assert Alert.model_validate(decoded) == alert
    letter = processor.on_listing(b"{", SOURCE).dead_letter
    assert letter is not None
    assert DeadLetter.model_validate_json(encode(letter)) == letter


@pytest.fixture
def rerouting(registry: CollectorRegistry) -> EventProcessor:
    """A processor of a worker among several partitions: misrouted events are forwarded."""
    return EventProcessor(
        CompiledRules.build(load_rules()), MonitorMetrics(registry), lambda: NOW, reroute=True
    )


@pytest.mark.parametrize("key", [b"S-7", b"", None])
def test_an_event_keyed_other_than_by_its_seller_is_forwarded_not_judged(
    rerouting: EventProcessor, registry: CollectorRegistry, key: bytes | None
) -> None:
    raw = example("listing_created.json")
    outcome = rerouting.on_listing(raw, Source("listings", 2, 5, key))
    assert outcome.alerts == []
    assert outcome.dead_letter is None
    assert [(r.topic, r.key, r.value) for r in outcome.records] == [
        ("listings_by_seller", b"S-42", raw)
    ]
    assert metric(registry, "listing_monitor_rerouted_events_total", stream="listings") == 1
    assert metric(registry, "listing_monitor_events_total", stream="listings", outcome="valid") == 0
    assert isinstance(rerouting.store, DictSellerStore)
    assert "S-42" not in rerouting.store.states  # no statistics on the wrong partition


def test_a_forwarded_event_is_judged_where_it_arrives(rerouting: EventProcessor) -> None:
    outcome = rerouting.on_rerouted_listing(
        example("listing_created.json"), Source("app-listings-by-seller", 2, 9, b"S-42")
    )
    assert len(outcome.alerts) == 1
    assert [r.topic for r in outcome.records] == ["alerts"]


def test_orders_are_forwarded_to_their_own_topic(rerouting: EventProcessor) -> None:
    outcome = rerouting.on_order(example("order_placed.json"), Source("orders", 0, 1, b"B-1"))
    assert [r.topic for r in outcome.records] == ["orders_by_seller"]


def test_correct_keys_and_invalid_events_take_no_extra_hop(rerouting: EventProcessor) -> None:
    judged = rerouting.on_listing(example("listing_created.json"), SOURCE)
    assert [r.topic for r in judged.records] == ["alerts"]
    invalid = rerouting.on_listing(b"not json", Source("listings", 0, 3, b"x"))
    assert invalid.dead_letter is not None  # dead-lettered where it was read


def test_one_partition_judges_every_key(processor: EventProcessor) -> None:
    outcome = processor.on_listing(example("listing_created.json"), Source("listings", 0, 1, None))
    assert len(outcome.alerts) == 1
