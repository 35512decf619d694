"""Judging events with the seller's history: per-event rules and rolling
statistics, scored and alerted on by :mod:`stream.pipeline.policy`.

No Faust here. Seller state comes from a :class:`SellerStore`; the Faust
topology supplies one backed by a changelogged table, tests a plain dict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from schemas import Alert, ListingEvent, OrderEvent, Reason
from schemas.events import AlertLevel, Severity
from stream.pipeline.policy import (
    BANDS,
    alert_id,
    assess,
    has_evidence,
    seller_alert_id,
    should_alert,
)
from stream.rings.announce import Announcer
from stream.rings.messages import Announcement, MemberStatus
from stream.rules.listing_rules import (
    PRODUCT_NAME_RULE,
    CompiledRules,
    PriceCheck,
    compare_price,
    listing_brand,
    price_reason,
    text_reasons,
)
from stream.stats.places import different_region, location_code, within
from stream.stats.reference import ReferenceBook
from stream.stats.signals import seller_reasons
from stream.stats.state import DAY_MINUTES, Counter, ListingMemo, SellerState

UNAUTHORISED_RULE = "new_seller_bulk_unauthorised_brand"
HOTSPOT_LISTING_RULE = "hotspot_region"
DISPATCH_EVENT_RULE = "dispatch_mismatch"
HOTSPOT_SELLER_RULE = "hotspot_dispatch"

# Seller-level signals are re-read after a significant event (one that moves a
# strong signal), else after this many events or minutes of event time: the
# weak, slow signals (velocity, buyer concentration) need no faster reaction.
EVAL_EVERY_EVENTS = 16
EVAL_EVERY_MINUTES = 24 * 60

# Distinct listing texts whose brand and text reasons are remembered (a few MB).
TEXT_MEMO_SIZE = 16_384
TextKey = tuple[str | None, str | None, str | None, str | None, str | None]


class SellerStore(Protocol):
    """Where seller states live between events."""

    def load(self, seller_id: str) -> SellerState:
        """The seller's state (a new, empty one for an unknown seller)."""
        ...

    def save(self, seller_id: str, state: SellerState) -> None:
        """Record that ``state`` changed (the store may write it later, in a batch)."""
        ...


class DictSellerStore:
    """A SellerStore in a plain dict: for tests and offline replays."""

    def __init__(self) -> None:
        self.states: dict[str, SellerState] = {}

    def load(self, seller_id: str) -> SellerState:
        return self.states.setdefault(seller_id, SellerState())

    def save(self, seller_id: str, state: SellerState) -> None:
        self.states[seller_id] = state


def to_minute(moment: datetime) -> int:
    """Whole minutes since the Unix epoch."""
    return int(moment.timestamp()) // 60


@dataclass
class Judgement:
    """What one event produced."""

    alerts: list[Alert] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    counted: bool = True
    suppressed: int = 0
    # for ring linking: identifiers newly seen with the seller, its risk if it rose
    ring: list[Announcement | MemberStatus] = field(default_factory=list)


@dataclass(frozen=True)
class ListingFindings:
    """What the per-listing rules found in one listing, and what it scores."""

    brand: str | None
    check: PriceCheck | None
    authorised: bool
    origin: str | None
    reasons: list[Reason]
    score: float
    severity: Severity | None
    evidence: bool

    @property
    def band(self) -> int:
        return BANDS[self.severity]


