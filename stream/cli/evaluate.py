"""``listing-monitor evaluate``: seller-level precision and recall of a run against labels."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from stream.cli._common import console, err_console, fail
from stream.devtools.evaluation import (
    AlertLoad,
    EvaluationReport,
    EventLoad,
    RingReport,
    RingTrace,
    SellerLabel,
    compute_report,
    load_alerts,
    load_events,
    load_labels,
    parse_labels,
    read_alerts,
    targets_met,
)
from stream.rules import CompiledRules, RulesConfigError, load_rules

PRECISION_TARGET = 0.95
RECALL_TARGET = 0.95
MAX_FPR_TARGET = 0.01
MAX_FPR_MEDIUM_TARGET = 0.05
RING_NAMED_TARGET = 0.95


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _median(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _interval(value: float | None, interval: tuple[float, float] | None) -> str:
    """``99.2% (95% CI 97.1-99.8%)``."""
    if value is None or interval is None:
        return _share(value)
    return f"{value:.1%} (95% CI {interval[0]:.1%}-{interval[1]:.1%})"


def render_report(report: EvaluationReport) -> None:
    """Print the per-scenario table, the overall line and the notes."""
    table = Table(title="Seller-level detection by scenario", title_justify="left")
    table.add_column("scenario")
    table.add_column("label")
    table.add_column("sellers", justify="right")
    table.add_column("flagged", justify="right")
    table.add_column("precision", justify="right")
    table.add_column("recall", justify="right")
    table.add_column("FPR high", justify="right")
    table.add_column("FPR medium", justify="right")
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
            _share(row.false_positive_rate_medium),
            _median(row.median_events_to_flag),
        )
    console.print(table)
    console.print(
        f"[bold]overall[/]: {report.sellers} sellers ({report.fraud_sellers} fraud, "
        f"{report.legit_sellers} legit), {report.flagged} flagged; "
        f"precision {_interval(report.precision, report.precision_interval)} "
        f"({report.true_positives} TP, {report.false_positives} FP), "
        f"recall {_interval(report.recall, report.recall_interval)} "
        f"({report.false_negatives} FN), legit FPR {_share(report.false_positive_rate)} "
        f"(at medium {_share(report.false_positive_rate_medium)}), "
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


def render_rings(rings: RingReport) -> None:
    """Print the ring table and its line: honest sellers named, warehouse, super-nodes."""
    table = Table(title="Rings by scenario", title_justify="left")
    table.add_column("scenario")
    table.add_column("label")
    table.add_column("groups", justify="right")
    table.add_column("members", justify="right")
    table.add_column("named high/critical", justify="right")
    table.add_column("share", justify="right")
    table.add_column("groups linked", justify="right")
    table.add_column("median member events link→alert", justify="right")
    for row in rings.scenarios:
        fraud = row.label == "fraud"
        table.add_row(
            row.scenario,
            f"[red]{row.label}[/]" if fraud else f"[green]{row.label}[/]",
            str(row.groups),
            str(row.members),
            str(row.named),
            _share(row.named_share),
            "—" if row.groups_linked is None else str(row.groups_linked),
            _median(row.median_events_link_to_alert),
        )
    console.print(table)
    honest = f"{rings.honest_named} honest sellers in high/critical ring alerts"
    if rings.honest_named_sellers:
        honest += f" ({', '.join(rings.honest_named_sellers)})"
    parts = [
        f"{rings.ring_alerts} ring alerts ({rings.acting_ring_alerts} high or critical)",
        honest,
    ]
    if rings.warehouse_rings is not None:
        parts.append(
            "warehouse made no ring"
            if not rings.warehouse_rings
            else f"warehouse made {rings.warehouse_rings} ring(s)"
        )
    if rings.supernodes is not None:
        parts.append(f"{rings.supernodes} super-node identifiers")
    if not rings.traced:
        parts.append("no ring trace (links and timing need --simulate)")
    console.print("[bold]rings[/]: " + "; ".join(parts), highlight=False)


def _judge_simulation(
    sellers: int, days: float, seed: int, fraud_rate: float, rules_file: Path | None
) -> tuple[dict[str, SellerLabel], AlertLoad, EventLoad, RingTrace]:
    """Simulate a marketplace and judge it in-process (see :mod:`stream.devtools.replay`)."""
    # imported here: the simulator and the replay are only needed in this mode
    from stream.devtools.replay import event_load, replay
    from stream.devtools.simulation.generator import simulate as run_simulation

    try:
        rules = CompiledRules.build(load_rules(rules_file))
    except RulesConfigError as exc:
        fail(str(exc))
    began = time.perf_counter()
    with err_console.status(f"simulating {sellers} sellers over {days:g} days (seed {seed})"):
        sim = run_simulation(sellers, days, seed, fraud_share=fraud_rate)
    columns = (
        "judging",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("judging", total=len(sim.events))
        judged = replay(sim, rules, progress=lambda done: bar.update(task, completed=done))
    if judged.dead_letters:
        fail(f"{judged.dead_letters} simulated events were dead-lettered: a simulator defect")
    err_console.print(
        f"{len(sim.events)} events of {sellers} sellers judged in "
        f"{time.perf_counter() - began:.0f} s (rules {rules.config.version})",
        highlight=False,
    )
    return parse_labels(sim.labels), judged.alert_load(), event_load(sim), judged.ring_trace()


def evaluate(
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="Ground truth: labels.json as written by `simulate`."),
    ] = None,
    alerts: Annotated[
        str | None,
        typer.Option(
            "--alerts",
            help="Alerts as JSON Lines (`alerts tail --json --from-beginning`); '-' reads stdin.",
        ),
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="Directory with listings.jsonl and orders.jsonl (default: that of --labels).",
        ),
    ] = None,
    simulated: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help=(
                "Instead of --labels/--alerts: simulate a marketplace and judge it in-process "
                "with the worker's judging code (no Kafka)."
            ),
        ),
    ] = False,
    sellers: Annotated[int, typer.Option(min=1, help="With --simulate: number of sellers.")] = 5000,
    days: Annotated[float, typer.Option(min=0.01, help="With --simulate: days simulated.")] = 7.0,
    seed: Annotated[int, typer.Option(help="With --simulate: the simulator's seed.")] = 1,
    fraud_rate: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="With --simulate: share of fraudulent sellers."),
    ] = 0.01,
    rules_file: Annotated[
        Path | None,
        typer.Option(
            "--rules", dir_okay=False, help="With --simulate: rules file (default: bundled)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when a target is missed, naming it.")
    ] = False,
) -> None:
    """Seller-level precision, recall and false-positive rates of a run, per scenario.

    A seller counts as flagged when a high or critical alert names it (its
    seller_id, or a member of a ring alert), and as watched when any alert
    does (medium included). Precision and recall come with 95% confidence
    intervals. Targets: precision >= 0.95, recall >= 0.95, every legit
    scenario's false-positive rate <= 1% at high and <= 5% at medium. When the
    labels group sellers (simulated rings and honest groups), a ring table
    too, with its targets: >= 95% of every fraud ring scenario's members named
    in high/critical ring alerts, no honest seller named so, no ring made by a
    shared warehouse address.
    """
    trace: RingTrace | None = None
    if simulated:
        if labels is not None or alerts is not None or events is not None:
            fail("--simulate makes its own labels, alerts and events; drop --labels and --alerts")
        event_load: EventLoad | None
        truth, alert_load, event_load, trace = _judge_simulation(
            sellers, days, seed, fraud_rate, rules_file
        )
    else:
        if labels is None or alerts is None:
            fail("give --labels FILE and --alerts FILE (or --simulate)")
        truth, alert_load, event_load = _read_run(labels, alerts, events)
    report = compute_report(truth, alert_load, event_load, trace)
    missed = targets_met(
        report,
        PRECISION_TARGET,
        RECALL_TARGET,
        MAX_FPR_TARGET,
        MAX_FPR_MEDIUM_TARGET,
        RING_NAMED_TARGET,
    )
    if as_json:
        payload = {**report.to_dict(), "targets_missed": missed}
        sys.stdout.buffer.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    else:
        render_report(report)
        if report.rings is not None:
            render_rings(report.rings)
        if missed:
            console.print("[bold red]targets missed:[/]", highlight=False)
            for item in missed:
                console.print(f"  - {item}", highlight=False)
        else:
            console.print(
                f"[bold green]targets met[/]: precision >= {PRECISION_TARGET:g}, "
                f"recall >= {RECALL_TARGET:g}, every legit FPR <= {MAX_FPR_TARGET:.0%} "
                f"(<= {MAX_FPR_MEDIUM_TARGET:.0%} at medium)"
                + (
                    f"; every fraud ring scenario >= {RING_NAMED_TARGET:.0%} named in ring "
                    "alerts, no honest seller named, no warehouse ring"
                    if report.rings is not None
                    else ""
                ),
                highlight=False,
            )
    if check and missed:
        if as_json:  # the table output has named them already
            for item in missed:
                err_console.print(f"[bold red]target missed:[/] {item}", highlight=False)
        raise typer.Exit(1)


def _read_run(
    labels: Path, alerts: str, events: Path | None
) -> tuple[dict[str, SellerLabel], AlertLoad, EventLoad | None]:
    """Labels, alerts and events of a run, from files (or exit naming what failed)."""
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
    return truth, alert_load, event_load
