"""The labelled marketplace simulator (``devtools.simulation``) and ``listing-monitor simulate``."""

from __future__ import annotations

import importlib
import random
import re
import statistics
import tomllib
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from schemas.events import parse_listing, parse_order
from stream.cli import app
from stream.devtools.simulation import (
    ALL_SCENARIOS,
    DEFAULT_START,
    FRAUD_SCENARIOS,
    LEGIT_SCENARIOS,
    Simulation,
    read_labels,
    simulate,
    write_simulation,
)
from stream.devtools.simulation.scenarios import (
    GROUP_SCENARIOS,
    MISSPELLED,
    MODELS,
    SCENARIOS,
    SellerContext,
    load_prices,
    play_seller,
)
from stream.rules import CompiledRules, load_rules
from stream.rules.listing_rules import term_hits
from stream.settings import Settings

ROOT = Path(__file__).resolve().parents[4]
RULES = tomllib.loads((ROOT / "stream" / "data" / "rules.toml").read_text(encoding="utf-8"))
RATES: dict[str, float] = RULES["currency_rates"]
CATALOG: dict[tuple[str, str], float] = {
    (e["brand"], e["category"]): float(e["reference_price"]) for e in RULES["catalog"]
}
DAY = 86_400
runner = CliRunner()


def _normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def _pattern(terms: list[str]) -> re.Pattern[str]:
    parts = []
    for term in sorted({_normalize(t) for t in terms}, key=len, reverse=True):
        head = r"(?<![a-z0-9])" if term[0].isascii() and term[0].isalnum() else ""
        tail = r"(?![a-z0-9])" if term[-1].isascii() and term[-1].isalnum() else ""
        parts.append(f"{head}{re.escape(term)}{tail}")
    return re.compile("|".join(parts))


TERMS = _pattern(RULES["vocabulary"]["terms"])
IGNORE = [_normalize(p) for p in RULES["vocabulary"].get("ignore_phrases", [])]

# Every way the simulator names a brand: rules aliases, its misspellings and its
# model names without the brand (titles that leave the brand out).
NAMES: dict[str, set[str]] = defaultdict(set)
for _brand, _aliases in RULES["brands"].items():
    NAMES[_brand].update(_normalize(a) for a in [_brand, *_aliases])
for _brand, _spellings in MISSPELLED.items():
    NAMES[_brand].update(_normalize(a) for a in _spellings)
for (_brand, _), _models in MODELS.items():
    NAMES[_brand].update(_normalize(m.removeprefix(_brand)) for m in _models)
NAME_PATTERNS = {
    name: re.compile(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])")
    for names in NAMES.values()
    for name in names
}


def vocabulary(text: str, fold: bool = True) -> list[str]:
    """Counterfeit terms in ``text``; ``fold=False`` skips NFKC (only plain spellings)."""
    normal = _normalize(text) if fold else " ".join(text.lower().split())
    for phrase in IGNORE:
        normal = normal.replace(phrase, " ")
    return TERMS.findall(normal)


def texts(event: dict[str, Any], image: bool = True) -> str:
    fields = ("title", "description", "brand", "image_text") if image else ("title", "description")
    return " | ".join(str(event[f]) for f in fields if event.get(f))


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["event_time"])


