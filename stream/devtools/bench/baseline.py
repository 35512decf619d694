"""The benchmark's baseline: a bare Faust agent that only decodes the events.

``listing-monitor bench`` runs it next to the real worker on the same events to
measure the ceiling of the framework on this machine: the app is built by the
same :func:`stream.topology.app.new_faust_app` as the monitor's (raw key and value
serializers, at-least-once, ``concurrency=1``, the same broker and consumer
settings, including the shortened fetch wait, one agent over both input topics)
but keeps Faust's default commit timing, the memory store and a plain per-event
loop, and the agent does nothing but ``orjson.loads`` each message and count it.
The count is served at ``/metrics`` as
``listing_monitor_bench_decoded_total{stream,outcome}``, so the bench polls both
apps' progress the same way.

Run it as a worker with ``python -m stream.devtools.bench.baseline``; it reads the same
``LISTING_MONITOR_*`` settings as ``python -m stream worker``.
"""

from __future__ import annotations

from typing import Any

import faust
import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from stream.settings import Settings
from stream.topology.app import new_faust_app, raw_topic, tune_gc

DECODED_METRIC = "listing_monitor_bench_decoded_total"
"""Name of the baseline's progress counter (as exposed, with ``_total``)."""


def create_baseline_app(settings: Settings, registry: CollectorRegistry | None = None) -> faust.App:
    """A Faust app that decodes each listing and order with ``orjson.loads`` and counts it.

    Args:
        settings: The same settings the monitor's worker would get (app id,
            topics, web server).
        registry: Prometheus registry of the counter; default: a fresh one.
    """
    registry = registry if registry is not None else CollectorRegistry()
    decoded = Counter(
        DECODED_METRIC.removesuffix("_total"),
        "Input messages the bare benchmark agent decoded, by stream and outcome.",
        ["stream", "outcome"],
        registry=registry,
    )
    app = new_faust_app(settings, store="memory://")

    # One agent over both input topics, like the monitor's ``judge-events``.
    events_topic = raw_topic(app, settings.listings_topic, settings.orders_topic)
    counters = {
        topic: (decoded.labels(kind, "valid"), decoded.labels(kind, "invalid"))
        for topic, kind in (
            (settings.listings_topic, "listings"),
            (settings.orders_topic, "orders"),
        )
    }

    async def decode_events(stream: Any) -> None:
        async for event in stream.events():
            valid, invalid = counters[event.message.topic]
            try:
                orjson.loads(event.value)
            except (orjson.JSONDecodeError, TypeError):
                invalid.inc()
            else:
                valid.inc()

    decode_events.__qualname__ = "decode-events"  # what Faust shows in its logs
    app.agent(events_topic, name="decode-events", concurrency=1)(decode_events)

    media_type = CONTENT_TYPE_LATEST.split("; charset=")[0]

    async def metrics_page(view: Any, request: Any) -> Any:
        return view.bytes(generate_latest(registry), content_type=media_type)

    app.page("/metrics")(metrics_page)
    return app


def main() -> None:
    """Run the baseline app as a worker with settings from the environment."""
    from faust import Worker

    from stream.topology.connection import KafkaConnection
    from stream.topology.kafka_admin import ensure_topics, monitor_topics, resolve_replication

    settings = Settings()  # invalid settings: pydantic names the variable
    kafka = KafkaConnection.from_settings(settings)
    settings = resolve_replication(settings, kafka)
    ensure_topics(
        kafka,
        monitor_topics(settings),
        settings.topic_partitions,
        replication=settings.replication_factor,
    )
    app = create_baseline_app(settings)
    tune_gc()  # like the monitor's worker, so both run under the same collector settings
    Worker(app, loglevel=settings.log_level.upper()).execute_from_commandline()


if __name__ == "__main__":
    main()
