"""A write-behind cache of seller states over a byte mapping (the Faust table).

Decoding a state costs ~20 µs and encoding ~10 µs, and every table write is a
changelog message, so states are decoded once, kept in memory, and written
back once per commit, however often the seller changed. Two write paths read
the changed states: :meth:`CachedSellerStore.drain` hands them encoded to the
topology's state writer (``stream.topology.state_writer``), which writes them
to the local table store and the changelog in large batches every commit
interval, then commits; :meth:`CachedSellerStore.flush` writes what changed
since through the table itself, from a hook that runs right before any commit
Faust starts on its own. Every commit therefore covers the state of every event
it commits; a crash replays events, never loses state (replays are recognised
by event id and not counted twice). A state that cannot be read or written is
reset, counted (``listing_monitor_state_resets_total``) and logged.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import Literal

from stream.logs import Throttle
from stream.stats.state import DAY_MINUTES, SellerState

logger = logging.getLogger(__name__)

# Largest encoded seller state written: the bounds of the state and of the
# contract keep real states far below (~12 KB measured at most), and the
# producer sends at most 1 MiB per message.
MAX_STATE_BYTES = 512 * 1024

ResetReason = Literal["undecodable", "unencodable"]


class CachedSellerStore:
    """SellerStore backed by ``table`` (seller id bytes -> encoded state).

    At most ``cache_size`` decoded states stay in memory (least recently used
    are dropped after they were written); the table keeps every seller.
    """

    def __init__(
        self,
        table: MutableMapping[bytes, bytes],
        cache_size: int = 100_000,
        on_reset: Callable[[ResetReason], None] | None = None,
    ) -> None:
        self.table = table
        self.cache_size = cache_size
        self.cache: OrderedDict[str, SellerState] = OrderedDict()
        self.dirty: dict[str, int] = {}  # seller id -> partition of the event that changed it
        self.partition = 0  # partition of the event being processed (set by the agent)
        self.on_reset = on_reset
        self._sweep: Iterator[bytes] | None = None
        self._problems = Throttle(logger, interval=60.0)

    def _reset(self, seller_id: str, reason: ResetReason, detail: str) -> None:
        """Count and log a state that could not be read or written (never fatal)."""
        if self.on_reset is not None:
            self.on_reset(reason)
        self._problems.log(
            reason,
            logging.ERROR,
            "the state of seller %r was %s (%s): it was reset to its last written version",
            seller_id[:128],
            "unreadable" if reason == "undecodable" else "not writable",
            detail[:200],
        )

    def load(self, seller_id: str) -> SellerState:
        """The cached state, else the decoded table value, else a new state."""
        state = self.cache.get(seller_id)
        if state is not None:
            self.cache.move_to_end(seller_id)
        else:
            raw = self.table.get(seller_id.encode("utf-8"))
            state = SellerState()
            if raw:
                try:
                    state = SellerState.decode(raw)
                except Exception as exc:  # start afresh rather than stop the worker
                    self._reset(seller_id, "undecodable", f"{type(exc).__name__}: {exc}")
            self.cache[seller_id] = state
            self._evict()
        return state

    def _evict(self) -> None:
        """Keep at most ``cache_size`` decoded states (least recently used go first)."""
        while len(self.cache) > self.cache_size:
            oldest = next(iter(self.cache))
            if oldest in self.dirty:  # written at the next flush; evict after that
                return
            del self.cache[oldest]

    def save(self, seller_id: str, state: SellerState) -> None:
        """Mark the seller's state for the next flush."""
        self.cache[seller_id] = state
        self.dirty[seller_id] = self.partition

    def drain(self) -> list[tuple[int, bytes, bytes]]:
        """Encode every changed state and mark it clean.

        Returns:
            ``(partition, key, value)`` to write: the partition is that of the
            event that last changed the seller.
        """
        items = []
        for seller_id, partition in self.dirty.items():
            value = self._encoded(seller_id)
            if value is not None:
                items.append((partition, seller_id.encode("utf-8"), value))
        self.dirty.clear()
        self._evict()
        return items

    def _encoded(self, seller_id: str) -> bytes | None:
        """The encoded state, or None after resetting one that cannot be written.

        Resetting drops the decoded state: the table still holds the version
        written last, which the seller's next event reads.
        """
        try:
            value = self.cache[seller_id].encode()
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if len(value) <= MAX_STATE_BYTES:
                return value
            problem = f"{len(value):,} bytes, above the {MAX_STATE_BYTES:,}-byte limit"
        del self.cache[seller_id]
        self._reset(seller_id, "unencodable", problem)
        return None

    def flush(self, enter_partition: Callable[[int], None] | None = None) -> tuple[int, int]:
        """Write every changed state to the table; return how many, and their bytes.

        Args:
            enter_partition: Called before the writes of each source partition;
                stores that keep one database per partition (RocksDB) need the
                agent to enter the context of an event of that partition.
        """
        items = self.drain()
        for partition, key, value in sorted(items, key=lambda item: item[0]):
            if enter_partition is not None:
                enter_partition(partition)
            self.table[key] = value
        return len(items), sum(len(value) for _, _, value in items)

    def forget(self) -> None:
        """Drop the cache after a rebalance: the table is the truth again.

        Unflushed changes belong to events whose offsets were not committed;
        whoever owns the partition next processes them again.
        """
        self.dirty.clear()
        self.cache.clear()
        self._sweep = None

    def expire(self, now_minute: int, retention_days: float, budget: int = 5000) -> int:
        """Delete sellers silent for longer than ``retention_days`` of event time.

        Works through at most ``budget`` table keys per call, resuming where the
        previous call stopped, so a large table never blocks the worker for long.

        Returns:
            How many sellers were deleted.
        """
        cutoff = now_minute - int(retention_days * DAY_MINUTES)
        if self._sweep is None:
            self._sweep = iter(list(self.table.keys()))
        doomed: list[bytes] = []
        for _ in range(budget):
            key = next(self._sweep, None)
            if key is None:
                self._sweep = None
                break
            seller_id = key.decode("utf-8", errors="replace")
            cached = self.cache.get(seller_id)
            if cached is not None:
                last = cached.last_minute
            else:
                raw = self.table.get(key)
                try:
                    last = SellerState.decode(raw).last_minute if raw else 0
                except (ValueError, KeyError, TypeError):
                    last = 0
            if last < cutoff:
                doomed.append(key)
        for key in doomed:
            seller_id = key.decode("utf-8", errors="replace")
            self.cache.pop(seller_id, None)
            self.dirty.pop(seller_id, None)
            del self.table[key]
        return len(doomed)
