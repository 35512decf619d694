"""``listing-monitor alerts tail``: follow the alerts topic."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Annotated, Any

import orjson
import typer
from kafka import KafkaConsumer, TopicPartition
from rich.console import Console
from rich.markup import escape

from stream.cli._common import console, fail, load_settings, printable, talking_to
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import check_topic_access

alerts_app = typer.Typer(help="Read the alerts the monitor publishes.", no_args_is_help=True)

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow"}


def follow_batches(
    kafka: KafkaConnection,
    topic: str,
    *,
    from_beginning: bool = False,
    idle_timeout: float | None = None,
    wait_for_topic: float = 60.0,
) -> Iterator[list[bytes]]:
    """Yield the message values of ``topic`` poll by poll (an empty list when idle).

    Reads every partition without a consumer group, so tailing never disturbs
    the monitor. The start position is fixed before the first batch is yielded.

    Args:
        kafka: The cluster.
        topic: Topic to follow.
        from_beginning: Start at the oldest message instead of the newest.
        idle_timeout: Stop after this many seconds without a message (None: never).
        wait_for_topic: How long to wait for the topic to be created.

    Raises:
        LookupError: when the topic does not appear within ``wait_for_topic``.
        kafka.errors.TopicAuthorizationFailedError: the user may not describe the topic.
    """
    consumer = KafkaConsumer(
        **kafka.kafka_python_options(),
        client_id="listing-monitor-tail",
        group_id=None,
        enable_auto_commit=False,
    )
    try:
        deadline = time.monotonic() + wait_for_topic
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:  # missing (wait for it), or denied (say so now)
            check_topic_access(kafka, topic)
        while not partitions:
            if time.monotonic() > deadline:
                raise LookupError(f"topic {topic!r} does not exist on {kafka.bootstrap}")
            time.sleep(0.5)
            partitions = consumer.partitions_for_topic(topic)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        if from_beginning:
            consumer.seek_to_beginning(*assigned)
        else:
            consumer.seek_to_end(*assigned)
        for tp in assigned:  # resolve the start offsets now, before anything new arrives
            consumer.position(tp)
        last_message = time.monotonic()
        while True:
            batch = [
                record.value
                for records in consumer.poll(timeout_ms=200).values()
                for record in records
            ]
            if batch:
                last_message = time.monotonic()
            elif idle_timeout is not None and time.monotonic() - last_message > idle_timeout:
                return
            yield batch
    finally:
        consumer.close()


def follow_topic(
    kafka: KafkaConnection,
    topic: str,
    *,
    from_beginning: bool = False,
    idle_timeout: float | None = None,
) -> Iterator[bytes]:
    """Yield message values of ``topic`` one by one as they arrive (see follow_batches)."""
    for batch in follow_batches(
        kafka, topic, from_beginning=from_beginning, idle_timeout=idle_timeout
    ):
        yield from batch


def render_alert(alert: dict[str, Any], out: Console) -> None:
    """Print one alert as a readable block: severity, seller, score, then its reasons."""
    severity = str(alert.get("severity", "?"))
    style = SEVERITY_STYLE.get(severity, "bold")
    subject = f"seller {printable(alert.get('seller_id'))}"
    if alert.get("listing_id"):
        subject += f"  listing {printable(alert['listing_id'])}"
    if alert.get("ring_id"):
        members = ", ".join(printable(m) for m in alert.get("member_seller_ids", []))
        subject += f"  ring {printable(alert['ring_id'])} ({members})"
    out.print(
        f"[{style}] {severity.upper()} [/] {alert.get('level', '?')}  {subject}  "
        f"score [bold]{alert.get('risk_score')}[/]  at {alert.get('event_time')}",
        highlight=False,
    )
    for reason in alert.get("reasons", []):
        out.print(
            f"   [{reason.get('score')}] {printable(reason.get('rule'))}: "
            f"{printable(reason.get('message'))}",
            highlight=False,
        )
    out.print(
        f"   [dim]{alert.get('alert_id')} · event {alert.get('trigger_event_id')} · "
        f"rules {alert.get('rules_version')}[/]",
        highlight=False,
    )


def print_alert(raw: bytes, as_json: bool, out: Console) -> dict[str, Any] | None:
    """Print one message of the alerts topic; return it parsed, or None if not an alert."""
    try:
        alert = orjson.loads(raw)
    except orjson.JSONDecodeError:
        alert = None
    if not isinstance(alert, dict):
        out.print(f"[dim]skipped a message that is not a JSON alert: {raw[:80]!r}[/]")
        return None
    if as_json:  # byte-exact, unstyled: meant for files and pipes
        sys.stdout.buffer.write(raw + b"\n")
        sys.stdout.flush()
    else:
        render_alert(alert, out)
    return alert


@alerts_app.command("tail")
def tail(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each alert as one line of JSON.")
    ] = False,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start with the oldest alert still kept.")
    ] = False,
    idle_timeout: Annotated[
        float | None,
        typer.Option(help="Exit after this many seconds without a new alert (default: follow)."),
    ] = None,
    max_alerts: Annotated[
        int | None, typer.Option("--max", min=1, help="Exit after this many alerts.")
    ] = None,
) -> None:
    """Print alerts as they arrive, one readable block each (or JSON Lines with --json)."""
    settings = load_settings()
    kafka = KafkaConnection.from_settings(settings)
    if not as_json:
        console.print(
            f"[dim]following {escape(settings.alerts_topic)} on {escape(kafka.describe())} "
            "(Ctrl-C to stop)[/]"
        )
    count = 0
    try:
        with talking_to(kafka):
            for raw in follow_topic(
                kafka,
                settings.alerts_topic,
                from_beginning=from_beginning,
                idle_timeout=idle_timeout,
            ):
                if print_alert(raw, as_json, console) is not None:
                    count += 1
                    if max_alerts is not None and count >= max_alerts:
                        break
    except LookupError as exc:
        fail(f"{exc}; the worker creates it (`listing-monitor worker`)")
    except KeyboardInterrupt:
        pass
