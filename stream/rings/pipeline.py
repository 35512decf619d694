"""The three steps of ring linking chained in memory: for replays, evaluation and tests.

The topology runs the same steps with a Kafka hop between each
(:mod:`stream.topology.rings`); this chains them directly, with dicts for tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from schemas import Alert
from stream.rings.book import RingBook
from stream.rings.index import IdentifierIndex
from stream.rings.messages import Announcement, Edge, MemberStatus
from stream.rules.listing_rules import CompiledRules


class RingPipeline:
    """Announcements and statuses in, ring alerts out, all in memory."""

    def __init__(
        self,
        rules: CompiledRules,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_edge: Callable[[Edge], None] | None = None,
    ) -> None:
        self.index = IdentifierIndex({}, rules.config.rings)
        self.book = RingBook(rules, {}, {}, {}, {}, {}, clock)
        self.messages = 0  # ring messages that would cross Kafka (announcements, edges, statuses)
        self.on_edge = on_edge  # told of every edge the index sends (evaluation's ring timing)

    def feed(self, items: Iterable[Announcement | MemberStatus]) -> list[Alert]:
        """Apply what one event announced; the ring alerts it causes."""
        alerts: list[Alert] = []
        for item in items:
            self.messages += 1
            if isinstance(item, MemberStatus):
                alerts.extend(self.book.apply_status(item))
                continue
            edge = self.index.add(item)
            if edge is not None:
                self.messages += 1
                if self.on_edge is not None:
                    self.on_edge(edge)
                alerts.extend(self.book.apply_edge(edge))
        return alerts
