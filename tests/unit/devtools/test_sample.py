"""Tests of the demo's sample marketplace (``stream.devtools.sample``): a fixed
one-day simulation of 40 sellers plus the contract examples."""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas.events import parse_listing
from stream.devtools.sample import SampleEvent, labels, sample_marketplace
from stream.rules import CompiledRules, load_rules
from stream.rules.listing_rules import listing_brand, term_hits

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "schemas" / "examples"
RULES = tomllib.loads((ROOT / "stream" / "data" / "rules.toml").read_text(encoding="utf-8"))
RATES: dict[str, float] = RULES["currency_rates"]
CATALOG: list[dict[str, Any]] = RULES["catalog"]
TERMS = [unicodedata.normalize("NFKC", t).casefold() for t in RULES["vocabulary"]["terms"]]
ALIASES: dict[str, list[str]] = {
    brand: [brand.casefold(), *(a.casefold() for a in aliases)]
    for brand, aliases in RULES["brands"].items()
}

RULES_COMPILED = CompiledRules.build(load_rules())

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CATEGORY = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
LISTING_TYPES = {"listing_created", "listing_updated", "listing_removed"}
ORDER_TYPES = {"order_placed", "order_refunded", "order_disputed"}
REFUND_REASONS = {"counterfeit", "not_as_described", "damaged", "not_received", "other"}
EXAMPLE_FILES = (
    ("listings", "listing_created.json"),
    ("orders", "order_placed.json"),
    ("orders", "order_refunded.json"),
    ("listings", "listing_removed.json"),
)


@pytest.fixture(scope="module")
def events() -> list[SampleEvent]:
    return sample_marketplace()


def _time(value: object) -> datetime:
    assert isinstance(value, str)
    assert RFC3339.match(value), value
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    assert parsed.utcoffset() is not None, value
    return parsed


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 128


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_location(value: object) -> None:
    assert isinstance(value, dict)
    assert COUNTRY.match(value["country"])
    for key in ("province", "city"):
        if key in value:
            assert isinstance(value[key], str)
            assert value[key]


def _reference(brand: str, category: str) -> float | None:
    """Reference of the catalog entry for ``brand`` whose category is ``category`` or a parent."""
    best: tuple[int, float] | None = None
    for entry in CATALOG:
        if entry["brand"].casefold() != brand.casefold():
            continue
        cat = entry["category"]
        if (category == cat or category.startswith(cat + "/")) and (
            best is None or len(cat) > best[0]
        ):
            best = (len(cat), float(entry["reference_price"]))
    return None if best is None else best[1]


def _text(payload: dict[str, object]) -> str:
    parts = [payload.get(key) for key in ("title", "description", "image_text", "brand")]
    return unicodedata.normalize("NFKC", " ".join(p for p in parts if isinstance(p, str)))


def _seed(events: list[SampleEvent]) -> int:
    """The seed of a sample, from its simulated event ids (``sim<seed>-...``)."""
    for _, payload in events:
        found = re.fullmatch(r"sim(\d+)-.*", str(payload["event_id"]))
        if found:
            return int(found.group(1))
    raise AssertionError("no simulated event")


def _honest_listings(events: list[SampleEvent]) -> list[dict[str, object]]:
    truth = labels(_seed(events))
    return [
        payload
        for stream, payload in events
        if stream == "listings"
        and truth[str(payload["seller_id"])] == "legit"
        and payload["event_type"] != "listing_removed"
    ]


def test_same_seed_same_output() -> None:
    first = sample_marketplace(seed=11)
    second = sample_marketplace(seed=11)
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)


def test_different_seed_different_output() -> None:
    assert sample_marketplace(seed=1) != sample_marketplace(seed=2)


def test_default_seed_and_start(events: list[SampleEvent]) -> None:
    assert sample_marketplace(7) == events


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_marketplace(start=datetime(2026, 11, 20))  # noqa: DTZ001


def test_size_and_streams(events: list[SampleEvent]) -> None:
    # a day of 40 simulated sellers: a demo of a minute at 100 events/s
    assert 800 <= len(events) <= 2000
    streams = Counter(stream for stream, _ in events)
    assert set(streams) == {"listings", "orders"}
    types = Counter(str(payload["event_type"]) for _, payload in events)
    assert types["listing_created"] > 300
    assert types["order_placed"] > 300
    assert 1 <= types["order_refunded"] + types["order_disputed"] <= 40


def test_sorted_by_event_time(events: list[SampleEvent]) -> None:
    times = [_time(payload["event_time"]) for _, payload in events]
    assert times == sorted(times)


