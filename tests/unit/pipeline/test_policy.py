"""Alert building: deterministic ids, score combination, severity bands."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import Alert, ListingEvent, OrderEvent, Reason, parse_listing
from stream.pipeline.detector import Detector, DictSellerStore
from stream.pipeline.policy import alert_id, combine_scores, seller_alert_id, severity_for
from stream.rules import CompiledRules, evaluate_listing, load_rules
from stream.rules.config import SeverityBands
from tests.fixtures import example

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def reason(score: float, rule: str = "r") -> Reason:
    return Reason(rule=rule, score=score, message=f"{rule} {score}", evidence={})


def test_alert_id_is_deterministic_and_distinguishes_inputs() -> None:
    first = alert_id("listing", "S-1", "evt-1", "v1", "L-1")
    assert first == alert_id("listing", "S-1", "evt-1", "v1", "L-1")
    others = {
        alert_id("listing", "S-1", "evt-2", "v1", "L-1"),
        alert_id("listing", "S-2", "evt-1", "v1", "L-1"),
        alert_id("listing", "S-1", "evt-1", "v2", "L-1"),
        alert_id("seller", "S-1", "evt-1", "v1", "L-1"),
        alert_id("listing", "S-1", "evt-1", "v1", "L-2"),
    }
    assert first not in others
    assert len(others) == 5


def test_scores_combine_as_noisy_or() -> None:
    assert combine_scores([reason(70)]) == 70.0
    assert combine_scores([reason(70), reason(21)]) == 76.3
    assert combine_scores([reason(100), reason(50)]) == 100.0
    assert combine_scores([]) == 0.0


def test_severity_bands() -> None:
    bands = SeverityBands(medium=40, high=60, critical=80)
    assert severity_for(39.9, bands) is None
    assert severity_for(40, bands) == "medium"
    assert severity_for(60, bands) == "high"
    assert severity_for(80, bands) == "critical"


def test_contract_example_listing_gives_a_critical_listing_alert() -> None:
    config = load_rules()
    detector = Detector(CompiledRules.build(config), DictSellerStore(), lambda: NOW)
    listing = parse_listing(example("listing_created.json"))
    alerts = detector.on_listing(listing).alerts
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.level == "listing"
    assert alert.severity == "critical"
    assert (alert.seller_id, alert.listing_id, alert.trigger_event_id) == (
        "S-42",
        "L-1001",
        "evt-0001",
    )
    assert alert.event_time == listing.event_time
    assert alert.alert_time == NOW
    assert alert.rules_version == config.version
    assert alert.ring_id is None
    assert alert.member_seller_ids == []
    # as in the contract's alert example: the price, then the unauthorised bulk
    # stock; and the weak prior of a Shenzhen dispatch for electronics
    assert [r.rule for r in alert.reasons] == [
        "price_far_below_reference",
        "new_seller_bulk_unauthorised_brand",
        "hotspot_region",
    ]
    assert alert.risk_score == combine_scores(alert.reasons)
    # the published shape validates against the contract's Alert model
    assert Alert.model_validate_json(alert.model_dump_json()) == alert


def test_reasons_are_ordered_strongest_first() -> None:
    config = load_rules()
    listing = parse_listing(example("listing_created.json")).model_copy(
        update={"title": "Samsung replica SSD"}
    )
    reasons = evaluate_listing(listing, CompiledRules.build(config))
    assert [r.rule for r in reasons] == ["price_far_below_reference", "counterfeit_vocabulary"]
    assert reasons[0].score >= reasons[1].score


def test_seller_alert_id_names_seller_severity_and_cooldown_window() -> None:
    first = seller_alert_id("S-1", "high", 20_400, "v1")
    assert first == seller_alert_id("S-1", "high", 20_400, "v1")
    others = {
        seller_alert_id("S-2", "high", 20_400, "v1"),
        seller_alert_id("S-1", "critical", 20_400, "v1"),
        seller_alert_id("S-1", "high", 20_401, "v1"),
        seller_alert_id("S-1", "high", 20_400, "v2"),
    }
    assert first not in others
    assert len(others) == 4


def _young_shop_listing() -> ListingEvent:
    return ListingEvent.model_validate(
        {
            "event_id": "l-1",
            "event_type": "listing_created",
            "event_time": datetime(2026, 11, 22, 10, 30, tzinfo=UTC),
            "listing_id": "L-1",
            "seller_id": "S-1",
            "title": "plain cotton t-shirt",
            "category": "apparel/tshirts",
            "price": 30.0,
            "currency": "CNY",
            "quantity": 300,
            "seller": {"registered_at": datetime(2026, 11, 15, tzinfo=UTC)},
        }
    )


def _orders_then_counterfeit_refunds() -> list[OrderEvent]:
    events = []
    for n in range(13):
        refund = n >= 10
        events.append(
            OrderEvent.model_validate(
                {
                    "event_id": f"o-{n}",
                    "event_type": "order_refunded" if refund else "order_placed",
                    "event_time": datetime(2026, 11, 22, 10, n, tzinfo=UTC),
                    "order_id": f"O-{n}",
                    "listing_id": "L-1",
                    "seller_id": "S-1",
                    "buyer_id": f"B-{n}",
                    "quantity": 1,
                    "unit_price": 30.0,
                    "currency": "CNY",
                    "reason": "counterfeit" if refund else None,
                }
            )
        )
    return events


def test_a_seller_alert_has_the_same_id_whichever_topic_was_read_first() -> None:
    """Listings and orders are read independently: the event that tips a seller over
    a band depends on how the two interleave, its alert's id does not."""

    def critical_alert(listing_first: bool) -> Alert:
        detector = Detector(CompiledRules.build(load_rules()), DictSellerStore(), lambda: NOW)
        listing, orders = _young_shop_listing(), _orders_then_counterfeit_refunds()
        alerts: list[Alert] = []
        if listing_first:
            alerts += detector.on_listing(listing).alerts
        for order in orders:
            alerts += detector.on_order(order).alerts
        if not listing_first:
            alerts += detector.on_listing(listing).alerts
        (critical,) = [a for a in alerts if a.level == "seller" and a.severity == "critical"]
        return critical

    listing_first, orders_first = critical_alert(True), critical_alert(False)
    assert listing_first.trigger_event_id == "o-12"  # the third counterfeit refund
    assert orders_first.trigger_event_id == "l-1"  # the listing with the stock
    assert listing_first.alert_id == orders_first.alert_id
