"""The alert policy: scores, severity bands, evidence before severity,
suppression and alert identity.

Everything that decides *whether* and *as what* an alert is published, apart
from the rules and statistics that produce its reasons. Pure functions of
reasons, bands and times; no state of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from schemas import Reason
from schemas.events import AlertLevel, Severity
from stream.rules.config import SeverityBands
from stream.rules.listing_rules import CompiledRules

BANDS: dict[Severity | None, int] = {None: 0, "medium": 1, "high": 2, "critical": 3}
"""Severity bands as ranks (0: no alert), for comparing one alert to the last."""


def combine_scores(reasons: Iterable[Reason]) -> float:
    """Noisy-OR of the reasons' scores, on 0-100.

    Independent pieces of evidence reinforce each other without ever passing
    100: two reasons of 70 and 21 give 76.3, one of 70 alone gives 70.
    """
    clear = 1.0
    for reason in reasons:
        clear *= 1.0 - reason.score / 100.0
    return round(100.0 * (1.0 - clear), 1)


def severity_for(score: float, bands: SeverityBands) -> Severity | None:
    """The severity band of a risk score, or None below the ``medium`` band."""
    if score >= bands.critical:
        return "critical"
    if score >= bands.high:
        return "high"
    if score >= bands.medium:
        return "medium"
    return None


def has_evidence(reasons: Iterable[Reason], rules: CompiledRules) -> bool:
    """Whether any reason is evidence of counterfeiting (not context)."""
    return any(rules.is_evidence(r.rule) for r in reasons)


def assess(reasons: list[Reason], rules: CompiledRules) -> tuple[float, Severity | None]:
    """Combined score and severity; a score without evidence stays below ``high``.

    Context reasons (``[evidence] context_rules``) add to evidence, but however
    many add up on their own they reach ``medium`` at most.
    """
    score = combine_scores(reasons)
    bands = rules.config.severity
    if reasons and score >= bands.high and not has_evidence(reasons, rules):
        score = round(bands.high - 0.1, 1)
    return score, severity_for(score, bands)


def should_alert(
    band: int,
    last_band: int,
    last_minute: int,
    last_event: str | None,
    now: int,
    event_id: str,
    cooldown_minutes: int,
) -> bool:
    """Suppression: alert when the band rises or the cool-down passed; replays re-alert."""
    if band == 0:
        return False
    if last_event == event_id:
        return True  # the same event again: re-publish the same alert (same id)
    return band > last_band or now - last_minute >= cooldown_minutes


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
