"""The rules configuration: one versioned TOML file of thresholds, weights,
lexicons and the reference catalog (``stream/data/rules.toml`` by default).

The worker refuses to start on an invalid file, and ``listing-monitor rules
check FILE`` reports every problem at once.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[1] / "data" / "rules.toml"

Score = Annotated[float, Field(ge=0, le=100)]
RegionCode = Annotated[str, Field(pattern=r"^[A-Z]{2}(/[^/]+){0,2}$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityBands(_Section):
    """Risk score at which each severity starts; below ``medium`` nothing is published."""

    medium: Score = 40.0
    high: Score = 60.0
    critical: Score = 80.0

    @model_validator(mode="after")
    def _ordered(self) -> SeverityBands:
        if not self.medium < self.high < self.critical:
            raise ValueError(
                f"bands must rise: medium ({self.medium}) < high ({self.high}) "
                f"< critical ({self.critical})"
            )
        return self


class PricePolicy(_Section):
    """When a price counts as far below its reference, and how much it weighs."""

    ratio_threshold: Annotated[float, Field(gt=0, lt=1)] = 0.30
    ratio_threshold_used: Annotated[float, Field(gt=0, lt=1)] = 0.12
    score_at_threshold: Score = 45.0
    score_at_zero: Score = 95.0

    @model_validator(mode="after")
    def _consistent(self) -> PricePolicy:
        if self.ratio_threshold_used > self.ratio_threshold:
            raise ValueError(
                "ratio_threshold_used must not exceed ratio_threshold: used goods get a looser band"
            )
        if self.score_at_zero < self.score_at_threshold:
            raise ValueError("score_at_zero must be at least score_at_threshold")
        return self


class MisspellingPolicy(_Section):
    """How brand names written to dodge filters are recognised, and what they weigh.

    Attributes:
        score: Score of a brand written with look-alike characters (``N1ke``)
            or misspelled (``Nikee``) in the title or the brand field.
        min_length: Aliases shorter than this (``lv``, ``wd``, ``sk2``) match
            exactly only; four-letter ones accept a doubled letter or a swap.
        two_edits_from: Aliases at least this long accept two edits, shorter
            ones one.
        not_misspellings: Real words one edit from a brand (``carrier``,
            ``channel``): never taken for a misspelling.
    """

    score: Score = 50.0
    min_length: Annotated[int, Field(ge=3, le=20)] = 4
    two_edits_from: Annotated[int, Field(ge=5, le=64)] = 13
    not_misspellings: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)


Words = list[Annotated[str, Field(min_length=1, max_length=64)]]


class NegationPolicy(_Section):
    """Wording that denies a counterfeit term instead of using it.

    A term is denied when a ``before`` cue precedes it (``no replicas``,
    ``非A货``, ``拒绝高仿``) or an ``after`` cue follows it (``高仿勿扰``,
    ``replica-free``) within one clause, with nothing between them but
    ``fillers`` (``not a``, ``绝不卖``), ``denied_nouns`` and other terms joined
    by ``conjunctions`` (``no fakes or replicas``, ``拒绝假货和高仿``). A
    clause break (``, ; : ! ? . |`` and their full-width forms) ends the
    denial, and so does any other word: ``not original box, 1:1 replica`` and
    ``非高仿 原单`` still use ``1:1``, ``replica`` and ``原单``. Cues are
    matched after the same normalisation as the terms (full width, case,
    look-alike characters, spaced-out Chinese).

    Attributes:
        before: Cues that deny what follows them.
        after: Cues that deny what precedes them.
        fillers: Words that may stand between a cue and the term it denies.
        denied_nouns: Words for fakes that a denial may list beside a term.
        conjunctions: Words and marks that join the items of one denial.
        not_negations: Phrases that start with a cue but deny nothing
            (``not only``, ``非常``).
        max_words: At most this many fillers and items between a cue and the term.
    """

    before: Words = Field(default_factory=list)
    after: Words = Field(default_factory=list)
    fillers: Words = Field(default_factory=list)
    denied_nouns: Words = Field(default_factory=list)
    conjunctions: Words = Field(default_factory=list)
    not_negations: Words = Field(default_factory=list)
    max_words: Annotated[int, Field(ge=0, le=8)] = 4


class ProductName(_Section):
    """A counterfeit term that is also the name of genuine products.

    ``replica`` is the industry's name for the fan version of a football kit,
    ``1:1`` the scale of life-size models, ``AAA`` a battery size and a grade of
    pearls. The term names a product when one of ``words`` stands within
    ``[vocabulary] product_name_window`` words of it, or the listing is in one of
    ``categories`` (a category matches itself and its sub-paths).

    Attributes:
        term: A term of ``[vocabulary] terms``.
        words: Words around the term that give it its product sense.
        categories: Categories in which the term names a product.
    """

    term: Annotated[str, Field(min_length=1)]
    words: Words = Field(default_factory=list)
    categories: Words = Field(default_factory=list)


class VocabularyPolicy(_Section):
    """The counterfeit lexicon and its weights.

    Attributes:
        terms: Counterfeit terms, in the form reports name them.
        aliases: Other spellings of a term (pinyin, traditional characters),
            reported as the term; every key must be one of ``terms``.
        ignore_phrases: Different words that merely contain a term (``高仿真``,
            lifelike): never a match.
        negation: Wording that denies a term (``no replicas``, ``非A货``).
        product_names: Terms that are also names of genuine products.
        product_name_score: Weight of a product-name use of a term by a seller
            not authorised for the listing's brand (a context reason); none when
            the listing names no brand or the seller is authorised for it.
        product_name_window: Words either side of a term searched for product words.
        misspelled_brands: Brand names written to dodge filters.
    """

    score_first_term: Score = 60.0
    score_per_extra_term: Score = 10.0
    score_max: Score = 90.0
    terms: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    aliases: dict[str, list[Annotated[str, Field(min_length=1)]]] = Field(default_factory=dict)
    ignore_phrases: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    negation: NegationPolicy = NegationPolicy()
    product_names: list[ProductName] = Field(default_factory=list)
    product_name_score: Score = 20.0
    product_name_window: Annotated[int, Field(ge=1, le=10)] = 3
    misspelled_brands: MisspellingPolicy = MisspellingPolicy()

    @model_validator(mode="after")
    def _aliases_name_terms(self) -> VocabularyPolicy:
        unknown = sorted(set(self.aliases) - set(self.terms))
        if unknown:
            raise ValueError(f"aliases given for terms not in terms: {', '.join(unknown)}")
        unknown = sorted({p.term for p in self.product_names} - set(self.terms))
        if unknown:
            raise ValueError(f"product_names name terms not in terms: {', '.join(unknown)}")
        return self


class CompatibilityPolicy(_Section):
    """Accessories that name a brand only to say what they fit.

    In a listing of one of ``accessory_categories`` whose brand field names no
    known brand, a brand named in the title right after a ``before`` cue
    (``case for iPhone 16``, ``适用苹果``, ``compatible with Galaxy S25``) or
    right before an ``after`` cue (``iPhone 16 专用``), with only model words
    between (numbers, ``pro``, ``max``, other names of the same brand), is what
    the accessory fits: the listing is not branded goods of that brand. Any
    other mention of a brand in the title still makes it the listing's brand,
    and so does a declared brand. Outside the accessory categories the cues
    change nothing: ``for Nike`` on a pair of sneakers is a pair of Nikes.

    Attributes:
        accessory_categories: Categories of accessories (and their sub-paths).
        before: Cues before the brand they name.
        after: Cues after the brand they name.
        model_words: Words that may stand between a cue and the brand besides
            numbers, model codes and other aliases of the same brand.
    """

    accessory_categories: Words = Field(default_factory=list)
    before: Words = Field(default_factory=list)
    after: Words = Field(default_factory=list)
    model_words: Words = Field(default_factory=list)


# Every rule that produces reasons: the names ``[evidence] context_rules`` may use.
KNOWN_RULES = frozenset(
    {
        "price_far_below_reference",
        "counterfeit_vocabulary",
        "misspelled_brand",
        "product_name_term",
        "new_seller_bulk_unauthorised_brand",
        "hotspot_region",
        "dispatch_mismatch",
        "counterfeit_complaints",
        "dispatch_mismatch_rate",
        "repeatedly_flagged_listings",
        "branded_discount_profile",
        "young_account_bulk_stock",
        "listing_velocity",
        "order_velocity",
        "buyer_concentration",
        "many_dispatch_points",
        "hotspot_dispatch",
        "ring_flagged_members",
        "ring_size",
        "ring_provinces",
        "ring_links",
    }
)


class EvidencePolicy(_Section):
    """Which reasons are evidence of counterfeiting and which are context.

    Context (an account's age, its stock, a hot-spot region, velocity, buyer
    concentration, a product name that contains a lexicon word) makes evidence
    more or less convincing, and may put a seller or listing on the ``medium``
    watch list, but a score made of context alone stays below ``high``.

    Attributes:
        context_rules: Rules whose reasons are context; every other rule is evidence.
    """

    context_rules: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> EvidencePolicy:
        unknown = sorted(set(self.context_rules) - KNOWN_RULES)
        if unknown:
            raise ValueError(
                f"unknown rules: {', '.join(unknown)} (known: {', '.join(sorted(KNOWN_RULES))})"
            )
        return self


class StatisticsPolicy(_Section):
    """How rolling seller statistics treat time."""

    lateness_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 60
    retention_days: Annotated[float, Field(ge=7, le=90)] = 8.0


class ReferenceLearningPolicy(_Section):
    """How far prices seen in the stream may move the catalog's reference prices."""

    catalog_weight: Annotated[float, Field(ge=0)] = 50.0
    min_sample: Annotated[int, Field(ge=1)] = 30
    floor: Annotated[float, Field(gt=0, le=1)] = 0.6
    ceiling: Annotated[float, Field(ge=1)] = 2.0
    trusted_account_days: Annotated[float, Field(ge=0)] = 180.0


