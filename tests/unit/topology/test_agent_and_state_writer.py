"""The agent loop and the state writer without a broker (see ``fakes``)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor
from stream.rings.messages import decode_announcements
from stream.rules import CompiledRules, load_rules
from stream.stats.store import CachedSellerStore
from stream.topology.agent import JudgeAgent
from stream.topology.handover import Handover
from stream.topology.publisher import Publisher
from stream.topology.rings import RingSender
from stream.topology.state_writer import StateWriter
from tests.fixtures import example
from tests.unit.topology.fakes import (
    FakeClient,
    FakeConsumer,
    FakeProducer,
    FakeTable,
    FakeTopic,
    batches,
    events,
    recorded_context,
)

LISTINGS, ORDERS = "in-listings", "in-orders"
FORWARDED = "app-listings-by-seller"


class Built:
    """One agent with its store, writer and topics, all in memory."""

    def __init__(
        self, batch_capacity: int = 1000, rings: bool = False, reroute: bool = False
    ) -> None:
        self.metrics = MonitorMetrics(CollectorRegistry())
        self.sellers = FakeTable("seller-state")
        self.references = FakeTable("reference-prices")
        self.store = CachedSellerStore(self.sellers)
        self.processor = EventProcessor(
            CompiledRules.build(load_rules()), self.metrics, store=self.store, reroute=reroute
        )
        self.client = FakeClient(batch_capacity)
        self.entered: list[Any] = []
        self.writer = StateWriter(
            self.store,
            self.sellers,
            self.references,
            self.processor.detector.references,
            self.metrics,
            producer=FakeProducer,
            client=lambda: self.client,
            context=lambda: recorded_context(self.entered),
        )
        self.consumer = FakeConsumer()
        self.handover = Handover(
            lambda: self.writer.write_and_commit(self.consumer),
            batch_timeout=1.0,
            inputs=frozenset({LISTINGS, ORDERS, FORWARDED}),
        )
        self.alerts, self.dead = FakeTopic("alerts"), FakeTopic("dead")
        self.identifiers, self.updates = FakeTopic("identifiers"), FakeTopic("updates")
        self.forwarded = FakeTopic("forwarded")
        topics = {"alerts": self.alerts, "dead_letter": self.dead}
        if reroute:
            topics["listings_by_seller"] = self.forwarded
        if rings:
            topics |= {"ring_identifiers": self.identifiers, "ring_updates": self.updates}
        self.agent = JudgeAgent(
            self.processor,
            {LISTINGS: "listings", ORDERS: "orders"},
            self.store,
            self.writer,
            self.handover,
            Publisher(topics, self.metrics),
            RingSender(2, self.metrics).records if rings else None,
            rerouted={FORWARDED: "listings"} if reroute else None,
        )


def fake_listing(seller: str, n: int) -> bytes:
    event = orjson.loads(example("listing_created.json"))
    event.update(
        event_id=f"{seller}-e{n}",
        listing_id=f"{seller}-L{n}",
        seller_id=seller,
        brand="Gucci",
        category="bags/handbags",
        title="Gucci GG Marmont shoulder bag replica",
        price=600.0,
        currency="CNY",
    )
    return orjson.dumps(event)


def test_the_agent_judges_publishes_and_dead_letters_each_batch() -> None:
    built = Built()
    first = events(LISTINGS, [fake_listing("S-1", 1), b"not json"])
    second = events(ORDERS, [example("order_placed.json")], partition=1)
    asyncio.run(built.agent.run(batches(first, second)))
    assert len(built.alerts.sent) >= 1
    assert built.alerts.sent[0][0] == b"S-1"  # keyed by seller
    [(_, letter)] = built.dead.sent
    assert orjson.loads(letter)["offset"] == 1
    assert built.store.dirty  # changed states wait for the writer
    assert built.writer.latest_event.keys() == {0, 1}


def test_a_misrouted_listing_is_forwarded_and_judged_where_it_arrives() -> None:
    built = Built(reroute=True)
    misrouted = events(LISTINGS, [fake_listing("S-1", 1)])  # keyed b"S", not b"S-1"
    asyncio.run(built.agent.run(batches(misrouted)))
    assert built.alerts.sent == []
    [(key, value)] = built.forwarded.sent
    assert key == b"S-1"
    arrived = events(FORWARDED, [value])  # its key is not looked at here: never forwarded again
    asyncio.run(built.agent.run(batches(arrived)))
    assert {key for key, _ in built.alerts.sent} == {b"S-1"}
    assert len(built.forwarded.sent) == 1


def test_the_agent_times_each_alert_from_its_input_and_remembers_the_last_judged_event() -> None:
    built = Built()
    built.agent.clock = lambda: 1_000.25
    first = events(LISTINGS, [fake_listing("S-1", 1), b"not json"])
    first[0].message.timestamp, first[1].message.timestamp = 1_000.0, 1_000.1
    orders = events(ORDERS, [example("order_placed.json")], partition=1)
    orders[0].message.timestamp = 999.0
    asyncio.run(built.agent.run(batches(first + orders)))
    alerts = len(built.alerts.sent)
    assert alerts >= 1
    registry = built.metrics.registry
    count = registry.get_sample_value(
        "listing_monitor_alert_latency_seconds_count", {"level": "listing"}
    )
    total = registry.get_sample_value(
        "listing_monitor_alert_latency_seconds_sum", {"level": "listing"}
    )
    assert count == alerts
    assert total == pytest.approx(0.25 * alerts)  # each from the listing's own timestamp
    # the last event of each stream, whatever it gave (the invalid one counts)
    assert built.agent.last_judged == {"listings": 1_000.1, "orders": 999.0}


def test_what_a_batch_announces_goes_to_the_ring_topics_with_the_batch() -> None:
    built = Built(rings=True)
    batch = events(LISTINGS, [fake_listing("S-1", 1), fake_listing("S-2", 1)])
    asyncio.run(built.agent.run(batches(batch)))
    # the listings' profiles announce their identifiers: at most one message
    # per identifiers partition for the whole batch, each on its partition
    announced = [decode_announcements(value) for _, value in built.identifiers.sent]
    assert {a.seller_id for group in announced for a in group} == {"S-1", "S-2"}
    assert len(built.identifiers.partitions) == len(set(built.identifiers.partitions)) <= 2
    assert built.updates.sent  # their own high alerts: member statuses


def test_the_agent_judges_no_event_twice_and_nothing_while_handing_over() -> None:
    built = Built()
    batch = events(LISTINGS, [fake_listing("S-1", 1)])
    asyncio.run(built.agent.run(batches(batch, batch)))  # a second copy of the same offsets
    assert len(built.alerts.sent) == 1
    built.handover.in_progress = True
    asyncio.run(built.agent.run(batches(events(LISTINGS, [fake_listing("S-2", 2)], first=5))))
    assert len(built.alerts.sent) == 1


def test_the_agent_restores_references_once_per_assignment() -> None:
    built = Built()
    restored: list[int] = []
    built.writer.restore_references = lambda: restored.append(1)  # type: ignore[method-assign]
    asyncio.run(built.agent.run(batches(events(LISTINGS, [fake_listing("S-1", 1)]))))
    asyncio.run(built.agent.run(batches(events(LISTINGS, [fake_listing("S-1", 2)], first=1))))
    assert restored == [1]
    built.agent.forget()
    asyncio.run(built.agent.run(batches(events(LISTINGS, [fake_listing("S-1", 3)], first=2))))
    assert restored == [1, 1]


def test_a_failing_handler_dead_letters_its_event_and_the_loop_goes_on() -> None:
    built = Built()

    def broken(raw: bytes | None, source: Any) -> Any:
        raise RuntimeError("boom")

    built.agent.handlers[LISTINGS] = broken
    batch = events(LISTINGS, [fake_listing("S-1", 1), fake_listing("S-1", 2)])
    asyncio.run(built.agent.run(batches(batch)))
    assert len(built.dead.sent) == 2
    assert "boom" in orjson.loads(built.dead.sent[0][1])["error"]


def test_the_writer_writes_local_store_then_changelog_in_batches_then_commits() -> None:
    built = Built(batch_capacity=2)
    sellers = [f"S-{n}" for n in range(5)]
    batch = [
        e for n, s in enumerate(sellers) for e in events(LISTINGS, [fake_listing(s, n)], first=n)
    ]
    asyncio.run(built.agent.run(batches(batch)))
    asyncio.run(built.writer.write_and_commit(built.consumer))
    assert set(built.sellers.data) == {s.encode() for s in sellers}  # the local store
    assert built.sellers == {}  # not through the table API
    sent = [record for _, _, records in built.client.sent for record in records]
    assert sorted(key for key, _ in sent) == sorted(s.encode() for s in sellers)
    assert all(len(records) <= 2 for _, _, records in built.client.sent)  # full batches split
    producer = FakeProducer()
    for topic, partition, records in built.client.sent:
        assert topic == "app-seller-state-changelog"
        assert {producer.key_partition(topic, k).partition for k, _ in records} == {partition}
    # both changelogs' metadata first (the commit writes sketches through the table API)
    assert set(built.client.metadata) == {
        "app-seller-state-changelog",
        "app-reference-prices-changelog",
    }
    assert built.consumer.commits == 1
    assert not built.store.dirty
    assert built.metrics.state_writes._value.get() == 5
    assert built.metrics.state_bytes._value.get() == sum(len(v) for _, v in sent)
    assert len(built.entered) == 5  # each write in the context of its partition's event


def test_nothing_changed_means_only_a_commit() -> None:
    built = Built()
    asyncio.run(built.writer.write_and_commit(built.consumer))
    assert built.client.sent == []
    assert built.consumer.commits == 1


def test_the_flush_before_a_commit_writes_states_and_sketches_through_the_tables() -> None:
    built = Built()
    honest = orjson.loads(fake_listing("S-9", 1))
    honest.update(
        title="Gucci GG Marmont shoulder bag",
        price=19_500.0,
        quantity=3,
        ship_from={"country": "CN", "province": "Shanghai", "city": "Shanghai"},
    )
    batch = events(LISTINGS, [orjson.dumps(honest)])
    asyncio.run(built.agent.run(batches(batch)))
    assert built.processor.detector.references.dirty  # an honest price was learned
    # Faust's table API needs the producer's metadata of the changelogs: without
    # it nothing is written (it would raise and stop the worker), all waits
    built.writer.flush()
    assert built.sellers == {}
    assert built.references == {}
    assert built.store.dirty
    built.client.known |= {"app-seller-state-changelog", "app-reference-prices-changelog"}
    built.writer.flush()
    assert b"S-9" in built.sellers
    # the sketch, to the event's own partition of the changelog and the local store
    partition = batch[0].message.partition
    [(sent_to, key, raw)] = built.references.changelog
    assert (sent_to, key.split(b"|")[-1]) == (partition, str(partition).encode())
    assert built.references.data == {key: raw}
    assert not built.store.dirty
    built.writer.flush()  # nothing left: nothing written
    assert built.metrics.state_writes._value.get() == 1
    assert built.metrics.state_bytes._value.get() == len(built.sellers[b"S-9"])


def test_without_the_changelogs_metadata_nothing_is_committed_and_nothing_raises() -> None:
    built = Built()

    async def unreachable(topic: str) -> set[int]:
        raise TimeoutError("metadata")

    built.client.partitions_for = unreachable  # type: ignore[method-assign]
    batch = events(LISTINGS, [fake_listing("S-1", 1)])
    asyncio.run(built.agent.run(batches(batch)))
    asyncio.run(built.writer.write_and_commit(built.consumer))  # a timer: must not raise
    assert built.consumer.commits == 0
    assert built.store.dirty  # written next time
