"""Soak: the simulated marketplace at a steady rate for a long time
(``listing-monitor bench --soak MINUTES``), to show that resident memory, lag and
latency stay flat.

One worker reads topics of its own while a producer offers a fixed population of
simulated sellers at ``--rate`` events/s. The marketplace is simulated a quarter
of a day at a time, in a process of its own ahead of the producer, each quarter starting
where the last one ended, with the same sellers (their ids stay, their event,
listing and order ids get the quarter's number), so the stream never ends and
the number of sellers tracked levels off as a real marketplace's does.

Every ``--sample`` seconds the bench records the worker's resident memory
(``VmRSS``), its consumer lag in messages and seconds (its own
``listing_monitor_consumer_lag_*`` gauges, refreshed on its timer) and the
p50/p99 of the alerts' latency since the previous sample (from the
``listing_monitor_alert_latency_seconds`` histogram, interpolated within its
buckets like Prometheus' ``histogram_quantile``; the input topics use the
broker's append time, so it is broker append to alert). The baseline is the
run itself: the median of each figure over the second sixth of the run (after
the warm-up) against the median over the last sixth; flat means a ratio near 1.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import queue
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

import orjson
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from stream.devtools.bench.runner import (
    FULL_COMMAND,
    FULL_METRIC,
    BenchError,
    BenchEvent,
    Worker,
    bench_workspace,
    mib,
    progress_bar,
    setting_topics,
    spawn_worker,
    status_bytes,
    topic_settings,
    wait_stable,
)
from stream.devtools.pacing import Pacer
from stream.devtools.simulation.generator import DEFAULT_START, simulate
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import ensure_topics, new_producer

LATENCY_METRIC = "listing_monitor_alert_latency_seconds"
LAG_MESSAGES_METRIC = "listing_monitor_consumer_lag_messages"
LAG_SECONDS_METRIC = "listing_monitor_consumer_lag_seconds"
QUARTER_DAYS = 0.25


@dataclass(frozen=True)
class SoakOptions:
    """What one soak run offers and how often it samples."""

    minutes: float
    rate: float = 2_000.0  # events/s offered
    sellers: int = 1_000
    seed: int = 1
    sample_every: float = 10.0  # seconds


@dataclass(frozen=True)
class SoakSample:
    """The worker's figures at one moment of the soak."""

    elapsed_s: float
    sent: int
    judged: float
    rss_bytes: int | None
    lag_messages: float | None
    lag_seconds: float | None
    latency_p50_ms: float | None  # of the alerts since the previous sample
    latency_p99_ms: float | None
    alerts: float  # alerts in the latency histogram since the previous sample


@dataclass(frozen=True)
class SoakResult:
    """Every sample of one soak run and what they say about flatness."""

    rate: float
    minutes: float
    sellers: int
    partitions: int
    samples: tuple[SoakSample, ...]
    events_sent: int = 0
    events_judged: float = 0.0
    peak_rss_bytes: int | None = None
    windows: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in asdict(self).items() if k != "samples"},
            "samples": [asdict(sample) for sample in self.samples],
        }


# ------------------------------------------------------------- the figures


def parse_rss(status: str) -> int | None:
    """Resident set size in bytes (``VmRSS``) from the text of ``/proc/<pid>/status``."""
    return status_bytes(status, "VmRSS")


def rss(pid: int) -> int | None:
    """``VmRSS`` of a running process in bytes, or None when it cannot be read."""
    try:
        return parse_rss(Path(f"/proc/{pid}/status").read_text(encoding="ascii"))
    except OSError:
        return None


@dataclass(frozen=True)
class Scrape:
    """What one read of a worker's ``/metrics`` holds for the soak."""

    judged: float
    lag_messages: float | None
    lag_seconds: float | None
    latency_buckets: dict[float, float]  # upper bound -> cumulative count, all levels


def parse_scrape(text: str) -> Scrape:
    """The soak's figures from a Prometheus text exposition."""
    judged = 0.0
    lag_messages: float | None = None
    lag_seconds: float | None = None
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == FULL_METRIC:
                judged += sample.value
            elif sample.name == LAG_MESSAGES_METRIC:
                lag_messages = (lag_messages or 0.0) + sample.value
            elif sample.name == LAG_SECONDS_METRIC:
                lag_seconds = max(lag_seconds or 0.0, sample.value)
            elif sample.name == f"{LATENCY_METRIC}_bucket":
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
    return Scrape(judged, lag_messages, lag_seconds, buckets)


