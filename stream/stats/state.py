"""Per-seller rolling state: event-time buckets and small bounded memories.

Everything a seller's statistics need lives in one :class:`SellerState`,
encoded as compact JSON (orjson) into a Faust table with a changelog. Its size
is bounded whatever the seller does:

* counters in 10-minute buckets for the last 25 hours and in day buckets for
  the last 8 days (at most 150 + 8 buckets of ``len(Counter)`` integers);
* the last ``RECENT_ORDERS`` orders (time, buyer), the last ``RECENT_PRICES``
  branded price ratios, at most ``MAX_LISTINGS`` listings, ``MAX_ORIGINS``
  dispatch points and ``RECENT_EVENT_IDS`` event ids (to ignore replays).

Times are whole minutes since the Unix epoch, in event time. Windows are read
"as of" the seller's latest event time, so events that arrive out of order
land in the bucket they belong to, provided they are no later than the
configured lateness; later ones are not counted (and the caller counts them).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import orjson

FINE_MINUTES = 10
DAY_MINUTES = 1440
FINE_KEEP_MINUTES = 25 * 60
DAYS_KEPT = 8

RECENT_ORDERS = 64
RECENT_PRICES = 32
RECENT_EVENT_IDS = 128
MAX_LISTINGS = 256
MAX_ORIGINS = 16
MAX_ALERTED_LISTINGS = 64

STATE_VERSION = 1


class Counter(IntEnum):
    """Index of each counter in a bucket."""

    LISTINGS = 0
    BRANDED = 1
    ORDERS = 2
    UNITS_SOLD = 3
    CF_COMPLAINTS = 4
    COMPLAINTS = 5
    MISMATCHED = 6
    ORIGIN_KNOWN = 7
    FLAGGED_LISTINGS = 8
    HOTSPOT_ORDERS = 9


N_COUNTERS = len(Counter)


def short_hash(text: str) -> str:
    """An 8-hex-digit CRC-32: enough to tell ids apart inside one seller's state.

    Stable across processes (unlike ``hash``), and cheap: it runs per event.
    """
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def _field(index: int, doc: str) -> Any:
    def get(self: list[Any]) -> Any:
        return self[index]

    def put(self: list[Any], value: Any) -> None:
        self[index] = value

    return property(get, put, doc=doc)


class ListingMemo(list[Any]):
    """What is remembered of one of the seller's listings.

    A list underneath, so that orjson writes a whole seller state in one call
    without a Python loop over its listings (it runs for every changed seller
    in every batch).
    """

    __slots__ = ()

    def __init__(self, data: list[Any] | None = None) -> None:
        super().__init__(data if data is not None else [None, 0, 1, None, 0, 0, None])

    declared_origin: str | None = _field(0, "Declared ship_from code.")
    quantity: int = _field(1, "Units in stock.")
    active: int = _field(2, "1 while the listing is not removed.")
    category: str | None = _field(3, "Category path.")
    alert_band: int = _field(4, "Band of the last listing-level alert (0: none).")
    alert_minute: int = _field(5, "Event minute of the last alert.")
    alert_event: str | None = _field(6, "Event id that triggered the last alert.")


@dataclass(slots=True)
class SellerState:
    """Everything known about one seller; see the module docstring for the bounds."""

    first_minute: int = 0
    last_minute: int = 0
    registered_minute: int | None = None
    registered_origin: str | None = None
    authorized_brands: list[str] = field(default_factory=list)
    fine: dict[int, list[int]] = field(default_factory=dict)
    days: dict[int, list[int]] = field(default_factory=dict)
    orders: list[tuple[int, str]] = field(default_factory=list)
    price_ratios: list[tuple[int, float]] = field(default_factory=list)
    listings: dict[str, ListingMemo] = field(default_factory=dict)
    origins: dict[str, int] = field(default_factory=dict)
    recent_events: list[str] = field(default_factory=list)
    late_events: int = 0
    alert_band: int = 0
    alert_minute: int = 0
    alert_event: str | None = None
    eval_minute: int = 0
    eval_events: int = 0
    stream_minutes: list[int] = field(default_factory=lambda: [0, 0])

    # ------------------------------------------------------------- encoding

    def encode(self) -> bytes:
        """Compact JSON for the changelog (short keys: this is written often)."""
        return orjson.dumps(
            {
                "v": STATE_VERSION,
                "t": [self.first_minute, self.last_minute, self.registered_minute],
                "s": self.stream_minutes,
                "r": self.registered_origin,
                "a": self.authorized_brands,
                "f": self.fine,
                "d": self.days,
                "o": self.orders,
                "p": self.price_ratios,
                "l": self.listings,
                "g": self.origins,
                "e": self.recent_events,
                "x": [
                    self.late_events,
                    self.alert_band,
                    self.alert_minute,
                    self.alert_event,
                    self.eval_minute,
                    self.eval_events,
                ],
            },
            option=orjson.OPT_NON_STR_KEYS,
        )

    @classmethod
    def decode(cls, raw: bytes) -> SellerState:
        """Inverse of :meth:`encode`.

        Raises:
            ValueError: on bytes that are not an encoded state of a known version.
        """
        data = orjson.loads(raw)
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            raise ValueError("not a seller state of version 1")
        first, last, registered = data["t"]
        late, band, minute, event, eval_minute, eval_events = data["x"]
        return cls(
            first_minute=first,
            last_minute=last,
            registered_minute=registered,
            stream_minutes=data["s"],
            registered_origin=data["r"],
            authorized_brands=data["a"],
            fine={int(k): v for k, v in data["f"].items()},
            days={int(k): v for k, v in data["d"].items()},
            orders=[(t, b) for t, b in data["o"]],
            price_ratios=[(t, r) for t, r in data["p"]],
            listings={k: ListingMemo(v) for k, v in data["l"].items()},
            origins=data["g"],
            recent_events=data["e"],
            late_events=late,
            alert_band=band,
            alert_minute=minute,
            alert_event=event,
            eval_minute=eval_minute,
            eval_events=eval_events,
        )

    # ------------------------------------------------------------- updating

    def seen(self, event_id: str) -> bool:
        """Whether this event was already counted (a replay after a restart, or a resend)."""
        return short_hash(event_id) in self.recent_events

    def remember(self, event_id: str) -> None:
        """Record an event id so that a replay is not counted twice."""
        self.recent_events.append(short_hash(event_id))
        if len(self.recent_events) > RECENT_EVENT_IDS:
            del self.recent_events[: len(self.recent_events) - RECENT_EVENT_IDS]

    def advance(self, minute: int, lateness_minutes: int, stream: int = 0) -> bool:
        """Move the seller's clocks to ``minute``; False if the event is too late to count.

        Lateness is measured within one input stream (0: listings, 1: orders):
        each topic is read in order, but the two may drift apart while the
        worker catches up, and that drift is no reason to drop an event. The
        windows are read as of the latest minute of either stream.
        """
        clocks = self.stream_minutes
        if minute < clocks[stream] - lateness_minutes:
            self.late_events += 1
            return False
        clocks[stream] = max(clocks[stream], minute)
        if not self.first_minute:
            self.first_minute = self.last_minute = minute
        elif minute < self.first_minute:
            self.first_minute = minute
        if minute > self.last_minute:
            crossed = minute // FINE_MINUTES != self.last_minute // FINE_MINUTES
            self.last_minute = minute
            if crossed:  # nothing can expire within one 10-minute bucket
                self._expire()
        return minute > self.last_minute - DAYS_KEPT * DAY_MINUTES

    def add(self, minute: int, counter: Counter, amount: int = 1) -> None:
        """Add ``amount`` to ``counter`` in the buckets of ``minute``."""
        fine = self.fine.setdefault(minute // FINE_MINUTES, [0] * N_COUNTERS)
        fine[counter] += amount
        day = self.days.setdefault(minute // DAY_MINUTES, [0] * N_COUNTERS)
        day[counter] += amount

    def _expire(self) -> None:
        oldest_fine = (self.last_minute - FINE_KEEP_MINUTES) // FINE_MINUTES
        for key in [k for k in self.fine if k < oldest_fine]:
            del self.fine[key]
        oldest_day = self.last_minute // DAY_MINUTES - DAYS_KEPT
        for key in [k for k in self.days if k < oldest_day]:
            del self.days[key]
        week_ago = self.last_minute - 7 * DAY_MINUTES
        if self.orders and self.orders[0][0] < week_ago:
            self.orders = [o for o in self.orders if o[0] >= week_ago]
        if self.price_ratios and self.price_ratios[0][0] < week_ago:
            self.price_ratios = [p for p in self.price_ratios if p[0] >= week_ago]
        for origin in [o for o, seen in self.origins.items() if seen < week_ago]:
            del self.origins[origin]

    def add_order(self, minute: int, buyer_id: str) -> None:
        """Remember one order's time and buyer (the last ``RECENT_ORDERS``)."""
        self.orders.append((minute, short_hash(buyer_id)))
        if len(self.orders) > RECENT_ORDERS:
            del self.orders[0]

    def add_price_ratio(self, minute: int, ratio: float) -> None:
        """Remember a branded new listing's price / reference (the last ``RECENT_PRICES``)."""
        self.price_ratios.append((minute, round(ratio, 4)))
        if len(self.price_ratios) > RECENT_PRICES:
            del self.price_ratios[0]

    def add_origin(self, minute: int, origin: str) -> None:
        """Remember a dispatch point and when it was last seen (at most ``MAX_ORIGINS``)."""
        self.origins[origin] = max(minute, self.origins.get(origin, 0))
        if len(self.origins) > MAX_ORIGINS:
            oldest = min(self.origins, key=self.origins.__getitem__)
            del self.origins[oldest]

    def listing(self, listing_id: str) -> ListingMemo:
        """The memo of a listing, created on first sight (at most ``MAX_LISTINGS`` kept)."""
        memo = self.listings.get(listing_id)
        if memo is None:
            memo = self.listings[listing_id] = ListingMemo()
            if len(self.listings) > MAX_LISTINGS:
                # dicts keep insertion order: forget the oldest listing
                del self.listings[next(iter(self.listings))]
        return memo

    # -------------------------------------------------------------- reading

    def window(self, minutes: int) -> list[int]:
        """Counter sums over the last ``minutes`` (up to 24 h: 10-minute resolution)."""
        if minutes <= FINE_KEEP_MINUTES - FINE_MINUTES:
            oldest = (self.last_minute - minutes) // FINE_MINUTES + 1
            buckets = [v for k, v in self.fine.items() if k >= oldest]
        else:
            oldest = (self.last_minute - minutes) // DAY_MINUTES + 1
            buckets = [v for k, v in self.days.items() if k >= oldest]
        if not buckets:
            return [0] * N_COUNTERS
        return [sum(column) for column in zip(*buckets, strict=True)]

    def history_days(self) -> float:
        """How many days of this seller's activity the state has seen (at most 7)."""
        return min(7.0, (self.last_minute - self.first_minute) / DAY_MINUTES)

    def units_in_stock(self) -> int:
        """Units across the seller's active listings that are remembered."""
        return sum(m.quantity for m in self.listings.values() if m.active)
