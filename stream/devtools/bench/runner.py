"""``listing-monitor bench``: throughput, latency and memory of the worker on a real broker.

Two phases, each on fresh, uniquely named topics and consumer groups that are
deleted at the end:

* **Throughput.** The same ``N`` simulated events are pre-loaded into one pair
  of input topics; then, one after the other, the full worker
  (``python -m stream worker``: every rule and statistic on) and a bare Faust
  agent that only decodes the events (``python -m stream.devtools.bench.baseline``, the
  framework's ceiling) consume them, each under its own app id (consumer group)
  and output topics. The bench polls each worker's ``/metrics`` every 100 ms and
  takes ``events/s = (N - c0) / (t_N - t0)``, where ``t0`` is the first poll
  that sees a count ``c0 > 0`` and ``t_N`` the first that sees ``N``: the rate
  over the interval actually observed, so events consumed before the first
  poll do not inflate it. The ratio full / bare is the pipeline's share of the
  framework's ceiling. With ``repeat`` above 1 the two take turns (bare, full,
  bare, full, ...) and each one's median run is reported: on a machine shared
  with the broker a single run of either varies by ~10%.
* **Latency.** A full worker on fresh topics receives simulated events (with
  20% fraudulent sellers, so alerts come regularly) at a fixed offered rate,
  paced by :class:`stream.devtools.pacing.Pacer`, each sent with an explicit
  ``timestamp_ms``. An alert's latency is its record's Kafka timestamp
  (CreateTime, set by the worker's producer when it publishes) minus the
  produce timestamp of the input event named by its ``trigger_event_id``.
  The input topics keep the broker's append time (``LogAppendTime``), which
  splits each latency in two: producer to broker (the bench's own client and
  the broker) and broker to alert (the worker's fetch, judgement and publish).

Peak RSS is each worker's ``VmHWM`` from ``/proc/<pid>/status``, read just
before it is stopped. Nothing here asserts timings: the results are reported
next to the targets (ratio >= 0.6, p99 <= 250 ms).
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from stream.devtools.bench.baseline import DECODED_METRIC
from stream.devtools.pacing import Pacer
from stream.devtools.processes import free_port, spawn, stop
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import (
    admin_client,
    delete_topics,
    ensure_topics,
    group_members,
    new_producer,
)

FULL_METRIC = "listing_monitor_events_total"
"""The full worker's count of consumed input events (every stream and outcome)."""
RING_KAFKA_METRIC = "listing_monitor_ring_kafka_messages_total"
RING_RECORDS_METRIC = "listing_monitor_ring_messages_total"
"""Ring linking's traffic: Kafka messages, and the records they carry."""
FULL_COMMAND = ("-m", "stream", "worker")
BARE_COMMAND = ("-m", "stream.devtools.bench.baseline")
RATIO_TARGET = 0.6
P99_TARGET_MS = 250.0
POLL_INTERVAL = 0.1
LATENCY_FRAUD_SHARE = 0.2

BenchEvent = tuple[str, bytes, bytes, str]
"""One prepared input event: stream (``listings``/``orders``), key, value, event id."""


class BenchError(Exception):
    """The benchmark could not complete (a worker died, timed out, or Kafka failed)."""


@dataclass(frozen=True)
class BenchOptions:
    """What ``listing-monitor bench`` measures.

    Attributes:
        events: Events of the throughput phase.
        rate: Offered rate of the latency phase, events per second.
        duration: Length of the latency phase, seconds.
        sellers: Sellers of the simulated marketplace.
        seed: Seed of the simulation.
        keep_logs: Keep the workers' logs under ``<home>/bench/<run>/`` after a
            successful run too (they are always kept after a failure).
        repeat: Runs of each throughput phase, taking turns; the median is reported.
    """

    events: int = 100_000
    rate: float = 2_000.0
    duration: float = 30.0
    sellers: int = 1_000
    seed: int = 1
    keep_logs: bool = False
    repeat: int = 3