def bucket_quantile(
    q: float, before: Mapping[float, float], after: Mapping[float, float]
) -> float | None:
    """The ``q`` quantile (0..1) of the observations between two reads of a cumulative
    histogram, interpolated linearly within a bucket (as Prometheus' ``histogram_quantile``);
    None when nothing was observed in between. An observation in the ``+Inf`` bucket
    counts as the highest finite bound."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank = q * counts[-1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def window_medians(
    samples: Sequence[SoakSample], getter: Callable[[SoakSample], float | int | None]
) -> dict[str, float | None]:
    """A figure's median over the second sixth of the run (after the warm-up) and over
    the last sixth, and their ratio (last / early)."""
    if not samples:
        return {"early": None, "late": None, "ratio": None}
    end = samples[-1].elapsed_s
    early = [getter(s) for s in samples if end / 6 <= s.elapsed_s < end / 3]
    late = [getter(s) for s in samples if s.elapsed_s >= end * 5 / 6]
    early_median = _median(early)
    late_median = _median(late)
    ratio = None
    if early_median is not None and late_median is not None and early_median > 0:
        ratio = round(late_median / early_median, 3)
    return {"early": early_median, "late": late_median, "ratio": ratio}


def _median(values: Sequence[float | int | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return round(median(known), 3) if known else None


# ------------------------------------------------------------- the stream


def marketplace(sellers: int, seed: int, fraud_share: float) -> Iterator[BenchEvent]:
    """The events of ``sellers`` simulated sellers, a quarter of a day after another,
    without end (see the module docstring)."""
    for quarter in range(10**9):
        start = DEFAULT_START + timedelta(days=quarter * QUARTER_DAYS)
        simulation = simulate(sellers, QUARTER_DAYS, seed, start=start, fraud_share=fraud_share)
        suffix = f"q{quarter}"
        for kind, event in simulation.events:
            event = {**event, "event_id": f"{event['event_id']}{suffix}"}
            for name in ("listing_id", "order_id"):
                if name in event:
                    event[name] = f"{event[name]}{suffix}"
            seller = str(event["seller_id"]).encode("utf-8")
            yield kind, seller, orjson.dumps(event), str(event["event_id"])


CHUNK = 2_000  # events per message from the simulating process


def _simulate_into(chunks: Any, stopping: Any, sellers: int, seed: int, fraud_share: float) -> None:
    """In the simulating process: the endless marketplace, in chunks, until stopped."""
    chunk: list[BenchEvent] = []
    for event in marketplace(sellers, seed, fraud_share):
        chunk.append(event)
        if len(chunk) == CHUNK:
            while not stopping.is_set():
                try:
                    chunks.put(chunk, timeout=0.5)
                    break
                except queue.Full:
                    continue
            if stopping.is_set():
                chunks.cancel_join_thread()  # exit without flushing what nobody reads
                return
            chunk = []


def ahead(
    sellers: int, seed: int, fraud_share: float, keep: int = 200_000
) -> Generator[BenchEvent, None, None]:
    """The endless marketplace, simulated in a process of its own up to ``keep`` events
    ahead of the consumer of this iterator: simulating the next quarter in this
    process would hold the interpreter lock, stalling the producer and then sending
    in bursts."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    chunks = context.Queue(maxsize=max(1, keep // CHUNK))
    stopping = context.Event()
    simulator = context.Process(
        target=_simulate_into,
        args=(chunks, stopping, sellers, seed, fraud_share),
        name="soak-simulator",
        daemon=True,
    )
    simulator.start()
    try:
        while True:
            try:
                chunk = chunks.get(timeout=120.0)
            except queue.Empty:
                raise BenchError("the simulating process sent nothing for 120 s") from None
            yield from chunk
    finally:
        stopping.set()
        simulator.join(5.0)
        if simulator.is_alive():
            simulator.kill()
            simulator.join(5.0)


# ------------------------------------------------------------- the run


def _scrape(worker: Worker) -> Scrape | None:
    text = worker.get("/metrics", timeout=5.0)
    return None if text is None else parse_scrape(text)


