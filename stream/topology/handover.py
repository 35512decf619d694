"""Rebalances and stops with nothing lost and nothing judged twice.

Faust commits an input offset once its message is acknowledged, and three of
its habits break that promise around a rebalance or a stop:

* **It acknowledges events nobody judged.** While flow control is suspended
  (when partitions are revoked and when the worker stops), its stream drops
  the events it still takes from its queues and *acknowledges* them "so that
  the lag does not grow": the next commit covers them and they are lost. This
  is how two listings that arrived during a rebalance got no alert.
* **It forgets what was judged.** When partitions are revoked it discards the
  acknowledgements not yet committed, so their next owner judges those events
  again, with another worker's learned references: the same ``alert_id``
  with another ``risk_score``.
* **It delivers events twice.** After an assignment it resumes the input
  partitions and only then seeks them back to their committed offsets, so
  what the agent read in between arrives again, and the seek leaves Faust's
  own bookkeeping with duplicate acknowledgements that hold its commits back
  (a partition then commits one offset per commit).

:class:`Handover` wraps Faust's consumer so that

1. only events the agent has judged can be acknowledged (committed); any
   other acknowledgement just lets the event go, for its next reader;
2. before partitions are revoked, while this worker still owns them, the
   batch being judged is published, the changed seller states are written
   and every judged event is committed; the agent judges nothing more until
   the new assignment (so the next owner starts exactly after the last judged
   event, from the seller states as of that event);
3. after an assignment, the input partitions are resumed only once Faust has
   sought them to their committed offsets;
4. on a stop, what Faust's own last commit skipped (it gives up when another
   commit is running) is committed;

and :meth:`Handover.not_yet_judged` keeps the agent from judging an event twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

logger = logging.getLogger(__name__)


class JudgedOffsets:
    """Which offsets of each input partition this worker has judged, as a few ranges.

    Within a partition events come in order, so the judged offsets form one
    range that grows, and one more after each seek back; only the latest
    ``MAX_RANGES`` are kept (older ones were committed long ago).
    """

    MAX_RANGES = 8

    def __init__(self) -> None:
        # (topic, partition) -> [start, end) ranges, oldest first
        self._ranges: dict[tuple[str, int], list[list[int]]] = {}

    def add(self, topic: str, partition: int, offset: int) -> bool:
        """Record ``offset`` as judged; False if it was already (this runs for every event)."""
        ranges = self._ranges.get((topic, partition))
        if ranges is None:
            self._ranges[(topic, partition)] = [[offset, offset + 1]]
            return True
        if len(ranges) == 1 and ranges[0][1] == offset:  # the next offset: nearly always
            ranges[0][1] = offset + 1
            return True
        return self._add_after_seek(ranges, offset)

    def _add_after_seek(self, ranges: list[list[int]], offset: int) -> bool:
        # After a seek back the newest range can grow into an older one: every
        # range is checked before one grows, and ranges that meet are merged.
        for start, end in ranges:
            if start <= offset < end:
                return False
        for span in reversed(ranges):
            if span[1] == offset:
                span[1] = offset + 1
                for other in ranges:
                    if other[0] == span[1]:
                        span[1] = other[1]
                        ranges.remove(other)
                        break
                return True
        ranges.append([offset, offset + 1])
        if len(ranges) > self.MAX_RANGES:
            del ranges[0]
        return True

    def contains(self, topic: str, partition: int, offset: int) -> bool:
        """Whether ``offset`` was judged."""
        for start, end in reversed(self._ranges.get((topic, partition), ())):
            if start <= offset < end:
                return True
        return False


class Handover:
    """Guards Faust's consumer around rebalances and stops (see the module).

    Args:
        write_and_commit: Writes the changed seller states, then commits.
        batch_timeout: Longest wait for the batch being judged to be published.
        inputs: The input topics.
    """

    def __init__(
        self,
        write_and_commit: Callable[[], Awaitable[None]],
        batch_timeout: float,
        inputs: frozenset[str] = frozenset(),
    ) -> None:
        self.write_and_commit = write_and_commit
        self.batch_timeout = batch_timeout
        self.inputs = inputs
        self.in_progress = False  # partitions are being handed over: judge nothing
        self.judged = JudgedOffsets()
        self.let_go = 0  # acknowledgements of events never judged (not committed)
        self.installed = False
        self._idle: asyncio.Event | None = None  # created in the worker's event loop

    # ------------------------------------------------------------- the agent

    @property
    def idle(self) -> asyncio.Event:
        """Set while the agent is not in the middle of a batch."""
        if self._idle is None:
            self._idle = asyncio.Event()
            self._idle.set()
        return self._idle

    def not_yet_judged(self, events: list[Any]) -> list[Any]:
        """The events to judge now, recorded as judged; none while partitions are handed over.

        A second copy of an event (see the module) is acknowledged like the
        first, which Faust's bookkeeping expects, but not judged again.
        """
        if self.in_progress:
            return []  # their next reader judges them: see acknowledge()
        fresh = []
        for event in events:
            message = event.message
            if self.judged.add(message.topic, message.partition, message.offset):
                fresh.append(event)
        return fresh

    # -------------------------------------------------------------- install

    def install(self, app: Any) -> None:
        """Wrap ``app``'s consumer (once): acknowledgements, revocation and stop.

        Called when the consumer first joins its group (Faust revokes an empty
        set then), before any partition is assigned. Faust calls the
        consumer's ``ack`` (when a message's last reader acknowledges it),
        ``on_partitions_revoked`` (from the consumer thread's rebalance
        listener), ``resume_partitions`` and ``perform_seek`` (when recovery
        ends) and ``wait_empty`` (while revoking and stopping) by name, so
        they are wrapped on the instance.
        """
        if self.installed:
            return
        consumer = app.consumer
        faust_ack = getattr(consumer, "ack", None)
        faust_on_revoked = getattr(consumer, "on_partitions_revoked", None)
        faust_wait_empty = getattr(consumer, "wait_empty", None)
        faust_resume = getattr(consumer, "resume_partitions", None)
        faust_seek = getattr(consumer, "perform_seek", None)
        if (
            faust_ack is None
            or faust_on_revoked is None
            or faust_wait_empty is None
            or faust_resume is None
            or faust_seek is None
            or not hasattr(consumer, "threadsafe_partitions_revoked")
        ):
            raise RuntimeError(
                "this Faust release has no Consumer.ack, on_partitions_revoked, wait_empty, "
                "resume_partitions or perform_seek: the monitor cannot guard its commits "
                "around rebalances (pin faust-streaming 0.15)"
            )
        held: set[Any] = set()  # input partitions to resume once sought
        judged = self.judged.contains

        def ack(message: Any) -> bool:
            topic = message.topic
            if topic in self.inputs and not judged(topic, message.partition, message.offset):
                # Never judged (dropped by Faust while its flow was suspended,
                # or given up in a handover): let it go without committing it.
                message.acked = True
                self.let_go += 1
                return False
            return bool(faust_ack(message))

        async def on_partitions_revoked(revoked: set[Any]) -> None:
            if revoked and not app.should_stop:
                await self.hand_over(app, revoked)
            try:
                await faust_on_revoked(revoked)
            finally:
                self.in_progress = False

        def resume_partitions(tps: Iterable[Any]) -> None:
            tps = set(tps)
            inputs = {tp for tp in tps if tp.topic in self.inputs}
            held.update(inputs)
            if tps - inputs:
                faust_resume(tps - inputs)

        async def perform_seek() -> None:
            try:
                await faust_seek()
            finally:  # read from where the seek put them, and only then
                if held:
                    faust_resume(set(held))
                    held.clear()

        async def wait_empty() -> None:
            await faust_wait_empty()
            # Faust's own last commit is skipped when another commit (the
            # monitor's timer) is running: on a stop, what the agent judged
            # meanwhile would then be judged again by the next worker.
            await self.write_and_commit()

        consumer.ack = ack
        consumer.resume_partitions = resume_partitions
        consumer.perform_seek = perform_seek
        consumer.on_partitions_revoked = on_partitions_revoked
        consumer.wait_empty = wait_empty
        self.installed = True

    async def hand_over(self, app: Any, revoked: set[Any]) -> None:
        """Finish the batch in progress and commit everything judged, judging nothing more."""
        self.in_progress = True
        app.flow_control.suspend()  # Faust resumes it once the new assignment is recovered
        try:
            await asyncio.wait_for(self.idle.wait(), self.batch_timeout)
        except TimeoutError:
            logger.warning(
                "the batch being judged was not published within %.0f s of a rebalance; "
                "handing %d partitions over anyway (some of its events may be judged again)",
                self.batch_timeout,
                len(revoked),
            )
        await self.write_and_commit()
        logger.info("handed %d partitions over after committing every judged event", len(revoked))


async def commit_now(consumer: Any) -> bool:
    """Commit every acknowledged offset now, even while another commit is running.

    Faust's ``commit()`` only waits for a commit already running and returns,
    without committing what was acknowledged since that one began.
    """
    while await consumer.maybe_wait_for_commit_to_finish():
        pass
    # Nothing runs between the check above and the commit starting.
    return bool(await consumer.commit())
