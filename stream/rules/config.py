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


class VocabularyPolicy(_Section):
    """The counterfeit lexicon and its weights."""

    score_first_term: Score = 60.0
    score_per_extra_term: Score = 10.0
    score_max: Score = 90.0
    terms: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    ignore_phrases: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)


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
