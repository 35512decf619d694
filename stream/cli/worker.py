"""``listing-monitor worker``: run the Faust worker."""

from __future__ import annotations

from typing import Annotated

import typer
from kafka.errors import KafkaError

from stream.cli._common import console, fail, load_settings
from stream.rules import RulesConfigError
from stream.settings import Settings
from stream.topology.kafka_admin import ensure_topics, monitor_topics


def run_worker(settings: Settings) -> None:
    """Create missing topics, then run the monitor's Faust worker until stopped."""
    from stream.topology.app import create_app, tune_gc  # heavy imports: only when a worker runs
    from stream.topology.shutdown import BoundedWorker

    try:
        monitor = create_app(settings)
    except RulesConfigError as exc:
        fail(f"refusing to start with an invalid rules file:\n{exc}")
    try:
        created = ensure_topics(
            settings.bootstrap, monitor_topics(settings), settings.topic_partitions
        )
    except KafkaError as exc:
        fail(
            f"cannot reach Kafka at {settings.bootstrap}: {exc}. Start the local broker with "
            "`listing-monitor kafka start` or set LISTING_MONITOR_KAFKA_BOOTSTRAP."
        )
    if created:
        console.print(f"created topics: {', '.join(created)}")
    web = (
        f", metrics on http://{settings.web_host}:{settings.web_port}/metrics"
        if settings.web_enabled
        else ""
    )
    console.print(
        f"worker [bold]{settings.app_id}[/] on {settings.bootstrap}, "
        f"rules {monitor.rules.version}{web}",
        highlight=False,
    )
    tune_gc()
    worker = BoundedWorker(
        monitor.app,
        shutdown_timeout=settings.shutdown_timeout,
        log_filter=monitor.client_log,
        loglevel=settings.log_level.upper(),
    )
    worker.execute_from_commandline()


def worker(
    web_port: Annotated[
        int | None,
        typer.Option(help="Port of the web server (/metrics); overrides LISTING_MONITOR_WEB_PORT."),
    ] = None,
    no_web: Annotated[bool, typer.Option("--no-web", help="Do not start the web server.")] = False,
) -> None:
    """Run the monitor: judge listings and orders, publish alerts and dead letters."""
    settings = load_settings()
    overrides: dict[str, object] = {}
    if web_port is not None:
        overrides["web_port"] = web_port
    if no_web:
        overrides["web_enabled"] = False
    if overrides:
        settings = settings.model_copy(update=overrides)
    run_worker(settings)
