"""Combining rule reasons into one risk score and a severity band."""

from __future__ import annotations

from collections.abc import Iterable

from schemas import Reason
from schemas.events import Severity
from stream.rules.config import SeverityBands


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
