"""The models implement the wire contract (docs/EVENTS.md) exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from schemas import (
    Alert,
    DeadLetter,
    InvalidEventError,
    ListingEvent,
    OrderEvent,
    parse_listing,
    parse_order,
    to_rfc3339,
)
from schemas.generate import SCHEMA_DIR, render_schemas
from tests.fixtures import EXAMPLES, INVALID, INVALID_CASES, example


@pytest.mark.parametrize(
    ("name", "parse", "event_type"),
    [
        ("listing_created.json", parse_listing, "listing_created"),
        ("listing_removed.json", parse_listing, "listing_removed"),
        ("order_placed.json", parse_order, "order_placed"),
        ("order_refunded.json", parse_order, "order_refunded"),
    ],
)
def test_every_valid_example_validates(name: str, parse: object, event_type: str) -> None:
    event = parse(example(name))  # type: ignore[operator]
    assert event.event_type == event_type
    assert event.event_time.tzinfo is not None


def test_alert_example_validates_and_round_trips() -> None:
    alert = Alert.model_validate_json(example("alert.json"))
    assert alert.severity == "critical"
    assert alert.reasons[0].evidence["ratio"] == 0.041
    again = Alert.model_validate_json(alert.model_dump_json())
    assert again == alert


def test_examples_directory_holds_only_known_files() -> None:
    valid = sorted(p.name for p in EXAMPLES.glob("*.json"))
    assert valid == [
        "alert.json",
        "listing_created.json",
        "listing_removed.json",
        "order_placed.json",
        "order_refunded.json",
    ]
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(INVALID_CASES)


@pytest.mark.parametrize("name", sorted(INVALID_CASES))
def test_every_invalid_example_is_rejected_naming_the_field(name: str) -> None:
    kind, expected = INVALID_CASES[name]
    parse = parse_order if kind == "orders" else parse_listing
    with pytest.raises(InvalidEventError) as caught:
        parse((INVALID / name).read_bytes())
    assert expected in str(caught.value)


def test_listing_example_fields_are_read() -> None:
    listing = parse_listing(example("listing_created.json"))
    assert listing.price == 1299.0
    assert listing.currency == "CNY"
    assert listing.ship_from is not None
    assert listing.ship_from.city == "Shenzhen"
    assert listing.seller is not None
    assert listing.seller.authorized_brands == []
    assert listing.condition == "new"


def test_offsets_are_kept_and_compare_in_utc() -> None:
    order = parse_order(example("order_placed.json"))
    assert order.event_time == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def _listing(**changes: object) -> bytes:
    event = orjson.loads(example("listing_created.json"))
    event.update(changes)
    return orjson.dumps(event)


def test_unknown_fields_are_ignored() -> None:
    listing = parse_listing(_listing(future_field={"x": 1}, another=[1, 2]))
    assert listing.listing_id == "L-1001"
    assert "future_field" not in listing.model_dump()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": "1299"}, "price"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"seller_id": 42}, "seller_id"),
        ({"seller_id": ""}, "seller_id"),
        ({"listing_id": "x" * 129}, "listing_id"),
        ({"currency": "cny"}, "currency"),
        ({"condition": "like new"}, "condition"),
        ({"title": "t" * 1001}, "title"),
        ({"event_time": 1795363200}, "event_time"),
        ({"ship_from": {"country": "China"}}, "ship_from.country"),
        ({"seller": {"registered_at": "2026-11-01"}}, "seller.registered_at"),
    ],
)
def test_wrong_types_and_values_are_invalid(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_listing(_listing(**changes))
    assert str(caught.value).startswith(field)


def test_removed_listing_needs_no_title_or_price() -> None:
    listing = parse_listing(example("listing_removed.json"))
    assert listing.title is None
    assert listing.price is None


def test_order_placed_requires_quantity_price_currency() -> None:
    event = orjson.loads(example("order_placed.json"))
    del event["unit_price"]
    with pytest.raises(InvalidEventError, match="unit_price is required for order_placed"):
        parse_order(orjson.dumps(event))


def test_refund_reason_must_be_known() -> None:
    event = orjson.loads(example("order_refunded.json"))
    event["reason"] = "changed my mind"
    with pytest.raises(InvalidEventError, match=r"^reason"):
        parse_order(orjson.dumps(event))


def test_non_object_json_is_rejected() -> None:
    with pytest.raises(InvalidEventError, match="not a JSON object"):
        parse_listing(b"[1, 2, 3]")


def test_models_are_immutable() -> None:
    listing = parse_listing(example("listing_created.json"))
    with pytest.raises(ValueError, match="frozen"):
        listing.price = 1.0  # type: ignore[misc]


def test_rfc3339_formatting_uses_z_and_rejects_naive() -> None:
    assert to_rfc3339(datetime(2026, 11, 22, 8, 15, tzinfo=UTC)) == "2026-11-22T08:15:00Z"
    with pytest.raises(ValueError, match="naive"):
        to_rfc3339(datetime(2026, 11, 22, 8, 15))  # noqa: DTZ001


def test_json_schema_files_are_up_to_date() -> None:
    rendered = render_schemas()
    for name, text in rendered.items():
        path = SCHEMA_DIR / name
        assert path.exists(), f"{path} is missing: run `make schemas`"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `make schemas`"
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(rendered)


def test_json_schema_describes_required_fields() -> None:
    listing = orjson.loads((SCHEMA_DIR / "listing_event.json").read_bytes())
    assert set(listing["required"]) == {
        "event_id",
        "event_type",
        "event_time",
        "listing_id",
        "seller_id",
    }
    order = orjson.loads((SCHEMA_DIR / "order_event.json").read_bytes())
    assert "buyer_id" in order["required"]
    assert set(ListingEvent.model_fields) <= set(listing["properties"])
    assert set(OrderEvent.model_fields) <= set(order["properties"])
    assert "payload" in orjson.loads((SCHEMA_DIR / "dead_letter.json").read_bytes())["required"]
    assert set(DeadLetter.model_fields) >= {"source_topic", "partition", "offset", "error"}