@dataclass(frozen=True)
class ThroughputResult:
    """One worker's run through the pre-loaded events.

    Attributes:
        app: ``full`` (the monitor's worker) or ``bare`` (decode only).
        events: Events consumed.
        seconds: Measured interval (see the module docstring).
        events_per_s: Events per second over that interval.
        ready_s: Seconds from process start to a Stable consumer group.
        peak_rss_bytes: ``VmHWM`` of the worker process, or None if unreadable.
        ring_kafka_messages: Messages the worker sent to its internal ring topics
            by the time it had judged every event (None: bare agent, or rings off).
        ring_records: Ring-linking records those messages carried.
    """

    app: str
    events: int
    seconds: float
    events_per_s: float
    ready_s: float
    peak_rss_bytes: int | None
    ring_kafka_messages: float | None = None
    ring_records: float | None = None


@dataclass(frozen=True)
class LatencyResult:
    """Produce-to-alert latencies at a fixed offered rate.

    Attributes:
        offered_rate: Requested events per second.
        achieved_rate: Events sent per second between the first and the last send.
        duration_s: Seconds spent sending.
        events_sent: Events sent.
        alerts: Alerts read from the worker's alerts topic.
        matched: Alerts whose trigger event was one the bench sent.
        p50_ms: Median latency, milliseconds (None without matched alerts).
        p95_ms: 95th percentile.
        p99_ms: 99th percentile.
        max_ms: Largest latency.
        peak_rss_bytes: ``VmHWM`` of the worker process.
        to_broker_p50_ms: Median time from the bench's send to the broker's append.
        to_broker_p99_ms: Its 99th percentile.
        in_worker_p50_ms: Median time from the broker's append to the alert's publish.
        in_worker_p99_ms: Its 99th percentile.
        ring_alerts: Ring alerts among ``matched`` (not in the percentiles above).
        ring_p50_ms: Median latency of the ring alerts, event produce to ring alert.
        ring_p99_ms: Its 99th percentile.
    """

    offered_rate: float
    achieved_rate: float
    duration_s: float
    events_sent: int
    alerts: int
    matched: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    peak_rss_bytes: int | None
    to_broker_p50_ms: float | None = None
    to_broker_p99_ms: float | None = None
    in_worker_p50_ms: float | None = None
    in_worker_p99_ms: float | None = None
    ring_alerts: int = 0
    ring_p50_ms: float | None = None
    ring_p99_ms: float | None = None


