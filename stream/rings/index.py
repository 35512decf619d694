"""Step 2 of ring linking, on the identifier's partition: who shares each identifier.

One entry per identifier in a table (changelogged in the topology), holding
the sellers seen with it up to its fan-out cap. An identifier seen with a
second seller becomes an :class:`~stream.rings.messages.Edge`, sent whole
each time a seller is added (or announced again); one seen with more sellers than the cap is a
super-node: it stops linking, its list is dropped, and it is reported (once
when it crosses the cap, then each time its fan-out doubles).

Identifiers seen with one seller only (nearly every tracking number) are
forgotten once they were not seen for the retention period. Which ones are
due is kept in memory, per partition, in the order they were added: a sweep
pops the due ones instead of reading the whole table (which cost 120 µs per
input event at one sweep per hour of event time). After a start, or when a
partition is newly assigned, one scan of the table rebuilds that order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import MutableMapping
from typing import Any

import orjson

from stream.rings.messages import Announcement, Edge, stored_json
from stream.rules.config import RingPolicy


def _since(members: dict[str, list[Any]]) -> int:
    """When the identifier first linked two sellers: the second-earliest sighting."""
    times = sorted(int(seen) for _, seen in members.values())
    return times[1] if len(times) > 1 else times[0]


class IdentifierIndex:
    """The sellers of each identifier, kept in a table of ``key -> JSON``.

    Args:
        table: Identifier key (bytes) to its entry; a Faust table in the
            topology, a dict in tests and replays.
        policy: Fan-out caps.
    """

    def __init__(self, table: MutableMapping[bytes, bytes], policy: RingPolicy) -> None:
        self.table = table
        self.policy = policy
        # per partition: (last seen, key) of lone identifiers, oldest first
        self._due: dict[int, deque[tuple[int, bytes]]] = {}

    def add(self, announcement: Announcement, partition: int = 0) -> Edge | None:
        """Record a seller seen with an identifier; the edge to send if it changed.

        Args:
            announcement: The seller and identifier.
            partition: The partition the identifier lives in (kept for expiry).
        """
        key = announcement.key.encode("utf-8")
        raw = self.table.get(key)
        if raw is None and partition in self._due:
            self._due[partition].append((announcement.at, key))
        entry: dict[str, Any] = (
            orjson.loads(raw) if raw is not None else {"m": {}, "f": 0, "x": False, "t": 0}
        )
        members: dict[str, list[Any]] = entry["m"]
        entry["t"] = max(entry["t"], announcement.at)
        entry["p"] = partition
        seller = announcement.seller_id
        cap = self.policy.max_fanout_of(announcement.kind)
        if seller in members:
            if announcement.at >= members[seller][1]:
                # Nothing new: a replay, or an identifier announced again. Its
                # edge is sent again all the same: after a crash, the replay
                # may find this entry recovered while the edge never arrived.
                return self._edge(announcement, entry, members) if len(members) >= 2 else None
            members[seller][1] = announcement.at  # seen earlier than first thought
        elif entry["x"]:
            entry["f"] += 1
            self.table[key] = stored_json(entry)
            fanout = entry["f"]
            if fanout & (fanout - 1):  # not a power of two: nothing to report
                return None
            return self._edge(announcement, entry, {})
        else:
            entry["f"] += 1
            members[seller] = [announcement.province, announcement.at]
            if entry["f"] > cap:
                entry["x"], entry["m"] = True, {}
        self.table[key] = stored_json(entry)
        if entry["x"]:
            return self._edge(announcement, entry, members)
        if len(members) < 2:
            return None
        return self._edge(announcement, entry, members)

    def _edge(
        self, announcement: Announcement, entry: dict[str, Any], members: dict[str, list[Any]]
    ) -> Edge:
        supernode = bool(entry["x"])
        return Edge(
            kind=announcement.kind,
            value=announcement.value,
            members={} if supernode else {s: p for s, (p, _) in members.items()},
            since=_since(members) if members else announcement.at,
            fanout=entry["f"],
            supernode=supernode,
            seller_id=announcement.seller_id,
            event_id=announcement.event_id,
            at=announcement.at,
        )

    def expire(self, now: int, retention_seconds: int, partition: int = 0) -> int:
        """Forget identifiers of one seller not seen for ``retention_seconds``.

        Args:
            now: The latest event time seen (Unix seconds).
            retention_seconds: How long a lone identifier is kept.
            partition: Only entries of this partition (a table write belongs
                to the partition of the event being processed).

        Returns:
            How many were forgotten.
        """
        oldest = now - retention_seconds
        due = self._due.get(partition)
        if due is None:
            due = self._due[partition] = self._scan(partition)
        forgotten = 0
        while due and due[0][0] < oldest:
            _, key = due.popleft()
            raw = self.table.get(key)
            if raw is None:
                continue
            entry = orjson.loads(raw)
            if len(entry["m"]) != 1 or entry["x"]:
                continue  # it links sellers now: kept
            if entry["t"] >= oldest:
                due.append((entry["t"], key))  # seen again since: due later
                continue
            del self.table[key]
            forgotten += 1
        return forgotten

    def _scan(self, partition: int) -> deque[tuple[int, bytes]]:
        """The lone identifiers of ``partition`` in the table, oldest first."""
        lone = []
        for key, raw in self.table.items():
            entry = orjson.loads(raw)
            if len(entry["m"]) == 1 and not entry["x"] and entry.get("p", 0) == partition:
                lone.append((int(entry["t"]), key))
        lone.sort()
        return deque(lone)

    def forget_expiry_order(self) -> None:
        """Rebuild the expiry order at the next sweep (after a rebalance: another
        worker may have added and removed entries of a partition meanwhile)."""
        self._due.clear()

    def fanout(self, kind: str, value: str) -> int:
        """How many sellers were seen with an identifier (0: unknown)."""
        raw = self.table.get(f"{kind}:{value}".encode())
        return 0 if raw is None else int(orjson.loads(raw)["f"])
