"""Per-listing rules: plain functions of one listing and the compiled rules.

Each returns a :class:`schemas.Reason` when it fires, else ``None``. They hold
no state and never import Faust, so they are unit-tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from schemas import ListingEvent, Reason
from stream.rules.config import PricePolicy, RulesConfig, VocabularyPolicy
from stream.rules.matching import BrandHit, BrandIndex, Catalog, Lexicon, Reference, TermHit
from stream.rules.text import analyze, normalize
from stream.rules.wording import Compatibility, Negation, ProductNames

PRICE_RULE = "price_far_below_reference"
VOCABULARY_RULE = "counterfeit_vocabulary"
MISSPELLED_BRAND_RULE = "misspelled_brand"
PRODUCT_NAME_RULE = "product_name_term"
TEXT_FIELDS = ("title", "description", "image_text")


@dataclass(frozen=True)
class CompiledRules:
    """Everything the listing rules need, built once per rules file."""

    config: RulesConfig
    brands: BrandIndex
    catalog: Catalog
    lexicon: Lexicon
    product_names: ProductNames
    compatibility: Compatibility
    context_rules: frozenset[str]

    @classmethod
    def build(cls, config: RulesConfig) -> CompiledRules:
        vocabulary = config.vocabulary
        return cls(
            config=config,
            brands=BrandIndex.build(
                config.brands,
                min_fuzzy_length=config.vocabulary.misspelled_brands.min_length,
                two_edits_from=config.vocabulary.misspelled_brands.two_edits_from,
                not_misspellings=config.vocabulary.misspelled_brands.not_misspellings,
            ),
            catalog=Catalog.build(config),
            lexicon=Lexicon.build(
                config.vocabulary.terms,
                config.vocabulary.ignore_phrases,
                config.vocabulary.aliases,
                min_lookalike_length=config.vocabulary.misspelled_brands.min_length,
                negation=Negation.build(vocabulary.negation),
            ),
            product_names=ProductNames.build(
                vocabulary.product_names, vocabulary.product_name_window
            ),
            compatibility=Compatibility.build(config.compatibility),
            context_rules=frozenset(config.evidence.context_rules),
        )

    def is_evidence(self, rule: str) -> bool:
        """Whether reasons of ``rule`` are evidence of counterfeiting (not context)."""
        return rule not in self.context_rules


def _percent(ratio: float) -> str:
    value = ratio * 100
    return f"{value:.0f}%" if value >= 1 else f"{value:.1f}%"


def _money(amount: float) -> str:
    return f"{amount:.0f}" if amount >= 100 or amount == int(amount) else f"{amount:.2f}"


def listing_brand(
    listing: ListingEvent, brands: BrandIndex, compatibility: Compatibility | None = None
) -> str | None:
    """The brand a listing is for: the declared one if known, else one named in its title.

    Both are recognised through aliases in either language, spacing, look-alike
    characters and near misses (a declared ``Nikee`` or a title naming
    ``Addidas`` is Nike or Adidas); see :class:`BrandIndex`. In an accessory
    category, a brand the title names only as what the accessory fits
    (``适用苹果 iPhone 16 手机壳``) is not the listing's brand; see
    :class:`~stream.rules.wording.Compatibility`.

    Args:
        listing: The listing.
        brands: The compiled brand index.
        compatibility: How accessories name what they fit; None reads every
            brand in the title as the listing's.

    Returns:
        The canonical brand, or None for an unbranded or unknown one.
    """
    declared = brands.canonical(listing.brand)
    if declared is not None:
        return declared
    if not listing.title:
        return None
    if compatibility is None or not compatibility.covers(listing.category):
        return brands.find(listing.title)
    forms = analyze(listing.title)
    named = sorted(
        (m.start(), m.end(), brands.canonical_by_alias[m.group()])
        for m in brands.pattern.finditer(forms.plain)
    )
    if not named:
        return brands.find(forms.plain)
    spans = [(start, end) for start, end, _ in named]
    for start, end, brand in named:
        if not compatibility.fitted(forms, (start, end), spans):
            return brand
    return None


@dataclass(frozen=True)
class PriceCheck:
    """A listing's price set against the reference of its brand and category."""

    brand: str
    reference: Reference
    price: float
    ratio: float


