"""Build a labelled marketplace: a seller population played over a number of days.

:func:`simulate` picks each seller's scenario (a ``fraud_share`` of
counterfeiters split over the fraud scenarios, the rest honest with realistic
weights), groups ring scenarios into linked shops, plays every seller on its own
random generator (derived from ``seed``) and merges the sellers' events by
arrival time. The same arguments always give the same events, ids and labels.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from stream.devtools.simulation.scenarios import (
    AGENCY_SHOPS,
    CHAIN_GANG,
    FRAUD_SCENARIOS,
    FRAUD_WEIGHTS,
    FULFILMENT_WAREHOUSE,
    GROUP_SCENARIOS,
    GROUP_SIZES,
    HONEST_FRANCHISE,
    HONEST_GROUPS,
    LEGIT_SCENARIOS,
    LEGIT_WEIGHTS,
    RING_SCENARIOS,
    SCENARIOS,
    SUPPLIER_RESELLERS,
    Draft,
    Event,
    SellerContext,
    load_prices,
    play_seller,
)
from stream.rules import load_rules

DEFAULT_START: Final = datetime(2026, 11, 1, tzinfo=UTC)
"""Start of the simulated period when none is given."""
PRIORITY_FRAUD: Final = FRAUD_SCENARIOS[:3]
"""Fraud scenarios that get a second seller first, so that rings exist early."""
SOLO_FRAUD: Final = tuple(s for s in FRAUD_SCENARIOS if s not in GROUP_SCENARIOS)
SOLO_LEGIT: Final = tuple(s for s in LEGIT_SCENARIOS if s not in GROUP_SCENARIOS)
GROUPS_FROM: Final = 400
"""Marketplaces of this many sellers and more hold the group scenarios."""


@dataclass(frozen=True)
class Simulation:
    """A simulated marketplace and its ground truth.

    Attributes:
        events: ``(stream, event)`` pairs in arrival order; ``stream`` is
            ``"listings"`` or ``"orders"`` and ``event`` a JSON object of the wire
            contract. Location objects are shared between events: treat them as
            read-only.
        labels: ``{seller_id: {"label": "fraud" | "legit", "scenario": name}}``.
        arrival_seconds: Per event, when it arrives, in seconds after ``start``
            (its event time, or up to 10 minutes later for late events).
        start: Beginning of the simulated period.
        days: Length of the period in days.
        seed: The seed the simulation was built from.
    """

    events: list[tuple[str, Event]]
    labels: dict[str, dict[str, str]]
    arrival_seconds: list[int]
    start: datetime
    days: float
    seed: int

    @property
    def arrival_times(self) -> list[datetime]:
        """Arrival time of each event (parallel to :attr:`events`)."""
        return [self.start + timedelta(seconds=s) for s in self.arrival_seconds]

    def scenario_counts(self) -> dict[str, int]:
        """Number of sellers per scenario."""
        return dict(Counter(entry["scenario"] for entry in self.labels.values()))

    def stream_counts(self) -> dict[str, int]:
        """Number of events per stream (``listings``, ``orders``)."""
        return dict(Counter(stream for stream, _ in self.events))

    def event_counts(self) -> dict[str, dict[str, int]]:
        """Number of events per scenario and stream."""
        counts: dict[str, dict[str, int]] = {}
        for stream, event in self.events:
            scenario = self.labels[str(event["seller_id"])]["scenario"]
            per_stream = counts.setdefault(scenario, {"listings": 0, "orders": 0})
            per_stream[stream] += 1
        return counts


def group_casting(sellers: int, fraud_share: float) -> dict[str, int]:
    """Sellers of each group scenario in a marketplace of ``sellers``.

    None below :data:`GROUPS_FROM` sellers. From there on: a chain gang of
    ``sellers / 200`` shops (at least 12, at most 60) and one supplier with five
    resellers per 5,000 sellers (at least one) when ``fraud_share`` is
    positive; franchises and agency shops, 0.4% of the sellers each (at least
    4); and a fulfilment warehouse shared by 5% of the sellers, and always by
    at least twice the bundled rules' ``[rings] max_fanout``, so that its
    return address is a super-node in any marketplace that has one.
    """
    if sellers < GROUPS_FROM:
        return {}
    cast: dict[str, int] = {}
    if fraud_share > 0:
        cast[CHAIN_GANG] = min(60, max(12, round(sellers / 200)))
        cast[SUPPLIER_RESELLERS] = GROUP_SIZES[SUPPLIER_RESELLERS][0] * max(1, sellers // 5000)
    for scenario in (HONEST_FRANCHISE, AGENCY_SHOPS):
        cast[scenario] = max(4, round(sellers * 0.004))
    fanout = load_rules().rings.max_fanout
    cast[FULFILMENT_WAREHOUSE] = max(2 * fanout, round(sellers * 0.05))
    return cast


def population(rng: random.Random, sellers: int, fraud_share: float) -> list[str]:
    """Scenario of each seller, in seller order.

    The group scenarios come first, as :func:`group_casting` sizes them. Then
    every other fraud scenario gets one seller before any gets two (so at
    least one of each from 40 sellers on, given any positive ``fraud_share``),
    the ring scenarios get a second next, and the rest follow
    :data:`FRAUD_WEIGHTS`; the group scenarios' sellers count towards the
    fraud share, which rises only when it cannot hold them all. Honest sellers
    likewise get one of each other legit scenario (when there are enough),
    then follow :data:`LEGIT_WEIGHTS`.

    Args:
        rng: The simulation's random generator.
        sellers: Population size.
        fraud_share: Share of fraudulent sellers, 0 to 1.

    Returns:
        A scenario name per seller, shuffled.
    """
    groups = group_casting(sellers, fraud_share)
    gangs = [name for name, n in groups.items() if name not in HONEST_GROUPS for _ in range(n)]
    honest_groups = [name for name, n in groups.items() if name in HONEST_GROUPS for _ in range(n)]
    frauds = round(sellers * fraud_share)
    if sellers >= 40 and fraud_share > 0:
        frauds = max(frauds, len(SOLO_FRAUD) + len(gangs))
    frauds = min(frauds, sellers - len(honest_groups))
    chosen = gangs[:frauds]
    solo = frauds - len(chosen)
    chosen += (SOLO_FRAUD + PRIORITY_FRAUD)[:solo]
    if frauds > len(chosen):
        chosen += rng.choices(
            list(FRAUD_WEIGHTS), weights=list(FRAUD_WEIGHTS.values()), k=frauds - len(chosen)
        )
    chosen += honest_groups
    honest = sellers - len(chosen)
    if honest >= len(SOLO_LEGIT):
        chosen += SOLO_LEGIT
        honest -= len(SOLO_LEGIT)
    chosen += rng.choices(list(LEGIT_WEIGHTS), weights=list(LEGIT_WEIGHTS.values()), k=honest)
    rng.shuffle(chosen)
    return chosen


def rings(rng: random.Random, scenarios: list[str]) -> dict[int, tuple[str, list[int]]]:
    """Group the sellers of each ring and group scenario into linked groups.

    Sizes come from :data:`~stream.devtools.simulation.scenarios.GROUP_SIZES`:
    rings of 2 to 4 linked shops for the ring scenarios, chain gangs of up to
    60, a supplier and five resellers, franchises of 3 to 6 stores, agencies'
    3 to 8 shops, and one warehouse for all of its sellers. A member left
    alone joins the previous group of its scenario.

    Args:
        rng: The simulation's random generator.
        scenarios: Scenario of each seller.

    Returns:
        ``{seller_index: (ring_key, member_indices)}`` for sellers of these
        scenarios; member indices are sorted (a chain runs in that order, a
        supplier is the first).
    """
    out: dict[int, tuple[str, list[int]]] = {}
    for scenario in (*RING_SCENARIOS, *GROUP_SCENARIOS):
        members = [index for index, name in enumerate(scenarios) if name == scenario]
        rng.shuffle(members)
        groups: list[list[int]] = []
        low, high = GROUP_SIZES[scenario]
        while members:
            size = rng.randint(low, high)
            group, members = members[:size], members[size:]
            if len(group) == 1 and groups:
                groups[-1].extend(group)
            else:
                groups.append(group)
        for number, group in enumerate(groups):
            for index in group:
                out[index] = (f"{scenario}-{number}", sorted(group))
    return out


def seller_id(seed: int, index: int) -> str:
    """The id of seller ``index`` in the simulation of ``seed``."""
    return f"sim{seed}-s{index:05d}"


def simulate(
    sellers: int,
    days: float,
    seed: int,
    start: datetime | None = None,
    fraud_share: float = 0.05,
    late_fraction: float = 0.02,
    cast: Sequence[str] | None = None,
) -> Simulation:
    """Simulate a marketplace of ``sellers`` sellers over ``days`` days.

    Each seller sends its profile with its first listing, then lists a few items
    a day and receives several orders a day (with refunds and disputes), as its
    scenario dictates. Event ids (``<seller_id>-eNNNNNN``), listing ids
    (``-LNNNNN``), order ids (``-ONNNNNN``), buyer ids (``sim<seed>-bNNNNNN``,
    a pool shared by all sellers, so buyers recur) and every value depend only on
    the arguments: nothing reads the clock or the global random generator.

    Args:
        sellers: Number of sellers, at least 1.
        days: Length of the period in days (> 0; fractions allowed).
        seed: Seed of the ``random.Random`` that drives every choice.
        start: Beginning of the period, timezone-aware; defaults to 2026-11-01T00:00Z.
        fraud_share: Share of fraudulent sellers (0 to 1). From 40 sellers on,
            each of the six fraud scenarios has at least one seller (if > 0).
        late_fraction: Share of events that arrive up to 10 minutes after their
            event time (out of order); 0 gives a stream ordered by event time.
        cast: The scenario of every seller, in seller order, instead of a
            population drawn by ``fraud_share`` (``sellers`` must match its length).

    Returns:
        The events in arrival order and the labels.

    Raises:
        ValueError: On a naive ``start`` or an argument out of range.
    """
    if sellers < 1:
        raise ValueError("sellers must be at least 1")
    if not days > 0 or not math.isfinite(days):
        raise ValueError("days must be a positive number")
    if not 0.0 <= fraud_share <= 1.0:
        raise ValueError("fraud_share must be between 0 and 1")
    if not 0.0 <= late_fraction <= 1.0:
        raise ValueError("late_fraction must be between 0 and 1")
    if start is None:
        start = DEFAULT_START
    elif start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be a timezone-aware datetime")
    start = start.astimezone(UTC)

    if cast is not None:
        unknown = sorted(set(cast) - set(SCENARIOS))
        if unknown:
            raise ValueError(f"unknown scenarios: {', '.join(unknown)}")
        if len(cast) != sellers:
            raise ValueError(f"cast names {len(cast)} sellers, not {sellers}")
    rng = random.Random(seed)
    scenarios = list(cast) if cast is not None else population(rng, sellers, fraud_share)
    linked = rings(rng, scenarios)
    seeds = [rng.getrandbits(64) for _ in range(sellers)]
    catalog = load_prices()
    duration = max(1, round(days * 86_400))
    buyer_pool = max(5_000, sellers * 30)

    labels: dict[str, dict[str, str]] = {}
    streams: list[list[Draft]] = []
    for index, scenario in enumerate(scenarios):
        sid = seller_id(seed, index)
        ring, members = linked.get(index, (None, []))
        ctx = SellerContext(
            index=index,
            seller_id=sid,
            seed=seed,
            rng=random.Random(seeds[index]),
            start=start,
            duration=duration,
            buyer_pool=buyer_pool,
            catalog=catalog,
            ring=ring,
            ring_members=tuple(seller_id(seed, member) for member in members),
            late_fraction=late_fraction,
        )
        labels[sid] = {"label": SCENARIOS[scenario].label, "scenario": scenario}
        if ring is not None:
            labels[sid]["group"] = ring
        streams.append(play_seller(scenario, ctx))

    events: list[tuple[str, Event]] = []
    arrivals: list[int] = []
    for arrival, _, _, stream, event in heapq.merge(*streams):
        events.append((stream, event))
        arrivals.append(arrival)
    return Simulation(events, labels, arrivals, start, days, seed)
