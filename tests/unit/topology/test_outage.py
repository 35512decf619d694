"""A broker outage is a few log lines: when it began, that it lasts, when it ended."""

from __future__ import annotations

import logging

import pytest

from stream.topology.outage import KafkaClientLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(
    message: str, name: str = "aiokafka.conn", level: int = logging.ERROR
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


REFUSED = "Unable connect to node with id 1: [Errno 111] Connect call failed ('127.0.0.1', 9092)"


def test_an_outage_is_one_line_when_it_begins_a_reminder_a_minute_and_one_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    log = KafkaClientLog(reminder_interval=60.0, quiet=3.0, clock=clock)
    with caplog.at_level(logging.INFO, logger="stream.topology.outage"):
        kept = []
        for second in range(90):  # 90 s of complaints, 40 a second
            clock.now = 1000.0 + second
            kept += [log.filter(record(REFUSED)) for _ in range(40)]
        assert not any(kept)  # none of the client's own lines
        assert log.in_outage
        log.reachable()  # the broker answers, but the client complained a moment ago
        assert log.in_outage
        clock.now += 5
        log.reachable()
    assert not log.in_outage
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert lines[0].startswith("lost the connection to Kafka (Unable connect to node")
    assert lines[1] == "Kafka still unreachable after 60 s (2400 client errors held back)"
    assert lines[2] == "Kafka reachable again after 94.0 s (3599 client errors held back)"


def test_other_client_warnings_pass_at_most_once_a_minute_with_a_count() -> None:
    clock = Clock()
    log = KafkaClientLog(reminder_interval=60.0, clock=clock)
    rebalancing = "Heartbeat failed for group g because it is rebalancing"
    first = record(rebalancing, "aiokafka.consumer.group_coordinator", logging.WARNING)
    assert log.filter(first)
    assert not any(log.filter(record(rebalancing, first.name, logging.WARNING)) for _ in range(5))
    clock.now += 61
    later = record(rebalancing, first.name, logging.WARNING)
    assert log.filter(later)
    assert later.getMessage() == rebalancing + " (and 5 more like it in 61 s)"
    assert not log.in_outage


def test_everything_else_passes_untouched() -> None:
    log = KafkaClientLog()
    assert log.filter(record(REFUSED, "stream.topology.app"))  # not the Kafka client
    assert log.filter(record(REFUSED, level=logging.INFO))  # not a warning
    assert not log.in_outage


def test_one_record_seen_by_two_handlers_counts_once() -> None:
    log = KafkaClientLog()
    complaint = record(REFUSED)
    assert log.filter(complaint) is False
    assert log.filter(complaint) is False
    assert log.held_back == 0  # the first complaint is the outage's own line
