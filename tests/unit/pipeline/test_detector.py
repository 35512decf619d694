"""The detector: per-event rules with seller context, seller signals and alert policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas import Alert, ListingEvent, OrderEvent, Reason
from stream.pipeline.detector import Detector, DictSellerStore, Judgement
from stream.pipeline.policy import assess
from stream.rules import CompiledRules, load_rules
from stream.stats.signals import seller_reasons

START = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def detector() -> Detector:
    return Detector(CompiledRules.build(load_rules()), DictSellerStore(), lambda: NOW)


_ids: Iterator[int] = iter(range(10**9))


def listing(minutes: float = 0, **fields: Any) -> ListingEvent:
    data: dict[str, Any] = {
        "event_id": f"e-{next(_ids)}",
        "event_type": "listing_created",
        "event_time": START + timedelta(minutes=minutes),
        "listing_id": "L-1",
        "seller_id": "S-1",
        "title": "Cotton towel",
        "category": "home/textiles",
        "price": 50.0,
        "currency": "CNY",
        "quantity": 10,
    }
    data.update(fields)
    return ListingEvent.model_validate(data, strict=False)


def order(minutes: float = 0, **fields: Any) -> OrderEvent:
    data: dict[str, Any] = {
        "event_id": f"e-{next(_ids)}",
        "event_type": "order_placed",
        "event_time": START + timedelta(minutes=minutes),
        "order_id": f"O-{next(_ids)}",
        "listing_id": "L-1",
        "seller_id": "S-1",
        "buyer_id": f"B-{next(_ids)}",
        "quantity": 1,
        "unit_price": 50.0,
        "currency": "CNY",
    }
    data.update(fields)
    return OrderEvent.model_validate(data, strict=False)


def rules_of(alert: Alert) -> list[str]:
    return [r.rule for r in alert.reasons]


PROFILE = {
    "registered_at": "2020-01-01T00:00:00Z",
    "registered_region": {"country": "CN", "province": "Shanghai", "city": "Shanghai"},
    "authorized_brands": [],
}
SHANGHAI = {"country": "CN", "province": "Shanghai", "city": "Shanghai"}
PUTIAN = {"country": "CN", "province": "Fujian", "city": "Putian"}


def test_fake_listing_gives_one_listing_alert_and_a_replay_the_same_id(detector: Detector) -> None:
    fake = listing(brand="Nike", category="shoes/sneakers", price=120.0, title="Nike dunk")
    first = detector.on_listing(fake)
    again = detector.on_listing(fake)
    assert [a.level for a in first.alerts] == ["listing"]
    assert [a.alert_id for a in again.alerts] == [first.alerts[0].alert_id]


def test_repeated_alert_for_a_listing_is_suppressed_until_band_rises_or_cooldown(
    detector: Detector,
) -> None:
    base = {"brand": "Nike", "category": "shoes/sneakers", "title": "Nike dunk"}
    high = detector.on_listing(listing(0, price=230.0, **base))  # ~26%: medium/high
    assert len(high.alerts) == 1
    same = detector.on_listing(listing(10, price=230.0, **base))
    assert same.alerts == []
    assert same.suppressed >= 1
    worse = detector.on_listing(
        listing(
            20,
            price=20.0,
            title="Nike dunk replica 1:1",
            **{k: v for k, v in base.items() if k != "title"},
        )
    )
    assert [a.severity for a in worse.alerts if a.level == "listing"] == ["critical"]
    later = detector.on_listing(listing(20 + 25 * 60, price=20.0, **base))
    assert any(a.level == "listing" for a in later.alerts), "cool-down passed"


def test_unauthorised_bulk_stock_from_a_young_account(detector: Detector) -> None:
    young = {**PROFILE, "registered_at": (START - timedelta(days=5)).isoformat()}
    judged = detector.on_listing(
        listing(
            brand="Dyson",
            category="home/appliances",
            price=3600.0,
            quantity=400,
            title="Dyson V15 vacuum",
            seller=young,
        )
    )
    assert [a.level for a in judged.alerts] == ["listing"]
    reason = judged.alerts[0].reasons[0]
    assert reason.rule == "new_seller_bulk_unauthorised_brand"
    assert "registered 5 days ago lists 400 new units of Dyson" in reason.message


def test_authorised_store_with_bulk_stock_is_not_flagged(detector: Detector) -> None:
    store = {
        **PROFILE,
        "registered_at": (START - timedelta(days=5)).isoformat(),
        "authorized_brands": ["Dyson"],
    }
    judged = detector.on_listing(
        listing(
            brand="Dyson",
            category="home/appliances",
            price=3600.0,
            quantity=150,
            title="Dyson V15 vacuum",
            seller=store,
        )
    )
    assert judged.alerts == []


def test_counterfeit_complaints_raise_a_seller_alert(detector: Detector) -> None:
    detector.on_listing(listing(seller=PROFILE))
    for n in range(10):
        assert detector.on_order(order(10 + n)).alerts == []
    for n in range(2):
        assert (
            detector.on_order(
                order(30 + n, event_type="order_refunded", reason="counterfeit")
            ).alerts
            == []
        )
    judged = detector.on_order(order(40, event_type="order_disputed", reason="counterfeit"))
    assert [a.level for a in judged.alerts] == ["seller"]
    alert = judged.alerts[0]
    assert alert.listing_id is None
    assert rules_of(alert)[0] == "counterfeit_complaints"
    assert "3 of 10 orders in 7 days (30%)" in alert.reasons[0].message


def test_other_refund_reasons_do_not_count_as_counterfeit(detector: Detector) -> None:
    detector.on_listing(listing(seller=PROFILE))
    for n in range(10):
        detector.on_order(order(10 + n))
    alerts = [
        a
        for n in range(5)
        for a in detector.on_order(
            order(30 + n, event_type="order_refunded", reason="damaged")
        ).alerts
    ]
    assert alerts == []


def test_dispatch_from_another_province_raises_a_seller_alert(detector: Detector) -> None:
    detector.on_listing(listing(seller=PROFILE, ship_from=SHANGHAI))
    judgements: list[Judgement] = [
        detector.on_order(order(10 + n, ship_from=PUTIAN)) for n in range(4)
    ]
    assert judgements[0].reasons[0].rule == "dispatch_mismatch"
    alerts = [a for j in judgements for a in j.alerts]
    assert len(alerts) == 1
    assert rules_of(alerts[0])[0] == "dispatch_mismatch_rate"
    assert "CN/Fujian/Putian" in alerts[0].reasons[0].message
    assert "CN/Shanghai/Shanghai" in alerts[0].reasons[0].message


def test_same_province_other_city_is_not_a_mismatch(detector: Detector) -> None:
    detector.on_listing(listing(seller=PROFILE, ship_from=SHANGHAI))
    other_city = {"country": "CN", "province": "Shanghai", "city": "Pudong"}
    alerts = [a for n in range(6) for a in detector.on_order(order(n, ship_from=other_city)).alerts]
    assert alerts == []


def test_hotspot_alone_never_alerts_above_medium(detector: Detector) -> None:
    putian_shop = {**PROFILE, "registered_region": PUTIAN}
    judged = detector.on_listing(
        listing(
            category="shoes/sneakers",
            title="Canvas shoes",
            price=60.0,
            ship_from=PUTIAN,
            seller=putian_shop,
        )
    )
    assert judged.alerts == []
    assert [r.rule for r in judged.reasons] == ["hotspot_region"]
    for n in range(20):
        assert all(
            a.severity == "medium" for a in detector.on_order(order(5 + n, ship_from=PUTIAN)).alerts
        )


def test_viral_orders_alone_do_not_flag_a_seller(detector: Detector) -> None:
    detector.on_listing(listing(seller=PROFILE))
    alerts: list[Alert] = []
    for day in range(4):  # an ordinary baseline: 3 orders a day
        for n in range(3):
            alerts += detector.on_order(order(day * 1440 + n * 60 + 1)).alerts
    for n in range(150):  # then it goes viral: 150 orders in a day, many buyers
        alerts += detector.on_order(order(4 * 1440 + n * 5)).alerts
    assert [a.severity for a in alerts if a.severity != "medium"] == []


def test_repeatedly_flagged_listings_accumulate_to_a_seller_alert(detector: Detector) -> None:
    levels: list[str] = []
    for n in range(3):
        judged = detector.on_listing(
            listing(
                n * 30,
                listing_id=f"L-{n}",
                brand="SanDisk",
                category="electronics/memory",
                price=40.0,
                title=f"SanDisk 1TB card {n}",
            )
        )
        levels += [a.level for a in judged.alerts]
    assert levels.count("listing") == 3
    judged = detector.on_order(order(200, listing_id="L-0"))
    seller = [a for a in judged.alerts if a.level == "seller"]
    assert seller, "three flagged listings are seller-level evidence"
    assert "repeatedly_flagged_listings" in rules_of(seller[0])


def test_replayed_order_is_not_counted_twice(detector: Detector) -> None:
    detector.on_listing(listing(seller=PROFILE))
    for n in range(10):
        detector.on_order(order(10 + n))
    complaint = order(30, event_type="order_refunded", reason="counterfeit")
    for _ in range(5):
        detector.on_order(complaint)
    state = detector.store.load("S-1")
    assert state.window(7 * 1440)[4] == 1  # Counter.CF_COMPLAINTS


def test_fakes_do_not_drag_the_learned_reference_down(detector: Detector) -> None:
    fakes = [
        listing(
            n,
            listing_id=f"L-f{n}",
            seller_id=f"S-f{n}",
            brand="Nike",
            category="shoes/sneakers",
            price=120.0,
            title="Nike dunk",
        )
        for n in range(200)
    ]
    for fake in fakes:
        assert detector.on_listing(fake).alerts, "every fake is flagged"
    reference = detector.references.reference("Nike", "shoes/sneakers")
    assert reference is not None
    assert reference.price == 899.0  # nothing learned from flagged listings


def test_honest_prices_are_learned(detector: Detector) -> None:
    for n in range(100):
        detector.on_listing(
            listing(
                n,
                listing_id=f"L-h{n}",
                seller_id=f"S-h{n}",
                brand="Nike",
                category="shoes/sneakers",
                price=999.0,
                title="Nike Pegasus",
            )
        )
    assert detector.references.learned_count("Nike", "shoes/sneakers") == 100
    reference = detector.references.reference("Nike", "shoes/sneakers")
    assert reference is not None
    assert 960 < reference.price < 999


def test_sellers_copying_the_same_words_are_each_judged_on_them(detector: Detector) -> None:
    words: dict[str, Any] = {
        "title": "Nike Air Max 高仿 r3plica",
        "brand": "Nike",
        "category": "fashion/shoes",
    }
    first = detector.on_listing(listing(seller_id="S-1", listing_id="L-1", **words))
    again = detector.on_listing(listing(seller_id="S-2", listing_id="L-9", **words))
    rules = {r.rule for r in first.reasons}
    assert "counterfeit_vocabulary" in rules
    assert {r.rule for r in again.reasons} == rules
    assert again.alerts
    assert again.alerts[0].seller_id == "S-2"


def test_remembered_texts_are_bounded(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stream.pipeline.detector.TEXT_MEMO_SIZE", 3)
    for n in range(10):
        detector.on_listing(listing(minutes=n, title=f"Cotton towel {n}", listing_id=f"L-{n}"))
    assert len(detector._text_memo) == 3
    # the same words with another declared brand are read again, not taken from the memo
    plain = detector.on_listing(listing(minutes=11, title="Cotton towel 9"))
    branded = detector.on_listing(listing(minutes=12, title="Cotton towel 9", brand="Nikee"))
    assert "misspelled_brand" not in {r.rule for r in plain.reasons}
    assert "misspelled_brand" in {r.rule for r in branded.reasons}


# Evidence before severity --------------------------------------------------------


def reason(rule: str, score: float) -> Reason:
    return Reason(rule=rule, score=score, message=f"{rule} fired")


def test_context_alone_never_reaches_high_however_much_adds_up() -> None:
    rules = CompiledRules.build(load_rules())
    context = [
        reason("young_account_bulk_stock", 65.0),
        reason("buyer_concentration", 60.0),
        reason("hotspot_dispatch", 20.0),
        reason("many_dispatch_points", 30.0),
    ]
    score, severity = assess(context, rules)
    assert severity == "medium"
    assert score < rules.config.severity.high
    # one piece of evidence and the same context make a strong case
    score, severity = assess([*context, reason("price_far_below_reference", 50.0)], rules)
    assert severity == "critical"


def young_shop(days: float, brands: list[str], region: dict[str, str]) -> dict[str, Any]:
    return {
        "registered_at": (START - timedelta(days=days)).isoformat(),
        "registered_region": region,
        "authorized_brands": brands,
    }


def test_a_new_authorised_shop_with_a_large_stock_is_not_flagged(detector: Detector) -> None:
    shop = young_shop(9, ["Nike"], PUTIAN)
    alerts: list[Alert] = []
    for n in range(8):
        judged = detector.on_listing(
            listing(
                n,
                listing_id=f"L-{n}",
                brand="Nike",
                category="shoes/sneakers",
                title="Nike Air Max 90 official store",
                price=869.0,
                quantity=450,
                ship_from=PUTIAN,
                seller=shop if n == 0 else None,
            )
        )
        alerts += judged.alerts
    for n in range(30):
        alerts += detector.on_order(order(10 + n, listing_id=f"L-{n % 8}", ship_from=PUTIAN)).alerts
    assert not [a for a in alerts if a.severity in ("high", "critical")]
    state = detector.store.load("S-1")
    [young] = [
        r
        for r in seller_reasons(state, detector.config.seller)
        if r.rule == "young_account_bulk_stock"
    ]
    assert "3600 units in stock, all unbranded or of brands it is authorised for" in young.message
    assert young.score <= detector.config.seller.young_account_score_max * 0.25


def test_the_same_stock_of_an_unauthorised_brand_weighs_in_full(detector: Detector) -> None:
    shop = young_shop(9, [], SHANGHAI)
    for n in range(8):
        detector.on_listing(
            listing(
                n,
                listing_id=f"L-{n}",
                brand="Nike",
                category="shoes/sneakers",
                title="Nike Air Max 90",
                price=869.0,
                quantity=450,
                condition="used",  # not the unauthorised-bulk rule: only the stock speaks
                seller=shop if n == 0 else None,
            )
        )
    state = detector.store.load("S-1")
    [young] = [
        r
        for r in seller_reasons(state, detector.config.seller)
        if r.rule == "young_account_bulk_stock"
    ]
    assert young.score == detector.config.seller.young_account_score_max
    assert "3600 of brands it is not authorised for" in young.message


JERSEY: dict[str, Any] = {
    "brand": "Adidas",
    "category": "apparel/jerseys",
    "title": "Adidas Real Madrid 24/25 home replica jersey",
}


def test_an_authorised_retailer_of_replica_jerseys_is_not_flagged(detector: Detector) -> None:
    alerts: list[Alert] = []
    for n in range(6):
        judged = detector.on_listing(
            listing(
                n,
                listing_id=f"L-{n}",
                price=579.0,
                seller={**PROFILE, "authorized_brands": ["Adidas"]} if n == 0 else None,
                **JERSEY,
            )
        )
        assert judged.reasons == []
        alerts += judged.alerts
    assert alerts == []


def test_replica_jerseys_without_authorisation_are_context_and_cheap_ones_are_caught(
    detector: Detector,
) -> None:
    honest = detector.on_listing(listing(price=579.0, seller=PROFILE, **JERSEY))
    assert [r.rule for r in honest.reasons] == ["product_name_term"]
    assert honest.alerts == []
    fake = detector.on_listing(listing(5, listing_id="L-2", price=89.0, **JERSEY))
    assert {r.rule for r in fake.reasons} == {"price_far_below_reference", "product_name_term"}
    assert [a.severity for a in fake.alerts if a.level == "listing"] == ["high"]


def test_a_young_shop_of_accessories_for_iphone_is_not_flagged(detector: Detector) -> None:
    shop = young_shop(5, [], SHANGHAI)
    alerts: list[Alert] = []
    for n, title in enumerate(
        [
            "适用苹果 iPhone 16 手机壳 磁吸 防摔",
            "Magnetic case for iPhone 16 Pro Max",
            "兼容三星 Galaxy S25 充电器",
        ]
    ):
        judged = detector.on_listing(
            listing(
                n,
                listing_id=f"L-{n}",
                title=title,
                category="electronics/cases",
                price=29.9,
                quantity=800,
                seller=shop if n == 0 else None,
            )
        )
        assert judged.reasons == []
        alerts += judged.alerts
    assert alerts == []


def test_disclaimers_raise_nothing_even_when_repeated(detector: Detector) -> None:
    alerts: list[Alert] = []
    for n, promise in enumerate(
        ["正品保证 非A货", "No replicas, no fakes", "拒絕高仿", "bushi gaofang"]
    ):
        judged = detector.on_listing(
            listing(
                n,
                listing_id=f"L-{n}",
                brand="Nike",
                category="shoes/sneakers",
                title=f"Nike Air Max 90 {promise}",
                price=899.0,
                seller=PROFILE if n == 0 else None,
            )
        )
        assert judged.reasons == []
        alerts += judged.alerts
    assert alerts == []