class View:
    """A simulation indexed by seller, scenario and listing."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.by_seller: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for stream, event in sim.events:
            self.by_seller[event["seller_id"]].append((stream, event))
        self.sellers_of: dict[str, list[str]] = defaultdict(list)
        for seller, entry in sim.labels.items():
            self.sellers_of[entry["scenario"]].append(seller)
        self.created: dict[str, dict[str, Any]] = {
            e["listing_id"]: e for _, e in sim.events if e["event_type"] == "listing_created"
        }
        self.profiles = {
            e["seller_id"]: e["seller"] for _, e in sim.events if e.get("seller") is not None
        }

    def events(self, scenario: str, event_type: str | None = None) -> list[dict[str, Any]]:
        out = []
        for seller in self.sellers_of[scenario]:
            for _, event in self.by_seller[seller]:
                if event_type is None or event["event_type"] == event_type:
                    out.append(event)
        return out

    def listings(self, scenario: str) -> list[dict[str, Any]]:
        """Created and updated listings of a scenario."""
        return [
            e
            for e in self.events(scenario)
            if e["event_type"] in {"listing_created", "listing_updated"}
        ]

    def ratio(self, listing: dict[str, Any]) -> float:
        """Price over the catalog reference of the product really sold."""
        brand = self.maker(listing)
        reference = CATALOG[(brand, listing["category"])]
        return float(listing["price"]) * RATES[listing["currency"]] / reference

    @staticmethod
    def maker(listing: dict[str, Any]) -> str:
        """The brand really sold: named in the title by alias, misspelling or model name."""
        text = _normalize(listing["title"] + " " + (listing.get("brand") or ""))
        found: list[tuple[int, str]] = []
        for brand, category in CATALOG:
            if category != listing["category"]:
                continue
            for name in NAMES[brand]:
                if NAME_PATTERNS[name].search(text):
                    found.append((len(name), brand))
        assert found, f"cannot tell the brand of {listing['title']!r}"
        return max(found)[1]


@pytest.fixture(scope="module")
def sim() -> Simulation:
    # 12 fraud sellers: one per fraud scenario and a second for each ring priority
    return simulate(sellers=200, days=7, seed=1, fraud_share=0.06)


@pytest.fixture(scope="module")
def view(sim: Simulation) -> View:
    return View(sim)


# Determinism, contract, order --------------------------------------------------


def test_same_seed_same_output_and_other_seed_differs() -> None:
    first = simulate(sellers=45, days=2, seed=11)
    again = simulate(sellers=45, days=2, seed=11)
    other = simulate(sellers=45, days=2, seed=12)
    assert orjson.dumps(first.events) == orjson.dumps(again.events)
    assert first.labels == again.labels
    assert first.arrival_seconds == again.arrival_seconds
    assert orjson.dumps(first.events) != orjson.dumps(other.events)


def test_every_event_validates_against_the_contract(sim: Simulation) -> None:
    for stream, event in sim.events:
        raw = orjson.dumps(event)
        parsed = parse_listing(raw) if stream == "listings" else parse_order(raw)
        assert parsed.event_id == event["event_id"]
        assert parsed.event_time.tzinfo is not None
    assert {stream for stream, _ in sim.events} == {"listings", "orders"}


def test_event_ids_are_unique(sim: Simulation) -> None:
    ids = [event["event_id"] for _, event in sim.events]
    assert len(ids) == len(set(ids))


def test_size_is_in_the_expected_range(sim: Simulation) -> None:
    assert 20_000 <= len(sim.events) <= 60_000
    types = Counter(event["event_type"] for _, event in sim.events)
    for kind in (
        "listing_created",
        "listing_updated",
        "listing_removed",
        "order_placed",
        "order_refunded",
        "order_disputed",
    ):
        assert types[kind] > 0, kind


def test_events_are_in_arrival_order_with_a_few_late(sim: Simulation) -> None:
    assert sim.arrival_seconds == sorted(sim.arrival_seconds)
    late = 0
    for (_, event), arrival in zip(sim.events, sim.arrival_times, strict=True):
        happened = when(event)
        assert happened <= arrival <= happened + timedelta(minutes=10)
        late += happened < arrival
    assert 0.005 < late / len(sim.events) < 0.05
    end = DEFAULT_START + timedelta(days=7)
    assert all(DEFAULT_START <= when(e) < end for _, e in sim.events)


def test_without_late_events_event_time_never_goes_back() -> None:
    small = simulate(sellers=30, days=2, seed=3, late_fraction=0.0)
    times = [when(event) for _, event in small.events]
    assert times == sorted(times)


def test_start_is_respected_and_must_be_aware() -> None:
    start = datetime(2027, 3, 1, 12, tzinfo=UTC)
    small = simulate(sellers=10, days=1, seed=2, start=start)
    assert min(when(e) for _, e in small.events) >= start
    with pytest.raises(ValueError, match="timezone-aware"):
        simulate(sellers=10, days=1, seed=2, start=datetime(2027, 3, 1))  # noqa: DTZ001


def test_first_event_of_each_seller_is_a_listing_with_its_profile(view: View) -> None:
    for seller, events in view.by_seller.items():
        stream, first = events[0]
        assert stream == "listings"
        assert first["event_type"] == "listing_created"
        assert "seller" in first, seller
        assert sum("seller" in e for _, e in events) == 1


# Population ---------------------------------------------------------------------


def test_fraud_share_and_every_scenario_present(sim: Simulation) -> None:
    labels = Counter(entry["label"] for entry in sim.labels.values())
    assert len(sim.labels) == 200
    assert labels["fraud"] == 12
    counts = sim.scenario_counts()
    # the group scenarios come from 400 sellers on (see test_groups.py)
    assert set(counts) == set(ALL_SCENARIOS) - set(GROUP_SCENARIOS)
    for entry in sim.labels.values():
        expected = "fraud" if entry["scenario"] in FRAUD_SCENARIOS else "legit"
        assert entry["label"] == expected == SCENARIOS[entry["scenario"]].label
    ordinary = counts["generic_goods"] + counts["hotspot_ordinary"]
    assert ordinary > sum(counts.get(name, 0) for name in LEGIT_SCENARIOS) / 2


def test_small_population_respects_the_share() -> None:
    small = simulate(sellers=20, days=0.5, seed=4, fraud_share=0.1)
    assert Counter(e["label"] for e in small.labels.values())["fraud"] == 2
    assert Counter(e["label"] for e in simulate(20, 0.5, 4, fraud_share=0).labels.values()) == {
        "legit": 20
    }


def test_buyers_recur_across_orders(view: View) -> None:
    placed = [e for _, e in view.sim.events if e["event_type"] == "order_placed"]
    buyers = Counter(e["buyer_id"] for e in placed)
    assert sum(1 for n in buyers.values() if n > 1) > len(buyers) / 4
    sellers_per_buyer: dict[str, set[str]] = defaultdict(set)
    for event in placed:
        sellers_per_buyer[event["buyer_id"]].add(event["seller_id"])
    assert any(len(s) > 1 for s in sellers_per_buyer.values())


def test_prices_come_in_several_currencies(sim: Simulation) -> None:
    currencies = Counter(e["currency"] for _, e in sim.events if e.get("currency"))
    assert currencies.most_common(1)[0][0] == "CNY"
    assert len(set(currencies) & {"USD", "EUR", "HKD"}) >= 2


# Fraud scenarios ----------------------------------------------------------------


def test_sneaker_ring(view: View) -> None:
    listings = view.listings("sneaker_ring")
    assert listings
    for listing in listings:
        assert 0.098 <= view.ratio(listing) <= 0.252, listing
        assert listing["ship_from"]["city"] == "Putian"
        assert listing["category"] == "shoes/sneakers"
        if listing["event_type"] == "listing_created":
            assert vocabulary(texts(listing)), listing["title"]
    orders = view.events("sneaker_ring", "order_placed")
    assert orders
    assert all(o["ship_from"]["city"] == "Putian" for o in orders)
    sellers = view.sellers_of["sneaker_ring"]
    phones = Counter(view.profiles[s]["phone_hash"] for s in sellers)
    devices = Counter(view.profiles[s]["device_hash"] for s in sellers)
    assert max(phones.values()) >= 2
    assert max(devices.values()) >= 2
    brands = {listing.get("brand") for listing in listings}
    assert brands & {"Nikee", "Nlke", "Addidas", "Adidos", "Air Jordon", "New Balanse"}


def test_luxury_bags_obfuscated(view: View) -> None:
    listings = view.listings("luxury_bags_obfuscated")
    assert listings
    detectable = 0
    for listing in listings:
        assert 0.0195 <= view.ratio(listing) <= 0.0805, listing
        # No plain spelling of a term in title or description: it is obfuscated.
        assert not vocabulary(texts(listing, image=False), fold=False), listing["title"]
        detectable += bool(vocabulary(texts(listing)))
    assert detectable > 0
    joined = " ".join(texts(listing) for listing in listings)
    tricks = [
        "r e p l i c a" in joined or "m i r r o r" in joined or "s u p e r" in joined,
        bool(re.search(r"r3plica|repl1ca|m1rror|sup3r|rep1ica", joined)),
        bool(re.search(r"gaofang|gao fang|fuke|yuandan|jingfang", joined)),
        any("\uff01" <= ch <= "\uff5e" for ch in joined),
        bool(
            re.search(r"Louis Vuiton|Loui Vuitton|Louis Vutton|Guci|Gucchi|Chanell|Channel", joined)
        ),
        any(listing.get("image_text") for listing in listings),
    ]
    assert sum(tricks) >= 4


def test_electronics_have_no_telltale_words(view: View) -> None:
    listings = view.listings("electronics_no_words")
    assert listings
    for listing in listings:
        assert listing["category"] in {"electronics/memory", "electronics/storage"}
        assert 0.0098 <= view.ratio(listing) <= 0.0802, listing
        assert not vocabulary(texts(listing)), listing["title"]
    payouts = Counter(
        view.profiles[s]["payout_account_hash"] for s in view.sellers_of["electronics_no_words"]
    )
    assert max(payouts.values()) >= 2


def test_young_shop_lists_hundreds_of_unauthorised_units(view: View) -> None:
    for seller in view.sellers_of["young_bulk_unauthorised"]:
        profile = view.profiles[seller]
        age = DEFAULT_START - datetime.fromisoformat(profile["registered_at"])
        assert timedelta(0) < age <= timedelta(days=7)
        created = [e for _, e in view.by_seller[seller] if e["event_type"] == "listing_created"]
        assert created
        for listing in created:
            assert listing["quantity"] >= 200
            assert listing["brand"] not in profile["authorized_brands"]
            assert not vocabulary(texts(listing))


def _share(
    placed: dict[str, dict[str, Any]], flagged: set[str], low: float, high: float, duration: int
) -> float:
    """Share of orders placed in [low, high) of the period whose id is in ``flagged``."""
    orders = [
        oid
        for oid, e in placed.items()
        if low <= (when(e) - DEFAULT_START).total_seconds() / duration < high
    ]
    return sum(oid in flagged for oid in orders) / len(orders)


def test_refund_seller_complaints_grow_while_it_looks_honest(view: View) -> None:
    duration = 7 * DAY
    for seller in view.sellers_of["refund_disputes_only"]:
        events = [e for _, e in view.by_seller[seller]]
        for listing in events:
            if listing["event_type"] in {"listing_created", "listing_updated"}:
                assert view.ratio(listing) >= 0.7
                assert not vocabulary(texts(listing))
        placed = {e["order_id"]: e for e in events if e["event_type"] == "order_placed"}
        counterfeit = {
            e["order_id"]
            for e in events
            if e["event_type"] in {"order_refunded", "order_disputed"}
            and e["reason"] == "counterfeit"
        }

        assert _share(placed, counterfeit, 0.0, 0.3, duration) < _share(
            placed, counterfeit, 0.55, 0.9, duration
        )
        profile = view.profiles[seller]
        assert not profile["authorized_brands"]
        assert all(e["quantity"] < 50 for e in events if e["event_type"] == "listing_created")
        assert all(
            e["ship_from"]["city"] == profile["registered_region"]["city"]
            for e in events
            if "ship_from" in e
        )


def test_refund_scenario_complaints_rise_from_zero_to_a_third_or_more() -> None:
    """Aggregated over several refund sellers: ~0 at first, 30-50% of orders by the end."""
    days = 10
    duration = days * DAY
    placed: dict[str, dict[str, Any]] = {}
    counterfeit: set[str] = set()
    for index in range(6):
        ctx = SellerContext(
            index=index,
            seller_id=f"t-s{index}",
            seed=0,
            rng=random.Random(index),
            start=DEFAULT_START,
            duration=duration,
            buyer_pool=5000,
            catalog=load_prices(),
        )
        for _, _, _, _, event in play_seller("refund_disputes_only", ctx):
            if event["event_type"] == "order_placed":
                placed[event["order_id"]] = event
            elif event["event_type"] != "listing_created" and event.get("reason") == "counterfeit":
                counterfeit.add(event["order_id"])
    first = _share(placed, counterfeit, 0.0, 0.2, duration)
    middle = _share(placed, counterfeit, 0.4, 0.6, duration)
    last = _share(placed, counterfeit, 0.8, 0.95, duration)
    assert first < 0.05
    assert first + 0.05 < middle < last - 0.05
    assert 0.2 < last < 0.55


def test_dispatch_mismatch_ships_from_elsewhere(view: View) -> None:
    for seller in view.sellers_of["dispatch_mismatch"]:
        profile = view.profiles[seller]
        events = [e for _, e in view.by_seller[seller]]
        declared = {
            e["ship_from"]["city"]
            for e in events
            if e["event_type"] in {"listing_created", "listing_updated"}
        }
        assert declared == {profile["registered_region"]["city"]}
        scanned = {e["ship_from"]["city"] for e in events if e["event_type"] == "order_placed"}
        assert scanned
        assert scanned.isdisjoint(declared)
        assert scanned <= {"Putian", "Guangzhou"}


# Legit scenarios ----------------------------------------------------------------


def test_viral_seller_has_one_day_of_many_distinct_buyers(view: View) -> None:
    for seller in view.sellers_of["viral_seller"]:
        per_day: dict[int, list[str]] = defaultdict(list)
        for _, event in view.by_seller[seller]:
            if event["event_type"] == "order_placed":
                day = (when(event) - DEFAULT_START).days
                per_day[day].append(event["buyer_id"])
        counts = [len(per_day.get(day, [])) for day in range(7)]
        busiest = max(range(7), key=lambda d: counts[d])
        assert counts[busiest] >= 10 * statistics.median(counts), counts
        assert len(set(per_day[busiest])) >= 0.8 * counts[busiest]


def test_honest_new_branded_listings_are_at_least_half_the_reference(view: View) -> None:
    checked = 0
    for scenario in LEGIT_SCENARIOS:
        if scenario == "compatible_accessories":
            continue  # their brand field names the accessory's maker, not a catalog brand
        for listing in view.listings(scenario):
            if listing.get("brand") and listing["condition"] == "new":
                assert view.ratio(listing) >= 0.5, listing
                checked += 1
    assert checked > 100
    for listing in view.listings("authorised_store"):
        assert 0.895 <= view.ratio(listing) <= 1.055
    for listing in view.listings("honest_sale"):
        assert 0.5 <= view.ratio(listing) <= 0.705
    for listing in view.listings("used_refurbished"):
        assert listing["condition"] in {"used", "refurbished"}
        assert 0.245 <= view.ratio(listing) <= 0.605


def test_legit_texts_use_no_counterfeit_wording(view: View) -> None:
    """Honest sellers deny terms ("非A货") and name products ("replica jersey"),
    but the monitor's own reading finds no counterfeit wording in their texts."""
    rules = CompiledRules.build(load_rules())
    for scenario in LEGIT_SCENARIOS:
        for listing in view.listings(scenario):
            hits = term_hits(parse_listing(orjson.dumps(listing)), rules)[0]
            assert not hits, (scenario, listing["title"], listing.get("description"))


