"""``listing-monitor simulate``: a labelled marketplace, written to files or streamed to Kafka."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from kafka.errors import KafkaError
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from stream.cli._common import console, fail, load_settings, talking_to
from stream.devtools.pacing import Pacer
from stream.devtools.simulation.generator import Simulation
from stream.devtools.simulation.generator import simulate as run_simulation
from stream.devtools.simulation.io import write_labels, write_simulation
from stream.devtools.simulation.scenarios import ALL_SCENARIOS, SCENARIOS
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import new_producer
from stream.topology.kafka_errors import explain


def _start(value: str | None) -> datetime | None:
    """Parse ``--start`` (RFC 3339 with an offset), or exit with a readable error."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--start: {value!r} is not an RFC 3339 timestamp (e.g. 2026-11-01T00:00:00Z)")
    if moment.tzinfo is None or moment.utcoffset() is None:
        fail(f"--start: {value!r} has no offset; add Z or +08:00")
    return moment


def scenario_table(sim: Simulation) -> Table:
    """Sellers and events per scenario, fraud first, with a total row."""
    table = Table(title=f"simulated marketplace (seed {sim.seed}, {sim.days:g} days)")
    table.add_column("scenario")
    table.add_column("label")
    for header in ("sellers", "listing events", "order events"):
        table.add_column(header, justify="right")
    sellers = sim.scenario_counts()
    events = sim.event_counts()
    for name in ALL_SCENARIOS:
        if name not in sellers:
            continue
        label = SCENARIOS[name].label
        per_stream = events.get(name, {"listings": 0, "orders": 0})
        table.add_row(
            name,
            f"[red]{label}[/]" if label == "fraud" else label,
            str(sellers[name]),
            str(per_stream["listings"]),
            str(per_stream["orders"]),
        )
    totals = sim.stream_counts()
    table.add_section()
    table.add_row(
        "total",
        "",
        str(len(sim.labels)),
        str(totals.get("listings", 0)),
        str(totals.get("orders", 0)),
    )
    return table


def stream_simulation(sim: Simulation, rate: float) -> int:
    """Send the simulation's events to the configured topics at ``rate`` events/s.

    Events go in arrival order, keyed by ``seller_id``, with a progress bar.

    Returns:
        The number of events sent (exits with an error if any failed).
    """
    settings = load_settings()
    topics = {"listings": settings.listings_topic, "orders": settings.orders_topic}
    kafka = KafkaConnection.from_settings(settings)
    with talking_to(kafka):
        producer = new_producer(kafka)
    errors: list[BaseException] = []

    def failed(exc: BaseException) -> None:
        errors.append(exc)

    pacer = Pacer(rate)
    sent = 0
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    description = f"→ {topics['listings']} + {topics['orders']}"
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(description, total=len(sim.events))
            for stream, event in sim.events:
                pacer.wait()
                key = str(event["seller_id"]).encode("utf-8")
                future = producer.send(topics[stream], key=key, value=orjson.dumps(event))
                future.add_errback(failed)
                sent += 1
                progress.advance(task)
            producer.flush()
    except KeyboardInterrupt:
        producer.flush()
        console.print(f"interrupted after {sent} of {len(sim.events)} events", highlight=False)
    except KafkaError as exc:
        fail(f"sending stopped after {sent} events: {escape(explain(exc, kafka))}")
    finally:
        producer.close()
    if errors:
        fail(f"{len(errors)} events were not sent (the first: {escape(explain(errors[0], kafka))})")
    console.print(
        f"sent {sent} events to {escape(topics['listings'])} and {escape(topics['orders'])} "
        f"on {escape(kafka.describe())}",
        highlight=False,
    )
    return sent


def simulate(
    sellers: Annotated[int, typer.Option(min=1, help="Number of sellers to simulate.")] = 200,
    days: Annotated[
        float, typer.Option(min=0.01, help="Length of the simulated period in days.")
    ] = 7.0,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same output.")
    ] = 1,
    fraud_rate: Annotated[
        float,
        typer.Option(
            "--fraud-rate",
            "--fraud-share",
            min=0.0,
            max=1.0,
            help=(
                "Share of fraudulent sellers; 0.01 is a realistic base rate (from 40 "
                "sellers on, every fraud scenario has one)."
            ),
        ),
    ] = 0.05,
    late_fraction: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of events that arrive up to 10 minutes after their event time.",
        ),
    ] = 0.02,
    start: Annotated[
        str | None,
        typer.Option(help="Start of the period, RFC 3339 with offset (default 2026-11-01T00:00Z)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            file_okay=False,
            help="Write listings.jsonl, orders.jsonl and labels.json into this directory.",
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Stream the events into the configured Kafka topics at this many events/s.",
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels", dir_okay=False, help="With --rate: also write the labels to this file."
        ),
    ] = None,
) -> None:
    """Simulate a labelled marketplace: honest sellers and counterfeiters over some days.

    Give exactly one of --out DIR (write JSON Lines files and labels.json) or
    --rate R (stream into Kafka in arrival order at R events/s).
    """
    if (out is None) == (rate is None):
        fail("give exactly one of --out DIR (write files) or --rate R (stream into Kafka)")
    if labels is not None and out is not None:
        fail("--labels goes with --rate; with --out the labels are written to DIR/labels.json")
    began = time.perf_counter()
    with console.status(f"simulating {sellers} sellers over {days:g} days"):
        sim = run_simulation(
            sellers,
            days,
            seed,
            start=_start(start),
            fraud_share=fraud_rate,
            late_fraction=late_fraction,
        )
    elapsed = time.perf_counter() - began
    console.print(scenario_table(sim))
    console.print(f"{len(sim.events)} events generated in {elapsed:.1f} s", highlight=False)
    if out is not None:
        written = write_simulation(sim, out)
        console.print(
            f"wrote {written.listing_events} listing events to {written.listings}\n"
            f"wrote {written.order_events} order events to {written.orders}\n"
            f"wrote labels of {len(sim.labels)} sellers to {written.labels}",
            highlight=False,
        )
        return
    assert rate is not None
    if labels is not None:
        write_labels(sim.labels, labels)
        console.print(f"wrote labels of {len(sim.labels)} sellers to {labels}", highlight=False)
    stream_simulation(sim, rate)