class ReferenceSource(Protocol):
    """Anything that knows reference prices: the catalog, or references learned from it."""

    def reference(self, brand: str, category: str) -> Reference | None:
        """The reference for ``brand`` in ``category`` or its nearest listed parent."""
        ...


def compare_price(
    listing: ListingEvent, brand: str | None, catalog: Catalog, references: ReferenceSource
) -> PriceCheck | None:
    """Compare the price of a listing of ``brand`` to its reference.

    Returns None when there is nothing to compare: no price or category, no
    brand, no reference for the brand in this category (or a parent), or a
    currency without a rate.
    """
    if (
        brand is None
        or listing.price is None
        or listing.currency is None
        or listing.category is None
    ):
        return None
    reference = references.reference(brand, listing.category)
    if reference is None:
        return None
    price = catalog.convert(listing.price, listing.currency)
    if price is None:
        return None
    return PriceCheck(brand, reference, price, price / reference.price)


def price_check(listing: ListingEvent, rules: CompiledRules) -> PriceCheck | None:
    """Compare the price to the catalog reference of the listing's brand (see compare_price)."""
    brand = listing_brand(listing, rules.brands, rules.compatibility)
    return compare_price(listing, brand, rules.catalog, rules.catalog)


def price_reason(
    listing: ListingEvent, check: PriceCheck, policy: PricePolicy, reference_currency: str
) -> Reason | None:
    """The ``price_far_below_reference`` reason for a completed price check, if it fires."""
    threshold = (
        policy.ratio_threshold if listing.condition == "new" else policy.ratio_threshold_used
    )
    ratio = check.ratio
    if ratio >= threshold:
        return None
    span = policy.score_at_zero - policy.score_at_threshold
    score = policy.score_at_threshold + span * (1.0 - ratio / threshold)
    shown = f"{_money(listing.price or 0.0)} {listing.currency}"
    if listing.currency != reference_currency:
        shown += f" ({_money(check.price)} {reference_currency})"
    condition = "" if listing.condition == "new" else f" ({listing.condition})"
    message = (
        f"Price {shown}{condition} is {_percent(ratio)} of the "
        f"{_money(check.reference.price)} {reference_currency} reference for "
        f"{check.brand} {check.reference.category}"
    )
    return Reason(
        rule=PRICE_RULE,
        score=round(score, 1),
        message=message,
        evidence={
            "price": listing.price,
            "currency": listing.currency,
            "price_in_reference_currency": round(check.price, 2),
            "reference": check.reference.price,
            "reference_currency": reference_currency,
            "ratio": round(ratio, 3),
            "threshold": threshold,
            "brand": check.brand,
            "category": check.reference.category,
            "condition": listing.condition,
        },
    )


def price_far_below_reference(
    listing: ListingEvent, rules: CompiledRules, policy: PricePolicy
) -> Reason | None:
    """Fires when the price is a small fraction of the brand's reference price.

    Honest discounts (30-50% off) stay well above ``policy.ratio_threshold``;
    used and refurbished goods are held to the looser ``ratio_threshold_used``.
    """
    check = price_check(listing, rules)
    if check is None:
        return None
    return price_reason(listing, check, policy, rules.catalog.currency)


def _quoted(term: str, written: list[str]) -> str:
    """``'replica'``, or ``'r e p l i c a' (replica)`` for a term written otherwise."""
    shown = ", ".join(f"'{w}'" for w in written)
    if len(written) == 1 and normalize(written[0]) == normalize(term):
        return f"'{term}'"
    return f"{shown} ({term})"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


FieldHit = tuple[str, TermHit]