@dataclass(frozen=True)
class BenchResult:
    """Everything ``listing-monitor bench`` prints."""

    full: ThroughputResult
    bare: ThroughputResult
    latency: LatencyResult
    cpu_count: int
    python: str = field(default_factory=platform.python_version)
    platform: str = field(default_factory=platform.platform)
    full_runs: tuple[float, ...] = ()
    bare_runs: tuple[float, ...] = ()

    @property
    def ratio(self) -> float:
        """Full pipeline events/s over bare agent events/s."""
        return self.full.events_per_s / self.bare.events_per_s

    @property
    def ratio_met(self) -> bool:
        """Whether the ratio reaches :data:`RATIO_TARGET`."""
        return self.ratio >= RATIO_TARGET

    @property
    def p99_met(self) -> bool:
        """Whether the p99 latency is within :data:`P99_TARGET_MS` (False without alerts)."""
        return self.latency.p99_ms is not None and self.latency.p99_ms <= P99_TARGET_MS

    def per_event(self, count: float | None) -> float | None:
        """``count`` per event of the throughput phase (None stays None)."""
        return None if count is None else round(count / self.full.events, 4)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-compatible data (durations in s, latencies in ms, RSS in MiB)."""
        latency = self.latency
        return {
            "machine": {
                "cpu_count": self.cpu_count,
                "python": self.python,
                "platform": self.platform,
            },
            "throughput": {
                "events": self.full.events,
                "full_events_per_s": round(self.full.events_per_s, 1),
                "bare_events_per_s": round(self.bare.events_per_s, 1),
                "ratio": round(self.ratio, 3),
                "full_seconds": round(self.full.seconds, 3),
                "bare_seconds": round(self.bare.seconds, 3),
                "full_ready_s": round(self.full.ready_s, 2),
                "bare_ready_s": round(self.bare.ready_s, 2),
                "full_runs_events_per_s": [round(rate, 1) for rate in self.full_runs],
                "ring_kafka_messages_per_event": self.per_event(self.full.ring_kafka_messages),
                "ring_records_per_event": self.per_event(self.full.ring_records),
                "bare_runs_events_per_s": [round(rate, 1) for rate in self.bare_runs],
            },
            "latency": {
                "offered_rate": latency.offered_rate,
                "achieved_rate": round(latency.achieved_rate, 1),
                "duration_s": round(latency.duration_s, 2),
                "events_sent": latency.events_sent,
                "alerts": latency.alerts,
                "matched_alerts": latency.matched,
                "p50_ms": latency.p50_ms,
                "p95_ms": latency.p95_ms,
                "p99_ms": latency.p99_ms,
                "max_ms": latency.max_ms,
                "producer_to_broker_p50_ms": latency.to_broker_p50_ms,
                "producer_to_broker_p99_ms": latency.to_broker_p99_ms,
                "broker_to_alert_p50_ms": latency.in_worker_p50_ms,
                "broker_to_alert_p99_ms": latency.in_worker_p99_ms,
                "ring_alerts": latency.ring_alerts,
                "ring_p50_ms": latency.ring_p50_ms,
                "ring_p99_ms": latency.ring_p99_ms,
            },
            "peak_rss_mib": {
                "full_throughput": mib(self.full.peak_rss_bytes),
                "bare_throughput": mib(self.bare.peak_rss_bytes),
                "full_latency": mib(latency.peak_rss_bytes),
            },
            "targets": {
                "ratio_min": RATIO_TARGET,
                "ratio_met": self.ratio_met,
                "p99_ms_max": P99_TARGET_MS,
                "p99_met": self.p99_met,
            },
        }


# ----------------------------------------------------------- pure helpers


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks.

    Raises:
        ValueError: on an empty sequence or ``q`` outside 0..100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def parse_vmhwm(status: str) -> int | None:
    """Peak resident set size in bytes from the text of ``/proc/<pid>/status``."""
    return status_bytes(status, "VmHWM")


def status_bytes(status: str, field: str) -> int | None:
    """A size (``VmHWM``, ``VmRSS``...) in bytes from the text of ``/proc/<pid>/status``."""
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                unit = parts[2].lower() if len(parts) > 2 else "kb"
                factor = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "b": 1}.get(unit, 1024)
                return int(parts[1]) * factor
    return None


def peak_rss(pid: int) -> int | None:
    """``VmHWM`` of a running process in bytes, or None when it cannot be read."""
    try:
        return parse_vmhwm(Path(f"/proc/{pid}/status").read_text(encoding="ascii"))
    except OSError:
        return None


def mib(size: int | None) -> float | None:
    """Bytes in MiB, rounded to 0.1."""
    return None if size is None else round(size / 1024**2, 1)


def metric_total(text: str, name: str) -> float:
    """The sum of every sample called ``name`` in a Prometheus text exposition."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                total += float(sample.value)
    return total


@dataclass(frozen=True)
class LatencyMatch:
    """Alert latencies in milliseconds, and how many alerts had no known trigger.

    ``to_broker_ms`` and ``in_worker_ms`` split the latencies of the alerts
    whose trigger's broker append time is known: send to append, append to alert.
    Ring alerts are apart (``ring_ms``): they travel two internal topics more
    by design, and the target is the per-event path's.
    """

    latencies_ms: list[float]
    unmatched: int
    to_broker_ms: list[float] = field(default_factory=list)
    in_worker_ms: list[float] = field(default_factory=list)
    ring_ms: list[float] = field(default_factory=list)


