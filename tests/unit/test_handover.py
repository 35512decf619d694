"""Handing partitions over: finish the batch, commit what was judged, judge nothing more."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.types import TP
from faust.types.tuples import ConsumerMessage

from stream.handover import Handover, commit_now


class FakeConsumer:
    """Faust's consumer as far as the handover uses it, recording what happens."""

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
        self.log.append(f"offset {message.offset} acknowledged")
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

    handover = Handover(write_and_commit, batch_timeout=5.0)
    handover.install(fake_app(consumer, log))
    consumer.handover = handover
    return handover, consumer


def test_revoking_commits_what_was_judged_before_faust_lets_go() -> None:
    log: list[str] = []
    handover, consumer = installed(log)

    async def revoke() -> None:
        handover.idle.clear()  # a batch is being published
        task = asyncio.ensure_future(consumer.on_partitions_revoked({TP("listings", 0)}))
        await asyncio.sleep(0.05)
        assert log == ["input suspended"]  # it waits for that batch
        handover.idle.set()
        await task

    asyncio.run(revoke())
    # and batches Faust hands the agent while it revokes are released, not judged
    assert log == ["input suspended", "states written and committed", "faust revokes"]
    assert not handover.in_progress  # judging resumes with the next assignment


def test_nothing_to_hand_over_on_a_stop_or_an_empty_revocation() -> None:
    log: list[str] = []
    _, consumer = installed(log)
    asyncio.run(consumer.on_partitions_revoked(set()))
    assert log == ["faust revokes while batches are judged"]  # nothing to hand over


def test_a_stop_commits_again_after_faust_waited_for_the_streams() -> None:
    log: list[str] = []
    _, consumer = installed(log)
    asyncio.run(consumer.wait_empty())
    assert log == ["faust waits for streams", "states written and committed"]


def test_released_events_are_never_committed() -> None:
    """What Faust does with a message marked acknowledged: no offset bookkeeping."""
    log: list[str] = []
    consumer = FakeConsumer(log)
    judged, released = (
        ConsumerMessage("listings", 0, offset, 0.0, 0, None, b"k", b"v", None, 1, 1)
        for offset in (7, 8)
    )
    Handover.release([SimpleNamespace(message=released)])
    for message in (judged, released):
        message.ack(consumer)  # what Faust does after each batch
    assert log == ["offset 7 acknowledged"]


def test_commit_now_commits_after_a_commit_that_was_running() -> None:
    log: list[str] = []
    consumer = FakeConsumer(log, running_commits=2)
    assert asyncio.run(commit_now(consumer))
    assert log == ["waited for a running commit", "waited for a running commit", "commit"]
