"""The ``listing-monitor`` command line."""

from __future__ import annotations

import typer

from stream.cli.alerts import alerts_app
from stream.cli.bench import bench
from stream.cli.demo import demo
from stream.cli.evaluate import evaluate
from stream.cli.kafka import kafka_app
from stream.cli.produce import produce
from stream.cli.rings import rings_app
from stream.cli.rules import rules_app
from stream.cli.simulate import simulate
from stream.cli.worker import worker

app = typer.Typer(
    name="listing-monitor",
    help=(
        "Streaming monitor that flags counterfeit and high-risk marketplace listings "
        "and sellers. Configuration comes from LISTING_MONITOR_* environment variables "
        "(see the README)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("worker")(worker)
app.command("produce")(produce)
app.command("demo")(demo)
app.command("simulate")(simulate)
app.command("evaluate")(evaluate)
app.command("bench")(bench)
app.add_typer(alerts_app, name="alerts")
app.add_typer(kafka_app, name="kafka")
app.add_typer(rules_app, name="rules")
app.add_typer(rings_app, name="rings")


def main() -> None:
    """Entry point of the ``listing-monitor`` console script."""
    app()