def test_generated_events_span_about_a_day(events: list[SampleEvent]) -> None:
    times = [
        _time(payload["event_time"])
        for _, payload in events
        if str(payload["event_id"]).startswith("sim")
    ]
    span = max(times) - min(times)
    assert 20 * 3600 <= span.total_seconds() <= 24 * 3600
    assert min(times) >= datetime.fromisoformat("2026-11-20T00:00:00Z")


def test_every_timestamp_is_aware_rfc3339(events: list[SampleEvent]) -> None:
    for _, payload in events:
        _time(payload["event_time"])
        seller = payload.get("seller")
        if isinstance(seller, dict) and "registered_at" in seller:
            _time(seller["registered_at"])


def test_contract_examples_included_verbatim(events: list[SampleEvent]) -> None:
    for stream, name in EXAMPLE_FILES:
        example = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
        matches = [
            (s, payload) for s, payload in events if payload["event_id"] == example["event_id"]
        ]
        assert matches == [(stream, example)], name


def test_event_ids_unique_and_stable(events: list[SampleEvent]) -> None:
    ids = [payload["event_id"] for _, payload in events]
    assert len(ids) == len(set(ids))
    generated = [i for i in ids if str(i).startswith("sim")]
    assert len(generated) == len(ids) - 4
    assert all(re.fullmatch(r"sim7-s\d{5}-e\d{6}", str(i)) for i in generated)


def test_listing_events_follow_the_contract(events: list[SampleEvent]) -> None:
    for stream, payload in events:
        if stream != "listings":
            continue
        assert payload["event_type"] in LISTING_TYPES
        for key in ("event_id", "listing_id", "seller_id"):
            assert _is_id(payload[key]), (key, payload)
        if payload["event_type"] == "listing_removed":
            continue
        title = payload["title"]
        assert isinstance(title, str)
        assert 0 < len(title) <= 1000
        assert isinstance(payload["category"], str)
        assert CATEGORY.match(payload["category"])
        price = payload["price"]
        assert _is_number(price)
        assert isinstance(price, int | float)
        assert price > 0
        assert isinstance(payload["currency"], str)
        assert CURRENCY.match(payload["currency"])
        assert payload["currency"] in RATES
        assert payload.get("condition", "new") in {"new", "used", "refurbished"}
        quantity = payload.get("quantity", 0)
        assert isinstance(quantity, int)
        assert not isinstance(quantity, bool)
        assert quantity >= 0
        if "description" in payload:
            assert isinstance(payload["description"], str)
            assert len(payload["description"]) <= 20000
        if "ship_from" in payload:
            _check_location(payload["ship_from"])


def test_order_events_follow_the_contract(events: list[SampleEvent]) -> None:
    for stream, payload in events:
        if stream != "orders":
            continue
        assert payload["event_type"] in ORDER_TYPES
        for key in ("event_id", "order_id", "listing_id", "seller_id", "buyer_id"):
            assert _is_id(payload[key]), (key, payload)
        if payload["event_type"] == "order_placed":
            quantity = payload["quantity"]
            assert isinstance(quantity, int)
            assert not isinstance(quantity, bool)
            assert quantity >= 1
            price = payload["unit_price"]
            assert _is_number(price)
            assert isinstance(price, int | float)
            assert price > 0
            assert isinstance(payload["currency"], str)
            assert CURRENCY.match(payload["currency"])
            _check_location(payload["ship_from"])
            _check_location(payload["ship_to"])
        else:
            assert payload["reason"] in REFUND_REASONS


def test_orders_refer_to_earlier_listings_and_orders(events: list[SampleEvent]) -> None:
    created: dict[str, tuple[str, datetime]] = {}
    placed: dict[str, tuple[str, datetime]] = {}
    for stream, payload in events:
        if not str(payload["event_id"]).startswith("sim"):
            continue  # the contract examples have times of their own
        moment = _time(payload["event_time"])
        if payload["event_type"] == "listing_created":
            created[str(payload["listing_id"])] = (str(payload["seller_id"]), moment)
        elif stream == "orders":
            seller, listed = created[str(payload["listing_id"])]
            assert seller == payload["seller_id"]
            assert listed < moment
            if payload["event_type"] == "order_placed":
                placed[str(payload["order_id"])] = (str(payload["buyer_id"]), moment)
            else:
                buyer, ordered = placed[str(payload["order_id"])]
                assert buyer == payload["buyer_id"]
                assert ordered < moment


