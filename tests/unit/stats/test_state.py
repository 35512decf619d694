"""SellerState: windows, lateness, expiry, bounds and encoding."""

from __future__ import annotations

from stream.stats.state import (
    DAY_MINUTES,
    MAX_LISTINGS,
    RECENT_EVENT_IDS,
    RECENT_ORDERS,
    Counter,
    SellerState,
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
    assert state.fine == {}
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
        state.remember(f"e-{n}")
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
    state.remember("e-1")
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
            state.remember(f"e-{day}-{n}")
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
