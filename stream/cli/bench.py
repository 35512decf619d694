"""``listing-monitor bench``: events/s against a bare Faust agent, alert latency, peak RSS."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from stream.cli._common import console, err_console, fail, load_settings, talking_to
from stream.devtools.bench.recovery import RecoveryResult, print_recovery, run_recovery
from stream.devtools.bench.runner import (
    P99_TARGET_MS,
    RATIO_TARGET,
    BenchError,
    BenchOptions,
    BenchResult,
    mib,
    run_bench,
)
from stream.devtools.bench.soak import (
    SoakOptions,
    SoakResult,
    SoakSample,
    print_soak,
    run_soak,
    soak_svg,
)
from stream.devtools.local_kafka import LocalKafka, LocalKafkaError
from stream.topology.connection import KafkaConnection


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _verdict(met: bool) -> str:
    return "[bold green]met[/]" if met else "[bold red]missed[/]"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} MiB"


def _runs(rates: tuple[float, ...]) -> str:
    if len(rates) < 2:
        return ""
    return f" (median of {len(rates)}: {', '.join(f'{rate:,.0f}' for rate in rates)})"


def render_result(result: BenchResult) -> None:
    """Print the one results table."""
    data = result.to_dict()
    rss = data["peak_rss_mib"]
    latency = result.latency
    table = Table(title="listing-monitor bench", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target")
    table.add_row(
        f"full pipeline, {result.full.events:,} events{_runs(result.full_runs)}",
        f"{result.full.events_per_s:,.0f} events/s",
        "",
    )
    table.add_row(
        f"bare Faust agent, {result.bare.events:,} events{_runs(result.bare_runs)}",
        f"{result.bare.events_per_s:,.0f} events/s",
        "",
    )
    ring = data["throughput"]
    if ring["ring_kafka_messages_per_event"] is not None:
        table.add_row(
            "  ring linking: Kafka messages / records per input event",
            f"{ring['ring_kafka_messages_per_event']:.3f} / {ring['ring_records_per_event']:.3f}",
            "",
        )
    table.add_row(
        "ratio full / bare",
        f"{result.ratio:.2f}",
        f">= {RATIO_TARGET:g} {_verdict(result.ratio_met)}",
    )
    table.add_row(
        f"latency p50 / p95 / p99 of listing and seller alerts at "
        f"{latency.offered_rate:,.0f} events/s offered ({latency.achieved_rate:,.0f} achieved)",
        f"{_ms(latency.p50_ms)} / {_ms(latency.p95_ms)} / {_ms(latency.p99_ms)} ms",
        f"p99 <= {P99_TARGET_MS:g} ms {_verdict(result.p99_met)}",
    )
    table.add_row("latency max", f"{_ms(latency.max_ms)} ms", "")
    table.add_row(
        "  of which producer -> broker, p50 / p99",
        f"{_ms(latency.to_broker_p50_ms)} / {_ms(latency.to_broker_p99_ms)} ms",
        "",
    )
    table.add_row(
        "  of which broker -> alert (the worker), p50 / p99",
        f"{_ms(latency.in_worker_p50_ms)} / {_ms(latency.in_worker_p99_ms)} ms",
        "",
    )
    if latency.ring_alerts:
        table.add_row(
            f"  ring alerts ({latency.ring_alerts:,}, not in the percentiles above), p50 / p99",
            f"{_ms(latency.ring_p50_ms)} / {_ms(latency.ring_p99_ms)} ms",
            "",
        )
    table.add_row(
        f"alerts in {latency.duration_s:.0f} s ({latency.events_sent:,} events)",
        f"{latency.alerts:,} ({latency.matched:,} matched)",
        "",
    )
    table.add_row("peak RSS, full worker (throughput)", _mib(rss["full_throughput"]), "")
    table.add_row("peak RSS, bare agent (throughput)", _mib(rss["bare_throughput"]), "")
    table.add_row("peak RSS, full worker (latency)", _mib(rss["full_latency"]), "")
    table.add_row("machine", f"{result.cpu_count} CPUs", f"Python {result.python}")
    console.print(table)


def bench(
    events: Annotated[
        int, typer.Option("--events", min=100, help="Events of the throughput phase.")
    ] = 100_000,
    rate: Annotated[
        float, typer.Option(min=1.0, help="Offered events per second in the latency phase.")
    ] = 2_000.0,
    duration: Annotated[float, typer.Option(min=1.0, help="Seconds of the latency phase.")] = 30.0,
    sellers: Annotated[
        int, typer.Option(min=1, help="Sellers of the simulated marketplace.")
    ] = 1_000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated marketplace.")] = 1,
    repeat: Annotated[
        int,
        typer.Option(
            min=1,
            help="Runs of each throughput phase, taking turns; each one's median is reported.",
        ),
    ] = 3,
    keep_logs: Annotated[
        bool,
        typer.Option(
            "--keep-logs",
            help="Keep the workers' logs under <home>/bench/<run>/ (always kept on failure).",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON (progress goes to stderr).")
    ] = False,
    recovery: Annotated[
        int | None,
        typer.Option(
            "--recovery",
            min=100,
            metavar="SELLERS",
            help=(
                "Instead: time a worker's take-over of SELLERS sellers' states (the cost of "
                "a rebalance or restart without a standby copy), and per 100,000 sellers."
            ),
        ),
    ] = None,
    soak: Annotated[
        float | None,
        typer.Option(
            "--soak",
            min=1.0,
            metavar="MINUTES",
            help=(
                "Instead: offer an endless simulated marketplace of --sellers sellers at "
                "--rate events/s to one worker for MINUTES and sample its resident memory, "
                "lag and alert latency, early against late in the run."
            ),
        ),
    ] = None,
    sample_every: Annotated[
        float, typer.Option("--sample", min=1.0, help="Seconds between soak samples.")
    ] = 10.0,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", dir_okay=False, help="Write the soak's samples as an SVG chart."),
    ] = None,
) -> None:
    """Measure the worker on the real broker: events/s, alert latency, peak RSS.

    Runs the full worker and a bare Faust agent that only decodes the events
    through the same pre-loaded events and prints both rates and their ratio
    (target >= 0.6); then offers events at a fixed rate to a full worker and
    prints the p50/p95/p99 latency from event produce to alert publish (target:
    p99 <= 250 ms). Starts the local broker unless LISTING_MONITOR_KAFKA_BOOTSTRAP
    is set (and stops it afterwards if it started it); every topic it creates is
    deleted at the end.
    """
    settings = load_settings()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
    out = err_console if as_json else console

    def say(message: str) -> None:
        out.print(message, highlight=False)

    broker: LocalKafka | None = None
    if settings.kafka_bootstrap is None:
        try:
            local = LocalKafka(settings)
            if not local.is_running():
                broker = local  # ours to stop afterwards
            local.start(say)
        except LocalKafkaError as exc:
            fail(str(exc))
    options = BenchOptions(
        events=events,
        rate=rate,
        duration=duration,
        sellers=sellers,
        seed=seed,
        keep_logs=keep_logs,
        repeat=repeat,
    )
    recovered: RecoveryResult | None = None
    soaked: SoakResult | None = None

    def sampled(sample: SoakSample) -> None:
        say(
            f"{sample.elapsed_s / 60:5.1f} min: {sample.sent:,} sent, {sample.judged:,.0f} "
            f"judged, RSS {_mib(mib(sample.rss_bytes))}, lag {sample.lag_messages} messages / "
            f"{sample.lag_seconds} s, p99 {_ms(sample.latency_p99_ms)} ms"
        )

    try:
        kafka = KafkaConnection.from_settings(settings)
        say(f"benchmarking on {kafka.describe()}")
        with talking_to(kafka):
            if recovery is not None:
                recovered = run_recovery(settings, recovery, out, say)
            elif soak is not None:
                soak_options = SoakOptions(soak, rate, sellers, seed, sample_every)
                soaked = run_soak(settings, soak_options, out, say, sampled)
            else:
                result = run_bench(settings, options, out, say)
    except BenchError as exc:
        fail(escape(str(exc)))
    except KeyboardInterrupt:
        fail("interrupted; the workers were stopped and the bench topics deleted", 130)
    finally:
        if broker is not None:
            broker.stop(say)
    done = recovered or soaked or result
    if soaked is not None and plot is not None:
        plot.write_text(soak_svg(soaked), encoding="utf-8")
        say(f"plot written to {escape(str(plot))}")
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(done.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    elif recovered is not None:
        print_recovery(recovered, console)
    elif soaked is not None:
        print_soak(soaked, console)
    else:
        render_result(result)
