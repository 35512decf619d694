"""The worker's web views: ``/healthz`` and ``/readyz`` for probes, ``/metrics`` for
Prometheus, ``/rings`` for ring look-ups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import faust
from faust.exceptions import SameNode
from faust.web.exceptions import ServiceUnavailable
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from stream.rings import RingBook

RINGS_TABLE = "rings"
# aiohttp takes the charset apart from the media type.
MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset=")[0]


def not_ready(app: faust.App) -> str | None:
    """Why the worker is not ready to judge events, or None when it is.

    Ready: it joined its consumer group, got its partitions (none is fine: a
    group may have more workers than partitions), recovered its tables and is
    not in a rebalance. The rules were loaded before the app was built (an
    invalid rules file stops the worker at start).
    """
    if app.rebalancing_count == 0:
        return "joining the consumer group"
    if app.in_recovery:
        return "recovering its tables from their changelogs"
    if app.rebalancing:  # until the tables are recovered and the streams resumed
        return "rebalancing: partitions are being assigned"
    return None


def add_health_pages(app: faust.App, rules_version: str) -> None:
    """``/healthz``: the process serves (liveness). ``/readyz``: see :func:`not_ready`."""

    async def healthz(view: Any, request: Any) -> Any:
        return view.json({"status": "ok"})

    async def readyz(view: Any, request: Any) -> Any:
        reason = not_ready(app)
        if reason is not None:
            return view.json({"ready": False, "reason": reason}, status=503)
        partitions = len(app.consumer.assignment())  # inputs, changelogs, internal topics
        return view.json({"ready": True, "rules_version": rules_version, "partitions": partitions})

    app.page("/healthz")(healthz)
    app.page("/readyz")(readyz)


def add_metrics_page(app: faust.App, registry: CollectorRegistry) -> None:
    """Serve ``registry`` in Prometheus' text format at ``/metrics``."""

    async def metrics_page(view: Any, request: Any) -> Any:
        return view.bytes(generate_latest(registry), content_type=MEDIA_TYPE)

    app.page("/metrics")(metrics_page)


def add_ring_pages(app: faust.App, book: RingBook) -> None:
    """Serve the rings as JSON: ``/rings``, ``/rings/supernodes``, ``/rings/{ring_id}``.

    The ring tables have one partition, owned by one worker; any worker asked
    forwards the request to that one (Faust's router), so every worker's
    address answers for all rings.
    """

    def unavailable(view: Any, why: str) -> Any:
        return view.json({"error": why}, status=503, headers={"Retry-After": "2"})

    async def answer(view: Any, request: Any, local: Callable[[], tuple[Any, int]]) -> Any:
        try:
            return await app.router.route_req(RINGS_TABLE, b"rings", view.web, request)
        except SameNode:  # this worker owns the rings
            if app.rebalancing or app.in_recovery:
                return unavailable(view, "this worker is recovering the ring tables; retry shortly")
            body, status = local()
            return view.json(body, status=status)
        except (ServiceUnavailable, TypeError, KeyError):
            # TypeError: Faust's router has no metadata for the changelog yet
            # (before the first assignment).
            return unavailable(
                view, "the ring tables are not assigned to any worker yet; retry shortly"
            )
        except (aiohttp.ClientError, OSError):
            return unavailable(view, "the worker that owns the ring tables did not answer")

    async def ring_list(view: Any, request: Any) -> Any:
        try:
            limit = max(0, int(request.query.get("limit", "100")))
        except ValueError:
            return view.json({"error": "limit must be a whole number"}, status=400)
        return await answer(view, request, lambda: ({"rings": book.ranked(limit)}, 200))

    async def supernodes(view: Any, request: Any) -> Any:
        return await answer(view, request, lambda: ({"supernodes": book.supernodes()}, 200))

    async def ring_detail(view: Any, request: Any, ring_id: str) -> Any:
        def local() -> tuple[Any, int]:
            found = book.show(ring_id)
            return (found, 200) if found is not None else ({"error": "no such ring"}, 404)

        return await answer(view, request, local)

    app.page("/rings")(ring_list)
    app.page("/rings/supernodes")(supernodes)
    app.page("/rings/{ring_id}")(ring_detail)
