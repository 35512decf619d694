"""The topology: the Faust app, its topics, agents and web views, in one place.

``create_app(settings)`` builds everything; importing this module has no side
effects. Each agent is a thin loop that hands raw bytes to
:class:`stream.processor.EventProcessor` and publishes what it returns.

Delivery is at-least-once: Faust flushes the producer before it commits input
offsets, so an alert or dead letter is never lost, and a replayed event yields
an alert with the same deterministic ``alert_id``. One agent instance per
topic (``concurrency=1``), since higher concurrency can commit past messages
still in flight.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from stream.metrics import MonitorMetrics
from stream.processor import EventProcessor, Origin, Outcome, encode
from stream.rules import CompiledRules, RulesConfig, load_rules
from stream.settings import Settings

AgentFun = Callable[[Any], Awaitable[None]]


def broker_urls(bootstrap: str) -> str:
    """Faust's broker URL list for a comma-separated bootstrap string."""
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip())


@dataclass
class Monitor:
    """The built application and the pieces tests and the CLI reach into."""

    app: faust.App
    processor: EventProcessor
    metrics: MonitorMetrics
    rules: RulesConfig


def _raw_topic(app: faust.App, name: str) -> Any:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )


def create_app(
    settings: Settings,
    *,
    rules: RulesConfig | None = None,
    registry: CollectorRegistry | None = None,
) -> Monitor:
    """Build the monitor's Faust app from settings.

    Args:
        settings: Runtime configuration.
        rules: A rules configuration; default: loaded from ``settings.rules_file``.
        registry: Prometheus registry for the metrics; default: a fresh one.

    Raises:
        stream.rules.RulesConfigError: when the rules file is invalid (the
            worker refuses to start rather than run with unknown rules).
    """
    rules = rules if rules is not None else load_rules(settings.rules_file)
    metrics = MonitorMetrics(registry)
    processor = EventProcessor(CompiledRules.build(rules), metrics)

    datadir = Path(settings.home) / "worker" / settings.app_id
    datadir.mkdir(parents=True, exist_ok=True)  # Faust does not create parents itself
    app = faust.App(
        settings.app_id,
        broker=broker_urls(settings.bootstrap),
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout,
        datadir=str(datadir),
        web_enabled=settings.web_enabled,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
    )

    listings_topic = _raw_topic(app, settings.listings_topic)
    orders_topic = _raw_topic(app, settings.orders_topic)
    alerts_topic = _raw_topic(app, settings.alerts_topic)
    dead_letter_topic = _raw_topic(app, settings.dead_letter_topic)

    async def publish(outcome: Outcome, origin: Origin) -> None:
        if outcome.dead_letter is not None:
            await dead_letter_topic.send(key=origin.key, value=encode(outcome.dead_letter))
        for alert in outcome.alerts:
            await alerts_topic.send(key=alert.seller_id.encode("utf-8"), value=encode(alert))

    def agent_loop(handle: Callable[[bytes | None, Origin], Outcome]) -> AgentFun:
        async def loop(stream: Any) -> None:
            async for event in stream.events():
                message = event.message
                origin = Origin(message.topic, message.partition, message.offset, message.key)
                await publish(handle(event.value, origin), origin)

        return loop

    for topic, name, handle in (
        (listings_topic, "judge-listings", processor.on_listing),
        (orders_topic, "validate-orders", processor.on_order),
    ):
        loop = agent_loop(handle)
        loop.__qualname__ = name  # what Faust shows in its logs
        app.agent(topic, name=name, concurrency=1)(loop)

    # aiohttp takes the charset apart from the media type.
    media_type = CONTENT_TYPE_LATEST.split("; charset=")[0]

    async def metrics_page(view: Any, request: Any) -> Any:
        return view.bytes(generate_latest(metrics.registry), content_type=media_type)

    app.page("/metrics")(metrics_page)

    return Monitor(app=app, processor=processor, metrics=metrics, rules=rules)
