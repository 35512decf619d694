"""Judge a simulated marketplace in-process, without Kafka: developer tooling.

The events go through :class:`~stream.pipeline.processor.EventProcessor`, the worker's
own judging code (validation, rules, rolling statistics, alert policy), one at
a time in arrival order, with the clock at each event's arrival; what they
announce for ring linking goes straight through :class:`~stream.rings.RingPipeline`. What is left
out is only what Kafka adds: partitions, batching, commits, restarts. The
figures of ``listing-monitor evaluate --simulate`` and of the README's quality
table come from here; ``make test`` checks a smaller marketplace through the
real broker as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from prometheus_client import CollectorRegistry

from schemas import Alert
from stream.devtools.evaluation import AlertLoad, AlertRecord, EventLoad, EventRef, RingTrace
from stream.devtools.simulation.generator import Simulation
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor, Source
from stream.rings import Edge, RingPipeline
from stream.rules import CompiledRules

PROGRESS_EVERY = 10_000
"""Events between two calls of the progress callback."""


@dataclass
class Replay:
    """What judging a simulation produced."""

    alerts: list[Alert] = field(default_factory=list)
    dead_letters: int = 0
    events: int = 0
    ring_messages: int = 0  # ring linking's messages that would cross Kafka
    rings: RingPipeline | None = None
    edges: list[tuple[int, Edge]] = field(default_factory=list)  # event index, edge it made

    def alert_load(self) -> AlertLoad:
        """The alerts as :func:`stream.devtools.evaluation.compute_report` reads them."""
        return AlertLoad(
            [
                AlertRecord(
                    alert.seller_id,
                    alert.severity,
                    alert.trigger_event_id,
                    alert.level,
                    tuple(alert.member_seller_ids or ()),
                )
                for alert in self.alerts
            ]
        )

    def ring_trace(self) -> RingTrace:
        """What ring linking did, as the evaluation's ring section reads it."""
        if self.rings is None:
            return RingTrace()
        book = self.rings.book
        links = [
            (index, tuple(sorted(edge.members)))
            for index, edge in self.edges
            if book.policy.strength(edge.kind) == "hard"
            and not edge.supernode
            and len(edge.members) >= 2
        ]
        rings = []
        for summary in book.ranked():
            shown = book.show(summary["ring_id"]) or {}
            rings.append(tuple(m["seller_id"] for m in shown.get("member_list", [])))
        supernodes = [(s["kind"], int(s["fanout"])) for s in book.supernodes()]
        return RingTrace(links, rings, supernodes)


def event_load(sim: Simulation) -> EventLoad:
    """The simulation's events in arrival order, for "events before first flag"."""
    return EventLoad([EventRef(str(e["seller_id"]), str(e["event_id"])) for _, e in sim.events])


def replay(
    sim: Simulation,
    rules: CompiledRules,
    progress: Callable[[int], None] | None = None,
) -> Replay:
    """Judge every event of ``sim`` in arrival order.

    Args:
        sim: The simulated marketplace.
        rules: The compiled rules to judge with.
        progress: Called with the number of events judged so far, every
            :data:`PROGRESS_EVERY` events and at the end.

    Returns:
        The alerts published and the number of dead letters (a correct
        simulation has none).
    """
    arrivals = sim.arrival_times
    now: list[datetime] = [sim.start]
    processor = EventProcessor(rules, MonitorMetrics(CollectorRegistry()), clock=lambda: now[0])
    result = Replay()
    at: list[int] = [0]
    rings = RingPipeline(
        rules, clock=lambda: now[0], on_edge=lambda edge: result.edges.append((at[0], edge))
    )
    result.rings = rings
    for index, (stream, event) in enumerate(sim.events):
        now[0], at[0] = arrivals[index], index
        source = Source(stream, 0, index, None)
        raw = orjson.dumps(event)
        if stream == "listings":
            outcome = processor.on_listing(raw, source)
        else:
            outcome = processor.on_order(raw, source)
        result.alerts.extend(outcome.alerts)
        if outcome.ring:
            result.alerts.extend(rings.feed(outcome.ring))
        result.dead_letters += outcome.dead_letter is not None
        result.events += 1
        if progress is not None and result.events % PROGRESS_EVERY == 0:
            progress(result.events)
    if progress is not None:
        progress(result.events)
    result.ring_messages = rings.messages
    return result
