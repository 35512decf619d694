"""SellerState: windows, lateness, expiry, bounds and encoding."""

from __future__ import annotations

import orjson

from stream.stats.state import (
    DAY_MINUTES,
    MAX_LISTINGS,
    RECENT_EVENT_IDS,
    RECENT_ORDERS,
    Counter,
    SellerState,
    short_hash,
)

T0 = 29_000_000  # a minute in 2025


def test_windows_sum_the_right_buckets() -> None:
    state = SellerState()
    for offset in (0, 30, 90, 23 * 60, 3 * DAY_MINUTES):
        state.advance(T0 + offset, lateness_minutes=10)
        state.add(T0 + offset, Counter.ORDERS)
    assert state.window(60)[Counter.ORDERS] == 1  # only the newest event is within the hour
    assert state.window(24 * 60)[Counter.ORDERS] == 1
    assert state.window(7 * DAY_MINUTES)[Counter.ORDERS] == 5


def test_hour_window_counts_recent_events() -> None:
    state = SellerState()
    for offset in range(0, 120, 10):
        state.advance(T0 + offset, lateness_minutes=10)
        state.add(T0 + offset, Counter.LISTINGS)
    assert 5 <= state.window(60)[Counter.LISTINGS] <= 7
    assert state.window(24 * 60)[Counter.LISTINGS] == 12


def test_late_events_within_lateness_count_and_later_ones_do_not() -> None:
    state = SellerState()
    assert state.advance(T0 + 100, lateness_minutes=10)
    assert state.advance(T0 + 95, lateness_minutes=10)
    assert not state.advance(T0 + 50, lateness_minutes=10)
    assert state.late_events == 1
    assert state.last_minute == T0 + 100


def test_old_buckets_and_memories_expire() -> None:
    state = SellerState()
    state.advance(T0, 10)
    state.add(T0, Counter.ORDERS)
    state.add_order(T0, "B-1")
    state.add_origin(T0, "CN/Fujian/Putian")
    state.add_price_ratio(T0, 0.2)
    state.advance(T0 + 9 * DAY_MINUTES, 10)
    assert state.window(7 * DAY_MINUTES)[Counter.ORDERS] == 0  # windows skip them at once
    state = SellerState.decode(state.encode())  # and writing the state drops them
    assert state.fine == {}
    assert state.hours == {}
    assert state.days == {}
    assert state.orders == []
    assert state.origins == {}
    assert state.price_ratios == []
    assert state.window(7 * DAY_MINUTES)[Counter.ORDERS] == 0


def test_memories_are_bounded() -> None:
    state = SellerState()
    state.advance(T0, 10)
    for n in range(RECENT_ORDERS + 10):
        state.add_order(T0, f"B-{n}")
    for n in range(MAX_LISTINGS + 10):
        state.listing(f"L-{n}")
    for n in range(RECENT_EVENT_IDS + 10):
        state.first_sight(f"e-{n}")
    assert len(state.orders) == RECENT_ORDERS
    assert len(state.listings) == MAX_LISTINGS
    assert "L-0" not in state.listings
    assert len(state.recent_events) == RECENT_EVENT_IDS
    assert state.seen(f"e-{RECENT_EVENT_IDS + 9}")
    assert not state.seen("e-0")


def test_encoding_round_trips() -> None:
    state = SellerState(registered_minute=T0 - 100, registered_origin="CN/Zhejiang")
    state.authorized_brands = ["Nike"]
    state.advance(T0, 10)
    state.add(T0, Counter.CF_COMPLAINTS, 2)
    state.add_order(T0, "B-1")
    state.add_price_ratio(T0, 0.123456)
    memo = state.listing("L-1")
    memo.declared_origin = "CN/Fujian/Putian"
    memo.quantity = 30
    state.add_origin(T0, "CN/Fujian/Putian")
    state.first_sight("e-1")
    state.alert_band, state.alert_minute, state.alert_event = 2, T0, "e-1"
    again = SellerState.decode(state.encode())
    assert again == state


