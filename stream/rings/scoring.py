"""A ring's reasons: one pure function per signal, the figures named in its message.

Only :func:`flagged_members` is evidence: the members' own alerts. Size,
spread and links (``ring_size``, ``ring_provinces``, ``ring_links``) are
context (``[evidence] context_rules``): a franchise of authorised stores that
shares one payout account, or shops an agency runs from one device, have
plenty of them and stay below ``high``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from schemas import Reason
from stream.pipeline.policy import BANDS
from stream.rules.config import LinkKind, RingPolicy

FLAGGED_RULE = "ring_flagged_members"
SIZE_RULE = "ring_size"
PROVINCES_RULE = "ring_provinces"
LINKS_RULE = "ring_links"

# How a link kind is named in a reason, singular and plural.
KIND_WORDS: dict[LinkKind, tuple[str, str]] = {
    "payout_account": ("payout account", "payout accounts"),
    "phone": ("phone", "phones"),
    "tracking": ("reused tracking number", "reused tracking numbers"),
    "resale": ("resale chain", "resale chains"),
    "device": ("shared device", "shared devices"),
    "return_address": ("shared return address", "shared return addresses"),
}


@dataclass
class RingView:
    """What a ring's score is read from.

    Attributes:
        members: Every member's seller id.
        provinces: The provinces its members are registered in.
        statuses: Member to (score, band) of its own strongest alert.
        hard: Hard identifiers that join the ring, by kind.
        soft: Soft identifiers shared by at least two members, by kind.
    """

    members: list[str]
    provinces: set[str] = field(default_factory=set)
    statuses: dict[str, tuple[float, int]] = field(default_factory=dict)
    hard: Counter[LinkKind] = field(default_factory=Counter)
    soft: Counter[LinkKind] = field(default_factory=Counter)


def describe_links(view: RingView) -> str:
    """``3 payout accounts and 41 reused tracking numbers; 2 shared devices``."""

    def phrase(counts: Counter[LinkKind]) -> str:
        parts = [
            f"{n} {KIND_WORDS[kind][0 if n == 1 else 1]}"
            for kind, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    return "; ".join(phrase(c) for c in (view.hard, view.soft) if c)


def flagged_members(view: RingView, policy: RingPolicy) -> Reason | None:
    """Members whose own alerts reached the flag band: the evidence a ring has."""
    flag = BANDS[policy.member_flag_severity]
    flagged = {m: s for m, (s, band) in view.statuses.items() if band >= flag}
    if not flagged:
        return None
    strongest = max(flagged.values())
    enough = len(flagged) >= policy.min_flagged_members
    score = strongest if enough else strongest * policy.single_flagged_factor
    return Reason(
        rule=FLAGGED_RULE,
        score=round(min(100.0, score), 1),
        message=(
            f"{len(flagged)} of {len(view.members)} members flagged (strongest {strongest:.0f})"
        ),
        evidence={
            "flagged": len(flagged),
            "members": len(view.members),
            "strongest_member_score": round(strongest, 1),
        },
    )


def ring_size(view: RingView, policy: RingPolicy) -> Reason | None:
    n = len(view.members)
    if n < policy.size_min_members:
        return None
    return Reason(
        rule=SIZE_RULE,
        score=round(min(policy.size_score_max, policy.size_score_per_member * n), 1),
        message=f"{n} linked shops",
        evidence={"members": n},
    )


def ring_provinces(view: RingView, policy: RingPolicy) -> Reason | None:
    n = len(view.provinces)
    if n < policy.provinces_min:
        return None
    return Reason(
        rule=PROVINCES_RULE,
        score=round(min(policy.provinces_score_max, policy.province_score * n), 1),
        message=f"registered in {n} provinces",
        evidence={"provinces": n},
    )


def ring_links(view: RingView, policy: RingPolicy) -> Reason | None:
    total = sum(view.hard.values()) + sum(view.soft.values())
    if not total:
        return None
    return Reason(
        rule=LINKS_RULE,
        score=round(min(policy.links_score_max, policy.link_score_per_identifier * total), 1),
        message=f"linked by {describe_links(view)}",
        evidence={"hard": dict(sorted(view.hard.items())), "soft": dict(sorted(view.soft.items()))},
    )


SIGNALS = (flagged_members, ring_size, ring_provinces, ring_links)


def ring_reasons(view: RingView, policy: RingPolicy) -> list[Reason]:
    """Every signal that holds for the ring, strongest first."""
    found = [signal(view, policy) for signal in SIGNALS]
    return sorted((r for r in found if r is not None), key=lambda r: r.score, reverse=True)
