"""Ring linking's agent bodies without a broker: grouping, edges, alerts, dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import Source
from stream.rings import Announcement, IdentifierIndex, MemberStatus
from stream.rings.book import ring_id_of
from stream.rings.messages import (
    RingUpdates,
    decode_announcements,
    decode_updates,
    encode_announcements,
    encode_updates,
)
from stream.rules import CompiledRules, load_rules
from stream.topology.changelog import LocalStore, send_batches
from stream.topology.handover import Handover
from stream.topology.publisher import Publisher
from stream.topology.rings import (
    BOOK_TABLES,
    INDEX_TABLES,
    RingAgents,
    RingSender,
    RingStep,
    RingTables,
    identifier_partition,
)
from tests.unit.topology.fakes import FakeBatch, FakeClient, FakeTable, FakeTopic, events

RULES = CompiledRules.build(load_rules())


def metrics() -> MonitorMetrics:
    return MonitorMetrics(CollectorRegistry())


def sample(m: MonitorMetrics, name: str, **labels: str) -> float:
    value = m.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def seen(kind: str, value: str, seller: str, at: int = 1000) -> Announcement:
    return Announcement(kind, value, seller, at, "CN/Fujian", f"ev-{seller}-{value}")  # type: ignore[arg-type]


def status(seller: str, band: int = 2, score: float = 80.0) -> MemberStatus:
    return MemberStatus(seller, score, band, "CN/Fujian", f"ev-{seller}-status", 2000)


def agents(m: MonitorMetrics, owns: bool = True) -> RingAgents:
    tables = RingTables({}, {}, {}, {}, {}, {})
    return RingAgents(RULES, tables, m, owns_rings=lambda: owns)


def at(topic: str, partition: int = 0, offset: int = 7) -> Source:
    return Source(topic, partition, offset, None)


def test_a_batch_travels_as_one_message_per_identifier_partition_and_one_of_statuses() -> None:
    m = metrics()
    sender = RingSender(4, m)
    items: list[Announcement | MemberStatus] = [
        seen("phone", f"ph-{n}", f"S{n}") for n in range(12)
    ]
    items.append(status("S1"))
    records = sender.records(items)

    announced = [r for r in records if r.topic == "ring_identifiers"]
    assert len(announced) == len({r.partition for r in announced}) <= 4
    for record in announced:  # each identifier on the partition its key hashes to
        for item in decode_announcements(record.value):
            assert identifier_partition(item.key, 4) == record.partition
    assert sum(len(decode_announcements(r.value)) for r in announced) == 12
    (updates,) = [r for r in records if r.topic == "ring_updates"]
    assert updates.partition == 0
    assert decode_updates(updates.value).statuses == [status("S1")]
    assert sample(m, "listing_monitor_ring_messages_total", kind="announcements") == 12
    assert sample(m, "listing_monitor_ring_messages_total", kind="statuses") == 1
    assert sample(m, "listing_monitor_ring_kafka_messages_total", topic="ring_identifiers") == len(
        announced
    )
    assert sender.records([]) == []


def test_identifier_partition_is_stable_and_in_range() -> None:
    assert identifier_partition("phone:ph-1", 8) == identifier_partition("phone:ph-1", 8)
    assert {identifier_partition(f"tracking:{n}", 8) for n in range(200)} == set(range(8))


def test_a_shared_phone_becomes_an_edge_then_a_ring_then_an_alert_on_flagged_members() -> None:
    m = metrics()
    ring = agents(m)
    first = ring.on_announcements(
        encode_announcements([seen("phone", "ph-1", "A")]), at("x-ring-identifiers")
    )
    assert first == []  # one seller: no edge yet
    second = ring.on_announcements(
        encode_announcements([seen("phone", "ph-1", "B", at=1010)]), at("x-ring-identifiers")
    )
    (updates,) = second
    assert updates.topic == "ring_updates"
    assert updates.partition == 0
    (edge,) = decode_updates(updates.value).edges
    assert edge.members.keys() == {"A", "B"}

    assert ring.on_updates(updates.value, at("x-ring-updates")) == []
    assert ring.book.resolve(ring_id_of("phone:ph-1")) == ring_id_of("phone:ph-1")
    raised = ring.on_updates(
        encode_updates(RingUpdates([], [status("A", 3, 95.0), status("B", 3, 95.0)])),
        at("x-ring-updates"),
    )
    assert raised
    assert all(record.topic == "alerts" for record in raised)
    alert = orjson.loads(raised[-1].value)
    assert alert["level"] == "ring"
    assert alert["member_seller_ids"] == ["A", "B"]
    assert sample(m, "listing_monitor_alerts_total", level="ring", severity=alert["severity"]) >= 1
    assert sample(m, "listing_monitor_rings") == 1


@pytest.mark.parametrize(
    ("handler", "stream"),
    [("on_announcements", "ring_identifiers"), ("on_updates", "ring_updates")],
)
@pytest.mark.parametrize("raw", [None, b"", b"\xff\x00", b'{"announcements": [[1]]}', b"[]"])
def test_an_undecodable_ring_message_is_a_counted_dead_letter(
    handler: str, stream: str, raw: bytes | None
) -> None:
    m = metrics()
    (record,) = getattr(agents(m), handler)(raw, at(f"x-{stream}", 2, 41))
    assert record.topic == "dead_letter"
    letter = orjson.loads(record.value)
    assert letter["error_kind"] == "invalid"
    assert letter["source_topic"] == f"x-{stream}"
    assert (letter["partition"], letter["offset"]) == (2, 41)
    assert letter["error"].startswith("ring ")
    assert sample(m, "listing_monitor_dead_letters_total", stream=stream, reason="invalid") == 1


def test_a_bug_costs_one_message_as_a_processing_error_never_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = metrics()
    ring = agents(m)

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ring.index, "add", broken)
    raw = encode_announcements([seen("phone", "ph-1", "A")])
    (record,) = ring.on_announcements(raw, at("x-ring-identifiers"))
    letter = orjson.loads(record.value)
    assert letter["error_kind"] == "processing_error"
    assert "RuntimeError: boom" in letter["error"]
    assert (
        sample(
            m,
            "listing_monitor_dead_letters_total",
            stream="ring_identifiers",
            reason="processing_error",
        )
        == 1
    )


def test_only_the_owner_of_the_ring_tables_reports_ring_gauges() -> None:
    m = metrics()
    ring = agents(m, owns=False)  # e.g. a worker holding a standby copy
    ring.on_announcements(
        encode_announcements([seen("payout_account", "pa-1", "A")]), at("x-ring-identifiers")
    )
    (updates,) = ring.on_announcements(
        encode_announcements([seen("payout_account", "pa-1", "B")]), at("x-ring-identifiers")
    )
    ring.on_updates(updates.value, at("x-ring-updates"))
    assert ring.book.counts()[0] == 1
    assert sample(m, "listing_monitor_rings") == 0


def test_the_index_store_records_changes_and_sends_them_as_batches() -> None:
    table = FakeTable("ring-identifiers")
    store = LocalStore(table)
    index = IdentifierIndex(store, RULES.config.rings)
    index.add(seen("phone", "ph-1", "A"), 3)
    index.add(seen("tracking", "tk-1", "A", at=10), 3)
    assert set(table.data) == {b"phone:ph-1", b"tracking:tk-1"}  # the local store
    assert table == {}  # not through the table API (one send per key)
    changes = store.drain()
    assert set(changes) == {b"phone:ph-1", b"tracking:tk-1"}
    assert store.drain() == {}
    assert index.expire(now=10**6, retention_seconds=1000, partition=3) == 2
    assert store.drain() == {b"phone:ph-1": None, b"tracking:tk-1": None}  # tombstones

    client = FakeClient(batch_capacity=2)
    records = [(3, b"k1", b"v1"), (3, b"k2", b"v2"), (3, b"k3", None), (1, b"k4", b"v4")]
    assert asyncio.run(send_batches(client, "app-ring-identifiers-changelog", records)) == 4
    assert client.metadata == ["app-ring-identifiers-changelog"]
    assert client.sent == [
        ("app-ring-identifiers-changelog", 3, [(b"k1", b"v1"), (b"k2", b"v2")]),
        ("app-ring-identifiers-changelog", 3, [(b"k3", None)]),
        ("app-ring-identifiers-changelog", 1, [(b"k4", b"v4")]),
    ]


class PartitionedClient(FakeClient):
    """The aiokafka producer with the changelogs' partitions; every await yields."""

    def __init__(self, partitions: dict[str, int]) -> None:
        super().__init__()
        self.partitions = partitions

    async def partitions_for(self, topic: str) -> set[int]:
        await asyncio.sleep(0)  # the other agent runs meanwhile
        return set(range(self.partitions[topic]))

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> None:
        await asyncio.sleep(0)
        assert partition in range(self.partitions[topic]), "Unrecognized partition"  # as aiokafka
        await super().send_batch(batch, topic, partition=partition)


