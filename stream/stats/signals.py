"""Seller-level signals read from a :class:`~stream.stats.state.SellerState`.

Each function returns a :class:`schemas.Reason` when its signal is present.
They are pure and cheap: a few window sums over at most ~160 small buckets.
"""

from __future__ import annotations

from collections import Counter as Tally
from statistics import median

from schemas import Reason
from stream.rules.config import SellerPolicy
from stream.stats.state import DAY_MINUTES, Counter, SellerState

COMPLAINTS_RULE = "counterfeit_complaints"
MISMATCH_RULE = "dispatch_mismatch_rate"
FLAGGED_RULE = "repeatedly_flagged_listings"
DISCOUNT_RULE = "branded_discount_profile"
YOUNG_STOCK_RULE = "young_account_bulk_stock"
LISTING_VELOCITY_RULE = "listing_velocity"
ORDER_VELOCITY_RULE = "order_velocity"
BUYERS_RULE = "buyer_concentration"
DISPATCH_POINTS_RULE = "many_dispatch_points"

WEEK = 7 * DAY_MINUTES


def _scale(value: float, low: float, high: float, score_low: float, score_high: float) -> float:
    """Linear score between two points, clamped at both ends."""
    if high <= low:
        return score_high
    fraction = min(1.0, max(0.0, (value - low) / (high - low)))
    return round(score_low + (score_high - score_low) * fraction, 1)


def counterfeit_complaints(
    week: list[int], recent: list[int], policy: SellerPolicy
) -> Reason | None:
    """Share of orders refunded or disputed as counterfeit, over 7 days or the last 2.

    The shorter window catches a share that is growing: complaints lag their
    orders, so over a week a rising share is diluted by the quiet early days.
    """
    best: tuple[float, int, int, str] | None = None
    for window, label in ((week, "7 days"), (recent, "the last 2 days")):
        orders, complaints = window[Counter.ORDERS], window[Counter.CF_COMPLAINTS]
        if orders < policy.complaints_min_orders or complaints < policy.complaints_min_count:
            continue
        share = complaints / orders
        if share >= policy.complaints_share and (best is None or share > best[0]):
            best = (share, complaints, orders, label)
    if best is None:
        return None
    share, complaints, orders, label = best
    score = _scale(
        share,
        policy.complaints_share,
        policy.complaints_share_max,
        policy.complaints_score_min,
        policy.complaints_score_max,
    )
    return Reason(
        rule=COMPLAINTS_RULE,
        score=score,
        message=(
            f"{complaints} of {orders} orders in {label} ({share:.0%}) were refunded or "
            f"disputed as counterfeit (threshold {policy.complaints_share:.0%})"
        ),
        evidence={
            "complaints": complaints,
            "orders": orders,
            "share": round(share, 3),
            "window": label,
        },
    )


def dispatch_mismatch_rate(
    week: list[int], state: SellerState, policy: SellerPolicy
) -> Reason | None:
    """Share of the week's orders scanned by the carrier in another region than declared."""
    known, mismatched = week[Counter.ORIGIN_KNOWN], week[Counter.MISMATCHED]
    if known < policy.mismatch_min_orders:
        return None
    share = mismatched / known
    if share < policy.mismatch_share:
        return None
    score = _scale(
        share, policy.mismatch_share, 1.0, policy.mismatch_score_min, policy.mismatch_score_max
    )
    declared = sorted({m.declared_origin for m in state.listings.values() if m.declared_origin})
    declared_text = ", ".join(declared[:3]) or state.registered_origin or "unknown"
    scanned = sorted(state.origins, key=state.origins.__getitem__, reverse=True)[:3]
    return Reason(
        rule=MISMATCH_RULE,
        score=score,
        message=(
            f"{mismatched} of {known} orders in 7 days ({share:.0%}) were dispatched from "
            f"{', '.join(scanned)} while the seller declares {declared_text}"
        ),
        evidence={
            "mismatched": mismatched,
            "orders": known,
            "share": round(share, 3),
            "declared": declared[:3] or [state.registered_origin],
            "scanned": scanned,
        },
    )


def repeatedly_flagged_listings(week: list[int], policy: SellerPolicy) -> Reason | None:
    """Listings of this seller that the per-listing rules flagged within 7 days."""
    flagged = week[Counter.FLAGGED_LISTINGS]
    if flagged < policy.flagged_listings_min:
        return None
    score = min(
        policy.flagged_listings_score_max,
        policy.flagged_listings_score_min
        + policy.flagged_listings_score_step * (flagged - policy.flagged_listings_min),
    )
    listings = week[Counter.LISTINGS]
    return Reason(
        rule=FLAGGED_RULE,
        score=round(score, 1),
        message=(
            f"{flagged} of the seller's listings were flagged by the listing rules in 7 days "
            f"({listings} listing events)"
        ),
        evidence={"flagged": flagged, "listings": listings},
    )


