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
import string
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

_OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def _timestamp(moment: datetime, offset: timezone, naive: bool) -> str:
    return moment.isoformat() if naive else moment.replace(tzinfo=offset).isoformat()


timestamps = st.one_of(
    # ordinary times: around the contract's examples
    st.datetimes(
        min_value=datetime(2026, 11, 1),  # noqa: DTZ001 (an offset is added below)
        max_value=datetime(2026, 11, 25),  # noqa: DTZ001
    ).map(lambda moment: moment.replace(tzinfo=UTC).isoformat()),
    # anything datetime can hold, at any offset, with or without one
    st.builds(
        _timestamp,
        st.datetimes(),
        _OFFSETS,
        st.booleans(),
    ),
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
    st.integers(),
)

extreme_ints = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64, 10**9, 10**9 + 1, 10**400]),
)
extreme_numbers = st.one_of(
    extreme_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([5e-324, 1e-300, 1e9, 1e9 + 0.5, 1.7e308, -0.0]),
)
long_text = st.builds(
    lambda piece, count: piece * count,
    st.text(min_size=1, max_size=3),
    st.integers(min_value=0, max_value=25_000),
)
texts = st.one_of(st.text(max_size=40), long_text)
identifiers = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=20),
    texts,
)
wrong_types = st.one_of(
    st.none(), st.booleans(), extreme_numbers, st.lists(st.integers(), max_size=3)
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes a value of the wrong type."""
    return st.one_of(strategy, strategy, strategy, wrong_types)


locations = st.fixed_dictionaries(
    {"country": _maybe(st.sampled_from(["CN", "US", "cn", "CHN", ""]))},
    optional={"province": _maybe(texts), "city": _maybe(texts)},
)
profiles = st.fixed_dictionaries(
    {},
    optional={
        "registered_at": _maybe(timestamps),
        "registered_region": _maybe(locations),
        "authorized_brands": _maybe(
            st.one_of(
                st.lists(st.sampled_from(["Nike", "Gucci", "苹果"]), max_size=3),
                st.lists(texts, max_size=5),
                st.builds(lambda n: ["Brand"] * n, st.integers(min_value=0, max_value=2000)),
            )
        ),
        "phone_hash": _maybe(texts),
        "payout_account_hash": _maybe(texts),
    },
)
listing_events = st.fixed_dictionaries(
    {
        "event_id": _maybe(identifiers),
        "event_type": _maybe(
            st.sampled_from(["listing_created", "listing_updated", "listing_removed", "x"])
        ),
        "event_time": _maybe(timestamps),
        "listing_id": _maybe(identifiers),
        "seller_id": _maybe(identifiers),
    },
    optional={
        "schema_version": _maybe(st.sampled_from([1, 1, 1, 0, 2, 99])),
        "title": _maybe(st.one_of(st.sampled_from(["Gucci bag 1:1 replica", "高仿 AAA"]), texts)),
        "description": _maybe(texts),
        "brand": _maybe(st.one_of(st.sampled_from(["Gucci", "Nike", "Nikee"]), texts)),
        "category": _maybe(st.one_of(st.sampled_from(["bags/handbags", "shoes/sneakers"]), texts)),
        "price": _maybe(st.one_of(st.floats(min_value=0.01, max_value=1e5), extreme_numbers)),
        "currency": _maybe(st.sampled_from(["CNY", "USD", "XXX", "cny", "€"])),
        "quantity": _maybe(extreme_ints),
        "condition": _maybe(st.sampled_from(["new", "used", "refurbished", "broken"])),
        "ship_from": _maybe(locations),
        "image_text": _maybe(texts),
        "seller": _maybe(profiles),
        "unknown_field": _maybe(texts),
    },
)
order_events = st.fixed_dictionaries(
    {
        "event_id": _maybe(identifiers),
        "event_type": _maybe(
            st.sampled_from(["order_placed", "order_refunded", "order_disputed", "x"])
        ),
        "event_time": _maybe(timestamps),
        "order_id": _maybe(identifiers),
        "listing_id": _maybe(identifiers),
        "seller_id": _maybe(identifiers),
        "buyer_id": _maybe(identifiers),
    },
    optional={
        "schema_version": _maybe(st.sampled_from([1, 1, 1, 0, 99])),
        "quantity": _maybe(extreme_ints),
        "unit_price": _maybe(extreme_numbers),
        "currency": _maybe(st.sampled_from(["CNY", "XXX"])),
        "ship_from": _maybe(locations),
        "ship_to": _maybe(locations),
        "tracking_hash": _maybe(texts),
        "reason": _maybe(st.sampled_from(["counterfeit", "other", "bogus"])),
    },
)


def contract_events() -> st.SearchStrategy[tuple[Kind, bytes]]:
    """(topic kind, JSON bytes) of listing and order events with extreme values."""
    return st.one_of(
        listing_events.map(lambda event: ("listings", raw_json(event))),
        order_events.map(lambda event: ("orders", raw_json(event))),
    )
