"""The worker's web views: ``/metrics`` for Prometheus."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

# aiohttp takes the charset apart from the media type.
MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset=")[0]


def add_metrics_page(app: faust.App, registry: CollectorRegistry) -> None:
    """Serve ``registry`` in Prometheus' text format at ``/metrics``."""

    async def metrics_page(view: Any, request: Any) -> Any:
        return view.bytes(generate_latest(registry), content_type=MEDIA_TYPE)

    app.page("/metrics")(metrics_page)
