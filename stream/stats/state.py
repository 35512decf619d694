"""Per-seller rolling state: event-time buckets and small bounded memories.

Everything a seller's statistics need lives in one :class:`SellerState`,
encoded as compact JSON (orjson) into a Faust table with a changelog. Its size
is bounded whatever the seller does:

* counters in three sizes of bucket: 10 minutes for the last 2 hours (the
  1-hour window), hours for the last 25 hours (the 24-hour window) and days
  for the last 8 days (the 2- and 7-day windows): at most 13 + 26 + 9 buckets
  of ``len(Counter)`` integers;
* the last ``RECENT_ORDERS`` orders (time, buyer), the last ``RECENT_PRICES``
  branded price ratios, at most ``MAX_LISTINGS`` listings, ``MAX_ORIGINS``
  dispatch points and ``RECENT_EVENT_IDS`` event ids (to ignore replays);
* for rings, the last ``ANNOUNCED_IDENTIFIERS`` identifiers announced and
  ``REPEAT_BUYS`` (buyer, brand) order counts.

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
FINE_KEEP_MINUTES = 2 * 60
# In memory the 10-minute buckets may reach twice their number between tidy()s.
FINE_BUCKET_LIMIT = 2 * (FINE_KEEP_MINUTES // FINE_MINUTES + 1)
HOUR_MINUTES = 60
HOUR_KEEP_MINUTES = 25 * 60
DAY_MINUTES = 1440
DAYS_KEPT = 8

RECENT_ORDERS = 64
RECENT_PRICES = 32
RECENT_EVENT_IDS = 128
ANNOUNCED_IDENTIFIERS = 128
REPEAT_BUYS = 64
MAX_LISTINGS = 256
MAX_ORIGINS = 16

STATE_VERSION = 2


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


def short_hash(text: str) -> int:
    """A CRC-32: enough to tell ids apart inside one seller's state.

    Stable across processes (unlike ``hash``), and cheap: it runs per event.
    """
    return zlib.crc32(text.encode("utf-8"))


def _drop_before(buckets: dict[int, list[int]], oldest: int) -> None:
    """Delete the buckets keyed below ``oldest``.

    Buckets are created in (nearly) time order, so a dict whose first key is
    still inside its window needs no scan.
    """
    if buckets and next(iter(buckets)) < oldest:
        for key in [k for k in buckets if k < oldest]:
            del buckets[key]


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
        if data is None:
            data = list(MEMO_DEFAULTS)
        elif len(data) < MEMO_FIELDS:  # written before a field was added: its default
            data = [*data, *MEMO_DEFAULTS[len(data) :]]
        super().__init__(data)

    declared_origin: str | None = _field(0, "Declared ship_from code.")
    quantity: int = _field(1, "Units in stock.")
    active: int = _field(2, "1 while the listing is not removed.")
    category: str | None = _field(3, "Category path.")
    alert_band: int = _field(4, "Band of the last listing-level alert (0: none).")
    alert_minute: int = _field(5, "Event minute of the last alert.")
    alert_event: str | None = _field(6, "Event id that triggered the last alert.")
    unauthorised: int = _field(7, "1 if it is of a brand the seller is not authorised for.")
    brand: str | None = _field(8, "Canonical brand (resale chains are told by it).")


MEMO_DEFAULTS: tuple[Any, ...] = (None, 0, 1, None, 0, 0, None, 0, None)
MEMO_FIELDS = len(MEMO_DEFAULTS)


@dataclass(slots=True)
class SellerState:
    """Everything known about one seller; see the module docstring for the bounds."""

    first_minute: int = 0
    last_minute: int = 0
    registered_minute: int | None = None
    registered_origin: str | None = None
    authorized_brands: list[str] = field(default_factory=list)
    fine: dict[int, list[int]] = field(default_factory=dict)
    hours: dict[int, list[int]] = field(default_factory=dict)
    days: dict[int, list[int]] = field(default_factory=dict)
    orders: list[tuple[int, int]] = field(default_factory=list)
    price_ratios: list[tuple[int, float]] = field(default_factory=list)
    listings: dict[str, ListingMemo] = field(default_factory=dict)
    origins: dict[str, int] = field(default_factory=dict)
    recent_events: list[int] = field(default_factory=list)
    late_events: int = 0
    alert_band: int = 0
    alert_minute: int = 0
    alert_event: str | None = None
    eval_minute: int = 0
    eval_events: int = 0
    stream_minutes: list[int] = field(default_factory=lambda: [0, 0])
    # rings: the band last announced, the identifiers announced (short hashes)
    # and orders per (buyer, brand) not yet announced as a resale chain
    ring_band: int = 0
    announced: list[int] = field(default_factory=list)
    repeat_buys: dict[int, int] = field(default_factory=dict)
    # membership index of recent_events (not encoded: rebuilt from the list)
    _recent: set[int] = field(default_factory=set, repr=False, compare=False)
    _tidy_minute: int = field(default=0, repr=False, compare=False)  # last_minute at tidy()

    # ------------------------------------------------------------- encoding

    def encode(self) -> bytes:
        """Compact JSON for the changelog (short keys: this is written often)."""
        self.tidy()
        return orjson.dumps(
            {
                "v": STATE_VERSION,
                "t": [self.first_minute, self.last_minute, self.registered_minute],
                "s": self.stream_minutes,
                "r": self.registered_origin,
                "a": self.authorized_brands,
                "f": self.fine,
                "h": self.hours,
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
                "n": [self.ring_band, self.announced, self.repeat_buys],
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
        version = data.get("v") if isinstance(data, dict) else None
        if version not in (1, STATE_VERSION):
            raise ValueError(f"not a seller state of version 1 or {STATE_VERSION}")
        first, last, registered = data["t"]
        late, band, minute, event, eval_minute, eval_events = data["x"]
        fine = {int(k): v for k, v in data["f"].items()}
        recent_events, orders = data["e"], data["o"]
        if version == 1:  # 10-minute buckets for 25 hours and hex ids: roll them up
            hours: dict[int, list[int]] = {}
            for key, counts in fine.items():
                hour = hours.setdefault(key * FINE_MINUTES // HOUR_MINUTES, [0] * N_COUNTERS)
                for index, count in enumerate(counts):
                    hour[index] += count
            recent_events = [int(e, 16) for e in recent_events]
            orders = [(t, int(b, 16)) for t, b in orders]
        else:
            hours = {int(k): v for k, v in data["h"].items()}
        state = cls(
            first_minute=first,
            last_minute=last,
            registered_minute=registered,
            stream_minutes=data["s"],
            registered_origin=data["r"],
            authorized_brands=data["a"],
            fine=fine,
            hours=hours,
            days={int(k): v for k, v in data["d"].items()},
            orders=[(t, b) for t, b in orders],
            price_ratios=[(t, r) for t, r in data["p"]],
            listings={k: ListingMemo(v) for k, v in data["l"].items()},
            origins=data["g"],
            recent_events=recent_events,
            late_events=late,
            alert_band=band,
            alert_minute=minute,
            alert_event=event,
            eval_minute=eval_minute,
            eval_events=eval_events,
        )
        if "n" in data:
            state.ring_band, state.announced, buys = data["n"]
            state.repeat_buys = {int(k): v for k, v in buys.items()}
        state._recent.update(recent_events)
        if version == 1:
            state._expire()
        return state

    # ------------------------------------------------------------- updating

    def seen(self, event_id: str) -> bool:
        """Whether this event was already counted (a replay after a restart, or a resend)."""
        return short_hash(event_id) in self._recent

    def first_sight(self, event_id: str) -> bool:
        """Record an event id; False if it was already recorded (a replay or resend)."""
        digest = short_hash(event_id)
        recent = self._recent
        if digest in recent:
            return False
        recent.add(digest)
        self.recent_events.append(digest)
        while len(self.recent_events) > RECENT_EVENT_IDS:
            recent.discard(self.recent_events.pop(0))
        return True

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
            self.last_minute = minute  # what fell out of the windows goes in tidy()
        return minute > self.last_minute - DAYS_KEPT * DAY_MINUTES

    def add(self, minute: int, counter: Counter, amount: int = 1) -> None:
        """Add ``amount`` to ``counter`` in the buckets of ``minute``."""
        if len(self.fine) >= FINE_BUCKET_LIMIT and minute // FINE_MINUTES not in self.fine:
            self.tidy()  # a seller neither read nor written lately
        for buckets, size in (
            (self.fine, FINE_MINUTES),
            (self.hours, HOUR_MINUTES),
            (self.days, DAY_MINUTES),
        ):
            bucket = buckets.get(minute // size)
            if bucket is None:
                bucket = buckets[minute // size] = [0] * N_COUNTERS
            bucket[counter] += amount

    def tidy(self) -> None:
        """Drop buckets and memories that fell out of every window.

        Runs before the state is read for seller signals and before it is
        encoded, not on every event: windows skip old buckets by themselves,
        and between two writes a seller gains only what its events added.
        """
        if self._tidy_minute != self.last_minute:
            self._tidy_minute = self.last_minute
            self._expire()

    def _expire(self) -> None:
        """Drop what fell out of the windows."""
        last = self.last_minute
        _drop_before(self.fine, (last - FINE_KEEP_MINUTES) // FINE_MINUTES)
        _drop_before(self.hours, (last - HOUR_KEEP_MINUTES) // HOUR_MINUTES)
        _drop_before(self.days, last // DAY_MINUTES - DAYS_KEPT)
        week_ago = last - 7 * DAY_MINUTES
        if self.orders and self.orders[0][0] < week_ago:
            self.orders = [o for o in self.orders if o[0] >= week_ago]
        if self.price_ratios and self.price_ratios[0][0] < week_ago:
            self.price_ratios = [p for p in self.price_ratios if p[0] >= week_ago]
        origins = self.origins
        if origins and min(origins.values()) < week_ago:
            for origin in [o for o, seen in origins.items() if seen < week_ago]:
                del origins[origin]

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

    def announce(self, identifier: str) -> bool:
        """Record an identifier as announced; False if it was already (the last
        ``ANNOUNCED_IDENTIFIERS`` are remembered: an older one is announced
        again, which the index ignores)."""
        digest = short_hash(identifier)
        if digest in self.announced:
            return False
        self.announced.append(digest)
        if len(self.announced) > ANNOUNCED_IDENTIFIERS:
            del self.announced[0]
        return True

    def count_repeat_buy(self, buyer_brand: str) -> int:
        """One more order of a brand by a buyer: how many so far (``REPEAT_BUYS`` pairs kept)."""
        digest = short_hash(buyer_brand)
        count = self.repeat_buys.pop(digest, 0) + 1
        self.repeat_buys[digest] = count  # re-inserted: the oldest pair goes first
        if len(self.repeat_buys) > REPEAT_BUYS:
            del self.repeat_buys[next(iter(self.repeat_buys))]
        return count

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
        """Counter sums over the last ``minutes``, from the finest buckets that reach back so far.

        Up to 110 minutes: 10-minute buckets; up to 24 hours: hour buckets;
        beyond: day buckets. A window is the buckets that start after
        ``last_minute - minutes`` (the newest one still filling), so it spans
        between ``minutes`` less one bucket and ``minutes``.
        """
        if minutes <= FINE_KEEP_MINUTES - FINE_MINUTES:
            buckets, size = self.fine, FINE_MINUTES
        elif minutes <= HOUR_KEEP_MINUTES - HOUR_MINUTES:
            buckets, size = self.hours, HOUR_MINUTES
        else:
            buckets, size = self.days, DAY_MINUTES
        oldest = (self.last_minute - minutes) // size + 1
        inside = [v for k, v in buckets.items() if k >= oldest]
        if not inside:
            return [0] * N_COUNTERS
        if len(inside) == 1:
            return list(inside[0])
        return [sum(column) for column in zip(*inside, strict=True)]

    def history_days(self) -> float:
        """How many days of this seller's activity the state has seen (at most 7)."""
        return min(7.0, (self.last_minute - self.first_minute) / DAY_MINUTES)

    def units_in_stock(self) -> int:
        """Units across the seller's active listings that are remembered."""
        return sum(m.quantity for m in self.listings.values() if m.active)

    def unauthorised_units(self) -> int:
        """Units in stock of active listings of brands the seller is not authorised for."""
        return sum(m.quantity for m in self.listings.values() if m.active and m.unauthorised)
