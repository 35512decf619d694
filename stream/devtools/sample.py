"""The sample marketplace replayed by ``listing-monitor demo``: a small, fixed simulation.

One simulated day (:mod:`stream.devtools.simulation`) of the 40 sellers of
:data:`CAST`, plus the four contract examples (seller ``S-42``). Most sellers
are honest and sit where a careless monitor would flag them: authorised brand
stores, 30-50% sales, used and refurbished goods, unbranded products, ordinary
shops in the Putian and Guangzhou hot spots, stores that promise "no replicas",
young shops of accessories "for iPhone", newly opened authorised shops, official
"replica" kits. Ten are counterfeiters that a day is enough to show: replica
sneakers from Putian, luxury bags with disguised wording, fake memory with no
telltale words, a brand-new shop with hundreds of units of a brand it is not
authorised for, fakes behind disclaimers, fakes "for" a brand, cheap replica
jerseys. Linked shops share phone, device, payout or return-address hashes.

The same seed gives the same events; :func:`labels` gives the ground truth.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Final, TypeAlias

from stream.devtools.simulation.generator import Simulation, simulate
from stream.devtools.simulation.scenarios import (
    AUTHORISED_STORE,
    COMPATIBILITY_ABUSE,
    COMPATIBLE_ACCESSORIES,
    DISCLAIMER_ABUSE,
    DISCLAIMER_STORE,
    ELECTRONICS_NO_WORDS,
    FAKE_REPLICA_JERSEYS,
    GENERIC_GOODS,
    HONEST_SALE,
    HOTSPOT_ORDINARY,
    LUXURY_BAGS_OBFUSCATED,
    REPLICA_KIT_RETAILER,
    SNEAKER_RING,
    USED_REFURBISHED,
    VIRAL_SELLER,
    YOUNG_AUTHORISED_SHOP,
    YOUNG_BULK_UNAUTHORISED,
)

SampleEvent: TypeAlias = tuple[str, dict[str, object]]
"""One sample event: the logical stream (``"listings"`` or ``"orders"``) and its JSON object."""

DEFAULT_START: Final = datetime(2026, 11, 20, tzinfo=UTC)
"""Start of the sampled day when none is given."""

CAST: Final = (
    *(SNEAKER_RING,) * 2,
    *(LUXURY_BAGS_OBFUSCATED,) * 2,
    *(ELECTRONICS_NO_WORDS,) * 2,
    YOUNG_BULK_UNAUTHORISED,
    DISCLAIMER_ABUSE,
    COMPATIBILITY_ABUSE,
    FAKE_REPLICA_JERSEYS,
    *(GENERIC_GOODS,) * 9,
    *(HOTSPOT_ORDINARY,) * 4,
    *(AUTHORISED_STORE,) * 3,
    *(HONEST_SALE,) * 2,
    *(USED_REFURBISHED,) * 2,
    *(DISCLAIMER_STORE,) * 3,
    *(COMPATIBLE_ACCESSORIES,) * 2,
    YOUNG_AUTHORISED_SHOP,
    REPLICA_KIT_RETAILER,
    VIRAL_SELLER,
    *(GENERIC_GOODS,) * 2,
)
"""The scenario of each sample seller. The counterfeiters whose only tell needs
days to show (a growing share of complaints, a dispatch pattern) are left to
``simulate``."""

EXAMPLES_DIR: Final = Path(__file__).resolve().parents[2] / "schemas" / "examples"
EXAMPLE_FILES: Final = (
    ("listings", "listing_created.json"),
    ("orders", "order_placed.json"),
    ("orders", "order_refunded.json"),
    ("listings", "listing_removed.json"),
)
EXAMPLE_SELLER: Final = "S-42"


def _simulation(seed: int, start: datetime) -> Simulation:
    return simulate(len(CAST), 1.0, seed, start=start, late_fraction=0.0, cast=CAST)


def _examples() -> list[SampleEvent]:
    return [
        (stream, json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8")))
        for stream, name in EXAMPLE_FILES
    ]


def _moment(event: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(event["event_time"]))


def sample_marketplace(seed: int = 7, start: datetime | None = None) -> list[SampleEvent]:
    """A day of sample marketplace events, sorted by event time.

    The same ``seed`` always yields the same events (the simulator's ids,
    times, prices and texts); each seller's first listing carries its
    ``seller`` profile. The four contract examples (seller ``S-42``) are
    included verbatim at their own event times.

    Args:
        seed: Seed of the simulation.
        start: Beginning of the sampled day (timezone-aware); default 2026-11-20T00:00:00Z.

    Returns:
        ``(stream, event)`` pairs, ``stream`` being ``"listings"`` or ``"orders"``.

    Raises:
        ValueError: If ``start`` is a naive datetime.
    """
    sim = _simulation(seed, DEFAULT_START if start is None else start)
    events: list[SampleEvent] = [(stream, dict(event)) for stream, event in sim.events]
    events.extend(_examples())
    events.sort(key=lambda pair: _moment(pair[1]))  # stable: ties keep arrival order
    return events


def labels(seed: int = 7) -> dict[str, str]:
    """Ground truth for the sample's sellers.

    Returns:
        ``{seller_id: "fraud" | "legit"}`` for every seller in
        :func:`sample_marketplace` of ``seed``, including ``S-42`` of the
        contract examples.
    """
    return dict(_labels(seed))


@lru_cache(maxsize=8)
def _labels(seed: int) -> tuple[tuple[str, str], ...]:
    sim = _simulation(seed, DEFAULT_START)
    truth = {seller: entry["label"] for seller, entry in sim.labels.items()}
    truth[EXAMPLE_SELLER] = "fraud"
    return tuple(truth.items())
