"""No rebalance loses an alert or publishes one id with two contents (through the real broker).

The simulated marketplace goes through one worker, and again through two
workers in one group on 4 partitions: the second joins mid-stream and the
first leaves later (SIGTERM). Every listing-level alert of the single worker is
published by the pair, and no alert id is published with two different
contents (apart from ``alert_time``, when it was sent).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from kafka.errors import KafkaError

from stream.cli.alerts import follow_batches
from stream.devtools.processes import free_port
from stream.devtools.simulation.generator import simulate
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import group_lag
from tests.integration.conftest import (
    LISTINGS_VALID,
    ORDERS_VALID,
    RunningMonitor,
    send_events,
    wait_for_members,
)

pytestmark = pytest.mark.integration

Start = Callable[..., RunningMonitor]
Events = list[tuple[str, dict[str, Any]]]
RATE = 1000.0  # events/s offered during the two-worker run


def lag_or_unknown(settings: Settings, topics: list[str]) -> int | None:
    """The group's lag; None while the broker cannot say (its coordinator is moving
    or loading, as right after a broker restart)."""
    try:
        return group_lag(KafkaConnection.from_settings(settings), settings.app_id, topics)
    except KafkaError:
        return None


def wait_until_committed(
    monitor: RunningMonitor, timeout: float = 120.0, also: tuple[str, ...] = ()
) -> None:
    """Wait until the group has committed every input message (alerts are out by then),
    and every message of the topics ``also`` names."""
    settings = monitor.settings
    topics = [settings.listings_topic, settings.orders_topic, *also]
    deadline = time.monotonic() + timeout
    while (lag := lag_or_unknown(settings, topics)) != 0:
        assert monitor.process.poll() is None, f"worker died:\n{monitor.log_tail()}"
        assert time.monotonic() < deadline, (
            f"{lag if lag is not None else 'some'} messages not committed; "
            f"this worker judged {judged(monitor):.0f}, "
            f"wrote {monitor.metric('listing_monitor_state_writes_total'):.0f} states:\n"
            f"{monitor.log_tail(120)}"
        )
        time.sleep(1.0)


def published(monitor: RunningMonitor) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    settings = monitor.settings
    for batch in follow_batches(
        KafkaConnection.from_settings(settings),
        settings.alerts_topic,
        from_beginning=True,
        idle_timeout=3,
    ):
        alerts.extend(orjson.loads(raw) for raw in batch)
    return alerts


def judged(monitor: RunningMonitor) -> float:
    return monitor.metric(LISTINGS_VALID) + monitor.metric(ORDERS_VALID)


def test_a_worker_joining_and_one_leaving_lose_no_alert_and_change_none(
    start_monitor: Start,
) -> None:
    events: Events = simulate(150, 3, seed=20261202).events

    single = start_monitor(topic_partitions=4)
    wait_for_members(single, 1)
    send_events(single, events)
    wait_until_committed(single)
    alone = published(single)

    first = start_monitor(topic_partitions=4)
    wait_for_members(first, 1)
    producing = threading.Thread(target=send_events, args=(first, events, RATE))
    producing.start()
    time.sleep(len(events) / RATE * 0.2)
    second = start_monitor(first.settings.model_copy(update={"web_port": free_port()}))
    wait_for_members(first, 2)
    time.sleep(2.0)  # both judge for a while
    judged_by_first = judged(first)
    assert first.stop() == 0, first.log_tail()
    producing.join()
    wait_until_committed(second)
    together = published(second)

    assert 0 < judged_by_first < len(events), "the first worker left before or after the stream"
    assert judged(second) > 0
    ids = {alert["alert_id"] for alert in together}
    missing = [
        (alert["seller_id"], alert["listing_id"], alert["trigger_event_id"])
        for alert in alone
        if alert["level"] == "listing" and alert["alert_id"] not in ids
    ]
    assert not missing, f"listing alerts lost in the rebalances: {missing}"
    contents: dict[str, set[bytes]] = defaultdict(set)
    for alert in together:
        content = {name: value for name, value in alert.items() if name != "alert_time"}
        contents[alert["alert_id"]].add(orjson.dumps(content, option=orjson.OPT_SORT_KEYS))
    changed = {
        alert_id: [
            (a["level"], a["seller_id"], a["trigger_event_id"], a["risk_score"], a["alert_time"])
            for a in together
            if a["alert_id"] == alert_id
        ]
        for alert_id, seen in contents.items()
        if len(seen) > 1
    }
    assert not changed, f"ids published with different contents: {changed}"
