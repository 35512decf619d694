"""Alert building: deterministic ids, score combination, severity bands."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas import Alert, Reason, parse_listing
from stream.alerts import alert_id
from stream.detector import Detector, DictSellerStore
from stream.rules import CompiledRules, evaluate_listing, load_rules
from stream.rules.config import SeverityBands
from stream.scoring import combine_scores, severity_for
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