class AlertPolicy(_Section):
    """Suppression of repeated alerts."""

    cooldown_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 24.0


class UnauthorisedBrandPolicy(_Section):
    """A brand the seller is not authorised for, sold new, in bulk, from a young account."""

    min_quantity: Annotated[int, Field(ge=1)] = 50
    full_quantity: Annotated[int, Field(ge=1)] = 500
    max_account_age_days: Annotated[float, Field(gt=0)] = 60.0
    score_min: Score = 50.0
    score_max: Score = 75.0


class SellerPolicy(_Section):
    """Thresholds and scores of the rolling per-seller signals."""

    complaints_min_orders: Annotated[int, Field(ge=1)] = 8
    complaints_min_count: Annotated[int, Field(ge=1)] = 3
    complaints_share: Annotated[float, Field(gt=0, lt=1)] = 0.08
    complaints_share_max: Annotated[float, Field(gt=0, le=1)] = 0.5
    complaints_score_min: Score = 62.0
    complaints_score_max: Score = 95.0

    mismatch_min_orders: Annotated[int, Field(ge=1)] = 3
    mismatch_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    mismatch_score_min: Score = 60.0
    mismatch_score_max: Score = 80.0

    flagged_listings_min: Annotated[int, Field(ge=1)] = 2
    flagged_listings_score_min: Score = 60.0
    flagged_listings_score_step: Score = 8.0
    flagged_listings_score_max: Score = 90.0

    discount_min_listings: Annotated[int, Field(ge=1)] = 3
    discount_median_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.35
    discount_score: Score = 55.0

    young_account_days: Annotated[float, Field(gt=0)] = 30.0
    young_account_min_units: Annotated[int, Field(ge=1)] = 200
    young_account_full_units: Annotated[int, Field(ge=1)] = 1000
    young_account_score_min: Score = 40.0
    young_account_score_max: Score = 65.0
    young_account_authorised_factor: Annotated[float, Field(ge=0, le=1)] = 0.25

    velocity_min_listings: Annotated[int, Field(ge=1)] = 20
    velocity_min_orders: Annotated[int, Field(ge=1)] = 30
    velocity_factor: Annotated[float, Field(gt=1)] = 5.0
    velocity_min_history_days: Annotated[float, Field(ge=0)] = 2.0
    velocity_score: Score = 20.0

    buyers_min_orders: Annotated[int, Field(ge=2)] = 10
    buyers_top_share: Annotated[float, Field(gt=0, le=1)] = 0.30
    buyers_top_share_max: Annotated[float, Field(gt=0, le=1)] = 0.8
    buyers_score_min: Score = 35.0
    buyers_score_max: Score = 60.0

    dispatch_points_min: Annotated[int, Field(ge=2)] = 4
    dispatch_points_score: Score = 30.0

    dispatch_event_score: Score = 30.0


