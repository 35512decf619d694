"""Reading the other partitions' learned reference prices, and taking them in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from datasketches import kll_floats_sketch
from kafka import TopicPartition
from kafka.errors import KafkaConnectionError

from stream.stats.reference import ReferenceBook
from stream.topology.connection import KafkaConnection
from stream.topology.reference_feed import ReferenceFeed
from tests.unit.topology.fakes import batches, events
from tests.unit.topology.test_agent_and_state_writer import LISTINGS, Built, fake_listing

TOPIC = "app-reference-prices-changelog"


class FakeConsumer:
    """kafka-python's consumer over an in-memory log of two partitions."""

    def __init__(self, log: Log, fail_after: int = -1) -> None:
        self.log = log
        self.fail_after = fail_after  # raise on the n-th poll (the broker went away)
        self.polls = 0
        self.positions: dict[int, int] = {}
        self.assigned: list[TopicPartition] = []
        self.closed = False

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(self.log) if topic == TOPIC else set()

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = partitions

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp.partition] = offset

    def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.positions[tp.partition] = 0

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: len(self.log[tp.partition]) for tp in partitions}

    def position(self, tp: TopicPartition) -> int:
        return self.positions[tp.partition]

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        self.polls += 1
        if self.polls == self.fail_after:
            raise KafkaConnectionError("socket disconnected")
        out: dict[TopicPartition, list[Any]] = {}
        for tp in self.assigned:
            start = self.positions[tp.partition]
            records = self.log[tp.partition][start : start + 1]  # one record per poll
            if records:
                out[tp] = [
                    SimpleNamespace(offset=start + i, key=k, value=v)
                    for i, (k, v) in enumerate(records)
                ]
                self.positions[tp.partition] = start + len(records)
        if not out:
            time.sleep(0.01)
        return out

    def close(self) -> None:
        self.closed = True


Log = dict[int, list[tuple[bytes, bytes | None]]]


def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def drained(feed: ReferenceFeed, read: list[tuple[int, bytes, bytes]]) -> int:
    """Add what the feed read since the last call to ``read``; how many there are now."""
    read.extend(feed.drain())
    return len(read)


def sketch(*prices: float) -> bytes:
    built = kll_floats_sketch(200)
    for price in prices:
        built.update(price)
    return bytes(built.serialize())


def test_every_partition_is_read_from_the_beginning_and_the_feed_says_when_it_caught_up() -> None:
    log: Log = {
        0: [(b"Nike|bags|0", sketch(10.0)), (b"Nike|bags|0", sketch(10.0, 11.0))],
        1: [(b"Nike|bags|1", sketch(12.0)), (b"Nike|bags|1", None)],  # a tombstone
    }
    consumers: list[FakeConsumer] = []

    def factory() -> FakeConsumer:
        consumers.append(FakeConsumer(log))
        return consumers[-1]

    feed = ReferenceFeed(KafkaConnection("k:9092"), TOPIC, consumer_factory=factory)
    feed.start()
    try:
        until(feed.caught_up.is_set)
        read: list[tuple[int, bytes, bytes]] = []
        until(lambda: drained(feed, read) == 3)
        assert sorted((p, k) for p, k, _ in read) == [
            (0, b"Nike|bags|0"),
            (0, b"Nike|bags|0"),
            (1, b"Nike|bags|1"),
        ]
        log[1].append((b"Nike|bags|1", sketch(12.0, 13.0)))  # written later by its owner
        until(lambda: drained(feed, read) == 4)
        assert kll_floats_sketch.deserialize(read[-1][2]).n == 2
    finally:
        feed.stop()
    assert consumers[0].closed


def test_after_a_failure_the_feed_reads_on_where_it_stopped() -> None:
    log: Log = {0: [(b"Nike|bags|0", sketch(float(n))) for n in range(6)], 1: []}
    consumers: list[FakeConsumer] = []

    def factory() -> FakeConsumer:
        consumers.append(FakeConsumer(log, fail_after=3 if not consumers else -1))
        return consumers[-1]

    feed = ReferenceFeed(
        KafkaConnection("k:9092"), TOPIC, consumer_factory=factory, retry_seconds=0.01
    )
    feed.start()
    try:
        read: list[tuple[int, bytes, bytes]] = []
        until(lambda: drained(feed, read) >= 6)
        until(feed.caught_up.is_set)
    finally:
        feed.stop()
    assert len(read) == 6  # nothing twice, nothing skipped
    assert feed.failures == 1
    assert len(consumers) == 2


def test_the_agent_takes_in_the_partitions_it_does_not_own_and_skips_what_it_cannot_read() -> None:
    built = Built()
    own = sketch(1.0, 2.0, 3.0)  # an older copy of partition 0's own sketch, read late
    read = [
        (0, ReferenceBook.table_key(("Nike", "bags/backpacks"), 0), own),
        (1, ReferenceBook.table_key(("Nike", "bags/backpacks"), 1), sketch(100.0, 200.0)),
        (1, ReferenceBook.table_key(("Gucci", "bags"), 1), b"not a sketch"),
    ]
    built.agent.reference_feed = SimpleNamespace(drain=lambda: read)  # type: ignore[assignment]
    built.agent.owned_partitions = lambda: {0}
    assert built.agent.read_other_contributions() == 1
    references = built.processor.detector.references
    assert references.learned_count("Nike", "bags/backpacks") == 2  # partition 1's only
    assert references.learned_count("Gucci", "bags") == 0
    assert built.metrics.reference_contributions_read._value.get() == 1


def test_the_first_batch_waits_for_the_feed_then_judges() -> None:
    built = Built()
    caught_up = asyncio.Event()
    waited: list[bool] = []

    class Feed:
        def __init__(self) -> None:
            self.caught_up = SimpleNamespace(is_set=lambda: bool(waited))

        def drain(self) -> list[tuple[int, bytes, bytes]]:
            return []

    built.agent.reference_feed = Feed()  # type: ignore[assignment]
    built.agent.feed_wait = 5.0

    async def main() -> None:
        async def catch_up() -> None:
            await asyncio.sleep(0.2)
            waited.append(True)
            caught_up.set()

        task = asyncio.create_task(catch_up())
        started = time.monotonic()
        await built.agent.run(batches(events(LISTINGS, [fake_listing("S-1", 1)])))
        assert time.monotonic() - started >= 0.2
        await task

    asyncio.run(main())
    assert built.writer.latest_event  # judged once the feed had caught up
