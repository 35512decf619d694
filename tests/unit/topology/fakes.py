"""In-memory stand-ins for the few Faust and aiokafka pieces the agent loop and
the state writer touch: events, tables, the producer and its batches, the
consumer's commit, and topics to publish to. Enough to run them without a broker."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any


@dataclass
class FakeMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    timestamp: float = 0.0  # Kafka's, in Unix seconds


@dataclass
class FakeEvent:
    """A Faust event: its message and its raw value."""

    message: FakeMessage
    value: bytes | None


def events(topic: str, values: list[bytes], partition: int = 0, first: int = 0) -> list[Any]:
    return [
        FakeEvent(FakeMessage(topic, partition, first + n, b"S"), value)
        for n, value in enumerate(values)
    ]


async def batches(*groups: list[Any]) -> AsyncIterator[list[Any]]:
    """What ``stream.take_events`` yields: one list per batch."""
    for group in groups:
        yield group


@dataclass
class FakeChangelog:
    name: str

    def get_topic_name(self) -> str:
        return self.name


class FakeTable(dict[bytes, bytes]):
    """A Faust table: a mapping, its local store (``data``) and its changelog."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.data: dict[bytes, bytes] = {}
        self.changelog_topic = FakeChangelog(f"app-{name}-changelog")
        self.changelog: list[tuple[int | None, bytes, bytes]] = []  # send_changelog's

    def send_changelog(self, partition: int | None, key: bytes, value: bytes) -> None:
        self.changelog.append((partition, key, value))


@dataclass
class FakeBatch:
    """aiokafka's batch builder: full after ``capacity`` records."""

    capacity: int
    records: list[tuple[bytes, bytes]] = field(default_factory=list)

    def append(self, *, key: bytes, value: bytes, timestamp: int | None) -> object | None:
        if len(self.records) >= self.capacity:
            return None
        self.records.append((key, value))
        return object()


class FakeClient:
    """The aiokafka producer: metadata, batches and batch sends."""

    def __init__(self, batch_capacity: int = 1000) -> None:
        self.batch_capacity = batch_capacity
        self.metadata: list[str] = []
        self.sent: list[tuple[str, int, list[tuple[bytes, bytes]]]] = []
        self.known: set[str] = set()  # topics whose partitions the producer knows
        self.client = SimpleNamespace(cluster=SimpleNamespace(partitions_for_topic=self._known))

    def _known(self, topic: str) -> set[int] | None:
        return {0, 1} if topic in self.known else None

    async def partitions_for(self, topic: str) -> set[int]:
        self.metadata.append(topic)
        self.known.add(topic)
        return {0, 1}

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.batch_capacity)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> None:
        self.sent.append((topic, partition, list(batch.records)))


@dataclass
class Partition:
    partition: int


class FakeProducer:
    """Faust's producer as far as it partitions changelog records by key."""

    partitions = 2

    def key_partition(self, topic: str, key: bytes) -> Partition:
        return Partition(zlib.crc32(key) % self.partitions)


class FakeConsumer:
    """Faust's consumer as far as :func:`stream.topology.handover.commit_now` uses it."""

    def __init__(self) -> None:
        self.commits = 0

    async def maybe_wait_for_commit_to_finish(self) -> bool:
        return False

    async def commit(self) -> bool:
        self.commits += 1
        return True


@contextmanager
def recorded_context(entered: list[Any]) -> Iterator[Callable[[Any], None]]:
    """An event context that records which events' contexts were entered."""
    yield entered.append


class FakeTopic:
    """A Faust topic to publish to: records what was sent, deliveries succeed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[bytes | None, bytes]] = []
        self.partitions: list[int | None] = []

    def get_topic_name(self) -> str:
        return self.name

    async def send(
        self, *, key: bytes | None, value: bytes, partition: int | None = None
    ) -> asyncio.Future[Any]:
        self.sent.append((key, value))
        self.partitions.append(partition)
        delivered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered
