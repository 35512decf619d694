"""Step 1 of ring linking, on the seller's partition: which identifiers a seller's
event names that were not announced yet, and whether its own risk band rose.

Only new (identifier, seller) pairs travel: the seller's state remembers what
it announced, so a seller costs a few messages in its lifetime (its profile's
identifiers, one per brand it lists, one per resale chain), plus one per order
that carries a tracking number when tracking links are on (each number is new
until someone reuses it).
"""

from __future__ import annotations

from schemas import Alert, ListingEvent, OrderEvent
from stream.pipeline.policy import BANDS
from stream.rings.messages import Announcement, MemberStatus, identifier_key
from stream.rules.config import LinkKind, RingPolicy
from stream.stats.state import SellerState

PROFILE_FIELDS: tuple[tuple[LinkKind, str], ...] = (
    ("phone", "phone_hash"),
    ("payout_account", "payout_account_hash"),
    ("device", "device_hash"),
    ("return_address", "return_address_hash"),
)


def province_of(code: str | None) -> str | None:
    """``COUNTRY/Province`` of a location code, or None without a province."""
    if not code:
        return None
    parts = code.split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 else None


def resale_value(buyer_id: str, brand: str) -> str:
    """The identifier of a resale chain: a buyer and the brand it buys and lists."""
    return f"{buyer_id}|{brand}"


class Announcer:
    """Turns a seller's events into announcements and member statuses."""

    def __init__(self, policy: RingPolicy) -> None:
        self.policy = policy
        self.kinds = frozenset(policy.hard_links) | frozenset(policy.soft_links)
        self.flag_band = BANDS[policy.member_flag_severity]

    def _new(
        self,
        state: SellerState,
        kind: LinkKind,
        value: str,
        seller_id: str,
        event_id: str,
        at: int,
        remember: bool = True,
    ) -> Announcement | None:
        if kind not in self.kinds:
            return None
        if remember and not state.announce(identifier_key(kind, value)):
            return None
        return Announcement(
            kind, value, seller_id, at, province_of(state.registered_origin), event_id
        )

    def on_listing(
        self, state: SellerState, listing: ListingEvent, brand: str | None, at: int
    ) -> list[Announcement]:
        """The profile's identifiers, and the listing's brand as a reseller's end of a chain."""
        if not self.policy.enabled:
            return []
        found: list[Announcement | None] = []
        profile = listing.seller
        if profile is not None:
            for kind, name in PROFILE_FIELDS:
                value = getattr(profile, name)
                if value:
                    found.append(
                        self._new(state, kind, value, listing.seller_id, listing.event_id, at)
                    )
        if brand is not None and listing.event_type != "listing_removed":
            value = resale_value(listing.seller_id, brand)
            found.append(self._new(state, "resale", value, listing.seller_id, listing.event_id, at))
        return [a for a in found if a is not None]

    def on_order(
        self, state: SellerState, order: OrderEvent, brand: str | None, at: int
    ) -> list[Announcement]:
        """A tracking number, and a buyer who keeps buying one brand (a supplier's end)."""
        if not self.policy.enabled or order.event_type != "order_placed":
            return []
        found: list[Announcement | None] = []
        if order.tracking_hash:
            # never remembered: every number is new, and a replay is ignored upstream
            found.append(
                self._new(
                    state, "tracking", order.tracking_hash, order.seller_id, order.event_id, at,
                    remember=False,
                )
            )  # fmt: skip
        if brand is not None and order.buyer_id != order.seller_id and "resale" in self.kinds:
            value = resale_value(order.buyer_id, brand)
            if state.count_repeat_buy(value) == self.policy.resale_min_orders:
                found.append(self._new(state, "resale", value, order.seller_id, order.event_id, at))
        return [a for a in found if a is not None]

    def on_alerts(
        self, state: SellerState, seller_id: str, alerts: list[Alert], event_id: str, at: int
    ) -> MemberStatus | None:
        """The seller's status when its own alerts reach a band above the one announced."""
        if not self.policy.enabled or not alerts:
            return None
        strongest = max(alerts, key=lambda a: (BANDS[a.severity], a.risk_score))
        band = BANDS[strongest.severity]
        if band <= state.ring_band:
            return None
        state.ring_band = band
        return MemberStatus(
            seller_id,
            strongest.risk_score,
            band,
            province_of(state.registered_origin),
            event_id,
            at,
        )
