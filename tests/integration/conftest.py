"""Integration fixtures: the real local Kafka broker and monitor workers.

The session fixture starts the project's local broker (`listing-monitor kafka
start`) unless ``LISTING_MONITOR_KAFKA_BOOTSTRAP`` names one, and stops it at
the end if it started it. ``start_monitor`` runs a real worker process on
topics whose names are unique to the test, and removes them afterwards.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import pytest
from kafka import KafkaProducer

from stream.cli.alerts import follow_batches
from stream.devtools.local_kafka import LocalKafka
from stream.devtools.processes import free_port, spawn, stop
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import (
    delete_topics,
    ensure_topics,
    group_members,
    internal_topics,
    monitor_topics,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of a real broker for the whole test session."""
    configured = os.environ.get("LISTING_MONITOR_KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    local = LocalKafka(Settings())
    was_running = local.is_running()
    bootstrap = local.start(lambda message: print(message))
    yield bootstrap
    if not was_running:
        local.stop(lambda message: print(message))


# The worker's count of valid input events, as its /metrics page shows it.
LISTINGS_VALID = 'listing_monitor_events_total{outcome="valid",stream="listings"}'
ORDERS_VALID = 'listing_monitor_events_total{outcome="valid",stream="orders"}'


@dataclass
class RunningMonitor:
    """A worker process on its own topics."""

    settings: Settings
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]
    producer: KafkaProducer = field(repr=False)

    def send(self, kind: str, value: bytes | dict[str, Any], key: bytes | None = None) -> None:
        """Send one message to the listings or orders topic and wait for the ack."""
        topic = self.settings.listings_topic if kind == "listings" else self.settings.orders_topic
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        self.producer.send(topic, key=key, value=raw).get(timeout=30)

    def collect(
        self, topic: str, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Read ``topic`` from the beginning until ``until(messages)`` holds or time runs out."""
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        for batch in follow_batches(
            KafkaConnection.from_settings(self.settings), topic, from_beginning=True
        ):
            messages.extend(orjson.loads(raw) for raw in batch)
            if until(messages) or time.monotonic() > deadline:
                break
            assert self.process.poll() is None, f"worker died:\n{self.log_tail()}"
        return messages

    def alerts(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        return self.collect(self.settings.alerts_topic, lambda m: len(m) >= count, timeout)

    def dead_letters(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        return self.collect(self.settings.dead_letter_topic, lambda m: len(m) >= count, timeout)

    def metric(self, name: str, timeout: float = 15.0) -> float:
        """The value of one sample on the worker's /metrics page (0 when absent)."""
        url = f"http://127.0.0.1:{self.settings.web_port}/metrics"
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no metrics at {url}: {exc}\n{self.log_tail()}") from exc
                time.sleep(0.3)
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def wait_for_metric(self, name: str, value: float, timeout: float = 30.0) -> float:
        """Poll a metric until it reaches ``value``; return the last value seen."""
        deadline = time.monotonic() + timeout
        seen = self.metric(name)
        while seen < value and time.monotonic() < deadline:
            assert self.process.poll() is None, f"worker died:\n{self.log_tail()}"
            time.sleep(0.3)
            seen = self.metric(name)
        return seen

    def wait_ready(self, stale: frozenset[str] = frozenset(), timeout: float = 120.0) -> float:
        """Wait until this worker alone owns its consumer group; return the seconds it took.

        ``stale`` are members present before it started (a killed worker's).
        """
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            assert self.process.poll() is None, f"worker died:\n{self.log_tail()}"
            state, members = group_members(
                KafkaConnection.from_settings(self.settings), self.settings.app_id
            )
            if state == "Stable" and len(members) == 1 and not members & stale:
                return time.monotonic() - started
            time.sleep(0.3)
        raise AssertionError(f"worker not ready after {timeout:g} s:\n{self.log_tail()}")

    def stop(self) -> int:
        """Stop the worker gracefully; return its exit code."""
        stop(self.process)
        return self.process.returncode

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def fresh_settings(prefix: str, directory: Path, **overrides: Any) -> Settings:
    """Settings with an app id and topic names no other test uses: ``<prefix>-<random>-*``."""
    suffix = uuid.uuid4().hex[:10]
    return Settings(
        home=directory / f"home-{suffix}",
        app_id=f"{prefix}-{suffix}",
        listings_topic=f"{prefix}-{suffix}-listings",
        orders_topic=f"{prefix}-{suffix}-orders",
        alerts_topic=f"{prefix}-{suffix}-high-risk",
        dead_letter_topic=f"{prefix}-{suffix}-dead-letter",
        **overrides,
    )


@pytest.fixture
def start_monitor(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Callable[..., RunningMonitor]]:
    """Factory: start a worker on fresh, uniquely named topics; cleaned up after the test."""
    started: list[RunningMonitor] = []

    def start(settings: Settings | None = None, **overrides: Any) -> RunningMonitor:
        """Start a worker: on fresh topics, or with ``settings`` of an earlier one (a restart)."""
        bootstrap = overrides.pop("kafka_bootstrap", kafka_bootstrap)  # a test's own broker
        settings = settings or fresh_settings(
            "lm-test", tmp_path, kafka_bootstrap=bootstrap, web_port=free_port(), **overrides
        )
        ensure_topics(
            KafkaConnection.from_settings(settings),
            monitor_topics(settings),
            settings.topic_partitions,
        )
        log_path = tmp_path / f"worker-{uuid.uuid4().hex[:10]}.log"  # a restart: its own log
        process, log = spawn(settings, log_path)
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","), acks="all")
        monitor = RunningMonitor(settings, process, log_path, log, producer)
        started.append(monitor)
        return monitor

    yield start

    for monitor in started:  # every worker first: a restarted one shares its topics
        stop(monitor.process)
        monitor.log.close()
        monitor.producer.close()
    doomed: dict[str, set[str]] = defaultdict(set)  # per broker (a test may start its own)
    for monitor in started:
        doomed[monitor.settings.bootstrap].update(monitor_topics(monitor.settings))
        doomed[monitor.settings.bootstrap].update(internal_topics(monitor.settings))
    for bootstrap, topics in doomed.items():
        delete_topics(KafkaConnection(bootstrap), sorted(topics))
    # Faust restarts a crashed agent and carries on, so a test can pass while
    # an agent lost the message it was on: any crash fails the test.
    crashes = [line for m in started for line in agent_crashes(m.log_path)]
    if crashes:
        pytest.fail("an agent crashed (Faust restarted it):\n" + "\n".join(crashes[:5]))


