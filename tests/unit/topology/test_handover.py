"""Rebalances and stops: only judged events are committed, and none is judged twice."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from stream.topology.handover import Handover, JudgedOffsets, commit_now

LISTINGS = "listings"


class FakeConsumer:
    """Faust's consumer as far as the handover wraps it, recording what happens."""

    def __init__(self, log: list[str], running_commits: int = 0) -> None:
        self.log = log
        self.running_commits = running_commits
        self.threadsafe_partitions_revoked = None
        self.handover: Handover | None = None

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        judging = self.handover is not None and not self.handover.in_progress
        self.log.append("faust revokes" + (" while batches are judged" if judging else ""))

    async def wait_empty(self) -> None:
        self.log.append("faust waits for streams")

    def resume_partitions(self, tps: set[TP]) -> None:
        self.log.append("resumed " + ", ".join(sorted(f"{t}/{p}" for t, p in tps)))

    async def perform_seek(self) -> None:
        self.log.append("sought to committed offsets")

    async def maybe_wait_for_commit_to_finish(self) -> bool:
        if self.running_commits:
            self.running_commits -= 1
            self.log.append("waited for a running commit")
            return True
        return False

    async def commit(self) -> bool:
        self.log.append("commit")
        return True

    def ack(self, message: Any) -> bool:
        """Faust's bookkeeping: the offset becomes committable."""
        message.acked = True
        self.log.append(f"offset {message.offset} committable")
        return True


def fake_app(consumer: FakeConsumer, log: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        consumer=consumer,
        should_stop=False,
        flow_control=SimpleNamespace(suspend=lambda: log.append("input suspended")),
    )


def installed(log: list[str]) -> tuple[Handover, FakeConsumer]:
    consumer = FakeConsumer(log)

    async def write_and_commit() -> None:
        log.append("states written and committed")

    handover = Handover(write_and_commit, batch_timeout=5.0, inputs=frozenset({LISTINGS}))
    handover.install(fake_app(consumer, log))
    consumer.handover = handover
    return handover, consumer


def message(offset: int, topic: str = LISTINGS) -> ConsumerMessage:
    return ConsumerMessage(topic, 0, offset, 0.0, 0, None, b"k", b"v", None, 1, 1)


def events(*offsets: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(message=message(offset)) for offset in offsets]


def test_only_judged_events_become_committable() -> None:
    """Faust acknowledges the events it drops while its flow is suspended: not committed."""
    log: list[str] = []
    handover, consumer = installed(log)
    batch = events(7, 8)
    assert handover.not_yet_judged(batch) == batch
    dropped = message(9)  # taken from a queue by Faust while suspended, never judged
    for item in (*batch, SimpleNamespace(message=dropped)):
        item.message.ack(consumer)  # what Faust does with each
    assert log == ["offset 7 committable", "offset 8 committable"]
    assert dropped.acked  # let go: Faust no longer waits for it
    assert handover.let_go == 1
    other = message(3, topic="listing-monitor-__assignor-__leader")
    other.ack(cast(Any, consumer))
    assert log[-1] == "offset 3 committable"  # not an input: Faust's own business


def test_an_event_delivered_twice_is_judged_once_and_acknowledged_twice() -> None:
    log: list[str] = []
    handover, consumer = installed(log)
    first = events(10, 11, 12)
    assert handover.not_yet_judged(first) == first
    again = events(12, 13)  # after Faust's seek back, or the last of a batch again
    assert [e.message.offset for e in handover.not_yet_judged(again)] == [13]
    for item in again:
        item.message.ack(consumer)
    assert log == ["offset 12 committable", "offset 13 committable"]


def test_input_partitions_resume_only_once_sought_to_their_committed_offsets() -> None:
    log: list[str] = []
    _, consumer = installed(log)

    async def end_of_recovery() -> None:  # what Faust does when an assignment is recovered
        consumer.resume_partitions({TP(LISTINGS, 0), TP(LISTINGS, 1), TP("changelog", 0)})
        await consumer.perform_seek()

    asyncio.run(end_of_recovery())
    assert log == [
        "resumed changelog/0",
        "sought to committed offsets",
        "resumed listings/0, listings/1",
    ]


def test_revoking_commits_what_was_judged_before_faust_lets_go() -> None:
    log: list[str] = []
    handover, consumer = installed(log)

    async def revoke() -> None:
        handover.idle.clear()  # a batch is being published
        task = asyncio.ensure_future(consumer.on_partitions_revoked({TP(LISTINGS, 0)}))
        await asyncio.sleep(0.05)
        assert log == ["input suspended"]  # it waits for that batch
        assert handover.not_yet_judged(events(20)) == []  # and judges nothing new
        handover.idle.set()
        await task

    asyncio.run(revoke())
    assert log == ["input suspended", "states written and committed", "faust revokes"]
    assert not handover.in_progress  # judging resumes with the next assignment
    assert handover.not_yet_judged(batch := events(20)) == batch


def test_nothing_to_hand_over_on_an_empty_revocation() -> None:
    log: list[str] = []
    _, consumer = installed(log)
    asyncio.run(consumer.on_partitions_revoked(set()))
    assert log == ["faust revokes while batches are judged"]


def test_a_stop_commits_again_after_faust_waited_for_the_streams() -> None:
    log: list[str] = []
    _, consumer = installed(log)
    asyncio.run(consumer.wait_empty())
    assert log == ["faust waits for streams", "states written and committed"]


def test_a_consumer_without_the_methods_is_refused() -> None:
    handover = Handover(lambda: asyncio.sleep(0), batch_timeout=1.0)
    app = SimpleNamespace(consumer=SimpleNamespace(), should_stop=False)
    with pytest.raises(RuntimeError, match="cannot guard its commits"):
        handover.install(app)


def test_judged_offsets_are_a_few_ranges() -> None:
    judged = JudgedOffsets()
    assert all(judged.add("t", 0, offset) for offset in range(100, 110))
    assert not judged.add("t", 0, 105)
    assert judged.add("t", 0, 50)  # a seek back: a second range
    assert judged.contains("t", 0, 50)
    assert not judged.contains("t", 0, 51)
    assert not judged.contains("t", 1, 105)
    for n in range(JudgedOffsets.MAX_RANGES):
        judged.add("t", 0, 1000 * (n + 2))
    assert not judged.contains("t", 0, 105)  # the oldest range was forgotten


def test_a_seek_back_that_catches_up_judges_nothing_twice() -> None:
    judged = JudgedOffsets()
    assert all(judged.add("t", 0, offset) for offset in range(100, 110))
    assert all(judged.add("t", 0, offset) for offset in range(50, 100))  # sought back to 50
    assert not any(judged.add("t", 0, offset) for offset in range(100, 110))
    assert judged.add("t", 0, 110)
    assert not judged.add("t", 0, 110)
    assert all(judged.contains("t", 0, offset) for offset in range(50, 111))


def test_commit_now_commits_after_a_commit_that_was_running() -> None:
    log: list[str] = []
    consumer = FakeConsumer(log, running_commits=2)
    assert asyncio.run(commit_now(consumer))
    assert log == ["waited for a running commit", "waited for a running commit", "commit"]
