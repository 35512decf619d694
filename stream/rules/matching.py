"""Compiled lookup structures built once from the rules configuration:
the brand index, the reference catalog and the counterfeit lexicon."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stream.rules.config import RulesConfig
from stream.rules.text import normalize


def _term_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """One alternation over all terms, longest first, bounded by non-word-characters.

    A term that starts or ends with a letter or digit must not continue a word
    (``lv`` does not match inside ``silver``); CJK terms need no boundary since
    Chinese has no spaces between words.
    """
    parts = []
    for term in sorted({normalize(t) for t in terms}, key=len, reverse=True):
        escaped = re.escape(term)
        head = r"(?<![a-z0-9])" if term[0].isascii() and term[0].isalnum() else ""
        tail = r"(?![a-z0-9])" if term[-1].isascii() and term[-1].isalnum() else ""
        parts.append(f"{head}{escaped}{tail}")
    return re.compile("|".join(parts))


@dataclass(frozen=True)
class BrandIndex:
    """Recognises brands by their canonical name or any alias, in any case or width."""

    canonical_by_alias: dict[str, str]
    pattern: re.Pattern[str]

    @classmethod
    def build(cls, brands: dict[str, list[str]]) -> BrandIndex:
        by_alias: dict[str, str] = {}
        for canonical, aliases in brands.items():
            for alias in (canonical, *aliases):
                by_alias[normalize(alias)] = canonical
        return cls(by_alias, _term_pattern(by_alias))

    def canonical(self, declared: str | None) -> str | None:
        """The canonical brand for a declared brand name, or None if unknown."""
        if not declared:
            return None
        return self.canonical_by_alias.get(normalize(declared))

    def find(self, normalized_text: str) -> str | None:
        """The first brand named in already-normalised text, or None."""
        match = self.pattern.search(normalized_text)
        return self.canonical_by_alias[match.group(0)] if match else None


@dataclass(frozen=True)
class Reference:
    """A catalog reference price matched for a listing."""

    brand: str
    category: str
    price: float


@dataclass(frozen=True)
class Catalog:
    """Reference prices per (brand, category) plus currency conversion."""

    prices: dict[tuple[str, str], float]
    rates: dict[str, float]
    currency: str

    @classmethod
    def build(cls, config: RulesConfig) -> Catalog:
        prices = {(e.brand, e.category.strip("/")): e.reference_price for e in config.catalog}
        return cls(prices, dict(config.currency_rates), config.reference_currency)

    def reference(self, brand: str, category: str) -> Reference | None:
        """The reference for ``brand`` in ``category`` or its nearest listed parent."""
        path = category.strip("/")
        while path:
            price = self.prices.get((brand, path))
            if price is not None:
                return Reference(brand, path, price)
            path = path.rpartition("/")[0]
        return None

    def convert(self, amount: float, currency: str) -> float | None:
        """``amount`` in the catalog currency, or None for an unknown currency."""
        rate = self.rates.get(currency)
        return None if rate is None else amount * rate


@dataclass(frozen=True)
class Lexicon:
    """Counterfeit vocabulary with phrases that mask innocent uses of a term."""

    pattern: re.Pattern[str]
    ignore_phrases: tuple[str, ...]

    @classmethod
    def build(cls, terms: Iterable[str], ignore_phrases: Iterable[str] = ()) -> Lexicon:
        return cls(_term_pattern(terms), tuple(normalize(p) for p in ignore_phrases))

    def find(self, normalized_text: str) -> list[str]:
        """Distinct terms found in already-normalised text, in order of appearance."""
        for phrase in self.ignore_phrases:
            normalized_text = normalized_text.replace(phrase, " ")
        return list(dict.fromkeys(self.pattern.findall(normalized_text)))