def agent_crashes(log_path: Path) -> list[str]:
    """The lines of a worker's log where Faust reports an agent that crashed."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [line for line in text.splitlines() if "Crashed reason=" in line]


def by_seller(event: dict[str, Any]) -> bytes:
    """The message key the contract asks for: the event's seller_id."""
    return str(event["seller_id"]).encode()


def send_events(
    monitor: RunningMonitor,
    events: list[tuple[str, dict[str, Any]]],
    rate: float | None = None,
    key: Callable[[dict[str, Any]], bytes] = by_seller,
) -> None:
    """Send ``events`` to the monitor's topics, keyed by seller (unless ``key`` says
    otherwise), at ``rate`` events/s if given."""
    settings = monitor.settings
    topics = {"listings": settings.listings_topic, "orders": settings.orders_topic}
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap.split(","), linger_ms=5)
    began = time.monotonic()
    try:
        for number, (kind, event) in enumerate(events):
            if rate is not None:
                ahead = number / rate - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)
            producer.send(topics[kind], key=key(event), value=orjson.dumps(event))
        producer.flush(timeout=60)
    finally:
        producer.close()


def wait_for_members(monitor: RunningMonitor, count: int, timeout: float = 90.0) -> None:
    settings = monitor.settings
    deadline = time.monotonic() + timeout
    while True:
        state, members = group_members(KafkaConnection.from_settings(settings), settings.app_id)
        if state == "Stable" and len(members) == count:
            return
        assert time.monotonic() < deadline, f"group not {count} members:\n{monitor.log_tail()}"
        time.sleep(0.3)