def test_typical_state_size_is_small() -> None:
    # A week of a busy ordinary seller: 5 listings and 20 orders a day.
    state = SellerState()
    for day in range(7):
        for n in range(25):
            minute = T0 + day * DAY_MINUTES + n * 50
            state.advance(minute, 10)
            if n < 5:
                state.add(minute, Counter.LISTINGS)
                state.listing(f"L-{day}-{n}").quantity = 20
            else:
                state.add(minute, Counter.ORDERS)
                state.add_order(minute, f"B-{day}-{n}")
                state.add_origin(minute, "CN/Fujian/Putian")
            state.first_sight(f"e-{day}-{n}")
    size = len(state.encode())
    assert 1_000 < size < 12_000, size


def test_drift_between_the_two_streams_is_not_lateness() -> None:
    state = SellerState()
    assert state.advance(T0 + 600, lateness_minutes=10, stream=0)  # listings run ahead
    assert state.advance(T0, lateness_minutes=10, stream=1)  # orders catch up later
    assert state.advance(T0 + 5, lateness_minutes=10, stream=1)
    assert not state.advance(T0 - 60, lateness_minutes=10, stream=1)  # late within orders
    assert state.late_events == 1
    assert state.last_minute == T0 + 600


def test_day_window_reads_hour_buckets_back_24_hours() -> None:
    state = SellerState()
    for hours_ago in (30, 24, 23, 12, 0):
        state.advance(T0 + (30 - hours_ago) * 60, lateness_minutes=10 * 60)
        state.add(T0 + (30 - hours_ago) * 60, Counter.ORDERS)
    # 30 and 24 hours before the newest event are outside; the rest inside
    assert state.window(24 * 60)[Counter.ORDERS] == 3
    # day buckets: whole days that start within the last 48 hours (here: 24 to 48 h)
    assert state.window(2 * DAY_MINUTES)[Counter.ORDERS] == 4


def test_buckets_of_every_size_stay_bounded() -> None:
    state = SellerState()
    for minute in range(0, 10 * DAY_MINUTES, 7):
        state.advance(T0 + minute, lateness_minutes=10)
        state.add(T0 + minute, Counter.LISTINGS)
    # in memory, between two reads or writes: at most twice the kept buckets
    assert len(state.fine) <= 26
    assert len(state.hours) <= 2 * 26
    assert len(state.days) <= 2 * 9
    written = SellerState.decode(state.encode())  # as written: exactly the kept ones
    assert len(written.fine) <= 13
    assert len(written.hours) <= 26
    assert len(written.days) <= 9


def test_first_sight_records_an_event_once() -> None:
    state = SellerState()
    assert state.first_sight("e-1")
    assert not state.first_sight("e-1")
    assert state.seen("e-1")
    again = SellerState.decode(state.encode())
    assert not again.first_sight("e-1")  # still known after a restart


def test_version_1_states_are_upgraded_when_read() -> None:
    # A state written by the previous release: 10-minute buckets for 25 hours
    # and ids as hex strings. Its statistics must survive the upgrade.
    fine_key = (T0 - 120) // 10
    v1 = {
        "v": 1,
        "t": [T0 - 3000, T0, T0 - DAY_MINUTES],
        "s": [T0, T0],
        "r": "CN/Fujian/Putian",
        "a": ["Nike"],
        "f": {
            str(fine_key): [0, 0, 3, 3, 1, 1, 0, 0, 0, 0],
            str(T0 // 10): [1, 1, 2, 2, 0, 0, 0, 0, 0, 0],
        },
        "d": {str(T0 // DAY_MINUTES): [1, 1, 5, 5, 1, 1, 0, 0, 0, 0]},
        "o": [[T0, "0000002a"]],
        "p": [[T0, 0.2]],
        "l": {"L-1": ["CN/Fujian/Putian", 30, 1, "fashion/shoes", 0, 0, None]},
        "g": {"CN/Fujian/Putian": T0},
        "e": ["0000000f", f"{short_hash('e-9'):08x}"],
        "x": [0, 2, T0, "e-9", T0, 3],
    }
    state = SellerState.decode(orjson.dumps(v1))
    assert state.window(24 * 60)[Counter.ORDERS] == 5
    assert state.window(60)[Counter.ORDERS] == 2
    assert state.window(7 * DAY_MINUTES)[Counter.ORDERS] == 5
    assert state.orders == [(T0, 42)]
    assert state.seen("e-9")
    assert state.alert_band == 2
    assert SellerState.decode(state.encode()) == state