LinkKind = Literal["phone", "payout_account", "device", "return_address", "tracking", "resale"]
"""What two linked sellers share: a profile identifier, a carrier tracking
number, or a resale chain (one of them repeatedly buys a brand from the other
and lists that brand)."""

LINK_KINDS: tuple[LinkKind, ...] = get_args(LinkKind)


class RingPolicy(_Section):
    """Rings: sellers linked by shared identifiers, scored and alerted on as one group.

    Attributes:
        enabled: Whether sellers announce their identifiers and rings are kept.
        hard_links: Kinds that join two sellers into one ring.
        soft_links: Kinds that add weight and evidence to a ring whose members
            they link, but never join sellers on their own.
        max_fanout: An identifier shared by more sellers than this is a
            super-node (a warehouse's return address, a payment agency's
            account): it links nobody, and links it made before are undone.
        fanout: Per-kind overrides of ``max_fanout``.
        large_ring_members: Rings at least this large are counted and marked
            in ``rings list``.
        resale_min_orders: Orders of one brand from one seller after which a
            buyer who lists that brand is linked to the seller (a resale chain).
        member_flag_severity: A member counts as flagged from this severity of
            its own listing or seller alerts.
        min_flagged_members: Flagged members a ring needs for its members'
            evidence to weigh fully; fewer weigh ``single_flagged_factor``.
        single_flagged_factor: Weight of the strongest member's score while
            fewer than ``min_flagged_members`` are flagged.
        size_min_members, size_score_per_member, size_score_max: Context from
            the ring's size.
        provinces_min, province_score, provinces_score_max: Context from the
            number of provinces its members ship from or are registered in.
        link_score_per_identifier, links_score_max: Context from the number
            of identifiers that link its members.
        regrow_factor: Another ring alert in the same band once the ring has
            grown by this share of the members its last alert named.
    """

    enabled: bool = True
    hard_links: list[LinkKind] = Field(default=["payout_account", "phone", "tracking", "resale"])
    soft_links: list[LinkKind] = Field(default=["device", "return_address"])
    max_fanout: Annotated[int, Field(ge=2, le=10_000)] = 30
    fanout: dict[LinkKind, Annotated[int, Field(ge=2, le=10_000)]] = Field(default_factory=dict)
    large_ring_members: Annotated[int, Field(ge=2)] = 100
    resale_min_orders: Annotated[int, Field(ge=1, le=1000)] = 3
    member_flag_severity: Literal["medium", "high", "critical"] = "high"
    min_flagged_members: Annotated[int, Field(ge=1)] = 2
    single_flagged_factor: Annotated[float, Field(ge=0, le=1)] = 0.5
    size_min_members: Annotated[int, Field(ge=2)] = 5
    size_score_per_member: Score = 1.0
    size_score_max: Score = 15.0
    provinces_min: Annotated[int, Field(ge=2)] = 3
    province_score: Score = 3.0
    provinces_score_max: Score = 15.0
    link_score_per_identifier: Score = 1.0
    links_score_max: Score = 10.0
    regrow_factor: Annotated[float, Field(gt=0, le=100)] = 0.5

    @model_validator(mode="after")
    def _kinds(self) -> RingPolicy:
        both = sorted(set(self.hard_links) & set(self.soft_links))
        if both:
            raise ValueError(f"link kinds both hard and soft: {', '.join(both)}")
        return self

    def max_fanout_of(self, kind: LinkKind) -> int:
        """The fan-out above which an identifier of ``kind`` is a super-node."""
        return self.fanout.get(kind, self.max_fanout)

    def strength(self, kind: LinkKind) -> Literal["hard", "soft"] | None:
        """Whether ``kind`` joins rings (hard), only weighs (soft), or is ignored (None)."""
        if kind in self.hard_links:
            return "hard"
        if kind in self.soft_links:
            return "soft"
        return None


