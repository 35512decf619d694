"""``listing-monitor demo``: broker, worker and a sample marketplace, with live alerts."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.markup import escape

from stream.cli._common import console, fail, load_settings, talking_to
from stream.cli.alerts import follow_batches, print_alert
from stream.devtools import processes
from stream.devtools.local_kafka import LocalKafka, LocalKafkaError
from stream.devtools.pacing import Pacer
from stream.devtools.sample import sample_marketplace
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import ensure_topics, group_members, monitor_topics, new_producer


def worker_died(worker: subprocess.Popen[bytes], log_path: Path) -> NoReturn:
    """Report a worker that exited on its own, with the end of its log."""
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
    fail(f"the worker exited with code {worker.returncode}; see {log_path}:\n{tail}")


def wait_for_worker(
    settings: Settings,
    worker: subprocess.Popen[bytes],
    stale: set[str],
    log_path: Path,
    timeout: float = 120.0,
) -> None:
    """Block, with a spinner, until the worker owns the consumer group.

    ``stale`` are members present before the worker started: a worker that was
    killed without leaving the group holds it until its session times out.
    """
    started = time.monotonic()
    waiting = "waiting for the worker to join consumer group " + settings.app_id
    if stale:
        waiting += (
            f" (a previous worker did not leave it cleanly; Kafka drops it within "
            f"{settings.session_timeout:g}-60 s)"
        )
    with console.status(waiting):
        while time.monotonic() - started < timeout:
            if worker.poll() is not None:
                worker_died(worker, log_path)
            state, members = group_members(KafkaConnection.from_settings(settings), settings.app_id)
            if state == "Stable" and members and not members & stale:
                break
            time.sleep(0.5)
        else:
            fail(f"the worker did not join its consumer group within {timeout:g} s; see {log_path}")
    console.print(f"worker ready after {time.monotonic() - started:.1f} s", highlight=False)


KAFKA_SETUP_TIMEOUT = 60.0
"""Seconds the topic creation and the group lookup may take before the demo gives up."""


def prepare_kafka(settings: Settings) -> tuple[str, set[str]]:
    """Create the topics and read the group's stale members, or exit naming the problem.

    Both talk to a broker that may have started a moment ago; kafka-python can
    wait on one indefinitely, so the calls run with a deadline.
    """

    kafka = KafkaConnection.from_settings(settings)

    def setup() -> tuple[str, set[str]]:
        ensure_topics(
            kafka,
            monitor_topics(settings),
            settings.topic_partitions,
            replication=settings.replication_factor,
        )
        return group_members(kafka, settings.app_id)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-setup")
    try:
        with talking_to(kafka):
            return pool.submit(setup).result(timeout=KAFKA_SETUP_TIMEOUT)
    except FuturesTimeout:
        fail(
            f"Kafka at {escape(kafka.describe())} did not create the topics within "
            f"{KAFKA_SETUP_TIMEOUT:g} s; see `listing-monitor kafka logs`"
        )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def stream_sample(settings: Settings, rate: float, stop: threading.Event, sent: list[int]) -> None:
    """Send the bundled sample marketplace at ``rate`` events/s until done or stopped."""
    topics = {"listings": settings.listings_topic, "orders": settings.orders_topic}
    producer = new_producer(KafkaConnection.from_settings(settings))
    pacer = Pacer(rate)
    try:
        for kind, event in sample_marketplace():
            if stop.is_set():
                break
            pacer.wait()
            key = str(event["seller_id"]).encode("utf-8")
            producer.send(topics[kind], key=key, value=orjson.dumps(event))
            sent[0] += 1
        producer.flush()
    finally:
        producer.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def demo(
    rate: Annotated[
        float, typer.Option(min=1.0, help="Events per second to stream from the sample.")
    ] = 40.0,
    duration: Annotated[
        float | None,
        typer.Option(min=1.0, help="Stop by itself after this many seconds (default: Ctrl-C)."),
    ] = None,
    keep_broker: Annotated[
        bool, typer.Option(help="Leave the local broker running when the demo ends.")
    ] = False,
) -> None:
    """Run everything on a sample marketplace and print alerts as they come.

    Starts the local broker unless LISTING_MONITOR_KAFKA_BOOTSTRAP is set,
    creates the topics, runs the worker, streams tens of honest and fraudulent
    sellers' events and prints each alert. Ctrl-C stops all it started.
    """
    settings = load_settings()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
    broker: LocalKafka | None = None
    if settings.kafka_bootstrap is None:
        local = LocalKafka(settings)
        try:
            if not local.is_running():
                broker = local  # ours to stop afterwards
            local.start(lambda message: console.print(message, highlight=False))
        except LocalKafkaError as exc:
            fail(str(exc))
    try:
        _, stale = prepare_kafka(settings)
    except BaseException:
        # the broker this demo started is stopped whatever went wrong before the worker ran
        if broker is not None and not keep_broker:
            broker.stop(lambda message: console.print(message, highlight=False))
        raise

    log_path = settings.home / "demo-worker.log"
    console.print(f"starting the worker (log: {log_path})", highlight=False)
    worker, log = processes.spawn(settings, log_path)
    stop = threading.Event()
    sent = [0]
    severities: Counter[str] = Counter()
    sellers: set[str] = set()
    deadline = None if duration is None else time.monotonic() + duration
    started = time.monotonic()
    try:
        wait_for_worker(settings, worker, stale, log_path)
        batches = follow_batches(KafkaConnection.from_settings(settings), settings.alerts_topic)
        next(batches)  # fixes the start at the current end, before any event is sent
        producer = threading.Thread(
            target=stream_sample, args=(settings, rate, stop, sent), daemon=True
        )
        producer.start()
        console.print(
            f"streaming the sample marketplace at {rate:g} events/s; alerts follow "
            "(Ctrl-C to stop)",
            highlight=False,
        )
        for batch in batches:
            for raw in batch:
                alert = print_alert(raw, False, console)
                if alert is not None:
                    severities[str(alert.get("severity"))] += 1
                    sellers.add(str(alert.get("seller_id")))
            if worker.poll() is not None:
                worker_died(worker, log_path)
            if deadline is not None and time.monotonic() >= deadline:
                break
    except KeyboardInterrupt:
        console.print("\nstopping…")
    finally:
        stop.set()
        console.print("stopping the worker…")
        processes.stop(worker)
        log.close()
        summary = ", ".join(f"{n} {s}" for s, n in severities.most_common()) or "none"
        console.print(
            f"sent {sent[0]} events in {time.monotonic() - started:.0f}s; alerts: {summary}; "
            f"sellers flagged: {len(sellers)}",
            highlight=False,
        )
        if broker is not None and not keep_broker:
            broker.stop(lambda message: console.print(message, highlight=False))
