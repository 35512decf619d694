"""Changelog records in a few large batches, bypassing Faust's per-key table writes.

Through Faust's table API every write is one buffered send with its own
futures (~40 µs and ~1 KB held until delivered); the seller states and the
ring identifier index write thousands per second, so they write the table's
local store directly and hand the changelog records to aiokafka as batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any


async def send_batches(
    client: Any, changelog: str, records: Iterable[tuple[int, bytes, bytes | None]]
) -> int:
    """Send ``(partition, key, value)`` records (None: a tombstone) to ``changelog``.

    Args:
        client: The aiokafka producer (``create_batch``, ``send_batch``, metadata).
        changelog: The changelog topic.
        records: What to send, in order per partition.

    Returns:
        How many records were handed to the producer.
    """
    await client.partitions_for(changelog)  # its metadata: at once when known
    batches: dict[int, Any] = {}
    sent = 0
    for partition, key, value in records:
        batch = batches.get(partition)
        if batch is None:
            batch = batches[partition] = client.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:  # full
            await client.send_batch(batch, changelog, partition=partition)
            batch = batches[partition] = client.create_batch()
            batch.append(key=key, value=value, timestamp=None)
        sent += 1
    for partition, batch in batches.items():
        await client.send_batch(batch, changelog, partition=partition)
    return sent


class LocalStore(MutableMapping[bytes, bytes]):
    """A changelogged table's local store that remembers what was written.

    Reads and writes go to the table's store (``table.data``) at dict speed;
    :meth:`drain` hands the changes over for :func:`send_batches`. Writes land
    in the partition of the Faust event being processed, as table writes do.
    """

    def __init__(self, table: Any) -> None:
        self.table = table
        self.changes: dict[bytes, bytes | None] = {}

    def __getitem__(self, key: bytes) -> bytes:
        value: bytes = self.table.data[key]
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.table.data[key] = value
        self.changes[key] = value

    def __delitem__(self, key: bytes) -> None:
        del self.table.data[key]
        self.changes[key] = None

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.table.data)

    def __len__(self) -> int:
        return len(self.table.data)

    def drain(self) -> dict[bytes, bytes | None]:
        """The changes since the last drain (the last value of each key)."""
        changes, self.changes = self.changes, {}
        return changes
