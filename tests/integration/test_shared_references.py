"""Two workers judge a price against the same learned reference (issue 12).

Partition 0's honest sellers teach a reference for a pair the catalog has no
price for; a seller on partition 1, judged by the other worker, then lists far
below it and is flagged with that reference in the reason: the other worker read
partition 0's contribution from the reference table's changelog.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kafka.partitioner.default import murmur2

from stream.devtools.processes import free_port
from tests.integration.conftest import RunningMonitor, send_events, wait_for_members
from tests.integration.test_rebalance import judged, published, wait_until_committed

Start = Callable[..., RunningMonitor]
READ_METRIC = "listing_monitor_reference_contributions_read_total"


def partition_of(seller: str, partitions: int = 2) -> int:
    """The input partition of a seller's events (the producer's default partitioner)."""
    return int(murmur2(seller.encode()) & 0x7FFFFFFF) % partitions


def sellers_on(partition: int, count: int, prefix: str) -> list[str]:
    found = (f"{prefix}-{n}" for n in range(10_000))
    return [seller for seller in found if partition_of(seller) == partition][:count]


def backpack(
    seller: str, number: int, price: float, authorised: bool
) -> tuple[str, dict[str, Any]]:
    region = {"country": "CN", "province": "Zhejiang", "city": "Hangzhou"}
    return (
        "listings",
        {
            "schema_version": 1,
            "event_id": f"{seller}-e{number}",
            "event_type": "listing_created",
            "event_time": f"2026-11-22T08:{number:02d}:00Z",
            "listing_id": f"{seller}-L{number}",
            "seller_id": seller,
            "title": "Nike Heritage backpack, 25 L",
            "brand": "Nike",
            "category": "bags/backpacks",  # no catalog price: only learned ones
            "price": price,
            "currency": "CNY",
            "quantity": 5,
            "condition": "new",
            "ship_from": region,
            "seller": {
                "registered_at": "2020-01-01T00:00:00Z",
                "registered_region": region,
                "authorized_brands": ["Nike"] if authorised else [],
            },
        },
    )


def test_a_worker_judges_against_the_prices_another_worker_learned(start_monitor: Start) -> None:
    first = start_monitor(topic_partitions=2)
    wait_for_members(first, 1)
    second = start_monitor(first.settings.model_copy(update={"web_port": free_port()}))
    wait_for_members(first, 2)
    honest = [
        backpack(seller, 1, 280.0 + number, authorised=True)
        for number, seller in enumerate(sellers_on(0, 40, "AUTH"))
    ]
    send_events(first, honest)  # 40 prices learned on partition 0 (min_sample is 30)
    wait_until_committed(first)  # the commit writes partition 0's contribution
    teacher, judge = (first, second) if judged(first) else (second, first)
    assert judged(teacher) == len(honest)
    assert judged(judge) == 0  # each worker owns one partition
    deadline = time.monotonic() + 30
    while judge.metric(READ_METRIC) < 1:
        assert time.monotonic() < deadline, judge.log_tail()
        time.sleep(0.3)
    (cheap_seller,) = sellers_on(1, 1, "CHEAP")
    send_events(first, [backpack(cheap_seller, 59, 25.0, authorised=False)])
    wait_until_committed(first)
    assert judged(judge) == 1
    alerts = [a for a in published(first) if a["seller_id"] == cheap_seller]
    assert alerts, "the listing below the learned reference was not flagged"
    messages = [reason["message"] for alert in alerts for reason in alert["reasons"]]
    assert any("reference for Nike bags/backpacks" in message for message in messages), messages
    assert teacher.metric(READ_METRIC) == 0  # nothing learned on partition 1 to read
