"""Rolling seller statistics through the real broker, across worker restarts."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import group_members
from tests.integration.conftest import LISTINGS_VALID, ORDERS_VALID, RunningMonitor

pytestmark = pytest.mark.integration

Start = Callable[..., RunningMonitor]
START = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def shop_listing(seller: str) -> dict[str, Any]:
    return {
        "event_id": f"{seller}-l1",
        "event_type": "listing_created",
        "event_time": at(0),
        "listing_id": f"{seller}-L1",
        "seller_id": seller,
        "title": "Cotton bath towel set, 4 pieces",
        "category": "home/textiles",
        "price": 89.0,
        "currency": "CNY",
        "quantity": 40,
        "ship_from": {"country": "CN", "province": "Hebei", "city": "Gaoyang"},
        "seller": {
            "registered_at": "2023-05-01T00:00:00Z",
            "registered_region": {"country": "CN", "province": "Hebei", "city": "Gaoyang"},
        },
    }


def order(seller: str, n: int, minutes: float) -> dict[str, Any]:
    return {
        "event_id": f"{seller}-o{n}",
        "event_type": "order_placed",
        "event_time": at(minutes),
        "order_id": f"{seller}-O{n}",
        "listing_id": f"{seller}-L1",
        "seller_id": seller,
        "buyer_id": f"B-{n}",
        "quantity": 1,
        "unit_price": 89.0,
        "currency": "CNY",
        "ship_from": {"country": "CN", "province": "Hebei", "city": "Gaoyang"},
    }


def refund(seller: str, n: int, minutes: float) -> dict[str, Any]:
    return {
        "event_id": f"{seller}-r{n}",
        "event_type": "order_refunded",
        "event_time": at(minutes),
        "order_id": f"{seller}-O{n}",
        "listing_id": f"{seller}-L1",
        "seller_id": seller,
        "buyer_id": f"B-{n}",
        "reason": "counterfeit",
    }


def send_history(monitor: RunningMonitor, seller: str) -> None:
    """A listing, 10 orders and 2 counterfeit refunds: below the complaints threshold."""
    monitor.send("listings", shop_listing(seller), key=seller.encode())
    for n in range(10):
        monitor.send("orders", order(seller, n, 10 + n * 20), key=seller.encode())
    for n in range(2):
        monitor.send("orders", refund(seller, n, 300 + n * 30), key=seller.encode())


@pytest.mark.parametrize(
    ("how", "store"),
    [("graceful", "memory://"), ("killed", "memory://"), ("graceful", "rocksdb://")],
)
def test_restart_mid_history_loses_no_statistics(
    start_monitor: Start, how: str, store: str
) -> None:
    seller = f"S-restart-{how}-{store.rstrip(':/')}"
    # a short session timeout: after a kill, the group waits that long for the dead member
    first = start_monitor(session_timeout=8.0, store=store)
    send_history(first, seller)
    assert first.wait_for_metric(ORDERS_VALID, 12) == 12, first.log_tail()
    assert first.alerts(1, timeout=2) == [], "two complaints in ten orders must not alert yet"
    if how == "graceful":
        assert first.stop() == 0
    else:
        # Give the worker a moment to write its batch's state, then kill it hard:
        # whatever was not committed is replayed, and replays are not counted twice.
        first.wait_for_metric("listing_monitor_state_writes_total", 1)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()

    _, stale = group_members(KafkaConnection.from_settings(first.settings), first.settings.app_id)
    second = start_monitor(first.settings)
    # the time to join and restore is not the time to judge: wait for it apart
    second.wait_ready(frozenset(stale))
    second.send("orders", refund(seller, 2, 400), key=seller.encode())
    alerts = second.alerts(1, timeout=60)
    # on failure, say whether the new worker read nothing, only the new event
    # (offsets committed without the state) or the replayed history as well
    assert len(alerts) == 1, f"orders read: {second.metric(ORDERS_VALID)}\n{second.log_tail()}"
    alert = alerts[0]
    assert alert["level"] == "seller"
    assert alert["seller_id"] == seller
    complaints = [r for r in alert["reasons"] if r["rule"] == "counterfeit_complaints"]
    assert complaints, alert
    assert complaints[0]["evidence"] == {
        "complaints": 3,
        "orders": 10,
        "share": 0.3,
        "window": "7 days",
    }
    if how == "graceful":
        # the restarted worker judged only the new event: the rest came from the changelog
        assert second.metric(ORDERS_VALID) == 1
        assert second.metric(LISTINGS_VALID) == 0


def test_out_of_order_events_within_lateness_count_later_ones_do_not(
    start_monitor: Start,
) -> None:
    seller = "S-late"
    monitor = start_monitor()
    monitor.send("listings", shop_listing(seller), key=seller.encode())
    for n in range(10):
        monitor.send("orders", order(seller, n, 600 + n), key=seller.encode())
    # 5 minutes late: within the default 60-minute lateness, counted
    monitor.send("orders", refund(seller, 0, 605), key=seller.encode())
    monitor.send("orders", refund(seller, 1, 606), key=seller.encode())
    # 5 hours late: judged but not counted in the windows
    monitor.send("orders", refund(seller, 2, 300), key=seller.encode())
    assert monitor.wait_for_metric(ORDERS_VALID, 13) == 13
    late = 'listing_monitor_late_events_total{stream="orders"}'
    assert monitor.wait_for_metric(late, 1) == 1
    assert monitor.alerts(1, timeout=3) == [], "the late complaint must not be counted"
    # a fourth complaint, on time, crosses the threshold with 3 counted
    monitor.send("orders", refund(seller, 3, 612), key=seller.encode())
    alerts = monitor.alerts(1)
    assert len(alerts) == 1, monitor.log_tail()
    reason = next(r for r in alerts[0]["reasons"] if r["rule"] == "counterfeit_complaints")
    assert reason["evidence"]["complaints"] == 3