def term_hits(listing: ListingEvent, rules: CompiledRules) -> tuple[list[FieldHit], list[FieldHit]]:
    """The counterfeit terms a listing uses, and the terms it uses as product names.

    Terms the text denies are in neither (``no replicas``); a term that names
    a genuine product by the words around it or the listing's category
    (``replica jersey``, ``1:1 scale``, ``AAA batteries``) is in the second list.
    """
    counterfeit: list[FieldHit] = []
    product: list[FieldHit] = []
    for field in TEXT_FIELDS:
        text = getattr(listing, field)
        if not text:
            continue
        forms = analyze(text)
        for hit in rules.lexicon.find_hits(forms):
            named = hit.term in rules.product_names and rules.product_names.sense(
                hit.term, forms, (hit.start, hit.end), listing.category
            )
            (product if named else counterfeit).append((field, hit))
    return counterfeit, product


def _terms_found(
    hits: list[FieldHit],
) -> tuple[dict[str, list[str]], dict[str, list[str]], list[dict[str, object]]]:
    """Fields and spellings of each term, and the matches to show as evidence."""
    fields_of: dict[str, list[str]] = {}
    written_of: dict[str, dict[str, None]] = {}
    matches: list[dict[str, object]] = []
    for field, hit in hits:
        where = fields_of.setdefault(hit.term, [])
        if field not in where:
            where.append(field)
        written = written_of.setdefault(hit.term, {})
        if hit.written not in written and len(written) < 3:
            written[hit.written] = None
            matches.append(
                {
                    "term": hit.term,
                    "written": hit.written,
                    "field": field,
                    "evasions": list(hit.evasions),
                }
            )
    return fields_of, {t: list(w) for t, w in written_of.items()}, matches


