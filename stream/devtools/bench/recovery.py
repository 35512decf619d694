"""What a rebalance or a restart costs: seconds for a worker to take over the seller
states of its partitions, per 100,000 sellers (``listing-monitor bench --recovery N``).

One worker judges one listing of each of N sellers and stops (SIGTERM: every state
written, every offset committed). A second worker then starts with an empty
memory store, as a worker that takes over partitions without a standby copy does:
the time from its start to its ``/readyz`` answering 200 is the recovery time
(joining the group, restoring every table from its changelog). The baseline is
the first worker's own time to ready, with empty changelogs: what a start costs
without any state to restore. Everything runs
through the real broker on topics of its own, deleted afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from rich.console import Console

from stream.devtools.bench.runner import (
    FULL_COMMAND,
    FULL_METRIC,
    BenchError,
    BenchEvent,
    Worker,
    bench_workspace,
    preload,
    progress_bar,
    setting_topics,
    spawn_worker,
    topic_settings,
)
from stream.devtools.processes import free_port
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import ensure_topics, group_lag, worker_topics

SELLERS_METRIC = "listing_monitor_sellers_tracked"


@dataclass(frozen=True)
class RecoveryResult:
    """The figures of one recovery run."""

    sellers: int
    partitions: int
    empty_start_seconds: float  # the first worker: start to /readyz 200, nothing to restore
    build_seconds: float  # the first worker: start to every event committed
    recovery_seconds: float  # the second worker: start to /readyz 200
    sellers_recovered: float  # its seller-state count once ready

    @property
    def restore_seconds(self) -> float:
        """What the states added to a start: recovery minus the empty start."""
        return max(0.0, self.recovery_seconds - self.empty_start_seconds)

    @property
    def seconds_per_100k(self) -> float:
        """Restore seconds per 100,000 sellers."""
        return self.restore_seconds * 100_000 / self.sellers

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "restore_seconds": round(self.restore_seconds, 2),
            "seconds_per_100k_sellers": round(self.seconds_per_100k, 2),
        }


def seller_events(sellers: int) -> list[BenchEvent]:
    """One valid listing of each of ``sellers`` sellers (a state each, no alert needed)."""
    template = {
        "schema_version": 1,
        "event_type": "listing_created",
        "event_time": "2026-11-30T08:00:00Z",
        "title": "Cotton T-shirt, plain, size M",
        "brand": "Uniqlo",
        "category": "apparel/tops",
        "price": 79.0,
        "currency": "CNY",
        "quantity": 20,
        "condition": "new",
        "ship_from": {"country": "CN", "province": "Zhejiang", "city": "Hangzhou"},
        "seller": {
            "registered_at": "2024-01-01T00:00:00Z",
            "registered_region": {"country": "CN", "province": "Zhejiang", "city": "Hangzhou"},
            "authorized_brands": [],
        },
    }
    events: list[BenchEvent] = []
    for number in range(sellers):
        seller = f"R-{number:07d}"
        event = {
            **template,
            "event_id": f"{seller}-e1",
            "listing_id": f"{seller}-L1",
            "seller_id": seller,
        }
        events.append(("listings", seller.encode(), orjson.dumps(event), f"{seller}-e1"))
    return events


def _ready(worker: Worker) -> bool:
    return worker.get("/readyz") is not None  # 503 until partitions and tables are ready


def _wait(what: str, worker: Worker, done: Callable[[], bool], timeout: float) -> float:
    """Poll ``done`` until it holds; the seconds since the worker started."""
    deadline = time.monotonic() + timeout
    while not done():
        worker.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"{what} took more than {timeout:g} s; see {worker.log_path}")
        time.sleep(0.1)
    return time.monotonic() - worker.started


def run_recovery(
    settings: Settings, sellers: int, console: Console, on_message: Callable[[str], None]
) -> RecoveryResult:
    """Build the states of ``sellers`` sellers with one worker, then time a second
    worker's recovery of them (see the module docstring).

    Raises:
        BenchError: when a worker dies or a phase times out.
        kafka.errors.KafkaError: when the broker refuses.
    """
    run = uuid.uuid4().hex[:8]
    prefix = f"lm-bench-{run}-"
    workdir = settings.home / "bench" / run
    kafka = KafkaConnection.from_settings(settings)
    timeout = max(180.0, sellers / 500.0)
    with bench_workspace(kafka, prefix, workdir, keep_logs=False):
        first_settings = topic_settings(
            settings.model_copy(update={"home": workdir / "first"}), f"{prefix}recovery"
        )
        topics = setting_topics(first_settings)
        ensure_topics(
            kafka,
            [*topics, *worker_topics(first_settings)],
            settings.topic_partitions,
            replication=settings.replication_factor,
        )
        on_message(f"{sellers:,} sellers on {settings.topic_partitions} partition(s)")
        with progress_bar(console) as progress:
            preload(
                kafka, {"listings": first_settings.listings_topic}, seller_events(sellers), progress
            )
        first = spawn_worker(FULL_COMMAND, first_settings, workdir / "first-worker.log")
        try:
            empty = _wait("starting with empty tables", first, lambda: _ready(first), timeout)
            inputs = [first_settings.listings_topic, first_settings.orders_topic]

            def committed() -> bool:
                judged = first.metrics_count(FULL_METRIC) or 0
                return judged >= sellers and group_lag(kafka, first_settings.app_id, inputs) == 0

            build = _wait("judging and committing every listing", first, committed, timeout)
        finally:
            first.stop()
        on_message(f"first worker: {sellers:,} states built and committed in {build:.1f} s")
        second_settings = first_settings.model_copy(
            update={"home": workdir / "second", "web_port": free_port()}
        )
        second = spawn_worker(FULL_COMMAND, second_settings, workdir / "second-worker.log")
        try:
            recovery = _wait("recovering the tables", second, lambda: _ready(second), timeout)
            recovered = second.metrics_count(SELLERS_METRIC) or 0.0
        finally:
            second.stop()
        on_message(f"second worker: ready after {recovery:.1f} s with {recovered:,.0f} sellers")
    return RecoveryResult(sellers, settings.topic_partitions, empty, build, recovery, recovered)


def print_recovery(result: RecoveryResult, console: Console) -> None:
    """The figures as one sentence."""
    console.print(
        f"recovery of {result.sellers:,} sellers ({result.partitions} partition(s)): "
        f"{result.recovery_seconds:.1f} s to ready against {result.empty_start_seconds:.1f} s "
        f"with nothing to restore, so {result.seconds_per_100k:.1f} s per 100,000 sellers "
        f"({result.sellers_recovered:,.0f} seller states restored; building them took "
        f"{result.build_seconds:.1f} s)",
        highlight=False,
    )