def match_latencies(
    sent_ms: Mapping[str, int],
    alerts: Iterable[tuple[bytes, int]],
    appended_ms: Mapping[str, int] | None = None,
) -> LatencyMatch:
    """Latency of each alert: its record timestamp minus its trigger event's produce timestamp.

    Args:
        sent_ms: Produce timestamp (ms since the epoch) by event id.
        alerts: ``(alert record value, alert record timestamp in ms)`` pairs.
        appended_ms: The broker's append time of the input events, by event id.

    Returns:
        One latency per alert whose ``trigger_event_id`` is in ``sent_ms``; the
        others (not JSON, no trigger, unknown trigger) are counted as unmatched.
    """
    appended = appended_ms or {}
    latencies: list[float] = []
    to_broker: list[float] = []
    in_worker: list[float] = []
    ring: list[float] = []
    unmatched = 0
    for value, timestamp in alerts:
        try:
            alert = orjson.loads(value)
        except orjson.JSONDecodeError:
            alert = None
        trigger = alert.get("trigger_event_id") if isinstance(alert, dict) else None
        if not isinstance(trigger, str) or trigger not in sent_ms:
            unmatched += 1
            continue
        if alert.get("level") == "ring":
            ring.append(float(timestamp - sent_ms[trigger]))
            continue
        latencies.append(float(timestamp - sent_ms[trigger]))
        if trigger in appended:
            to_broker.append(float(appended[trigger] - sent_ms[trigger]))
            in_worker.append(float(timestamp - appended[trigger]))
    return LatencyMatch(latencies, unmatched, to_broker, in_worker, ring)


def median_run(runs: Sequence[ThroughputResult], *, high: bool = False) -> ThroughputResult:
    """The run with the median rate, with the highest peak RSS of all the runs.

    For an even number of runs there are two middle ones: the lower by default,
    the higher with ``high``. The bench takes the lower of the full pipeline
    and the higher of the bare agent, so the ratio is never flattered.

    Raises:
        ValueError: on no runs.
    """
    if not runs:
        raise ValueError("no runs")
    ordered = sorted(runs, key=lambda run: run.events_per_s)
    middle = ordered[len(ordered) // 2 if high else (len(ordered) - 1) // 2]
    peaks = [run.peak_rss_bytes for run in runs if run.peak_rss_bytes is not None]
    return replace(middle, peak_rss_bytes=max(peaks) if peaks else None)


def first_error(log: str) -> str | None:
    """The first ``[ERROR]`` or ``[CRITICAL]`` line of a worker log, without its timestamp."""
    for line in log.splitlines():
        for marker in ("[ERROR]", "[CRITICAL]"):
            if marker in line:
                return line[line.index(marker) :].strip()
    return None


def measured_rate(polls: Sequence[tuple[float, float]], total: int) -> tuple[float, float]:
    """Events per second from ``(monotonic time, count)`` polls that end at ``total``.

    The interval runs from the first poll with a count above zero to the first
    that reaches ``total``; the events counted at its start are left out. When a
    single poll saw everything (a tiny run), the interval starts at the poll
    before it instead.

    Returns:
        ``(seconds, events per second)``.

    Raises:
        ValueError: when the polls never reach ``total`` or never see progress.
    """
    done = next((i for i, (_, count) in enumerate(polls) if count >= total), None)
    first = next((i for i, (_, count) in enumerate(polls) if count > 0), None)
    if done is None or first is None:
        raise ValueError("the polls do not cover the run")
    start_index, start_count = first, polls[first][1]
    if first == done:
        if first == 0:
            raise ValueError("no poll before the first progress")
        start_index, start_count = first - 1, polls[first - 1][1]
    seconds = polls[done][0] - polls[start_index][0]
    if seconds <= 0:
        raise ValueError("the polls do not advance in time")
    return seconds, (total - start_count) / seconds


# --------------------------------------------------------------- events


def simulated_events(count: int, sellers: int, seed: int, fraud_share: float) -> list[BenchEvent]:
    """The first ``count`` events, in arrival order, of a simulated marketplace.

    The simulated period is lengthened until it holds ``count`` events; a
    marketplace too small for that is repeated with the next seeds (their
    sellers and event ids differ).
    """
    from stream.devtools.simulation.generator import simulate

    events: list[BenchEvent] = []
    block = 0
    while len(events) < count:
        days = 1.0
        simulation = simulate(sellers, days, seed + block, fraud_share=fraud_share)
        for _ in range(4):
            have = len(simulation.events)
            if have >= count - len(events) or have == 0:
                break
            days = min(days * (count - len(events)) / have * 1.15, 365.0)
            simulation = simulate(sellers, days, seed + block, fraud_share=fraud_share)
        for kind, event in simulation.events:
            if len(events) >= count:
                break
            seller = str(event["seller_id"]).encode("utf-8")
            events.append((kind, seller, orjson.dumps(event), str(event["event_id"])))
        block += 1
        if block > 1000:
            raise BenchError("the simulator produces no events")
    return events


# --------------------------------------------------------------- workers


def topic_settings(base: Settings, app_id: str, **topics: str) -> Settings:
    """``base`` with its own app id, web port, and every ``*_topic`` named after ``app_id``.

    Topics not given in ``topics`` become ``<app_id>-<name>`` (for example
    ``<app_id>-alerts``), including topic settings added after this was written.
    """
    update: dict[str, object] = {"app_id": app_id, "web_port": free_port(), "web_enabled": True}
    for name in Settings.model_fields:
        if name.endswith("_topic"):
            update[name] = topics.get(name, f"{app_id}-{name.removesuffix('_topic')}")
    return base.model_copy(update=update)


def setting_topics(settings: Settings) -> list[str]:
    """The value of every ``*_topic`` setting (inputs, outputs and any added later)."""
    return [
        str(getattr(settings, name)) for name in Settings.model_fields if name.endswith("_topic")
    ]


@dataclass
class Worker:
    """A worker subprocess and where its output goes."""

    process: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path
    settings: Settings
    started: float

    def log_text(self) -> str:
        """Everything the worker has logged so far."""
        self.log.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 15) -> str:
        """The first error it logged (often the cause), then the last lines of its log."""
        text = self.log_text()
        first = first_error(text)
        end = "\n".join(text.splitlines()[-lines:])
        return end if first is None else f"first error: {first}\n...\n{end}"

    def check_alive(self) -> None:
        """Raise :class:`BenchError` with the log's end if the process has exited."""
        if self.process.poll() is not None:
            raise BenchError(
                f"the worker ({self.settings.app_id}) exited with code "
                f"{self.process.returncode}; see {self.log_path}:\n{self.tail()}"
            )

    def get(self, path: str, timeout: float = 2.0) -> str | None:
        """The body of ``path`` on the worker's web server, or None unless it answers 2xx."""
        url = f"http://{self.settings.web_host}:{self.settings.web_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return str(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, TimeoutError):  # HTTPError is a URLError
            return None

    def metrics_count(self, metric: str) -> float | None:
        """The worker's current count of ``metric``, or None while ``/metrics`` does not answer."""
        text = self.get("/metrics")
        return None if text is None else metric_total(text, metric)

    def stop(self) -> int | None:
        """Read the peak RSS, then stop the worker (SIGTERM); return the peak RSS."""
        peak = peak_rss(self.process.pid) if self.process.poll() is None else None
        stop(self.process)
        self.log.close()
        return peak


