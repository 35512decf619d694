"""``listing-monitor produce``: send JSON Lines events to a topic."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import orjson
import typer
from kafka import KafkaProducer
from kafka.errors import KafkaError
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from stream.cli._common import console, fail, load_settings, talking_to
from stream.devtools.pacing import Pacer
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import new_producer
from stream.topology.kafka_errors import explain


def event_key(line: bytes, key_field: str) -> bytes | None:
    """The message key: the event's ``key_field`` (``seller_id``), or None if absent.

    Lines that are not JSON objects are still sent (keyless): the monitor
    routes them to the dead-letter topic with a reason.
    """
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(value, dict):
        key = value.get(key_field)
        if isinstance(key, str) and key:
            return key.encode("utf-8")
    return None


def read_lines(source: BinaryIO) -> Iterator[bytes]:
    """Non-blank lines of a JSON Lines stream, without their line endings."""
    for line in source:
        stripped = line.strip()
        if stripped:
            yield stripped


def send_all(
    producer: KafkaProducer,
    topic: str,
    lines: Iterable[bytes],
    key_field: str = "seller_id",
    rate: float | None = None,
    progress: Progress | None = None,
    total: int | None = None,
) -> tuple[int, list[tuple[int, KafkaError]]]:
    """Send each line as one message; after a flush return how many were sent, and
    the number (from 1) and error of each that was not."""
    futures = []
    pacer = Pacer(rate)
    task = progress.add_task(f"→ {topic}", total=total) if progress else None
    for line in lines:
        pacer.wait()
        futures.append(producer.send(topic, key=event_key(line, key_field), value=line))
        if progress is not None and task is not None:
            progress.advance(task)
    producer.flush()
    failures = []
    for number, future in enumerate(futures, start=1):
        try:
            future.get(timeout=30)
        except KafkaError as exc:
            failures.append((number, exc))
    return len(futures) - len(failures), failures


def produce(
    topic: Annotated[str, typer.Option("--topic", "-t", help="Topic to send to.")],
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="JSON Lines file, one event per line; '-' reads standard input."
        ),
    ] = "-",
    rate: Annotated[
        float | None, typer.Option(min=0.1, help="Send at most this many events per second.")
    ] = None,
    key_field: Annotated[
        str, typer.Option(help="Event field whose value becomes the message key.")
    ] = "seller_id",
) -> None:
    """Send events from a JSON Lines file (or stdin) to a topic, with a progress bar."""
    settings = load_settings()
    if file != "-" and not Path(file).is_file():
        fail(f"{file}: no such file")
    kafka = KafkaConnection.from_settings(settings)
    with talking_to(kafka):
        producer = new_producer(kafka)
    total = None
    if file != "-":
        with Path(file).open("rb") as counting:
            total = sum(1 for _ in read_lines(counting))
    source: BinaryIO = sys.stdin.buffer if file == "-" else Path(file).open("rb")  # noqa: SIM115
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with talking_to(kafka), Progress(*columns, console=console, transient=False) as progress:
            sent, failures = send_all(
                producer, topic, read_lines(source), key_field, rate, progress, total
            )
    finally:
        producer.close()
        if source is not sys.stdin.buffer:
            source.close()
    console.print(
        f"sent {sent} events to {escape(topic)} on {escape(kafka.describe())}", highlight=False
    )
    if failures:
        number, first = failures[0]
        fail(
            f"{len(failures)} events were not sent (the first: message {number}): "
            + escape(explain(first, kafka))
        )
