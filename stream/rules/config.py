"""The rules configuration: one versioned TOML file of thresholds, weights,
lexicons and the reference catalog (``stream/data/rules.toml`` by default).

The worker refuses to start on an invalid file, and ``listing-monitor rules
check FILE`` reports every problem at once.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

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


class VocabularyPolicy(_Section):
    """The counterfeit lexicon and its weights.

    Attributes:
        terms: Counterfeit terms, in the form reports name them.
        aliases: Other spellings of a term (pinyin, traditional characters),
            reported as the term; every key must be one of ``terms``.
        ignore_phrases: Phrases whose words never count (``aaa batteries``).
        misspelled_brands: Brand names written to dodge filters.
    """

    score_first_term: Score = 60.0
    score_per_extra_term: Score = 10.0
    score_max: Score = 90.0
    terms: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    aliases: dict[str, list[Annotated[str, Field(min_length=1)]]] = Field(default_factory=dict)
    ignore_phrases: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    misspelled_brands: MisspellingPolicy = MisspellingPolicy()

    @model_validator(mode="after")
    def _aliases_name_terms(self) -> VocabularyPolicy:
        unknown = sorted(set(self.aliases) - set(self.terms))
        if unknown:
            raise ValueError(f"aliases given for terms not in terms: {', '.join(unknown)}")
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
    max_account_age_days: Annotated[float, Field(gt=0)] = 60.0
    score_min: Score = 50.0
    score_max: Score = 75.0


class SellerPolicy(_Section):
    """Thresholds and scores of the rolling per-seller signals."""

    complaints_min_orders: Annotated[int, Field(ge=1)] = 8
    complaints_min_count: Annotated[int, Field(ge=1)] = 3
    complaints_share: Annotated[float, Field(gt=0, lt=1)] = 0.08
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
    young_account_score_min: Score = 40.0
    young_account_score_max: Score = 65.0

    velocity_min_listings: Annotated[int, Field(ge=1)] = 20
    velocity_min_orders: Annotated[int, Field(ge=1)] = 30
    velocity_factor: Annotated[float, Field(gt=1)] = 5.0
    velocity_min_history_days: Annotated[float, Field(ge=0)] = 2.0
    velocity_score: Score = 20.0

    buyers_min_orders: Annotated[int, Field(ge=2)] = 10
    buyers_top_share: Annotated[float, Field(gt=0, le=1)] = 0.30
    buyers_score_min: Score = 35.0
    buyers_score_max: Score = 60.0

    dispatch_points_min: Annotated[int, Field(ge=2)] = 4
    dispatch_points_score: Score = 30.0


class HotspotPolicy(_Section):
    """The regional prior: adds weight, never an alert above ``medium`` on its own."""

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