def spawn_worker(args: Sequence[str], settings: Settings, log_path: Path) -> Worker:
    """Start ``python <args>`` with ``settings`` in its environment, output to ``log_path``."""
    process, log = spawn(settings, log_path, args)
    return Worker(process, log, log_path, settings, time.monotonic())


def wait_stable(worker: Worker, timeout: float = 120.0) -> float:
    """Block until the worker's consumer group is Stable with members; return the seconds taken."""
    deadline = worker.started + timeout
    while time.monotonic() < deadline:
        worker.check_alive()
        state, members = group_members(
            KafkaConnection.from_settings(worker.settings), worker.settings.app_id
        )
        if state == "Stable" and members:
            return time.monotonic() - worker.started
        time.sleep(0.2)
    raise BenchError(
        f"the worker ({worker.settings.app_id}) did not join its consumer group within "
        f"{timeout:g} s; see {worker.log_path}:\n{worker.tail()}"
    )


# ---------------------------------------------------------------- phases


def progress_bar(console: Console) -> Progress:
    """The progress bar every bench phase shows (on stderr with ``--json``)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def preload(
    kafka: KafkaConnection,
    topics: Mapping[str, str],
    events: Sequence[BenchEvent],
    progress: Progress,
) -> None:
    """Send ``events`` to their topics and wait until every one is acknowledged."""
    producer = new_producer(kafka)
    failures: list[Exception] = []
    task = progress.add_task("pre-loading the events", total=len(events))
    try:
        for number, (kind, key, value, _) in enumerate(events, start=1):
            future = producer.send(topics[kind], key=key, value=value)
            future.add_errback(failures.append)
            if number % 1000 == 0:
                progress.update(task, completed=number)
        producer.flush()
        progress.update(task, completed=len(events))
    finally:
        producer.close()
    if failures:
        raise BenchError(f"{len(failures)} events were not sent: {failures[0]}")


def run_throughput(
    label: str,
    args: Sequence[str],
    metric: str,
    settings: Settings,
    timeout: float,
    *,
    total: int,
    workdir: Path,
    progress: Progress,
) -> ThroughputResult:
    """Run one worker through ``total`` pre-loaded events and measure its rate."""
    log_name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")  # "bare-agent-2-3"
    worker = spawn_worker(args, settings, workdir / f"{log_name}-worker.log")
    task = progress.add_task(f"{label}: starting the worker", total=total)
    peak: int | None = None
    try:
        polls: list[tuple[float, float]] = []
        ready: float | None = None
        deadline = time.monotonic() + timeout
        while True:
            worker.check_alive()
            now = time.monotonic()
            count = worker.metrics_count(metric)
            if count is not None:
                polls.append((now, count))
                progress.update(task, completed=min(count, total))
                if count >= total:
                    break
            if ready is None:
                state, members = group_members(
                    KafkaConnection.from_settings(settings), settings.app_id
                )
                if state == "Stable" and members:
                    ready = time.monotonic() - worker.started
                    progress.update(task, description=f"{label}: consuming")
            if now > deadline:
                raise BenchError(
                    f"the {label} worker consumed {polls[-1][1] if polls else 0:g} of {total} "
                    f"events in {timeout:g} s; see {worker.log_path}:\n{worker.tail()}"
                )
            time.sleep(max(0.0, POLL_INTERVAL - (time.monotonic() - now)))
        if ready is None:  # consumed everything before the group was seen Stable
            ready = polls[0][0] - worker.started
        seconds, rate = measured_rate(polls, total)
        ring_messages = worker.metrics_count(RING_KAFKA_METRIC) or None
        ring_records = worker.metrics_count(RING_RECORDS_METRIC) or None
    finally:
        peak = worker.stop()
    progress.update(task, description=f"{label}: {rate:,.0f} events/s")
    return ThroughputResult(label, total, seconds, rate, ready, peak, ring_messages, ring_records)


def read_records(
    kafka: KafkaConnection, topic: str, settle: float = 1.0, timeout: float = 60.0
) -> list[tuple[bytes, int]]:
    """Every record of ``topic`` as ``(value, timestamp ms)``, read to its current end.

    Waits ``settle`` seconds first, then reads until each partition reaches the
    end offset seen after waiting, and once more for anything published since.
    """
    time.sleep(settle)
    consumer = KafkaConsumer(
        **kafka.kafka_python_options(),
        client_id="listing-monitor-bench",
        group_id=None,
        enable_auto_commit=False,
    )
    records: list[tuple[bytes, int]] = []
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not assigned:
            return records
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        deadline = time.monotonic() + timeout
        for _ in range(2):
            ends = consumer.end_offsets(assigned)
            while any(consumer.position(tp) < ends[tp] for tp in assigned):
                if time.monotonic() > deadline:
                    raise BenchError(f"could not read {topic} to its end within {timeout:g} s")
                for batch in consumer.poll(timeout_ms=500).values():
                    records.extend((record.value, int(record.timestamp)) for record in batch)
            time.sleep(0.5)
    finally:
        consumer.close()
    return records


def run_latency(
    settings: Settings,
    events: Sequence[BenchEvent],
    options: BenchOptions,
    workdir: Path,
    progress: Progress,
) -> LatencyResult:
    """Offer events at a fixed rate to a ready worker and measure produce-to-alert latency."""
    worker = spawn_worker(FULL_COMMAND, settings, workdir / "latency-worker.log")
    topics = {"listings": settings.listings_topic, "orders": settings.orders_topic}
    sent_ms: dict[str, int] = {}
    peak: int | None = None
    try:
        status = progress.add_task("latency: starting the worker", total=None)
        wait_stable(worker)
        progress.update(status, description="latency: worker ready", total=1, completed=1)
        producer = new_producer(KafkaConnection.from_settings(settings))
        failures: list[Exception] = []
        task = progress.add_task(f"latency: offering {options.rate:g} events/s", total=len(events))
        pacer = Pacer(options.rate)
        deadline = time.monotonic() + options.duration
        first = last = 0.0
        try:
            for number, (kind, key, value, event_id) in enumerate(events, start=1):
                if time.monotonic() >= deadline:
                    break
                pacer.wait()
                stamp = int(time.time() * 1000)
                future = producer.send(topics[kind], key=key, value=value, timestamp_ms=stamp)
                future.add_errback(failures.append)
                sent_ms.setdefault(event_id, stamp)
                last = time.monotonic()
                if number == 1:
                    first = last
                if number % 200 == 0:
                    progress.update(task, completed=number)
                    worker.check_alive()
            producer.flush()
        finally:
            producer.close()
        progress.update(task, completed=len(sent_ms), total=len(sent_ms))
        if failures:
            raise BenchError(f"{len(failures)} events were not sent: {failures[0]}")
        sent = len(sent_ms)
        catch_up = progress.add_task("latency: worker catching up", total=sent)
        deadline = time.monotonic() + max(60.0, sent / 200.0)
        while True:
            worker.check_alive()
            count = worker.metrics_count(FULL_METRIC) or 0.0
            progress.update(catch_up, completed=min(count, sent))
            if count >= sent:
                break
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the latency worker consumed {count:g} of {sent} events; "
                    f"see {worker.log_path}:\n{worker.tail()}"
                )
            time.sleep(POLL_INTERVAL)
        records = read_records(KafkaConnection.from_settings(settings), settings.alerts_topic)
    finally:
        peak = worker.stop()
    appended = appended_times(KafkaConnection.from_settings(settings), topics.values())
    match = match_latencies(sent_ms, records, appended)
    values = match.latencies_ms
    seconds = last - first
    return LatencyResult(
        offered_rate=options.rate,
        achieved_rate=(len(sent_ms) - 1) / seconds if seconds > 0 else float(len(sent_ms)),
        duration_s=seconds,
        events_sent=len(sent_ms),
        alerts=len(records),
        matched=len(values) + len(match.ring_ms),
        p50_ms=_rounded_percentile(values, 50),
        p95_ms=_rounded_percentile(values, 95),
        p99_ms=_rounded_percentile(values, 99),
        max_ms=round(max(values), 1) if values else None,
        peak_rss_bytes=peak,
        to_broker_p50_ms=_rounded_percentile(match.to_broker_ms, 50),
        to_broker_p99_ms=_rounded_percentile(match.to_broker_ms, 99),
        in_worker_p50_ms=_rounded_percentile(match.in_worker_ms, 50),
        in_worker_p99_ms=_rounded_percentile(match.in_worker_ms, 99),
        ring_alerts=len(match.ring_ms),
        ring_p50_ms=_rounded_percentile(match.ring_ms, 50),
        ring_p99_ms=_rounded_percentile(match.ring_ms, 99),
    )


def _rounded_percentile(values: Sequence[float], q: float) -> float | None:
    return round(percentile(values, q), 1) if values else None


def appended_times(kafka: KafkaConnection, topics: Iterable[str]) -> dict[str, int]:
    """The broker's append time (ms) of every input event, by ``event_id``.

    Meaningful only for topics created with ``message.timestamp.type=LogAppendTime``.
    """
    appended: dict[str, int] = {}
    for topic in topics:
        for value, timestamp in read_records(kafka, topic, settle=0.0):
            with contextlib.suppress(orjson.JSONDecodeError):
                event = orjson.loads(value)
                if isinstance(event, dict) and isinstance(event.get("event_id"), str):
                    appended.setdefault(event["event_id"], timestamp)
    return appended


def _delete_bench_topics(kafka: KafkaConnection, prefix: str) -> None:
    client = admin_client(kafka)
    try:
        doomed = [name for name in client.list_topics() if name.startswith(prefix)]
    finally:
        client.close()
    delete_topics(kafka, doomed)


@contextlib.contextmanager
def bench_workspace(
    kafka: KafkaConnection, prefix: str, workdir: Path, keep_logs: bool
) -> Iterator[None]:
    """A bench run's topics (named ``prefix*``) and logs (``workdir``): the topics are
    deleted afterwards, the logs kept after a failure or with ``keep_logs``."""
    succeeded = False
    try:
        yield
        succeeded = True
    finally:
        with contextlib.suppress(Exception):  # best effort; the result matters more
            _delete_bench_topics(kafka, prefix)
        if succeeded and not keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
            with contextlib.suppress(OSError):  # <home>/bench, when no other run is there
                workdir.parent.rmdir()


def run_bench(
    settings: Settings,
    options: BenchOptions,
    console: Console,
    on_message: Callable[[str], None] = lambda message: None,
) -> BenchResult:
    """Run both phases against ``settings.bootstrap`` and return the figures.

    Topics and consumer groups are named ``lm-bench-<run>-...`` and the topics
    are deleted at the end; worker logs are kept under
    ``<home>/bench/<run>/`` when the bench fails or ``options.keep_logs`` is set.

    Args:
        settings: Base settings (broker, rules, session timeout, log level...).
        options: What to measure.
        console: Where the progress bars go.
        on_message: Receives one line per step.

    Raises:
        BenchError: when a worker dies or times out, or Kafka refuses.
    """
    run = uuid.uuid4().hex[:8]
    prefix = f"lm-bench-{run}-"
    workdir = settings.home / "bench" / run
    base = settings.model_copy(update={"home": workdir / "home"})
    kafka = KafkaConnection.from_settings(settings)
    replication = settings.replication_factor
    with bench_workspace(kafka, prefix, workdir, options.keep_logs):
        on_message(f"topics and consumer groups: {prefix}*")
        if options.keep_logs:
            on_message(f"worker logs: {workdir}")
        on_message(f"simulating {options.events} events ({options.sellers} sellers)")
        events = simulated_events(options.events, options.sellers, options.seed, 0.05)
        shared = {
            "listings_topic": f"{prefix}tp-listings",
            "orders_topic": f"{prefix}tp-orders",
        }
        ensure_topics(kafka, shared.values(), settings.topic_partitions, replication=replication)
        topics = {"listings": shared["listings_topic"], "orders": shared["orders_topic"]}
        timeout = max(120.0, options.events / 200.0)
        runs: dict[str, list[ThroughputResult]] = {"bare": [], "full": []}
        with progress_bar(console) as progress:
            preload(kafka, topics, events, progress)
            for turn in range(1, options.repeat + 1):
                suffix = "" if turn == 1 else str(turn)  # each run its own consumer group
                of = f" ({turn}/{options.repeat})" if options.repeat > 1 else ""
                for app, label, command, metric in (
                    ("bare", "bare agent", BARE_COMMAND, DECODED_METRIC),
                    ("full", "full pipeline", FULL_COMMAND, FULL_METRIC),
                ):
                    runs[app].append(
                        run_throughput(
                            label + of,
                            command,
                            metric,
                            topic_settings(base, f"{prefix}{app}{suffix}", **shared),
                            timeout,
                            total=len(events),
                            workdir=workdir,
                            progress=progress,
                        )
                    )
        full = median_run(runs["full"])
        bare = median_run(runs["bare"], high=True)
        latency_events = simulated_events(
            math.ceil(options.rate * options.duration * 1.05) + 10,
            options.sellers,
            options.seed,
            LATENCY_FRAUD_SHARE,
        )
        latency_settings = topic_settings(base, f"{prefix}lat")
        # the broker stamps input records with their append time: see the module docstring
        ensure_topics(
            kafka,
            (latency_settings.listings_topic, latency_settings.orders_topic),
            settings.topic_partitions,
            config={"message.timestamp.type": "LogAppendTime"},
            replication=replication,
        )
        ensure_topics(
            kafka,
            setting_topics(latency_settings),
            settings.topic_partitions,
            replication=replication,
        )
        with progress_bar(console) as progress:
            latency = run_latency(latency_settings, latency_events, options, workdir, progress)
    return BenchResult(
        full=full,
        bare=bare,
        latency=latency,
        cpu_count=os.cpu_count() or 1,
        full_runs=tuple(run.events_per_s for run in runs["full"]),
        bare_runs=tuple(run.events_per_s for run in runs["bare"]),
    )
