"""The write-behind seller store over a byte mapping."""

from __future__ import annotations

from stream.stats.state import DAY_MINUTES, Counter, SellerState
from stream.stats.store import CachedSellerStore

T0 = 29_000_000


def test_states_are_written_once_per_flush_and_read_back() -> None:
    table: dict[bytes, bytes] = {}
    store = CachedSellerStore(table)
    state = store.load("S-1")
    state.advance(T0, 10)
    store.save("S-1", state)
    store.save("S-1", state)
    assert table == {}
    assert store.flush() == (1, len(table[b"S-1"]))  # states, and their bytes
    assert store.flush() == (0, 0)
    fresh = CachedSellerStore(table)
    assert fresh.load("S-1") == state


def test_corrupt_state_starts_afresh_and_is_counted() -> None:
    resets: list[str] = []
    store = CachedSellerStore({b"S-1": b"not json"}, on_reset=resets.append)
    assert store.load("S-1") == SellerState()
    assert resets == ["undecodable"]


def test_state_that_cannot_be_encoded_is_reset_to_its_last_written_version() -> None:
    table: dict[bytes, bytes] = {}
    resets: list[str] = []
    store = CachedSellerStore(table, on_reset=resets.append)
    state = store.load("S-1")
    state.advance(T0, 10)
    state.add(T0, Counter.LISTINGS)
    store.save("S-1", state)
    assert store.flush()[0] == 1
    written = table[b"S-1"]
    # a value the encoder cannot write (an integer beyond 64 bits)
    state = store.load("S-1")
    state.add(T0, Counter.UNITS_SOLD, 10**30)
    store.save("S-1", state)
    assert store.flush()[0] == 0  # nothing written, nothing raised
    assert resets == ["unencodable"]
    assert table[b"S-1"] == written
    assert store.load("S-1").window(60)[Counter.UNITS_SOLD] == 0  # the last written version
    assert store.load("S-1").window(60)[Counter.LISTINGS] == 1


def test_state_too_large_to_send_is_reset() -> None:
    table: dict[bytes, bytes] = {}
    resets: list[str] = []
    store = CachedSellerStore(table, on_reset=resets.append)
    state = store.load("S-1")
    state.authorized_brands = ["x" * 1000] * 1000  # ~1 MB: more than a message may hold
    store.save("S-1", state)
    assert store.flush()[0] == 0
    assert resets == ["unencodable"]
    assert b"S-1" not in table
    assert store.load("S-1") == SellerState()


def test_cache_is_bounded_and_keeps_unwritten_states() -> None:
    table: dict[bytes, bytes] = {}
    store = CachedSellerStore(table, cache_size=2)
    for n in range(5):
        state = store.load(f"S-{n}")
        state.advance(T0 + n, 10)
        store.save(f"S-{n}", state)
    assert len(store.cache) == 5  # all dirty: nothing is dropped before it is written
    store.flush()
    assert len(store.cache) == 2
    assert store.load("S-0").last_minute == T0  # read back from the table


def test_silent_sellers_expire() -> None:
    table: dict[bytes, bytes] = {}
    store = CachedSellerStore(table)
    for n, minute in enumerate((T0, T0 + 9 * DAY_MINUTES)):
        state = store.load(f"S-{n}")
        state.advance(minute, 10)
        store.save(f"S-{n}", state)
    store.flush()
    assert store.expire(T0 + 9 * DAY_MINUTES, retention_days=8) == 1
    assert list(table) == [b"S-1"]
    assert "S-0" not in store.cache
