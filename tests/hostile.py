"""Hostile input: every class of message that once stopped, stalled or fooled the worker.

Shared by the unit tests (the processor, in memory) and the integration test
(a real worker through the broker). Each :class:`Hostile` message says what
the monitor must make of it: judged (``dead_letter_kind`` None) or one dead
letter of that kind whose error names ``error_names``.

:func:`contract_events` is a hypothesis strategy of events built from the
contract's fields with extreme values: huge and negative numbers, NaN,
oversized and exotic text, timestamps from year 1 to 9999 at any offset,
wrong types, missing fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import orjson
from hypothesis import strategies as st

from tests.fixtures import example

Kind = Literal["listings", "orders"]


@dataclass(frozen=True)
class Hostile:
    """One message to send and what the monitor must make of it."""

    name: str
    kind: Kind
    value: bytes
    key: bytes | None = b"S-hostile"
    dead_letter_kind: str | None = "invalid"
    error_names: tuple[str, ...] = field(default_factory=tuple)


def listing(**changes: Any) -> dict[str, Any]:
    """The contract's fraudulent listing example with ``changes`` applied."""
    event: dict[str, Any] = orjson.loads(example("listing_created.json"))
    event.update(changes)
    return event


def order(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = orjson.loads(example("order_placed.json"))
    event.update(changes)
    return event


def raw_json(event: dict[str, Any]) -> bytes:
    """JSON that also writes integers beyond 64 bits (orjson refuses them)."""
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


def hostile_messages(*, event_time: str = "2026-11-22T08:15:00Z") -> list[Hostile]:
    """One message of every class in the poison-pill issue, and then some."""
    huge = "x" * (5 * 1024 * 1024)
    return [
        Hostile(
            "5 MB message",
            "listings",
            orjson.dumps(listing(event_id="h-5mb", description=huge)),
            dead_letter_kind="too_large",
            error_names=("1,048,576 bytes",),
        ),
        Hostile(
            "1 MB title",
            "listings",
            orjson.dumps(listing(event_id="h-1mb", title="t" * 1_000_000)),
            error_names=("title", "at most 1000 characters"),
        ),
        Hostile(
            "900 KB key",
            "listings",
            b"not json",
            key=b"k" * 900_000,
            error_names=("not valid JSON",),
        ),
        Hostile(
            "400-digit quantity",
            "listings",
            raw_json(listing(event_id="h-bigint", quantity=10**400)),
            error_names=("quantity", "less than or equal to 1000000000"),
        ),
        Hostile(
            "quantity beyond 64 bits in an order",
            "orders",
            raw_json(order(event_id="h-bigint-order", quantity=2**64)),
            error_names=("quantity",),
        ),
        Hostile(
            "price of 10^300",
            "listings",
            raw_json(listing(event_id="h-bigprice", price=1e300)),
            error_names=("price", "less than or equal to"),
        ),
        Hostile(
            "year 1 in UTC+14",
            "listings",
            orjson.dumps(listing(event_id="h-year1", event_time="0001-01-01T00:00:00+14:00")),
            error_names=("event_time", "range of dates"),
        ),
        Hostile(
            "year 9999 in UTC-12",
            "listings",
            orjson.dumps(listing(event_id="h-year9999", event_time="9999-12-31T23:59:59-12:00")),
            error_names=("event_time", "range of dates"),
        ),
        Hostile(
            "registered in year 1",
            "listings",
            orjson.dumps(
                listing(
                    event_id="h-reg1",
                    seller={"registered_at": "0001-01-01T00:00:00+14:00"},
                )
            ),
            error_names=("seller.registered_at",),
        ),
        Hostile(
            "event a century ahead",
            "listings",
            orjson.dumps(listing(event_id="h-future", event_time="2126-01-01T00:00:00Z")),
            error_names=("event_time", "ahead of the monitor's clock"),
        ),
        Hostile(
            "order in year 1900",
            "orders",
            orjson.dumps(order(event_id="h-1900", event_time="1900-01-01T00:00:00Z")),
            error_names=("event_time", "before the monitor's clock"),
        ),
        Hostile(
            "schema version 99",
            "listings",
            orjson.dumps(listing(event_id="h-v99", schema_version=99)),
            dead_letter_kind="unsupported_version",
            error_names=("schema_version", "not supported"),
        ),
        Hostile(
            "currency without a rate",
            "listings",
            orjson.dumps(listing(event_id="h-xxx", listing_id="L-xxx", currency="XXX")),
            dead_letter_kind=None,
        ),
        Hostile(
            "5,000 authorised brands",
            "listings",
            orjson.dumps(listing(event_id="h-brands", seller={"authorized_brands": ["B"] * 5000})),
            error_names=("seller.authorized_brands", "at most 500 items"),
        ),
        Hostile(
            "400 brands of the wrong type",
            "listings",
            orjson.dumps(
                listing(event_id="h-brand-types", seller={"authorized_brands": [1] * 400})
            ),
            error_names=("seller.authorized_brands.0", "and 390 more problems"),
        ),
        Hostile(
            "64 KiB of control characters",
            "orders",
            b"\x01" * 70_000,
            error_names=("not valid JSON",),
        ),
        Hostile(
            "nested 10,000 deep",
            "orders",
            b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
            error_names=("not valid JSON",),
        ),
        Hostile(
            "not UTF-8",
            "orders",
            b"\xff\xfe\x00\x01 binary",
            error_names=("not valid JSON",),
        ),
        Hostile("empty", "orders", b"", error_names=("empty",)),
        Hostile(
            "a JSON array",
            "listings",
            b"[1, 2, 3]",
            error_names=("not a JSON object",),
        ),
        Hostile(
            "NaN price",
            "listings",
            raw_json(listing(event_id="h-nan", price=float("nan"))),
            error_names=("price", "finite number"),
        ),
    ]


# ------------------------------------------------------------ hypothesis
#
# Each field is drawn mostly from values the contract allows, at their edges
# (the longest texts, the largest quantities, any offset, any script), and
# sometimes from values it does not (the wrong type, out of range, absurd
# dates), so that a good share of the events is valid and judged.

_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def _at_offset(moment: datetime, offset: timezone) -> str:
    return moment.replace(tzinfo=UTC).astimezone(offset).isoformat()


def _text(max_chars: int, min_chars: int = 0) -> st.SearchStrategy[str]:
    """Short text in any script, or a long run, of ``min_chars`` to ``max_chars`` characters."""
    run = st.builds(
        lambda piece, count: (piece * count)[:count],
        st.text(min_size=1, max_size=3),
        st.integers(min_value=max(min_chars, 1), max_value=max_chars),
    )
    if min_chars > 40:  # hypothesis draws no long text itself
        return run
    return st.one_of(st.text(min_size=min_chars, max_size=min(max_chars, 40)), run)


good_times = st.builds(
    _at_offset,
    st.datetimes(
        min_value=datetime(2017, 1, 1),  # noqa: DTZ001 (made aware by _at_offset)
        max_value=datetime(2026, 11, 30),  # noqa: DTZ001
    ),
    _OFFSETS,
)
bad_times = st.one_of(
    st.builds(
        lambda moment, offset: moment.replace(tzinfo=offset).isoformat(), st.datetimes(), _OFFSETS
    ),
    st.datetimes().map(datetime.isoformat),  # naive
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "2026-02-30T00:00:00Z",
            "2026-11-22T25:00:00Z",
            "2026-11-22",
            "",
        ]
    ),
)
bad_ints = st.one_of(
    st.integers(min_value=-(2**70), max_value=-1),
    st.integers(min_value=10**9 + 1, max_value=2**70),
    st.sampled_from([2**63, 2**64, 10**400]),
)
bad_numbers = st.one_of(
    bad_ints,
    st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e9 + 1, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.7e308]),
)
wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
    st.fixed_dictionaries({}),
)


