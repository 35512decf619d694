"""Per-listing rules: plain functions of one listing and the compiled rules.

Each returns a :class:`schemas.Reason` when it fires, else ``None``. They hold
no state and never import Faust, so they are unit-tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import ListingEvent, Reason
from stream.rules.config import PricePolicy, RulesConfig, VocabularyPolicy
from stream.rules.matching import BrandIndex, Catalog, Lexicon
from stream.rules.text import normalize

PRICE_RULE = "price_far_below_reference"
VOCABULARY_RULE = "counterfeit_vocabulary"


@dataclass(frozen=True)
class CompiledRules:
    """Everything the listing rules need, built once per rules file."""

    config: RulesConfig
    brands: BrandIndex
    catalog: Catalog
    lexicon: Lexicon

    @classmethod
    def build(cls, config: RulesConfig) -> CompiledRules:
        return cls(
            config=config,
            brands=BrandIndex.build(config.brands),
            catalog=Catalog.build(config),
            lexicon=Lexicon.build(config.vocabulary.terms, config.vocabulary.ignore_phrases),
        )


def _percent(ratio: float) -> str:
    value = ratio * 100
    return f"{value:.0f}%" if value >= 1 else f"{value:.1f}%"


def _money(amount: float) -> str:
    return f"{amount:.0f}" if amount >= 100 or amount == int(amount) else f"{amount:.2f}"


def listing_brand(listing: ListingEvent, brands: BrandIndex) -> str | None:
    """The brand a listing is for: the declared one if known, else one named in its title."""
    declared = brands.canonical(listing.brand)
    if declared is not None:
        return declared
    return brands.find(normalize(listing.title)) if listing.title else None


def price_far_below_reference(
    listing: ListingEvent, rules: CompiledRules, policy: PricePolicy
) -> Reason | None:
    """Fires when the price is a small fraction of the brand's reference price.

    Honest discounts (30-50% off) stay well above ``policy.ratio_threshold``;
    used and refurbished goods are held to the looser ``ratio_threshold_used``.
    """
    if listing.price is None or listing.currency is None or listing.category is None:
        return None
    brand = listing_brand(listing, rules.brands)
    if brand is None:
        return None
    reference = rules.catalog.reference(brand, listing.category)
    if reference is None:
        return None
    price = rules.catalog.convert(listing.price, listing.currency)
    if price is None:
        return None
    threshold = (
        policy.ratio_threshold if listing.condition == "new" else policy.ratio_threshold_used
    )
    ratio = price / reference.price
    if ratio >= threshold:
        return None
    span = policy.score_at_zero - policy.score_at_threshold
    score = policy.score_at_threshold + span * (1.0 - ratio / threshold)
    ref_ccy = rules.catalog.currency
    shown = f"{_money(listing.price)} {listing.currency}"
    if listing.currency != ref_ccy:
        shown += f" ({_money(price)} {ref_ccy})"
    condition = "" if listing.condition == "new" else f" ({listing.condition})"
    message = (
        f"Price {shown}{condition} is {_percent(ratio)} of the {_money(reference.price)} "
        f"{ref_ccy} reference for {brand} {reference.category}"
    )
    return Reason(
        rule=PRICE_RULE,
        score=round(score, 1),
        message=message,
        evidence={
            "price": listing.price,
            "currency": listing.currency,
            "price_in_reference_currency": round(price, 2),
            "reference": reference.price,
            "reference_currency": ref_ccy,
            "ratio": round(ratio, 3),
            "threshold": threshold,
            "brand": brand,
            "category": reference.category,
            "condition": listing.condition,
        },
    )


def counterfeit_vocabulary(
    listing: ListingEvent, rules: CompiledRules, policy: VocabularyPolicy
) -> Reason | None:
    """Fires when the title, description or image text uses counterfeit wording."""
    found: dict[str, list[str]] = {}
    for field in ("title", "description", "image_text"):
        text = getattr(listing, field)
        if text:
            for term in rules.lexicon.find(normalize(text)):
                found.setdefault(term, []).append(field)
    if not found:
        return None
    score = min(
        policy.score_max,
        policy.score_first_term + policy.score_per_extra_term * (len(found) - 1),
    )
    terms = list(found)
    quoted = ", ".join(f"'{t}'" for t in terms)
    fields = sorted({f for where in found.values() for f in where})
    noun = "term" if len(terms) == 1 else "terms"
    message = f"Counterfeit {noun} {quoted} in the listing's {' and '.join(fields)}"
    return Reason(
        rule=VOCABULARY_RULE,
        score=round(score, 1),
        message=message,
        evidence={"terms": terms, "fields": fields, "count": len(terms)},
    )


def evaluate_listing(listing: ListingEvent, rules: CompiledRules) -> list[Reason]:
    """Run every listing rule; return the reasons that fired, strongest first."""
    if listing.event_type == "listing_removed":
        return []
    reasons = [
        reason
        for reason in (
            price_far_below_reference(listing, rules, rules.config.price),
            counterfeit_vocabulary(listing, rules, rules.config.vocabulary),
        )
        if reason is not None
    ]
    reasons.sort(key=lambda r: r.score, reverse=True)
    return reasons