async def paced(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        await asyncio.sleep(0)
        yield item


def test_each_ring_agent_sends_its_own_tables_changes_to_its_partition_while_both_run() -> None:
    m = metrics()
    faust_tables = {name: FakeTable(name) for name in INDEX_TABLES + BOOK_TABLES}
    stores = {name: LocalStore(table) for name, table in faust_tables.items()}
    ring = RingAgents(RULES, RingTables(**stores), m)
    client = PartitionedClient(
        {faust_tables[name].changelog_topic.get_topic_name(): 1 for name in BOOK_TABLES}
        | {faust_tables["identifiers"].changelog_topic.get_topic_name(): 4}
    )
    topics = {name: FakeTopic(name) for name in ("ring_updates", "alerts", "dead_letter")}
    publisher = Publisher(topics, m)
    handover = Handover(
        lambda: asyncio.sleep(0),
        batch_timeout=1.0,
        inputs=frozenset({"x-ring-identifiers", "x-ring-updates"}),
    )

    def step(handle: Any, names: tuple[str, ...]) -> RingStep:
        changelogs = [(stores[n], faust_tables[n].changelog_topic.get_topic_name()) for n in names]
        return RingStep(handle, changelogs, lambda: client, publisher, handover)

    # the index applies announcements of ring-identifiers partition 2 while the
    # book applies edges (of other identifiers) from the one ring-updates partition
    offline = IdentifierIndex({}, RULES.config.rings)
    edges = []
    for n in range(6):
        offline.add(seen("payout_account", f"pa-{n}", f"S{n}"))
        found = offline.add(seen("payout_account", f"pa-{n}", f"S{n + 1}", at=1010))
        assert found is not None
        edges.append(found)
    announcements = [
        encode_announcements([seen("phone", f"ph-{n % 3}", f"T{n}", at=1000 + n)]) for n in range(6)
    ]
    index_events = events("x-ring-identifiers", announcements, partition=2)
    book_events = events("x-ring-updates", [encode_updates(RingUpdates([e], [])) for e in edges])

    async def both() -> None:
        await asyncio.gather(
            step(ring.on_announcements, INDEX_TABLES).run(paced(index_events)),
            step(ring.on_updates, BOOK_TABLES).run(paced(book_events)),
        )

    asyncio.run(both())
    sent: dict[str, dict[bytes, bytes | None]] = {}
    for topic, partition, records in client.sent:
        expected = 2 if topic == faust_tables["identifiers"].changelog_topic.get_topic_name() else 0
        assert partition == expected, (topic, partition)
        sent.setdefault(topic, {}).update(records)
    # every change reached its own changelog: replaying them gives each store
    for name, table in faust_tables.items():
        assert sent.get(table.changelog_topic.get_topic_name(), {}) == table.data, name
    assert ring_of_seller(ring, "S0") == ring_of_seller(ring, "S6")  # the edges made one ring
    assert len(topics["ring_updates"].sent) == 3  # T3, T4, T5 each linked with an earlier T


def ring_of_seller(ring: RingAgents, seller: str) -> bytes | None:
    return ring.book.ring_of.get(seller.encode())