class Detector:
    """Applies every rule and statistic to events and decides which alerts to publish."""

    def __init__(
        self,
        rules: CompiledRules,
        store: SellerStore,
        clock: Callable[[], datetime],
    ) -> None:
        self.rules = rules
        self.config = rules.config
        self.store = store
        self.clock = clock
        self.lateness = self.config.statistics.lateness_minutes
        self.watermark = 0  # the latest event minute seen, for expiring silent sellers
        self.references = ReferenceBook(rules.catalog, self.config.reference_learning)
        self._hotspot_cache: dict[tuple[str, str], str | None] = {}
        self._text_memo: dict[TextKey, tuple[str | None, tuple[Reason, ...]]] = {}
        self.cooldown = max(1, int(self.config.alerting.cooldown_hours * 60))
        self.young_minutes = int(self.config.seller.young_account_days * DAY_MINUTES)
        self.announcer = Announcer(self.config.rings)

    # ------------------------------------------------------------- helpers

    def _alert(
        self,
        level: AlertLevel,
        seller_id: str,
        listing_id: str | None,
        event_id: str,
        event_time: datetime,
        score: float,
        severity: Severity,
        reasons: list[Reason],
    ) -> Alert:
        version = self.config.version
        if level == "seller":
            window = to_minute(event_time) // self.cooldown
            identity = seller_alert_id(seller_id, severity, window, version)
        else:
            identity = alert_id(level, seller_id, event_id, version, listing_id)
        return Alert(
            alert_id=identity,
            alert_time=self.clock(),
            event_time=event_time,
            trigger_event_id=event_id,
            level=level,
            seller_id=seller_id,
            listing_id=listing_id,
            risk_score=score,
            severity=severity,
            reasons=reasons,
            rules_version=self.config.version,
        )

    def _read_text(self, listing: ListingEvent) -> tuple[str | None, tuple[Reason, ...]]:
        """The listing's brand and the reasons in its words, remembered by exact text.

        Relists, updates that change only price or stock, and sellers who copy
        titles repeat the same words; reading them again would cost as much as
        the rest of the listing's judgement.
        """
        key = (
            listing.title,
            listing.description,
            listing.image_text,
            listing.brand,
            listing.category,
        )
        known = self._text_memo.get(key)
        if known is None:
            if len(self._text_memo) >= TEXT_MEMO_SIZE:
                del self._text_memo[next(iter(self._text_memo))]  # the oldest entry
            brand = listing_brand(listing, self.rules.brands, self.rules.compatibility)
            known = self._text_memo[key] = (
                brand,
                tuple(text_reasons(listing, self.rules, brand)),
            )
        return known

    def _authorised(self, state: SellerState, brand: str | None) -> bool:
        """Whether the listing is unbranded or of a brand the seller is authorised for."""
        if brand is None:
            return True
        return brand in {self.rules.brands.canonical(b) or b for b in state.authorized_brands}

    def _hotspot_region(self, category: str | None, origin: str | None) -> str | None:
        if not category or not origin:
            return None
        key = (category, origin)
        if key not in self._hotspot_cache:
            if len(self._hotspot_cache) >= 65_536:
                self._hotspot_cache.clear()
            self._hotspot_cache[key] = self._find_hotspot(category, origin)
        return self._hotspot_cache[key]

    def _find_hotspot(self, category: str, origin: str) -> str | None:
        path = category.strip("/")
        for hotspot in self.config.hotspots:
            if path == hotspot.category or path.startswith(hotspot.category + "/"):
                for region in hotspot.regions:
                    if within(origin, region):
                        return region
        return None

    def _update_profile(self, state: SellerState, listing: ListingEvent) -> None:
        profile = listing.seller
        if profile is None:
            return
        if profile.registered_at is not None:
            state.registered_minute = to_minute(profile.registered_at)
        if profile.registered_region is not None:
            state.registered_origin = location_code(profile.registered_region)
        if "authorized_brands" in profile.model_fields_set:
            state.authorized_brands = list(profile.authorized_brands)

    def _unauthorised_bulk(
        self,
        listing: ListingEvent,
        brand: str | None,
        authorised: bool,
        state: SellerState,
        minute: int,
    ) -> Reason | None:
        policy = self.config.unauthorised_brand
        if (
            brand is None
            or authorised
            or listing.condition != "new"
            or listing.quantity is None
            or listing.quantity < policy.min_quantity
            or state.registered_minute is None
        ):
            return None
        age_days = max(0.0, (minute - state.registered_minute) / DAY_MINUTES)
        if age_days >= policy.max_account_age_days:
            return None
        youth = 1.0 - age_days / policy.max_account_age_days
        bulk = min(1.0, listing.quantity / policy.full_quantity)
        score = policy.score_min + (policy.score_max - policy.score_min) * (youth + bulk) / 2
        return Reason(
            rule=UNAUTHORISED_RULE,
            score=round(score, 1),
            message=(
                f"Seller registered {age_days:.0f} days ago lists {listing.quantity} new units "
                f"of {brand}, a brand it is not authorised for"
            ),
            evidence={
                "account_age_days": round(age_days, 1),
                "quantity": listing.quantity,
                "brand": brand,
                "authorized_brands": sorted(state.authorized_brands),
            },
        )

    def _learn_price(
        self,
        listing: ListingEvent,
        brand: str | None,
        authorised: bool,
        state: SellerState,
        minute: int,
    ) -> None:
        """Feed a genuine-looking new listing's price to the learned references."""
        if (
            brand is None
            or listing.condition != "new"
            or listing.category is None
            or listing.price is None
            or listing.currency is None
            or state.alert_band >= BANDS["high"]
        ):
            return
        price = self.rules.catalog.convert(listing.price, listing.currency)
        if price is None:
            return
        policy = self.config.reference_learning
        old_enough = (
            state.registered_minute is not None
            and minute - state.registered_minute >= policy.trusted_account_days * DAY_MINUTES
        )
        self.references.learn(brand, listing.category, price, trusted=authorised or old_enough)

    def _seller_alert(
        self,
        seller_id: str,
        state: SellerState,
        event_id: str,
        event_time: datetime,
        minute: int,
        covered_band: int = 0,
        significant: bool = True,
    ) -> tuple[Alert | None, bool]:
        """The seller-level alert for this event, if any, and whether one was suppressed.

        ``covered_band`` is the band of a listing-level alert this same event
        already produced: the seller alert is published only if it says more
        (a higher band), so one event does not raise two alerts of the same weight.
        Unless ``significant``, the signals are re-read only every
        ``EVAL_EVERY_EVENTS`` events or ``EVAL_EVERY_MINUTES`` minutes.
        """
        state.eval_events += 1
        if (
            not significant
            and state.alert_event != event_id  # a replay re-publishes its alert
            and state.eval_events < EVAL_EVERY_EVENTS
            and minute < state.eval_minute + EVAL_EVERY_MINUTES
        ):
            return None, False
        state.eval_events, state.eval_minute = 0, minute
        state.tidy()
        reasons = seller_reasons(state, self.config.seller)
        if state.listings:
            hot = state.window(7 * DAY_MINUTES)[Counter.HOTSPOT_ORDERS]
            if hot:
                reasons.append(
                    Reason(
                        rule=HOTSPOT_SELLER_RULE,
                        score=self.config.hotspot.score,
                        message=(
                            f"{hot} orders in 7 days were dispatched from a counterfeit "
                            "hot-spot region for their category"
                        ),
                        evidence={"orders": hot},
                    )
                )
        if not reasons:
            return None, False
        score, severity = assess(reasons, self.rules)
        band = BANDS[severity]
        if band == 0:
            return None, False
        if band <= covered_band:
            state.eval_events = EVAL_EVERY_EVENTS  # not said yet: read again next event
            return None, False
        if not should_alert(
            band,
            state.alert_band,
            state.alert_minute,
            state.alert_event,
            minute,
            event_id,
            self.cooldown,
        ):
            return None, band > 0
        if severity is None:
            return None, False
        state.alert_band, state.alert_minute, state.alert_event = band, minute, event_id
        alert = self._alert(
            "seller", seller_id, None, event_id, event_time, score, severity, reasons
        )
        return alert, False

    # -------------------------------------------------------------- events

    def on_listing(self, listing: ListingEvent) -> Judgement:
        """Judge a listing event and fold it into the seller's statistics."""
        state = self.store.load(listing.seller_id)
        minute = self._clock_in(listing.event_time)
        replay = not state.first_sight(listing.event_id)
        self._update_profile(state, listing)
        judgement = Judgement()
        at = int(listing.event_time.timestamp())
        if listing.event_type == "listing_removed":
            self._remove_listing(state, listing, minute, replay)
            judgement.ring.extend(self.announcer.on_listing(state, listing, None, at))
        else:
            findings = self._listing_findings(listing, state, minute)
            judgement.reasons = findings.reasons
            memo = state.listing(listing.listing_id)
            if not replay:
                judgement.counted = self._count_listing(state, memo, listing, findings, minute)
                if judgement.counted and not findings.reasons:
                    self._learn_price(listing, findings.brand, findings.authorised, state, minute)
            covered = self._listing_alert(memo, listing, findings, minute, judgement)
            significant = self._moves_seller_signals(state, listing, findings, minute)
            self._judge_seller(
                state, listing.seller_id, listing.event_id, listing.event_time, minute,
                judgement, covered, significant,
            )  # fmt: skip
            announced = self.announcer.on_listing(state, listing, findings.brand, at)
            self._ring_step(state, listing.seller_id, listing.event_id, at, judgement, announced)
        self.store.save(listing.seller_id, state)
        return judgement

    def _ring_step(
        self,
        state: SellerState,
        seller_id: str,
        event_id: str,
        at: int,
        judgement: Judgement,
        announced: list[Announcement],
    ) -> None:
        """What the event tells ring linking: new identifiers, and the seller's risk if it rose."""
        judgement.ring.extend(announced)
        status = self.announcer.on_alerts(state, seller_id, judgement.alerts, event_id, at)
        if status is not None:
            judgement.ring.append(status)

    # ------------------------------------------------------- listing steps

    def _clock_in(self, moment: datetime) -> int:
        """The event's minute; the watermark follows the latest one seen."""
        minute = to_minute(moment)
        self.watermark = max(self.watermark, minute)
        return minute

    def _remove_listing(
        self, state: SellerState, listing: ListingEvent, minute: int, replay: bool
    ) -> None:
        """A removed listing's stock no longer counts."""
        if replay:
            return
        memo = state.listings.get(listing.listing_id)
        if memo is not None:
            memo.active = 0
        state.advance(minute, self.lateness)

    def _listing_findings(
        self, listing: ListingEvent, state: SellerState, minute: int
    ) -> ListingFindings:
        """Every per-listing rule, with the seller's authorisation and age: the reasons."""
        brand, words = self._read_text(listing)
        check = compare_price(listing, brand, self.rules.catalog, self.references)
        authorised = self._authorised(state, brand)
        origin = location_code(listing.ship_from)
        found = [
            price_reason(listing, check, self.config.price, self.rules.catalog.currency)
            if check is not None
            else None,
            # a product name (a "replica" kit) says nothing when the seller may sell the brand
            *(r for r in words if not (authorised and r.rule == PRODUCT_NAME_RULE)),
            self._unauthorised_bulk(listing, brand, authorised, state, minute),
            self._hotspot_reason(listing.category, origin),
        ]
        reasons = sorted((r for r in found if r is not None), key=lambda r: r.score, reverse=True)
        score, severity = assess(reasons, self.rules)
        return ListingFindings(
            brand, check, authorised, origin, reasons, score, severity,
            has_evidence(reasons, self.rules),
        )  # fmt: skip

    def _hotspot_reason(self, category: str | None, origin: str | None) -> Reason | None:
        region = self._hotspot_region(category, origin)
        if region is None:
            return None
        return Reason(
            rule=HOTSPOT_LISTING_RULE,
            score=self.config.hotspot.score,
            message=f"Ships from {origin}, a counterfeit hot-spot region ({region}) for {category}",
            evidence={"ship_from": origin, "region": region},
        )

    def _count_listing(
        self,
        state: SellerState,
        memo: ListingMemo,
        listing: ListingEvent,
        findings: ListingFindings,
        minute: int,
    ) -> bool:
        """Fold the listing into the seller's statistics; False if too late to count."""
        counted = state.advance(minute, self.lateness)
        memo.declared_origin = findings.origin or memo.declared_origin
        memo.quantity = listing.quantity if listing.quantity is not None else memo.quantity
        memo.category = listing.category
        memo.active = 1
        memo.unauthorised = 0 if findings.authorised else 1
        memo.brand = findings.brand
        if not counted:
            return False
        state.add(minute, Counter.LISTINGS)
        if findings.brand is not None:
            state.add(minute, Counter.BRANDED)
        if findings.check is not None and listing.condition == "new":
            state.add_price_ratio(minute, findings.check.ratio)
        flagged = findings.band >= BANDS["medium"] and findings.evidence
        if flagged and memo.alert_band == 0:  # count each listing once
            state.add(minute, Counter.FLAGGED_LISTINGS)
        return True

    def _listing_alert(
        self,
        memo: ListingMemo,
        listing: ListingEvent,
        findings: ListingFindings,
        minute: int,
        judgement: Judgement,
    ) -> int:
        """The listing-level alert, unless suppressed; returns the band it covers (0: none)."""
        if findings.severity is None:
            return 0
        if not should_alert(
            findings.band,
            memo.alert_band,
            memo.alert_minute,
            memo.alert_event,
            minute,
            listing.event_id,
            self.cooldown,
        ):
            judgement.suppressed += 1
            return 0
        memo.alert_band, memo.alert_minute = findings.band, minute
        memo.alert_event = listing.event_id
        judgement.alerts.append(
            self._alert(
                "listing",
                listing.seller_id,
                listing.listing_id,
                listing.event_id,
                listing.event_time,
                findings.score,
                findings.severity,
                findings.reasons,
            )
        )
        return findings.band

    def _moves_seller_signals(
        self, state: SellerState, listing: ListingEvent, findings: ListingFindings, minute: int
    ) -> bool:
        """Whether the seller signals must be read now, not at the periodic re-read.

        Evidence, a new profile, or bulk stock on a young account can move a
        strong signal; context and ordinary listings wait.
        """
        return (
            findings.evidence
            or listing.seller is not None
            or (
                (listing.quantity or 0) >= self.config.unauthorised_brand.min_quantity
                and state.registered_minute is not None
                and minute - state.registered_minute < self.young_minutes
            )
        )

    def _judge_seller(
        self,
        state: SellerState,
        seller_id: str,
        event_id: str,
        event_time: datetime,
        minute: int,
        judgement: Judgement,
        covered_band: int = 0,
        significant: bool = True,
    ) -> None:
        """The seller-level step of any event: its alert (or suppression) into ``judgement``."""
        alert, suppressed = self._seller_alert(
            seller_id, state, event_id, event_time, minute, covered_band, significant
        )
        if alert is not None:
            judgement.alerts.append(alert)
        judgement.suppressed += int(suppressed)

    # -------------------------------------------------------------- orders

    def on_order(self, order: OrderEvent) -> Judgement:
        """Fold an order, refund or dispute into the seller's statistics and judge the seller."""
        state = self.store.load(order.seller_id)
        minute = self._clock_in(order.event_time)
        judgement = Judgement()
        at = int(order.event_time.timestamp())
        announced: list[Announcement] = []
        if state.first_sight(order.event_id):
            judgement.counted = state.advance(minute, self.lateness, stream=1)
            if judgement.counted:
                self._count_order(state, order, minute, judgement)
            memo = state.listings.get(order.listing_id)
            announced = self.announcer.on_order(state, order, memo.brand if memo else None, at)
        significant = order.event_type != "order_placed" or bool(judgement.reasons)
        self._judge_seller(
            state, order.seller_id, order.event_id, order.event_time, minute,
            judgement, significant=significant,
        )  # fmt: skip
        self._ring_step(state, order.seller_id, order.event_id, at, judgement, announced)
        self.store.save(order.seller_id, state)
        return judgement

    def _count_order(
        self, state: SellerState, order: OrderEvent, minute: int, judgement: Judgement
    ) -> None:
        if order.event_type != "order_placed":
            state.add(minute, Counter.COMPLAINTS)
            if order.reason == "counterfeit":
                state.add(minute, Counter.CF_COMPLAINTS)
            return
        state.add(minute, Counter.ORDERS)
        state.add(minute, Counter.UNITS_SOLD, order.quantity or 1)
        state.add_order(minute, order.buyer_id)
        scanned = location_code(order.ship_from)
        if scanned is None:
            return
        state.add_origin(minute, scanned)
        memo = state.listings.get(order.listing_id)
        declared = (memo.declared_origin if memo else None) or state.registered_origin
        if declared is not None:
            state.add(minute, Counter.ORIGIN_KNOWN)
            if different_region(declared, scanned):
                state.add(minute, Counter.MISMATCHED)
                judgement.reasons.append(
                    Reason(
                        rule=DISPATCH_EVENT_RULE,
                        score=self.config.seller.dispatch_event_score,
                        message=f"Order dispatched from {scanned}; the seller declares {declared}",
                        evidence={"declared": declared, "scanned": scanned},
                    )
                )
        if memo is not None and self._hotspot_region(memo.category, scanned) is not None:
            state.add(minute, Counter.HOTSPOT_ORDERS)