class Sampler:
    """Turns successive scrapes of one worker into :class:`SoakSample` s."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.samples: list[SoakSample] = []
        self._buckets: dict[float, float] = {}
        self.started = time.monotonic()

    def sample(self, sent: int) -> SoakSample | None:
        scrape = _scrape(self.worker)
        if scrape is None:
            return None
        p50 = bucket_quantile(0.5, self._buckets, scrape.latency_buckets)
        p99 = bucket_quantile(0.99, self._buckets, scrape.latency_buckets)
        alerts = sum(
            scrape.latency_buckets.get(b, 0.0) - self._buckets.get(b, 0.0)
            for b in scrape.latency_buckets
            if math.isinf(b)
        )
        self._buckets = scrape.latency_buckets
        sample = SoakSample(
            elapsed_s=round(time.monotonic() - self.started, 1),
            sent=sent,
            judged=scrape.judged,
            rss_bytes=rss(self.worker.process.pid),
            lag_messages=scrape.lag_messages,
            lag_seconds=scrape.lag_seconds,
            latency_p50_ms=None if p50 is None else round(p50 * 1000, 1),
            latency_p99_ms=None if p99 is None else round(p99 * 1000, 1),
            alerts=alerts,
        )
        self.samples.append(sample)
        return sample


def run_soak(
    settings: Settings,
    options: SoakOptions,
    console: Console,
    on_message: Callable[[str], None],
    on_sample: Callable[[SoakSample], None] = lambda sample: None,
) -> SoakResult:
    """Offer the endless marketplace at ``options.rate`` events/s to one worker for
    ``options.minutes`` and sample it every ``options.sample_every`` seconds (see the
    module docstring).

    Raises:
        BenchError: when the worker dies, or the events cannot be sent.
        kafka.errors.KafkaError: when the broker refuses.
    """
    run = uuid.uuid4().hex[:8]
    prefix = f"lm-bench-{run}-"
    workdir = settings.home / "bench" / run
    kafka = KafkaConnection.from_settings(settings)
    with bench_workspace(kafka, prefix, workdir, keep_logs=False):
        soak_settings = topic_settings(
            settings.model_copy(update={"home": workdir / "home"}), f"{prefix}soak"
        )
        inputs = (soak_settings.listings_topic, soak_settings.orders_topic)
        ensure_topics(
            kafka,
            inputs,
            settings.topic_partitions,
            config={"message.timestamp.type": "LogAppendTime"},
            replication=settings.replication_factor,
        )
        others = [t for t in setting_topics(soak_settings) if t not in inputs]
        ensure_topics(
            kafka, others, settings.topic_partitions, replication=settings.replication_factor
        )
        on_message(
            f"{options.sellers:,} sellers at {options.rate:g} events/s for "
            f"{options.minutes:g} min on {settings.topic_partitions} partition(s), a sample "
            f"every {options.sample_every:g} s"
        )
        worker = spawn_worker(FULL_COMMAND, soak_settings, workdir / "soak-worker.log")
        try:
            wait_stable(worker)
            sampler, sent = _offer(kafka, soak_settings, worker, options, console, on_sample)
            final = sampler.sample(sent)
            if final is not None:
                on_sample(final)
        finally:
            peak = worker.stop()
    samples = tuple(sampler.samples)
    windows = {
        "rss_mib": window_medians(samples, lambda s: mib(s.rss_bytes)),
        "lag_messages": window_medians(samples, lambda s: s.lag_messages),
        "lag_seconds": window_medians(samples, lambda s: s.lag_seconds),
        "latency_p99_ms": window_medians(samples, lambda s: s.latency_p99_ms),
    }
    return SoakResult(
        options.rate, options.minutes, options.sellers, settings.topic_partitions, samples,
        sent, samples[-1].judged if samples else 0.0, peak, windows,
    )  # fmt: skip


def _offer(
    kafka: KafkaConnection,
    settings: Settings,
    worker: Worker,
    options: SoakOptions,
    console: Console,
    on_sample: Callable[[SoakSample], None],
) -> tuple[Sampler, int]:
    topics = {"listings": settings.listings_topic, "orders": settings.orders_topic}
    producer = new_producer(kafka)
    failures: list[Exception] = []
    sampler = Sampler(worker)
    sent = 0
    duration, rate, sample_every = options.minutes * 60.0, options.rate, options.sample_every
    events: Generator[BenchEvent, None, None] | None = None
    try:
        with progress_bar(console) as progress:
            task = progress.add_task(f"soak: offering {rate:g} events/s", total=round(duration))
            events = ahead(options.sellers, options.seed, 0.01)
            first = next(events)  # the clock starts with the first event simulated
            sampler.started = time.monotonic()
            pacer = Pacer(rate)
            started = time.monotonic()
            next_sample = started + sample_every
            for kind, key, value, _ in itertools.chain([first], events):
                now = time.monotonic()
                if now - started >= duration:
                    break
                pacer.wait()
                producer.send(topics[kind], key=key, value=value).add_errback(failures.append)
                sent += 1
                if now >= next_sample:
                    next_sample += sample_every
                    worker.check_alive()
                    if failures:
                        raise BenchError(f"{len(failures)} events were not sent: {failures[0]}")
                    progress.update(task, completed=round(now - started))
                    sample = sampler.sample(sent)
                    if sample is not None:
                        on_sample(sample)
            producer.flush()
            progress.update(task, completed=round(duration))
    finally:
        producer.close()
        if events is not None:
            events.close()  # stops the simulating process
    if failures:
        raise BenchError(f"{len(failures)} events were not sent: {failures[0]}")
    return sampler, sent


# ------------------------------------------------------------- the report


def print_soak(result: SoakResult, console: Console) -> None:
    """The flatness figures, early window against late window."""
    console.print(
        f"soak: {result.events_sent:,} events offered at {result.rate:g}/s over "
        f"{result.minutes:g} min ({result.sellers:,} sellers), {result.events_judged:,.0f} "
        f"judged; peak RSS {mib(result.peak_rss_bytes)} MiB",
        highlight=False,
    )
    for name, window in result.windows.items():
        console.print(
            f"  {name}: {window['early']} early, {window['late']} late (ratio {window['ratio']})",
            highlight=False,
        )


def soak_svg(result: SoakResult, width: int = 720, panel: int = 130) -> str:
    """The samples as an SVG line chart: resident memory, lag and p99 latency over the
    run, one panel each (the README's plot)."""
    series: list[tuple[str, list[tuple[float, float]]]] = [
        ("resident memory (MiB)", _points(result.samples, lambda s: mib(s.rss_bytes))),
        ("consumer lag (messages)", _points(result.samples, lambda s: s.lag_messages)),
        ("alert latency p99 (ms)", _points(result.samples, lambda s: s.latency_p99_ms)),
    ]
    left, right, top, gap = 70, 16, 28, 34
    height = top + len(series) * (panel + gap)
    end = max((s.elapsed_s for s in result.samples), default=1.0) / 60.0 or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="16" font-size="13">listing-monitor bench --soak: '
        f"{result.rate:g} events/s, {result.sellers:,} sellers, {result.minutes:g} min</text>",
    ]
    for index, (title, points) in enumerate(series):
        y0 = top + index * (panel + gap) + 14
        peak = max((value for _, value in points), default=0.0) or 1.0
        peak = _nice_ceiling(peak)
        plot_width = width - left - right
        parts += [
            f'<text x="{left}" y="{y0 - 4}">{title}</text>',
            f'<rect x="{left}" y="{y0}" width="{plot_width}" height="{panel}" fill="none" '
            'stroke="#999"/>',
            f'<text x="{left - 6}" y="{y0 + 10}" text-anchor="end">{peak:g}</text>',
            f'<text x="{left - 6}" y="{y0 + panel}" text-anchor="end">0</text>',
            f'<text x="{left + plot_width}" y="{y0 + panel + 13}" text-anchor="end">'
            f"{end:.0f} min</text>",
        ]
        if points:
            path = " ".join(
                f"{left + plot_width * minute / end:.1f},{y0 + panel - panel * value / peak:.1f}"
                for minute, value in points
            )
            parts.append(f'<polyline points="{path}" fill="none" stroke="#1f6fb2"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _points(
    samples: Sequence[SoakSample], getter: Callable[[SoakSample], float | int | None]
) -> list[tuple[float, float]]:
    return [
        (sample.elapsed_s / 60.0, float(value))
        for sample in samples
        if (value := getter(sample)) is not None
    ]


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value``."""
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)
