"""Building alerts: deterministic ids, scores, severities (no Faust here)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from schemas import Alert, ListingEvent, Reason
from schemas.events import AlertLevel
from stream.rules.config import RulesConfig
from stream.scoring import combine_scores, severity_for


def alert_id(
    level: AlertLevel,
    seller_id: str,
    trigger_event_id: str,
    rules_version: str,
    listing_id: str | None = None,
) -> str:
    """A stable id: the same input under the same rules always gives the same id.

    Subscribers de-duplicate on it, since the monitor delivers at least once
    and may re-process an event after a restart.
    """
    material = "\x1f".join((level, seller_id, listing_id or "", trigger_event_id, rules_version))
    return "a-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]


def listing_alert(
    listing: ListingEvent, reasons: list[Reason], rules: RulesConfig, now: datetime
) -> Alert | None:
    """A listing-level alert for ``listing``, or None when the evidence is below ``medium``.

    Args:
        listing: The event that was judged.
        reasons: The reasons that fired, strongest first.
        rules: The rules configuration (severity bands and version).
        now: The emission time (timezone-aware).
    """
    if not reasons:
        return None
    score = combine_scores(reasons)
    severity = severity_for(score, rules.severity)
    if severity is None:
        return None
    return Alert(
        alert_id=alert_id(
            "listing", listing.seller_id, listing.event_id, rules.version, listing.listing_id
        ),
        alert_time=now,
        event_time=listing.event_time,
        trigger_event_id=listing.event_id,
        level="listing",
        seller_id=listing.seller_id,
        listing_id=listing.listing_id,
        risk_score=score,
        severity=severity,
        reasons=reasons,
        rules_version=rules.version,
    )
