"""Rings through the real broker: linked across partitions, kept across restarts.

Sellers are keyed to different partitions of the input topics; the identifiers
they share meet on the internal ring topics, and the worker's ``/rings`` pages
show what its changelogged ring tables hold.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from stream.cli import app
from stream.devtools.processes import free_port
from stream.devtools.simulation.generator import simulate
from stream.rings.book import ring_id_of
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import group_lag
from stream.topology.rings import ring_topic_names
from tests.integration.conftest import RunningMonitor, send_events, wait_for_members

pytestmark = pytest.mark.integration

Start = Callable[..., RunningMonitor]
T0 = datetime.now(UTC) - timedelta(hours=6)


def get(monitor: RunningMonitor, path: str) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{monitor.settings.web_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, orjson.loads(body or b"null")
        except orjson.JSONDecodeError:  # e.g. aiohttp's own 500 page
            return exc.code, body.decode(errors="replace")


def wait_for_rings(
    monitor: RunningMonitor, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 60.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    rings: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        assert monitor.process.poll() is None, f"worker died:\n{monitor.log_tail()}"
        try:
            status, body = get(monitor, "/rings")
        except OSError:
            status, body = 0, None
        if status == 200:
            rings = body["rings"]
            if until(rings):
                return rings
        time.sleep(0.5)
    raise AssertionError(f"rings never matched; last: {rings}\n{monitor.log_tail()}")


def listing(
    seller: str, minutes: float, *, fake: bool = False, profile: dict[str, str] | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "schema_version": 1,
        "event_id": f"{seller}-l{minutes:g}",
        "event_type": "listing_created",
        "event_time": (T0 + timedelta(minutes=minutes)).isoformat(),
        "listing_id": f"{seller}-L{minutes:g}",
        "seller_id": seller,
        "title": "Nike Air Max 90 replica 1:1 top batch" if fake else "Cotton bath towel",
        "brand": "Nike" if fake else None,
        "category": "shoes/sneakers" if fake else "home/textiles",
        "price": 99.0 if fake else 59.0,
        "currency": "CNY",
        "quantity": 20,
    }
    if profile:
        event["seller"] = {
            "registered_at": "2025-06-01T00:00:00Z",
            "registered_region": {"country": "CN", "province": "Fujian"},
            **profile,
        }
    return event


def order(seller: str, minutes: float, tracking: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": f"{seller}-o{minutes:g}",
        "event_type": "order_placed",
        "event_time": (T0 + timedelta(minutes=minutes)).isoformat(),
        "order_id": f"{seller}-O{minutes:g}",
        "listing_id": f"{seller}-L0",
        "seller_id": seller,
        "buyer_id": "buyer-1",
        "quantity": 1,
        "unit_price": 59.0,
        "currency": "CNY",
        "tracking_hash": tracking,
    }


def members(rings: list[dict[str, Any]], monitor: RunningMonitor) -> dict[str, list[str]]:
    found = {}
    for ring in rings:
        status, shown = get(monitor, f"/rings/{ring['ring_id']}")
        assert status == 200
        found[ring["ring_id"]] = [m["seller_id"] for m in shown["member_list"]]
    return found


def test_rings_survive_a_restart_and_a_merge_keeps_the_older_id(start_monitor: Start) -> None:
    monitor = start_monitor(topic_partitions=4)
    # two rings: A-B by a phone (older), C-D by a payout account; sellers on
    # different partitions (each event is keyed by its seller)
    for seller, minutes, profile in (
        ("ring-a", 0, {"phone_hash": "ph-old"}),
        ("ring-b", 1, {"phone_hash": "ph-old"}),
        ("ring-c", 10, {"payout_account_hash": "pa-young"}),
        ("ring-d", 11, {"payout_account_hash": "pa-young"}),
    ):
        monitor.send("listings", listing(seller, minutes, profile=profile), key=seller.encode())
    old, young = ring_id_of("phone:ph-old"), ring_id_of("payout_account:pa-young")
    rings = wait_for_rings(monitor, lambda r: len(r) == 2)
    assert members(rings, monitor) == {old: ["ring-a", "ring-b"], young: ["ring-c", "ring-d"]}

    monitor.stop()
    restarted = start_monitor(monitor.settings)
    rings = wait_for_rings(restarted, lambda r: len(r) == 2, timeout=120)
    assert members(rings, restarted) == {old: ["ring-a", "ring-b"], young: ["ring-c", "ring-d"]}

    # the identifier index came back too: a new shop with A and B's phone joins them
    restarted.send(
        "listings", listing("ring-e", 15, profile={"phone_hash": "ph-old"}), key=b"ring-e"
    )
    rings = wait_for_rings(restarted, lambda r: any(ring["members"] == 3 for ring in r))
    assert members(rings, restarted)[old] == ["ring-a", "ring-b", "ring-e"]

    # B and C ship with one tracking number: the rings merge under the older id
    restarted.send("listings", listing("ring-b", 20), key=b"ring-b")
    restarted.send("orders", order("ring-b", 30, "tk-shared"), key=b"ring-b")
    restarted.send("orders", order("ring-c", 31, "tk-shared"), key=b"ring-c")
    rings = wait_for_rings(restarted, lambda r: len(r) == 1)
    assert members(rings, restarted) == {old: ["ring-a", "ring-b", "ring-c", "ring-d", "ring-e"]}
    status, merged = get(restarted, f"/rings/{young}")
    assert status == 200
    assert merged["merged_into"] == old
    assert get(restarted, "/rings/ring-unknown")[0] == 404
    assert get(restarted, "/rings/supernodes") == (200, {"supernodes": []})

    # the CLI asks the same pages
    url = f"http://127.0.0.1:{restarted.settings.web_port}"
    listed = CliRunner().invoke(app, ["rings", "list", "--url", url], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert old in listed.output
    assert young not in listed.output
    shown = CliRunner().invoke(app, ["rings", "show", young, "--url", url])
    assert shown.exit_code == 0, shown.output
    assert f"merged into {old}" in shown.output


def test_flagged_members_give_one_ring_alert_naming_every_member(start_monitor: Start) -> None:
    monitor = start_monitor(topic_partitions=4)
    shops = [f"gang-{i}" for i in range(5)]
    # a chain: 0-1 share a phone, 1-2 a payout account, 2-3 a phone, 3-4 a payout
    # account; no identifier is shared by more than two shops
    for i, shop in enumerate(shops):
        profile = {"phone_hash": f"ph-{i // 2}", "payout_account_hash": f"pa-{(i + 1) // 2}"}
        monitor.send("listings", listing(shop, i, profile=profile), key=shop.encode())
    wait_for_rings(monitor, lambda r: len(r) == 1 and r[0]["members"] == len(shops))
    for shop in shops[:2]:  # two members with tells of their own
        monitor.send("listings", listing(shop, 100, fake=True), key=shop.encode())

    def both_ring_alerts(found: list[dict[str, Any]]) -> bool:
        bands = {a["severity"] for a in found if a["level"] == "ring"}
        return "medium" in bands and bool(bands & {"high", "critical"})

    alerts = monitor.collect(monitor.settings.alerts_topic, both_ring_alerts, timeout=60)
    ring_alerts = [a for a in alerts if a["level"] == "ring"]
    # one alert per band crossed: medium with the first flagged member, high or
    # critical with the second (keyed by the member that triggered each, so they
    # may sit on different partitions: order them by band)
    rank = {"medium": 1, "high": 2, "critical": 3}
    ring_alerts.sort(key=lambda a: rank[a["severity"]])
    assert len(ring_alerts) == 2, [
        (a["severity"], [r["message"] for r in a["reasons"]]) for a in ring_alerts
    ]
    assert ring_alerts[0]["severity"] == "medium"
    assert ring_alerts[0]["reasons"][0]["message"].startswith("1 of 5 members flagged")
    ring_alert = ring_alerts[1]
    assert ring_alert["member_seller_ids"] == sorted(shops)
    assert ring_alert["ring_id"] == ring_id_of("phone:ph-0")
    assert ring_alert["reasons"][0]["message"].startswith("2 of 5 members flagged")
    assert "linked by 2 payout accounts and 2 phones" in [
        r["message"] for r in ring_alert["reasons"]
    ]


def settle(monitor: RunningMonitor, timeout: float = 180.0) -> None:
    """Wait until the group committed every input and ring message, twice in a row."""
    settings = monitor.settings
    topics = [settings.listings_topic, settings.orders_topic, *ring_topic_names(settings)]
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        assert monitor.process.poll() is None, f"worker died:\n{monitor.log_tail()}"
        assert time.monotonic() < deadline, f"not settled:\n{monitor.log_tail()}"
        lag = group_lag(KafkaConnection.from_settings(settings), settings.app_id, topics)
        quiet = quiet + 1 if lag == 0 else 0
        time.sleep(1.5)


def every_ring(monitor: RunningMonitor) -> dict[str, list[str]]:
    status, body = get(monitor, "/rings?limit=100000")
    assert status == 200, body
    return members(body["rings"], monitor)


def test_two_workers_on_four_partitions_find_the_rings_of_one(start_monitor: Start) -> None:
    events = simulate(240, 2, seed=20261203, fraud_share=0.15).events

    alone = start_monitor(topic_partitions=4)
    send_events(alone, events)
    settle(alone)
    rings = every_ring(alone)
    assert len(rings) >= 3, rings  # the simulated ring scenarios link their shops
    assert alone.wait_for_metric("listing_monitor_rings", len(rings)) == len(rings)

    first = start_monitor(topic_partitions=4)
    second = start_monitor(first.settings.model_copy(update={"web_port": free_port()}))
    wait_for_members(first, 2)
    send_events(first, events)
    settle(first)
    # either worker answers for all rings: the one that does not own the ring
    # tables forwards the request to the one that does
    assert every_ring(first) == rings
    assert every_ring(second) == rings
    # only the owner of the ring tables counts them (the other may hold a standby copy)
    deadline = time.monotonic() + 30
    while True:
        counted = [w.metric("listing_monitor_rings") for w in (first, second)]
        if sorted(counted) == [0, len(rings)] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert sorted(counted) == [0, len(rings)]
