"""``listing-monitor worker``: run the Faust worker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from stream.cli._common import console, fail, load_settings, talking_to
from stream.rules import RulesConfigError, load_rules
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import (
    check_group_access,
    ensure_topics,
    resolve_replication,
    worker_topics,
)


def run_worker(settings: Settings) -> None:
    """Create missing topics, then run the monitor's Faust worker until stopped."""
    from stream.topology.app import create_app, tune_gc  # heavy imports: only when a worker runs
    from stream.topology.shutdown import BoundedWorker

    try:  # before anything talks to Kafka
        rules = load_rules(settings.rules_file)
    except RulesConfigError as exc:
        fail(f"refusing to start with an invalid rules file:\n{exc}")
    kafka = KafkaConnection.from_settings(settings)
    with talking_to(kafka):  # what the worker cannot do is said now, in one sentence
        settings = resolve_replication(settings, kafka)  # Faust takes no -1
        monitor = create_app(settings, rules=rules)
        created = ensure_topics(
            kafka,
            worker_topics(settings),
            settings.topic_partitions,
            replication=settings.replication_factor,
        )
        check_group_access(kafka, settings.app_id)
    if created:
        console.print(f"created topics: {', '.join(created)}")
    web = (
        f", metrics on http://{settings.web_host}:{settings.web_port}/metrics"
        if settings.web_enabled
        else ""
    )
    console.print(
        f"worker [bold]{settings.app_id}[/] on {escape(kafka.describe())}, "
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
