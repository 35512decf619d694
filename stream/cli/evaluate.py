"""``listing-monitor evaluate``: seller-level precision and recall of a run against labels."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from stream.cli._common import console, err_console, fail
from stream.evaluation import (
    EvaluationReport,
    compute_report,
    load_alerts,
    load_events,
    load_labels,
    read_alerts,
    targets_met,
)

PRECISION_TARGET = 0.95
RECALL_TARGET = 0.90
MAX_FPR_TARGET = 0.02


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _median(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def render_report(report: EvaluationReport) -> None:
    """Print the per-scenario table, the overall line and the notes."""
    table = Table(title="Seller-level detection by scenario", title_justify="left")
    table.add_column("scenario")
    table.add_column("label")
    table.add_column("sellers", justify="right")
    table.add_column("flagged", justify="right")
    table.add_column("precision", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("FPR", justify="right")
    table.add_column("median events to 1st flag", justify="right")
    for row in report.scenarios:
        fraud = row.label == "fraud"
        table.add_row(
            row.scenario,
            f"[red]{row.label}[/]" if fraud else f"[green]{row.label}[/]",
            str(row.sellers),
            str(row.flagged),
            _share(row.precision) if fraud else "—",
            _share(row.recall),
            _share(row.false_positive_rate),
            _median(row.median_events_to_flag),
        )
    console.print(table)
    console.print(
        f"[bold]overall[/]: {report.sellers} sellers ({report.fraud_sellers} fraud, "
        f"{report.legit_sellers} legit), {report.flagged} flagged; "
        f"precision {_share(report.precision)} ({report.true_positives} TP, "
        f"{report.false_positives} FP), recall {_share(report.recall)} "
        f"({report.false_negatives} FN), legit FPR {_share(report.false_positive_rate)}, "
        f"median events to first flag {_median(report.median_events_to_flag)}",
        highlight=False,
    )
    notes = [f"{report.alerts} alerts read ({report.acting_alerts} high or critical)"]
    if report.malformed_alert_lines:
        notes.append(f"{report.malformed_alert_lines} malformed alert lines skipped")
    if report.events is None:
        notes.append("no events given: medians not computed")
    else:
        notes.append(f"{report.events} events read")
        if report.malformed_event_lines:
            notes.append(f"{report.malformed_event_lines} malformed event lines skipped")
        if report.triggers_not_found:
            notes.append(
                f"{report.triggers_not_found} flagged sellers' trigger events not found "
                "(left out of the medians)"
            )
    console.print("[dim]" + "; ".join(notes) + "[/]", highlight=False)
    if report.unknown_sellers:
        shown = ", ".join(report.unknown_sellers[:10])
        more = (
            f" and {len(report.unknown_sellers) - 10} more"
            if len(report.unknown_sellers) > 10
            else ""
        )
        console.print(
            f"[yellow]sellers named in alerts but not in the labels "
            f"({len(report.unknown_sellers)}):[/] "
            f"{shown}{more}",
            highlight=False,
        )


def evaluate(
    labels: Annotated[
        Path, typer.Option("--labels", help="Ground truth: labels.json as written by `simulate`.")
    ],
    alerts: Annotated[
        str,
        typer.Option(
            "--alerts",
            help="Alerts as JSON Lines (`alerts tail --json --from-beginning`); '-' reads stdin.",
        ),
    ],
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="Directory with listings.jsonl and orders.jsonl (default: that of --labels).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when a target is missed, naming it.")
    ] = False,
) -> None:
    """Seller-level precision, recall and false-positive rates of a run, per scenario.

    A seller counts as flagged when a high or critical alert names it (its
    seller_id, or a member of a ring alert). Targets: precision >= 0.95,
    recall >= 0.90, every legit scenario's false-positive rate <= 2%.
    """
    try:
        truth = load_labels(labels)
    except (OSError, ValueError) as exc:
        fail(f"cannot read labels from {labels}: {exc}")
    try:
        alert_load = read_alerts(sys.stdin.buffer) if alerts == "-" else load_alerts(Path(alerts))
    except OSError as exc:
        fail(f"cannot read alerts from {alerts}: {exc}")
    events_dir = events if events is not None else labels.parent
    try:
        event_load = load_events(events_dir)
    except OSError as exc:
        fail(f"cannot read events from {events_dir}: {exc}")
    if events is not None and event_load is None:
        fail(f"{events_dir} has neither listings.jsonl nor orders.jsonl")
    report = compute_report(truth, alert_load, event_load)
    missed = targets_met(report, PRECISION_TARGET, RECALL_TARGET, MAX_FPR_TARGET)
    if as_json:
        payload = {**report.to_dict(), "targets_missed": missed}
        sys.stdout.buffer.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    else:
        render_report(report)
        if missed:
            console.print("[bold red]targets missed:[/]", highlight=False)
            for item in missed:
                console.print(f"  - {item}", highlight=False)
        else:
            console.print(
                f"[bold green]targets met[/]: precision >= {PRECISION_TARGET:g}, "
                f"recall >= {RECALL_TARGET:g}, every legit FPR <= {MAX_FPR_TARGET:.0%}",
                highlight=False,
            )
    if check and missed:
        if as_json:  # the table output has named them already
            for item in missed:
                err_console.print(f"[bold red]target missed:[/] {item}", highlight=False)
        raise typer.Exit(1)
