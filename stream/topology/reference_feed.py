"""The other workers' learned reference prices, read from the reference table's changelog.

Each input partition's learned prices (its *contribution*, see
``stream/stats/reference.py``) are written to the same partition of the
reference table's changelog by the worker that owns the partition. A
:class:`ReferenceFeed` reads every partition of that changelog, from the
beginning and then as it grows, with a consumer of its own (no consumer group:
it commits nothing and needs only READ on the topic), in a thread, so that
every worker judges prices against every partition's contributions. The agent
drains what it read between two batches (:meth:`ReferenceFeed.drain`) and
keeps only the contributions of partitions it does not own: its own are
written by itself, and an older copy read late must not replace them.

The topic is compacted: reading it from the beginning costs one record per
(brand, category, partition), a few thousand at most.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from stream.topology.connection import KafkaConnection

log = logging.getLogger(__name__)

Contribution = tuple[int, bytes, bytes]  # (partition, table key, serialised sketch)


class ReferenceFeed:
    """Reads every partition of ``topic`` in a thread (see the module docstring).

    Args:
        kafka: How to reach the broker (the worker's own settings).
        topic: The reference table's changelog.
        consumer_factory: Makes the consumer (tests pass a fake).
        retry_seconds: Pause after a failure before reading on.
    """

    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        consumer_factory: Callable[[], Any] | None = None,
        retry_seconds: float = 5.0,
    ) -> None:
        self.topic = topic
        self.retry_seconds = retry_seconds
        self._consumer_factory = consumer_factory or (
            lambda: KafkaConsumer(
                **kafka.kafka_python_options(),
                client_id="listing-monitor-reference-feed",
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
        )
        self._read: queue.SimpleQueue[Contribution] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self.caught_up = threading.Event()  # read up to the end offsets seen at start
        self.failures = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="reference-feed", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and wait for the thread."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def drain(self, limit: int = 100_000) -> list[Contribution]:
        """What was read since the last call (at most ``limit``, the rest next time)."""
        out: list[Contribution] = []
        while len(out) < limit:
            try:
                out.append(self._read.get_nowait())
            except queue.Empty:
                break
        return out

    # ------------------------------------------------------------ the thread

    def _run(self) -> None:
        positions: dict[int, int] = {}  # next offset to read, per partition
        while not self._stopping.is_set():
            try:
                self._read_until_stopped(positions)
            except Exception as exc:  # a broker outage: read on once it is back
                self.failures += 1
                log.warning(
                    "reading the reference contributions of other partitions from %s failed "
                    "(%s: %s); retrying in %g s",
                    self.topic,
                    type(exc).__name__,
                    exc,
                    self.retry_seconds,
                )
                self._stopping.wait(self.retry_seconds)

    def _read_until_stopped(self, positions: dict[int, int]) -> None:
        consumer = self._consumer_factory()
        try:
            partitions = self._partitions(consumer)
            if partitions is None:
                return
            consumer.assign(partitions)
            for tp in partitions:  # where the last consumer stopped, or the beginning
                if tp.partition in positions:
                    consumer.seek(tp, positions[tp.partition])
                else:
                    consumer.seek_to_beginning(tp)
            ends = {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
            while not self._stopping.is_set():
                for tp, records in consumer.poll(timeout_ms=500).items():
                    for record in records:
                        positions[tp.partition] = record.offset + 1
                        if record.key is not None and record.value is not None:
                            self._read.put((tp.partition, bytes(record.key), bytes(record.value)))
                if not self.caught_up.is_set() and all(
                    consumer.position(tp) >= ends[tp.partition] for tp in partitions
                ):
                    self.caught_up.set()
        finally:
            consumer.close()

    def _partitions(self, consumer: Any) -> list[TopicPartition] | None:
        """The topic's partitions, once it exists (Faust creates it at start)."""
        while not self._stopping.is_set():
            known = consumer.partitions_for_topic(self.topic)
            if known:
                return [TopicPartition(self.topic, p) for p in sorted(known)]
            self._stopping.wait(0.5)
        return None
