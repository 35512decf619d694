"""The lag gauges from measured lags: per partition, per stream in seconds, lost partitions."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from stream.pipeline.metrics import MonitorMetrics
from stream.topology.lag import LagReporter, lag_seconds

STREAMS = {"x-listings": "listings", "x-orders": "orders"}


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


def value(m: MonitorMetrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


def test_lag_seconds_is_the_age_of_the_last_judged_event_while_messages_wait() -> None:
    last = {"listings": 1000.0, "orders": 1100.0}
    assert lag_seconds({"listings": 5, "orders": 0}, last, now=1030.0) == {
        "listings": 30.0,
        "orders": 0.0,  # nothing waits: not late, however old its last event
    }
    # nothing judged yet, or a producer's clock ahead of ours: never negative
    assert lag_seconds({"listings": 5}, {}, now=1030.0) == {"listings": 0.0}
    assert lag_seconds({"orders": 2}, last, now=1000.0) == {"orders": 0.0}


def test_the_reporter_sets_each_assigned_partition_and_drops_the_ones_lost() -> None:
    m = MonitorMetrics(CollectorRegistry())
    reporter = LagReporter(m, STREAMS, lambda: {"listings": 90.0}, clock=lambda: 100.0)
    assignment = [TP("x-listings", 1), TP("x-listings", 0), TP("x-orders", 0), TP("other", 0)]
    assert reporter.inputs(assignment) == [("x-listings", 0), ("x-listings", 1), ("x-orders", 0)]

    reporter.report({("x-listings", 0): 3, ("x-listings", 1): 4, ("x-orders", 0): 0})
    lag = "listing_monitor_consumer_lag_messages"
    assert value(m, lag, stream="listings", partition="0") == 3
    assert value(m, lag, stream="listings", partition="1") == 4
    assert value(m, lag, stream="orders", partition="0") == 0
    seconds = "listing_monitor_consumer_lag_seconds"
    assert value(m, seconds, stream="listings") == 10.0
    assert value(m, seconds, stream="orders") == 0.0

    reporter.report({("x-listings", 0): 0})  # partition 1 and orders moved away
    assert value(m, lag, stream="listings", partition="0") == 0
    assert value(m, lag, stream="listings", partition="1") is None
    assert value(m, lag, stream="orders", partition="0") is None
    assert value(m, seconds, stream="listings") == 0.0


def test_a_failed_measurement_keeps_the_gauges_and_is_counted() -> None:
    m = MonitorMetrics(CollectorRegistry())
    reporter = LagReporter(m, STREAMS, dict, clock=lambda: 0.0)
    reporter.report({("x-orders", 2): 7})
    reporter.failed(OSError("broker gone"))
    reporter.failed(OSError("broker gone"))
    assert value(m, "listing_monitor_consumer_lag_messages", stream="orders", partition="2") == 7
    assert value(m, "listing_monitor_lag_probe_errors_total") == 2