def test_honest_sellers_in_hot_spots_behave_normally(view: View) -> None:
    hot = view.sellers_of["hotspot_ordinary"]
    regions = Counter(view.profiles[s]["registered_region"]["province"] for s in hot)
    assert regions["Fujian"] > 0
    assert regions["Guangdong"] > 0
    cities = {view.profiles[s]["registered_region"]["city"] for s in hot}
    assert {"Putian", "Guangzhou"} & cities
    for seller in hot:
        profile = view.profiles[seller]
        for _, event in view.by_seller[seller]:
            if event["event_type"] == "order_placed":
                assert event["ship_from"]["city"] == profile["registered_region"]["city"]


def test_honest_complaints_are_rare_and_rarely_counterfeit(view: View) -> None:
    orders = complaints = counterfeit = 0
    for scenario in LEGIT_SCENARIOS:
        for event in view.events(scenario):
            if event["event_type"] == "order_placed":
                orders += 1
            elif event["event_type"] in {"order_refunded", "order_disputed"}:
                complaints += 1
                counterfeit += event["reason"] == "counterfeit"
    assert 0.003 < complaints / orders < 0.03
    assert counterfeit / orders < 0.002


def test_orders_reference_listings_of_the_same_seller(view: View) -> None:
    placed: dict[str, dict[str, Any]] = {}
    for _, event in view.sim.events:
        if event["event_type"] == "order_placed":
            listing = view.created[event["listing_id"]]
            assert listing["seller_id"] == event["seller_id"]
            assert event["unit_price"] > 0
            placed[event["order_id"]] = event
        elif event["event_type"] in {"order_refunded", "order_disputed"}:
            order = placed[event["order_id"]]
            assert order["buyer_id"] == event["buyer_id"]
            assert when(order) < when(event)


