"""Alert identity: deterministic ids (alerts themselves are built by the detector)."""

from __future__ import annotations

import hashlib

from schemas.events import AlertLevel, Severity


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


def seller_alert_id(seller_id: str, severity: Severity, window: int, rules_version: str) -> str:
    """The id of a seller-level alert: the seller, its severity and its cool-down window.

    ``window`` numbers the cool-down periods of event time (event minute //
    cool-down minutes). Suppression allows one alert per seller and severity
    per cool-down, so this names it without saying which of the seller's
    events (a listing or an order, whichever the worker happened to read
    first) tipped it over: two runs over the same input give the same ids.
    """
    material = "\x1f".join(("seller", seller_id, severity, str(window), rules_version))
    return "a-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]
