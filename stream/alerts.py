"""Alert identity: deterministic ids (alerts themselves are built by the detector)."""

from __future__ import annotations

import hashlib

from schemas.events import AlertLevel


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