# Files and CLI --------------------------------------------------------------------


def test_write_and_read_round_trip(tmp_path: Path) -> None:
    small = simulate(sellers=12, days=1, seed=8)
    written = write_simulation(small, tmp_path / "out")
    listings = [orjson.loads(x) for x in written.listings.read_bytes().splitlines()]
    orders = [orjson.loads(x) for x in written.orders.read_bytes().splitlines()]
    assert listings == [e for s, e in small.events if s == "listings"]
    assert orders == [e for s, e in small.events if s == "orders"]
    assert written.listing_events + written.order_events == len(small.events)
    assert read_labels(written.labels) == small.labels
    assert read_labels(tmp_path / "out") == small.labels
    text = written.labels.read_text(encoding="utf-8")
    assert text.startswith("{\n  ")
    bad = tmp_path / "bad.json"
    bad.write_text('{"s1": {"label": "maybe"}}', encoding="utf-8")
    with pytest.raises(ValueError, match="s1"):
        read_labels(bad)


def test_cli_writes_files_and_prints_scenarios(tmp_path: Path) -> None:
    args = ["simulate", "--sellers", "45", "--days", "1", "--seed", "3", "--out", str(tmp_path)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("listings.jsonl", "orders.jsonl", "labels.json"):
        assert (tmp_path / name).is_file()
        assert name in result.output
    for scenario in set(ALL_SCENARIOS) - set(GROUP_SCENARIOS):  # groups: from 400 sellers
        assert scenario in result.output
    expected = simulate(sellers=45, days=1, seed=3)
    assert read_labels(tmp_path / "labels.json") == expected.labels
    lines = (tmp_path / "listings.jsonl").read_bytes().splitlines()
    assert len(lines) == expected.stream_counts()["listings"]


@pytest.mark.parametrize(
    "extra",
    [[], ["--out", "OUT", "--rate", "10"]],
    ids=["neither", "both"],
)
def test_cli_needs_exactly_one_of_out_and_rate(tmp_path: Path, extra: list[str]) -> None:
    args = ["simulate", "--sellers", "5", "--days", "0.1"]
    args += [str(tmp_path / "o") if a == "OUT" else a for a in extra]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code != 0
    assert "exactly one of --out" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_help_documents_options() -> None:
    result = runner.invoke(app, ["simulate", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--sellers", "--days", "--seed", "--fraud-share", "--out", "--rate", "--labels"):
        assert option in result.output


class _FakeFuture:
    def add_errback(self, callback: Any) -> None:
        pass


class _FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.closed = False

    def send(self, topic: str, key: bytes, value: bytes) -> _FakeFuture:
        self.sent.append((topic, key, value))
        return _FakeFuture()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_cli_streams_in_arrival_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    producer = _FakeProducer()
    # stream.cli re-exports the command under the module's name: patch the module itself.
    module = importlib.import_module("stream.cli.simulate")
    monkeypatch.setattr(module, "new_producer", lambda kafka: producer)
    # no broker: the CLI's check that one answers is skipped too
    common = importlib.import_module("stream.cli._common")
    monkeypatch.setattr(common, "probe_transport", lambda kafka: None)
    labels = tmp_path / "labels.json"
    args = ["simulate", "--sellers", "8", "--days", "0.5", "--seed", "2", "--rate", "1000000"]
    result = runner.invoke(app, [*args, "--labels", str(labels)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    expected = simulate(sellers=8, days=0.5, seed=2)
    assert read_labels(labels) == expected.labels
    assert producer.closed
    settings = Settings()
    topics = {"listings": settings.listings_topic, "orders": settings.orders_topic}
    assert [(t, orjson.loads(v)) for t, _, v in producer.sent] == [
        (topics[stream], event) for stream, event in expected.events
    ]
    assert all(k == orjson.loads(v)["seller_id"].encode() for _, k, v in producer.sent)