class HotspotPolicy(_Section):
    """The regional prior: context, never an alert above ``medium`` on its own."""

    score: Score = 20.0


class Hotspot(_Section):
    """Regions where counterfeits of a category concentrate (``CC/Province[/City]``)."""

    category: Annotated[str, Field(min_length=1)]
    regions: Annotated[list[RegionCode], Field(min_length=1)]


class CatalogEntry(_Section):
    """Reference price of a new, genuine item of ``brand`` in ``category``."""

    brand: Annotated[str, Field(min_length=1)]
    category: Annotated[str, Field(min_length=1)]
    reference_price: Annotated[float, Field(gt=0)]


class RulesConfig(_Section):
    """The whole rules file."""

    version: Annotated[str, Field(min_length=1, max_length=64)]
    reference_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    severity: SeverityBands = SeverityBands()
    price: PricePolicy = PricePolicy()
    vocabulary: VocabularyPolicy
    compatibility: CompatibilityPolicy = CompatibilityPolicy()
    evidence: EvidencePolicy = EvidencePolicy()
    currency_rates: dict[
        Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Annotated[float, Field(gt=0)]
    ]
    brands: dict[str, list[Annotated[str, Field(min_length=1)]]] = Field(default_factory=dict)
    catalog: list[CatalogEntry] = Field(default_factory=list)
    statistics: StatisticsPolicy = StatisticsPolicy()
    reference_learning: ReferenceLearningPolicy = ReferenceLearningPolicy()
    alerting: AlertPolicy = AlertPolicy()
    unauthorised_brand: UnauthorisedBrandPolicy = UnauthorisedBrandPolicy()
    seller: SellerPolicy = SellerPolicy()
    hotspot: HotspotPolicy = HotspotPolicy()
    hotspots: list[Hotspot] = Field(default_factory=list)
    rings: RingPolicy = RingPolicy()

    @model_validator(mode="after")
    def _cross_checks(self) -> RulesConfig:
        if self.currency_rates.get(self.reference_currency) != 1.0:
            raise ValueError(
                f"currency_rates must map the reference currency {self.reference_currency} to 1.0"
            )
        unknown = sorted({e.brand for e in self.catalog} - set(self.brands))
        if unknown:
            raise ValueError(f"catalog names brands missing from [brands]: {', '.join(unknown)}")
        seen: set[tuple[str, str]] = set()
        for entry in self.catalog:
            pair = (entry.brand, entry.category)
            if pair in seen:
                raise ValueError(f"catalog lists {entry.brand} {entry.category} twice")
            seen.add(pair)
        return self


class RulesConfigError(ValueError):
    """The rules file cannot be used; the message lists every problem."""


def load_rules(path: Path | None = None) -> RulesConfig:
    """Read and validate a rules file.

    Args:
        path: The TOML file; ``None`` means the bundled default.

    Raises:
        RulesConfigError: naming the file and each problem (section.field: what).
    """
    source = path or DEFAULT_RULES_FILE
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesConfigError(f"{source}: no such rules file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesConfigError(f"{source}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return RulesConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"  {where}: {message}")
        raise RulesConfigError(
            f"{source}: {len(problems)} problem(s):\n" + "\n".join(problems)
        ) from exc