def _where_said(fields_of: dict[str, list[str]], written_of: dict[str, list[str]]) -> str:
    """``'replica' in the listing's title; 'AAA' in the listing's description``."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for term, where in fields_of.items():
        groups.setdefault(tuple(where), []).append(_quoted(term, written_of[term]))
    return "; ".join(
        f"{_listed(quoted)} in the listing's {' and '.join(where)}"
        for where, quoted in groups.items()
    )


def counterfeit_vocabulary(
    listing: ListingEvent,
    rules: CompiledRules,
    policy: VocabularyPolicy,
    hits: list[FieldHit] | None = None,
) -> Reason | None:
    """Fires when the title, description or image text uses counterfeit wording.

    Terms are found in English and Chinese as listed, through their aliases
    (pinyin ``gaofang`` for ``高仿``), in full-width forms, spaced out
    (``r e p l i c a``, ``高 仿``) and with look-alike characters
    (``r3plica``); see :class:`~stream.rules.matching.Lexicon`. Denied terms
    (``no replicas``, ``非A货``) and product names (``replica jersey``) do not
    count. The message names each term as written and the fields it is in.

    Args:
        listing: The listing.
        rules: The compiled rules.
        policy: The vocabulary weights.
        hits: The counterfeit hits of :func:`term_hits`, if already found.

    Returns:
        The reason, or None when no counterfeit term is used.
    """
    if hits is None:
        hits = term_hits(listing, rules)[0]
    if not hits:
        return None
    fields_of, written_of, matches = _terms_found(hits)
    terms = list(fields_of)
    score = min(
        policy.score_max,
        policy.score_first_term + policy.score_per_extra_term * (len(terms) - 1),
    )
    noun = "term" if len(terms) == 1 else "terms"
    message = f"Counterfeit {noun} " + _where_said(fields_of, written_of)
    fields = sorted({f for where in fields_of.values() for f in where})
    return Reason(
        rule=VOCABULARY_RULE,
        score=round(score, 1),
        message=message,
        evidence={"terms": terms, "fields": fields, "count": len(terms), "matches": matches},
    )


def product_name_term(
    listing: ListingEvent, brand: str, policy: VocabularyPolicy, hits: list[FieldHit]
) -> Reason | None:
    """Context: a lexicon word used as a product's name in a listing of ``brand``.

    ``replica`` beside ``jersey`` is the official fan version of a kit; from a
    seller not authorised for the brand it is worth a look beside other
    evidence, never an alert on its own (the caller drops it for authorised
    sellers).
    """
    if not hits:
        return None
    fields_of, written_of, matches = _terms_found(hits)
    return Reason(
        rule=PRODUCT_NAME_RULE,
        score=policy.product_name_score,
        message=(
            f"Lexicon word {_where_said(fields_of, written_of)} read as a product's name "
            f"(by the words around it or the category), in a listing of {brand}"
        ),
        evidence={"terms": list(fields_of), "brand": brand, "matches": matches},
    )


def misspelled_brand(
    listing: ListingEvent, rules: CompiledRules, policy: VocabularyPolicy
) -> Reason | None:
    """Fires when the title or the brand field alters a known brand's name.

    Counterfeiters write ``Nikee``, ``Addidas``, ``Louis Vuiton`` or ``N1ke``
    so that brand filters miss the listing while buyers still read the brand.
    Spaced-out names (``N I K E``) and plurals do not count; short aliases
    (``LV``) must match exactly; real words one edit from a brand are listed
    in ``misspelled_brands.not_misspellings``. Image text is left out: OCR
    misreads letters by itself.

    Args:
        listing: The listing.
        rules: The compiled rules.
        policy: The vocabulary policy (its ``misspelled_brands`` section).

    Returns:
        The reason, or None when every brand is written as listed.
    """
    found: list[tuple[str, BrandHit]] = []
    if listing.title:
        found.extend(("title", hit) for hit in rules.brands.altered(listing.title))
    declared = rules.brands.resolve(listing.brand)
    if declared is not None and declared.altered:
        found.append(("brand", declared))
    if not found:
        return None
    fields_of: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], BrandHit] = {}
    for field, hit in found:
        key = (hit.written.casefold(), hit.brand)
        fields_of.setdefault(key, []).append(field)
        first.setdefault(key, hit)
    parts: list[str] = []
    matches: list[dict[str, object]] = []
    for key, fields in fields_of.items():
        hit = first[key]
        kind = "a misspelling" if hit.evasion == "misspelling" else "a look-alike spelling"
        where = " and ".join("title" if f == "title" else "brand field" for f in fields)
        verb = "writes" if len(fields) == 1 else "write"
        parts.append(f"{where.capitalize()} {verb} '{hit.written}', {kind} of {hit.brand}")
        matches.append(
            {"fields": fields, "written": hit.written, "brand": hit.brand, "evasion": hit.evasion}
        )
    return Reason(
        rule=MISSPELLED_BRAND_RULE,
        score=policy.misspelled_brands.score,
        message="; ".join(parts),
        evidence={
            "brands": list(dict.fromkeys(hit.brand for _, hit in found)),
            "matches": matches,
        },
    )


def text_reasons(
    listing: ListingEvent, rules: CompiledRules, brand: str | None = None
) -> list[Reason]:
    """The reasons found in a listing's words: counterfeit vocabulary, misspelled
    brands and, for a listing of ``brand``, product names that contain a lexicon word."""
    policy = rules.config.vocabulary
    counterfeit, product = term_hits(listing, rules)
    found = (
        counterfeit_vocabulary(listing, rules, policy, counterfeit),
        misspelled_brand(listing, rules, policy),
        product_name_term(listing, brand, policy, product) if brand is not None else None,
    )
    return [reason for reason in found if reason is not None]


def evaluate_listing(listing: ListingEvent, rules: CompiledRules) -> list[Reason]:
    """Run the stateless listing rules; return the reasons that fired, strongest first.

    The worker's :class:`stream.pipeline.detector.Detector` runs the same text rules and
    compares prices to learned references instead of the bare catalog.
    """
    if listing.event_type == "listing_removed":
        return []
    brand = listing_brand(listing, rules.brands, rules.compatibility)
    reasons = text_reasons(listing, rules, brand)
    price = price_far_below_reference(listing, rules, rules.config.price)
    if price is not None:
        reasons.append(price)
    reasons.sort(key=lambda r: r.score, reverse=True)
    return reasons