def branded_discount_profile(
    week: list[int], state: SellerState, policy: SellerPolicy
) -> Reason | None:
    """The seller's branded new listings sit, on median, far below their references."""
    ratios = [ratio for _, ratio in state.price_ratios]
    if len(ratios) < policy.discount_min_listings:
        return None
    typical = median(ratios)
    if typical >= policy.discount_median_ratio:
        return None
    branded, listings = week[Counter.BRANDED], week[Counter.LISTINGS]
    return Reason(
        rule=DISCOUNT_RULE,
        score=policy.discount_score,
        message=(
            f"{branded} of {listings} listings in 7 days are branded; the median of the last "
            f"{len(ratios)} branded prices is {typical:.0%} of the reference"
        ),
        evidence={
            "branded": branded,
            "listings": listings,
            "median_ratio": round(typical, 3),
            "sample": len(ratios),
        },
    )


def young_account_bulk_stock(state: SellerState, policy: SellerPolicy) -> Reason | None:
    """A young account holding a large stock across its listings (context).

    When no active listing is of a brand the seller is not authorised for (a
    new authorised shop stocking up, or unbranded goods), the score is
    multiplied by ``young_account_authorised_factor``.
    """
    if state.registered_minute is None:
        return None
    age_days = (state.last_minute - state.registered_minute) / DAY_MINUTES
    if age_days >= policy.young_account_days:
        return None
    units = state.units_in_stock()
    if units < policy.young_account_min_units:
        return None
    score = _scale(
        units,
        policy.young_account_min_units,
        policy.young_account_full_units,
        policy.young_account_score_min,
        policy.young_account_score_max,
    )
    unauthorised = state.unauthorised_units()
    message = f"Account registered {age_days:.0f} days ago holds {units} units in stock"
    if unauthorised:
        message += f", {unauthorised} of brands it is not authorised for"
    else:
        score = round(score * policy.young_account_authorised_factor, 1)
        message += ", all unbranded or of brands it is authorised for"
    return Reason(
        rule=YOUNG_STOCK_RULE,
        score=score,
        message=message,
        evidence={
            "account_age_days": round(age_days, 1),
            "units_in_stock": units,
            "unauthorised_units": unauthorised,
        },
    )


def _velocity(
    state: SellerState,
    day: list[int],
    week: list[int],
    counter: Counter,
    minimum: int,
    rule: str,
    noun: str,
    policy: SellerPolicy,
) -> Reason | None:
    history = state.history_days()
    if history < policy.velocity_min_history_days or day[counter] < minimum:
        return None
    earlier_days = max(1.0, history - 1.0)
    baseline = max(1.0, (week[counter] - day[counter]) / earlier_days)
    factor = day[counter] / baseline
    if factor < policy.velocity_factor:
        return None
    return Reason(
        rule=rule,
        score=policy.velocity_score,
        message=(
            f"{day[counter]} {noun} in 24 hours against a baseline of {baseline:.1f} a day "
            f"({factor:.1f}x)"
        ),
        evidence={"last_24h": day[counter], "baseline_per_day": round(baseline, 2)},
    )


def buyer_concentration(state: SellerState, policy: SellerPolicy) -> Reason | None:
    """One buyer accounts for a large share of the seller's recent orders."""
    total = len(state.orders)
    if total < policy.buyers_min_orders:
        return None
    buyers = Tally([buyer for _, buyer in state.orders])
    top_count = max(buyers.values())
    share = top_count / total
    if share < policy.buyers_top_share:
        return None
    score = _scale(
        share,
        policy.buyers_top_share,
        policy.buyers_top_share_max,
        policy.buyers_score_min,
        policy.buyers_score_max,
    )
    return Reason(
        rule=BUYERS_RULE,
        score=score,
        message=(
            f"One buyer placed {top_count} of the seller's last {total} orders ({share:.0%}); "
            f"{len(buyers)} distinct buyers"
        ),
        evidence={"top_buyer_orders": top_count, "orders": total, "distinct_buyers": len(buyers)},
    )


def many_dispatch_points(state: SellerState, policy: SellerPolicy) -> Reason | None:
    """Orders leave from many distinct places within a week."""
    points = len(state.origins)
    if points < policy.dispatch_points_min:
        return None
    return Reason(
        rule=DISPATCH_POINTS_RULE,
        score=policy.dispatch_points_score,
        message=f"Orders in 7 days left from {points} distinct dispatch points",
        evidence={"dispatch_points": sorted(state.origins)},
    )


def seller_reasons(state: SellerState, policy: SellerPolicy) -> list[Reason]:
    """Every seller-level signal present in ``state``, strongest first."""
    day = state.window(DAY_MINUTES)
    week = state.window(WEEK)
    candidates = (
        counterfeit_complaints(week, state.window(2 * DAY_MINUTES), policy),
        dispatch_mismatch_rate(week, state, policy),
        repeatedly_flagged_listings(week, policy),
        branded_discount_profile(week, state, policy),
        young_account_bulk_stock(state, policy),
        _velocity(
            state,
            day,
            week,
            Counter.LISTINGS,
            policy.velocity_min_listings,
            LISTING_VELOCITY_RULE,
            "listings",
            policy,
        ),
        _velocity(
            state,
            day,
            week,
            Counter.ORDERS,
            policy.velocity_min_orders,
            ORDER_VELOCITY_RULE,
            "orders",
            policy,
        ),
        buyer_concentration(state, policy),
        many_dispatch_points(state, policy),
    )
    reasons = [reason for reason in candidates if reason is not None]
    reasons.sort(key=lambda r: r.score, reverse=True)
    return reasons