def _field(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A good value eight times in ten, else a bad one or one of the wrong type."""
    return st.integers(min_value=0, max_value=9).flatmap(
        lambda n: good if n < 8 else bad if n == 8 else wrong_types
    )


identifiers = _field(_text(128, min_chars=1), st.one_of(st.just(""), _text(400, min_chars=129)))
locations = _field(
    st.fixed_dictionaries(
        {"country": st.sampled_from(["CN", "US", "DE"])},
        optional={"province": _field(_text(200), _text(400, 201)), "city": _text(200)},
    ),
    st.fixed_dictionaries({"country": st.sampled_from(["cn", "CHN", ""])}),
)
profiles = _field(
    st.fixed_dictionaries(
        {},
        optional={
            "registered_at": _field(good_times, bad_times),
            "registered_region": locations,
            "authorized_brands": _field(
                st.one_of(
                    st.lists(st.sampled_from(["Nike", "Gucci", "苹果"]), max_size=3),
                    st.lists(_text(200), max_size=5),
                    st.integers(min_value=0, max_value=500).map(lambda n: ["Brand"] * n),
                ),
                st.integers(min_value=501, max_value=3000).map(lambda n: ["Brand"] * n),
            ),
            "phone_hash": _field(_text(128), _text(400, 129)),
            "payout_account_hash": _field(_text(128), _text(400, 129)),
        },
    ),
    st.just([]),
)
listing_events = st.fixed_dictionaries(
    {
        "event_id": identifiers,
        "event_type": _field(
            st.sampled_from(["listing_created", "listing_updated", "listing_removed"]),
            st.just("listing_deleted"),
        ),
        "event_time": _field(good_times, bad_times),
        "listing_id": identifiers,
        "seller_id": identifiers,
        "title": _field(
            st.one_of(
                st.sampled_from(["Gucci bag 1:1 replica", "高仿 AAA", "r e p l i c a"]), _text(1000)
            ),
            _text(1100, 1001),
        ),
        "category": _field(
            st.one_of(st.sampled_from(["bags/handbags", "shoes/sneakers", "/"]), _text(200)),
            _text(400, 201),
        ),
        "price": _field(
            st.one_of(
                st.floats(min_value=0.01, max_value=1e5),
                st.floats(min_value=5e-324, max_value=1e9, exclude_min=False),
                st.sampled_from([5e-324, 1e9]),
            ),
            bad_numbers,
        ),
        "currency": _field(
            st.sampled_from(["CNY", "USD", "XXX"]), st.sampled_from(["cny", "€", ""])
        ),
    },
    optional={
        "schema_version": _field(st.just(1), st.sampled_from([0, 2, 99, -1])),
        "description": _field(_text(20_000), _text(21_000, 20_001)),
        "brand": _field(
            st.one_of(st.sampled_from(["Gucci", "Nike", "Nikee"]), _text(200)), _text(400, 201)
        ),
        "quantity": _field(st.integers(min_value=0, max_value=10**9), bad_ints),
        "condition": _field(st.sampled_from(["new", "used", "refurbished"]), st.just("broken")),
        "ship_from": locations,
        "image_text": _field(_text(20_000), _text(21_000, 20_001)),
        "seller": profiles,
        "unknown_field": _text(100),
    },
)
order_events = st.fixed_dictionaries(
    {
        "event_id": identifiers,
        "event_type": _field(
            st.sampled_from(["order_placed", "order_refunded", "order_disputed"]),
            st.just("order_lost"),
        ),
        "event_time": _field(good_times, bad_times),
        "order_id": identifiers,
        "listing_id": identifiers,
        "seller_id": identifiers,
        "buyer_id": identifiers,
        "quantity": _field(st.integers(min_value=1, max_value=10**9), bad_ints),
        "unit_price": _field(st.floats(min_value=5e-324, max_value=1e9), bad_numbers),
        "currency": _field(st.sampled_from(["CNY", "XXX"]), st.just("cny")),
    },
    optional={
        "schema_version": _field(st.just(1), st.sampled_from([0, 99])),
        "ship_from": locations,
        "ship_to": locations,
        "tracking_hash": _field(_text(128), _text(400, 129)),
        "reason": _field(
            st.sampled_from(["counterfeit", "not_as_described", "other"]), st.just("bogus")
        ),
    },
)


def contract_events() -> st.SearchStrategy[tuple[Kind, bytes]]:
    """(topic kind, JSON bytes) of listing and order events at and beyond the contract's edges."""
    return st.one_of(
        listing_events.map(lambda event: ("listings", raw_json(event))),
        order_events.map(lambda event: ("orders", raw_json(event))),
    )