def test_seller_profile_with_each_sellers_first_listing(events: list[SampleEvent]) -> None:
    seen: set[str] = set()
    for stream, payload in events:
        seller_id = str(payload["seller_id"])
        if stream != "listings" or seller_id in seen:
            continue
        seen.add(seller_id)
        assert payload["event_type"] == "listing_created"
        profile = payload["seller"]
        assert isinstance(profile, dict)
        _time(profile["registered_at"])
        _check_location(profile["registered_region"])
        assert isinstance(profile["authorized_brands"], list)
        for key in ("phone_hash", "payout_account_hash", "device_hash"):
            assert _is_id(profile[key])


def test_labels_cover_every_seller(events: list[SampleEvent]) -> None:
    truth = labels(_seed(events))
    assert set(truth.values()) == {"fraud", "legit"}
    assert truth["S-42"] == "fraud"
    counts = Counter(truth.values())
    assert counts["legit"] >= 25
    assert counts["fraud"] >= 6
    sellers = {str(payload["seller_id"]) for _, payload in events}
    assert sellers <= set(truth)
    assert set(truth) <= sellers


def test_honest_new_branded_listings_not_far_below_reference(events: list[SampleEvent]) -> None:
    checked = 0
    for payload in _honest_listings(events):
        brand = payload.get("brand")
        if not isinstance(brand, str) or payload.get("condition", "new") != "new":
            continue
        if brand not in ALIASES:
            continue  # an accessory maker's own brand: no catalog price
        reference = _reference(brand, str(payload["category"]))
        assert reference is not None, payload
        price = payload["price"]
        assert isinstance(price, int | float)
        ratio = price * RATES[str(payload["currency"])] / reference
        assert ratio >= 0.5, (ratio, payload)
        checked += 1
    assert checked > 30


def test_honest_listings_use_no_counterfeit_wording(events: list[SampleEvent]) -> None:
    """Honest sellers deny terms and name products; the monitor reads no counterfeit
    wording in them."""
    for payload in _honest_listings(events):
        listing = parse_listing(orjson.dumps(payload))
        assert term_hits(listing, RULES_COMPILED)[0] == [], payload


def test_honest_listings_are_of_their_declared_brand_or_none(events: list[SampleEvent]) -> None:
    """A brand an honest title names is the declared one, or what an accessory fits."""
    brands = RULES_COMPILED.brands
    for payload in _honest_listings(events):
        listing = parse_listing(orjson.dumps(payload))
        read = listing_brand(listing, brands, RULES_COMPILED.compatibility)
        declared = brands.canonical(listing.brand)
        assert read == declared, (read, payload)
        if declared is None:
            assert not RULES_COMPILED.compatibility.covers(listing.category) or read is None


def test_fraud_patterns_present(events: list[SampleEvent]) -> None:
    truth = labels()
    fraud = [
        payload
        for stream, payload in events
        if stream == "listings"
        and truth[str(payload["seller_id"])] == "fraud"
        and payload["event_type"] == "listing_created"
    ]
    worded = [p for p in fraud if any(term in _text(p).casefold() for term in TERMS)]
    assert worded
    cheap_plain = []
    for payload in fraud:
        brand = payload.get("brand")
        if not isinstance(brand, str):
            continue
        reference = _reference(brand, str(payload["category"]))
        if reference is None:
            continue
        price = payload["price"]
        assert isinstance(price, int | float)
        ratio = price * RATES[str(payload["currency"])] / reference
        if ratio < 0.3 and not any(term in _text(payload).casefold() for term in TERMS):
            cheap_plain.append(payload)
    assert cheap_plain


def test_some_prices_in_foreign_currencies(events: list[SampleEvent]) -> None:
    currencies = {payload.get("currency", "") for stream, payload in events if stream == "listings"}
    assert {"CNY", "USD", "EUR"} <= currencies


@pytest.mark.parametrize("seed", [0, 1, 2, 42, 2026])
def test_invariants_hold_for_other_seeds(seed: int) -> None:
    events = sample_marketplace(seed=seed)
    test_size_and_streams(events)
    test_sorted_by_event_time(events)
    test_listing_events_follow_the_contract(events)
    test_orders_refer_to_earlier_listings_and_orders(events)
    test_seller_profile_with_each_sellers_first_listing(events)
    test_labels_cover_every_seller(events)
    test_honest_new_branded_listings_not_far_below_reference(events)
    test_honest_listings_use_no_counterfeit_wording(events)
    test_honest_listings_are_of_their_declared_brand_or_none(events)
