"""Step 1 (what a seller's events announce) and the internal messages' encoding."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import ListingEvent, OrderEvent
from stream.pipeline.detector import Detector, DictSellerStore
from stream.rings import Announcement, MemberStatus, RingMessageError, RingPipeline
from stream.rings.messages import (
    Edge,
    RingUpdates,
    decode_announcements,
    decode_updates,
    encode_announcements,
    encode_updates,
    stored_json,
)
from stream.rules import CompiledRules, load_rules

START = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
RULES = CompiledRules.build(load_rules())
PROFILE = {
    "registered_at": "2026-01-01T00:00:00Z",
    "registered_region": {"country": "CN", "province": "Fujian", "city": "Putian"},
    "phone_hash": "ph-1",
    "payout_account_hash": "pa-1",
    "device_hash": "dv-1",
}


def listing(n: int, seller: str = "S-1", **fields: Any) -> ListingEvent:
    data: dict[str, Any] = {
        "event_id": f"{seller}-l{n}",
        "event_type": "listing_created",
        "event_time": START + timedelta(minutes=n),
        "listing_id": f"{seller}-L{n}",
        "seller_id": seller,
        "title": "Nike Air Max 90 running shoes",
        "brand": "Nike",
        "category": "shoes/sneakers",
        "price": 899.0,
        "currency": "CNY",
        "quantity": 10,
    }
    data.update(fields)
    return ListingEvent.model_validate(data, strict=False)


def order(n: int, seller: str = "S-1", **fields: Any) -> OrderEvent:
    data: dict[str, Any] = {
        "event_id": f"{seller}-o{n}",
        "event_type": "order_placed",
        "event_time": START + timedelta(minutes=100 + n),
        "order_id": f"{seller}-O{n}",
        "listing_id": f"{seller}-L0",
        "seller_id": seller,
        "buyer_id": "B-1",
        "quantity": 1,
        "unit_price": 899.0,
        "currency": "CNY",
    }
    data.update(fields)
    return OrderEvent.model_validate(data, strict=False)


def kinds(items: list[Announcement | MemberStatus]) -> list[str]:
    return sorted(i.kind if isinstance(i, Announcement) else "status" for i in items)


def test_a_profile_announces_each_identifier_once() -> None:
    detector = Detector(RULES, DictSellerStore(), lambda: START)
    first = detector.on_listing(listing(0))
    assert kinds(first.ring) == ["resale"]  # its brand, as the end of a resale chain
    assert detector.on_listing(listing(1)).ring == []
    event = ListingEvent.model_validate(
        {**listing(2).model_dump(mode="json"), "seller": PROFILE}, strict=False
    )
    found = detector.on_listing(event)
    assert kinds(found.ring) == ["device", "payout_account", "phone"]
    assert {a.province for a in found.ring if isinstance(a, Announcement)} == {"CN/Fujian"}
    again = ListingEvent.model_validate(
        {**listing(3).model_dump(mode="json"), "seller": PROFILE}, strict=False
    )
    assert detector.on_listing(again).ring == []


def test_orders_announce_tracking_numbers_and_repeat_buyers_of_a_brand() -> None:
    detector = Detector(RULES, DictSellerStore(), lambda: START)
    detector.on_listing(listing(0))
    found = [detector.on_order(order(n, tracking_hash=f"tk-{n}")).ring for n in range(4)]
    assert [kinds(f) for f in found] == [
        ["tracking"], ["tracking"], ["resale", "tracking"], ["tracking"],
    ]  # fmt: skip
    resale = next(a for a in found[2] if isinstance(a, Announcement) and a.kind == "resale")
    assert resale.value == "B-1|Nike"
    assert resale.seller_id == "S-1"
    # a replayed order announces nothing again
    assert detector.on_order(order(0, tracking_hash="tk-0")).ring == []


def test_a_supplier_and_its_reseller_end_up_in_one_ring() -> None:
    detector = Detector(RULES, DictSellerStore(), lambda: START)
    pipeline = RingPipeline(RULES, lambda: START)
    pipeline.feed(detector.on_listing(listing(0, seller="SUP")).ring)
    for n in range(3):
        pipeline.feed(detector.on_order(order(n, seller="SUP", buyer_id="RES")).ring)
    pipeline.feed(detector.on_listing(listing(5, seller="RES")).ring)
    (ring,) = pipeline.book.ranked()
    assert ring["members"] == 2
    assert ring["links"] == "1 resale chain"


def test_a_seller_whose_own_band_rises_sends_its_status_once_per_band() -> None:
    detector = Detector(RULES, DictSellerStore(), lambda: START)
    fake: dict[str, Any] = {"title": "Nike Air Max 90 replica 1:1 top batch", "price": 99.0}
    first = detector.on_listing(listing(0, **fake))
    statuses = [i for i in first.ring if isinstance(i, MemberStatus)]
    assert len(statuses) == 1
    assert statuses[0].band >= 2
    again = detector.on_listing(listing(1, **fake))
    assert not [i for i in again.ring if isinstance(i, MemberStatus)]


def test_messages_round_trip() -> None:
    a = Announcement("phone", "ph-1", "S-1", 100, None, "e-1")
    assert decode_announcements(encode_announcements([a])) == [a]
    updates = RingUpdates(
        [Edge("phone", "ph-1", {"S-1": None, "S-2": "CN/Fujian"}, 100, 2, False, "S-2", "e", 120)],
        [MemberStatus("S-1", 71.5, 2, "CN/Fujian", "e-2", 130)],
    )
    assert decode_updates(encode_updates(updates)) == updates


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "empty message"),
        (b"{", "not JSON"),
        (b'{"a": 1}', "expected an object with a list 'a'"),
        (b'{"a": [["fax", "x", "S", 1, null, "e"]]}', "kind: expected one of"),
        (b'{"a": [["phone", "x", "S", -1, null, "e"]]}', "at: expected a non-negative integer"),
    ],
)
def test_unreadable_announcements_say_what_is_wrong(raw: bytes, problem: str) -> None:
    with pytest.raises(RingMessageError, match=problem):
        decode_announcements(raw)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_decode_to_anything_but_updates_or_an_error(raw: bytes) -> None:
    try:
        decoded = decode_updates(raw)
    except RingMessageError:
        return
    assert isinstance(decoded, RingUpdates)


def test_values_a_table_keeps_take_no_more_memory_than_their_length() -> None:
    value = {"m": {"sim1-s00001": ["CN/Fujian", 1_790_000_000]}, "f": 1, "x": False, "t": 1}
    tracemalloc.start()
    try:
        kept = [stored_json({**value, "t": n}) for n in range(2000)]
        per_value = tracemalloc.get_traced_memory()[0] / len(kept)
    finally:
        tracemalloc.stop()
    assert orjson.loads(kept[7]) == {**value, "t": 7}
    assert per_value < 400  # orjson.dumps alone keeps a 4 KiB buffer per value
