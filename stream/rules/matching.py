"""Compiled lookup structures built once from the rules configuration:
the brand index, the reference catalog and the counterfeit lexicon."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz.distance import OSA

from stream.rules.config import RulesConfig
from stream.rules.text import (
    TextForms,
    analyze,
    fold_lookalikes,
    fold_lookalikes_keep_l,
    normalize,
)
from stream.rules.wording import Negation

_Trie = dict[str, "_Trie"]
_END = ""  # marks the end of a term in a trie node


def _boundary(char: str) -> bool:
    """Whether a term starting or ending with ``char`` needs a word boundary there."""
    return char.isascii() and char.isalnum()


def _trie_branches(node: _Trie, last: str) -> str:
    """The regex for what may follow ``last`` in the trie: longest continuation first."""
    alternatives = [
        re.escape(char) + _trie_branches(child, char)
        for char, child in sorted(node.items())
        if char != _END
    ]
    if _END in node:
        alternatives.append(r"(?![a-z0-9])" if _boundary(last) else "")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _trie(terms: Iterable[str]) -> _Trie:
    trie: _Trie = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[_END] = {}
    return trie


@dataclass(frozen=True)
class TermPattern:
    """Compiled terms (already normalised), bounded by non-word-characters.

    A term that starts or ends with a letter or digit must not continue a word
    (``lv`` does not match inside ``silver``); CJK terms need no boundary since
    Chinese has no spaces between words. Terms are compiled as tries, so the
    regex engine tries one branch per character and longer terms win over
    their prefixes (``aaa+`` over ``aaa``): one regex for terms that start with
    a letter or digit, tried at word starts only, and one for the others, whose
    literal first characters let the engine skip every other position.
    """

    latin: re.Pattern[str] | None
    other: re.Pattern[str] | None

    @classmethod
    def compile(cls, terms: Iterable[str]) -> TermPattern:
        """Compile the terms.

        Args:
            terms: Normalised terms.

        Returns:
            The compiled pattern.
        """
        terms = set(terms)
        latin = _trie(t for t in terms if _boundary(t[0]))
        other = _trie(t for t in terms if not _boundary(t[0]))
        latin_regex = "|".join(
            re.escape(char) + _trie_branches(child, char) for char, child in sorted(latin.items())
        )
        other_regex = "|".join(
            re.escape(char) + _trie_branches(child, char) for char, child in sorted(other.items())
        )
        return cls(
            re.compile(rf"(?<![a-z0-9])(?=[a-z0-9])(?:{latin_regex})") if latin else None,
            re.compile(other_regex) if other else None,
        )

    def finditer(self, text: str) -> list[re.Match[str]]:
        """Every match in ``text``, in no particular order."""
        matches: list[re.Match[str]] = []
        if self.latin is not None:
            matches.extend(self.latin.finditer(text))
        if self.other is not None:
            matches.extend(self.other.finditer(text))
        return matches

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in ``text``, or None."""
        first = self.latin.search(text) if self.latin is not None else None
        if self.other is not None:
            match = self.other.search(text, 0, first.start() if first else len(text))
            if match is not None:
                return match
        return first


def _lookalike_eligible(form: str, min_length: int) -> bool:
    """Whether a term or alias is also matched with look-alikes folded.

    Short forms (``lv``, ``aaa``) and forms with digits of their own (``1:1``,
    ``sk2``) are matched exactly only: folding would make them collide with
    ordinary text (``IV``) or break them.
    """
    return (
        len(form) >= min_length
        and not any(c.isdigit() for c in form)
        and any(c.isascii() and c.isalpha() for c in form)
    )


def _mostly_letters(written: str) -> bool:
    """A look-alike match must be written mostly with letters: ``44444`` is no ``aaaaa``."""
    letters = sum(c.isalpha() for c in written)
    return letters > 0 and letters >= sum(c.isdigit() for c in written)


def _spans_overlap(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < s_end and s_start < end for s_start, s_end in spans)


Evasion = Literal["spacing", "look-alike", "alias", "misspelling"]


@dataclass(frozen=True)
class BrandHit:
    """A brand named in a text or a brand field, and how it was written.

    Attributes:
        brand: The canonical brand name (a key of ``[brands]``).
        alias: The normalised alias it matched (``louis vuitton``, ``耐克``).
        written: The words as written, case kept (``Louis Vuiton``, ``N1ke``).
        start: Start of the words in the normalised text.
        end: End (exclusive) of the words in the normalised text.
        evasion: ``None`` for an alias written as listed; ``"spacing"`` for a
            spaced-out alias (``N I K E``); ``"look-alike"`` for look-alike
            characters (``N1ke``, ``Nlke``); ``"misspelling"`` for a near miss
            (``Nikee``, ``Addidas``, ``Louis Vuiton``).
    """

    brand: str
    alias: str
    written: str
    start: int
    end: int
    evasion: Evasion | None = None

    @property
    def altered(self) -> bool:
        """Whether the brand name itself was altered (look-alike or misspelling)."""
        return self.evasion in ("look-alike", "misspelling")


@dataclass(frozen=True)
class _FuzzyAlias:
    """An alias that near misses are compared to: its compared form, brand and alias."""

    key: str
    brand: str
    alias: str

    @property
    def words(self) -> list[str]:
        return self.key.split(" ")


def _max_edits(length: int, two_edits_from: int) -> int:
    return 2 if length >= two_edits_from else 1


def _one_doubled_letter(written: str, alias: str) -> bool:
    """``written`` is ``alias`` with one letter doubled (``nikee``, ``niike``)."""
    if len(written) != len(alias) + 1:
        return False
    for i in range(1, len(written)):
        if written[i] == written[i - 1] and written[:i] + written[i + 1 :] == alias:
            return True
    return False


def _one_swap(written: str, alias: str) -> bool:
    """``written`` is ``alias`` with two neighbouring letters swapped (``nkie``)."""
    if len(written) != len(alias) or written == alias:
        return False
    diff = [i for i, (a, b) in enumerate(zip(written, alias, strict=True)) if a != b]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and written[diff[0]] == alias[diff[1]]
        and written[diff[1]] == alias[diff[0]]
    )


def _word_edits(
    words: list[str], alias_words: list[str], cutoff: int, real_words: frozenset[str]
) -> int:
    """Edits between two runs of words: at most one per word, none in words
    shorter than five letters, and no edit that yields a real word.

    Returns ``cutoff + 1`` when the runs do not qualify as a near miss.
    """
    if len(words) != len(alias_words):
        return cutoff + 1
    total = 0
    for word, alias_word in zip(words, alias_words, strict=True):
        if word == alias_word:
            continue
        if (
            len(alias_word) < 5
            or word in real_words
            or OSA.distance(word, alias_word, score_cutoff=1) > 1
        ):
            return cutoff + 1
        total += 1
    return total


# A word for near-miss comparison, in look-alike-folded text: starts and ends
# with a letter, may hold folded digits inside (``n1kee``), is a whole word.
_FUZZY_WORD = re.compile(r"(?<![a-z0-9])[a-z](?:[a-z0-9]*[a-z])?(?![a-z0-9])")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD_GAP = frozenset({" ", "-", " - ", "_", "."})
_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class BrandIndex:
    """Recognises brands by their canonical name or any alias, in any case or width,
    spaced out, written with look-alike characters, or slightly misspelled.

    Aliases shorter than ``min_fuzzy_length`` (``lv``, ``wd``, ``sk2``) and
    aliases with digits are matched exactly only. Longer ones also match with
    look-alikes folded (``N1ke``, ``Nlke``, ``Guccl``) and as near misses:

    * four letters (``nike``): one letter doubled (``Nikee``) or two
      neighbours swapped (``Nkie``) only, since any other single edit of a
      four-letter word is usually another word (``mike``, ``nice``);
    * five letters or more: one edit (insertion, deletion, substitution or
      swap; ``Addidas``, ``Rolexx``, ``Adidos``), two from ``two_edits_from``
      characters (``Lous Vuiton``);
    * several words (``louis vuitton``, nine characters or more): the same
      number of words, at most one edit in each, none in words shorter than
      five letters (``new``, ``face``), no edited word in ``not_misspellings``
      (``canada moose``), and never overlapping a brand named exactly
      (``top north face`` names North Face);

    always with the first letter kept, the near miss at least four letters
    long (``Guci``), without digits left after folding look-alikes
    (``Omega3`` is no misspelling), and never for a word listed in
    ``not_misspellings`` (real words that happen to be one edit from a brand:
    ``carrier``, ``channel``, ``role``). A plural (``Nikes``, ``Rolexes``)
    is the brand itself, not a misspelling.
    """

    canonical_by_alias: dict[str, str]
    pattern: TermPattern
    lookalike_pattern: TermPattern
    by_folded: dict[str, tuple[str, str]]
    fuzzy: dict[tuple[str, int], tuple[_FuzzyAlias, ...]]
    not_misspellings: frozenset[str]
    min_fuzzy_length: int = 4
    two_edits_from: int = 13
    max_words: int = 1
    gram_starts: frozenset[str] = frozenset()
    gram_start_buckets: frozenset[tuple[str, int]] = frozenset()
    _near_misses: dict[str, _FuzzyAlias | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    _interesting: set[str] = field(default_factory=set, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        brands: Mapping[str, Iterable[str]],
        *,
        min_fuzzy_length: int = 4,
        two_edits_from: int = 13,
        not_misspellings: Iterable[str] = (),
    ) -> BrandIndex:
        """Compile the index.

        Args:
            brands: Canonical brand name to its aliases (``[brands]``).
            min_fuzzy_length: Aliases shorter than this match exactly only.
            two_edits_from: Aliases at least this long allow two edits.
            not_misspellings: Real words never taken for a misspelled brand.

        Returns:
            The compiled index.
        """
        by_alias: dict[str, str] = {}
        for canonical, aliases in brands.items():
            for alias in (canonical, *aliases):
                form = normalize(alias)
                by_alias.setdefault(form, canonical)
                # "LouisVuitton", "new-balance": the alias run together or hyphenated
                for joined in (form.replace(" ", ""), form.replace(" ", "-")):
                    if len(joined) >= 5:
                        by_alias.setdefault(joined, canonical)
        by_folded: dict[str, tuple[str, str]] = {}
        fuzzy: dict[tuple[str, int], list[_FuzzyAlias]] = {}
        max_words = 1
        gram_starts: set[str] = set()
        gram_start_buckets: set[tuple[str, int]] = set()
        for alias, canonical in by_alias.items():
            if not _lookalike_eligible(alias, min_fuzzy_length):
                continue
            by_folded.setdefault(fold_lookalikes(alias), (canonical, alias))
            key = fold_lookalikes_keep_l(alias.replace("-", " "))
            words = key.split(" ")
            if not key.isascii() or not all(w.isalpha() for w in words):
                continue
            if len(words) > 1 and (len(key) < 9 or min(map(len, words)) < 3):
                continue  # "ray ban": a near miss of short words is another pair of words
            max_words = max(max_words, len(words))
            if len(words) > 1:
                head = words[0]
                if len(head) < 5:  # short words must be written exactly
                    gram_starts.add(head)
                else:
                    # a near miss keeps the first two letters ("louis vuiton")
                    gram_start_buckets.update(
                        (head[:2], n) for n in range(len(head) - 1, len(head) + 2)
                    )
            entry = _FuzzyAlias(key, canonical, alias)
            n = len(key)
            edits = _max_edits(n, two_edits_from)
            lengths = (n, n + 1) if n == 4 else range(max(4, n - edits), n + edits + 1)
            for length in lengths:
                fuzzy.setdefault((key[0], length), []).append(entry)
        return cls(
            canonical_by_alias=by_alias,
            pattern=TermPattern.compile(by_alias),
            lookalike_pattern=TermPattern.compile(by_folded),
            by_folded=by_folded,
            fuzzy={k: tuple(v) for k, v in fuzzy.items()},
            not_misspellings=frozenset(normalize(w) for w in not_misspellings),
            min_fuzzy_length=min_fuzzy_length,
            two_edits_from=two_edits_from,
            max_words=max_words,
            gram_starts=frozenset(gram_starts),
            gram_start_buckets=frozenset(gram_start_buckets),
        )

    # Exact names ------------------------------------------------------------

    def canonical(self, declared: str | None) -> str | None:
        """The canonical brand for a declared brand name, or None if unknown.

        Accepts an alias in any case or width, written with look-alikes, or
        slightly misspelled (``Nikee`` is Nike); see :meth:`resolve`.
        """
        hit = self.resolve(declared)
        return hit.brand if hit else None

    def resolve(self, declared: str | None) -> BrandHit | None:
        """Recognise a declared brand name (a listing's ``brand`` field).

        Args:
            declared: The brand as declared, or None.

        Returns:
            The brand and how it was written, or None if it names no known brand.
        """
        if not declared:
            return None
        forms = analyze(declared)
        plain = forms.plain
        end = len(plain)
        brand = self.canonical_by_alias.get(plain)
        if brand is not None:
            return BrandHit(brand, plain, forms.display, 0, end)
        if plain in self.not_misspellings:
            return None
        folded = self.by_folded.get(fold_lookalikes(plain))
        if folded is not None and _mostly_letters(plain):
            return BrandHit(folded[0], folded[1], forms.display, 0, end, "look-alike")
        key = self._comparable(plain)
        if key is not None:
            near = self._near_miss(key)
            if near is not None:
                return BrandHit(near.brand, near.alias, forms.display, 0, end, "misspelling")
        return None

    def _comparable(self, plain: str) -> str | None:
        """The near-miss key of a whole brand field, if it is words of letters."""
        if not (plain[0].isalpha() and plain[-1].isalpha()):
            return None
        words = fold_lookalikes_keep_l(plain.replace("-", " ")).split()
        if len(words) > self.max_words or not all(_FUZZY_WORD.fullmatch(w) for w in words):
            return None
        key = " ".join(words)
        return key if (key[0], len(key)) in self.fuzzy else None

    # Brands named in text ---------------------------------------------------

    def find(self, normalized_text: str) -> str | None:
        """The first brand named in a text, or None.

        Exact aliases come first (in order of appearance); only a text naming
        none is searched for spaced-out, look-alike and misspelled ones.

        Args:
            normalized_text: The text, normalised or not (normalising is idempotent).

        Returns:
            The canonical brand.
        """
        hit = self.find_hit(normalized_text)
        return hit.brand if hit else None

    def find_hit(self, text: str | TextForms) -> BrandHit | None:
        """Like :meth:`find`, with how the brand was written.

        Args:
            text: The text or its :func:`~stream.rules.text.analyze` forms.

        Returns:
            The first brand found, or None.
        """
        forms = text if isinstance(text, TextForms) else analyze(text)
        match = self.pattern.search(forms.plain)
        if match:
            alias = match.group()
            return BrandHit(
                self.canonical_by_alias[alias],
                alias,
                forms.written(*match.span()),
                match.start(),
                match.end(),
            )
        if forms.spaced:
            match = self.pattern.search(forms.collapsed)
            if match:
                alias = match.group()
                start, end = forms.plain_span(*match.span())
                return BrandHit(
                    self.canonical_by_alias[alias],
                    alias,
                    forms.written(start, end),
                    start,
                    end,
                    "spacing",
                )
        altered = self.altered(forms)
        return altered[0] if altered else None

    def altered(self, text: str | TextForms) -> list[BrandHit]:
        """Brands written with look-alikes or misspelled in a text, in order of appearance.

        Brands written as listed, or only spaced out, are not included.

        Args:
            text: The text (a title: this compares words to every long alias)
                or its :func:`~stream.rules.text.analyze` forms.

        Returns:
            One hit per altered form as written.
        """
        forms = text if isinstance(text, TextForms) else analyze(text)
        hits: dict[tuple[int, int], BrandHit] = {}
        for match in self.lookalike_pattern.finditer(forms.skeleton):
            as_collapsed = forms.collapsed[match.start() : match.end()]
            if as_collapsed in self.canonical_by_alias or as_collapsed in self.not_misspellings:
                continue  # written as listed (or spaced out)
            start, end = forms.plain_span(*match.span())
            written = forms.written(start, end)
            if not _mostly_letters(written):
                continue
            brand, alias = self.by_folded[match.group()]
            hits[start, end] = BrandHit(brand, alias, written, start, end, "look-alike")
        near_misses = self._near_misses_in(forms)
        exact = [m.span() for m in self.pattern.finditer(forms.plain)] if near_misses else []
        for start, end, near in near_misses:
            if not _spans_overlap(start, end, hits) and not _spans_overlap(start, end, exact):
                hits[start, end] = BrandHit(
                    near.brand, near.alias, forms.written(start, end), start, end, "misspelling"
                )
        return sorted(hits.values(), key=lambda h: h.start)

    # Near misses ------------------------------------------------------------

    def _near_misses_in(self, forms: TextForms) -> list[tuple[int, int, _FuzzyAlias]]:
        """Words and runs of words of ``forms.plain`` that nearly spell a long alias.

        Every word's verdict is cached, together with the set of words worth a
        closer look (near misses, and words that may start a several-word
        alias), so a title of words seen before costs a few set operations.
        """
        plain = forms.plain
        folded = fold_lookalikes_keep_l(plain)
        words = _ASCII_WORD.findall(folded)
        distinct = set(words)
        unseen = distinct.difference(self._near_misses)
        if unseen:
            if len(self._near_misses) + len(unseen) >= _CACHE_LIMIT:
                self._forget()
                unseen = distinct
            for word in unseen:
                self._near_miss(word)
        interesting = distinct & self._interesting
        if not interesting:
            return []
        spans = [m.span() for m in _ASCII_WORD.finditer(folded)]
        found: list[tuple[int, int, _FuzzyAlias]] = []
        skip_to = 0
        for i, word in enumerate(words):
            if i < skip_to or word not in interesting:
                continue
            near = self._near_misses.get(word)
            last = i
            if near is None:  # a word that may start a several-word alias
                key = word
                for j in range(i + 1, min(i + self.max_words, len(words))):
                    if folded[spans[j - 1][1] : spans[j][0]] not in _WORD_GAP:
                        break
                    key = f"{key} {words[j]}"
                    near = self._near_miss(key)
                    if near is not None:
                        last = j
                        break
            if near is None:
                continue
            start, end = spans[i][0], spans[last][1]
            if (
                plain[start].isalpha()
                and plain[end - 1].isalpha()
                and not any(c.isdigit() for c in folded[start:end])
            ):
                found.append((start, end, near))
                skip_to = last + 1
        return found

    def _forget(self) -> None:
        """Empty the bounded caches of word verdicts."""
        self._near_misses.clear()
        self._interesting.clear()

    def _near_miss(self, key: str) -> _FuzzyAlias | None:
        """The alias ``key`` (look-alike-folded, words joined by one space) nearly spells.

        The verdict is cached; a single word worth a closer look in a text (a
        near miss, or one that may start a several-word alias) is also noted in
        ``_interesting``.
        """
        cache = self._near_misses
        if key in cache:
            return cache[key]
        if len(cache) >= _CACHE_LIMIT:
            self._forget()
        result = self._compare(key) if len(key) >= 4 and (key[0], len(key)) in self.fuzzy else None
        cache[key] = result
        if " " not in key and (
            result is not None
            or key in self.gram_starts
            or (key[:2], len(key)) in self.gram_start_buckets
        ):
            self._interesting.add(key)
        return result

    def _compare(self, key: str) -> _FuzzyAlias | None:
        if (
            key in self.canonical_by_alias
            or key in self.not_misspellings
            or key.replace("l", "i") in self.by_folded  # keys are [a-z0-9 ] folded but for l
        ):
            return None  # an alias as listed, a real word, or a look-alike (found apart)
        for plural in ("s", "es"):
            if key.endswith(plural) and key[: -len(plural)] in self.canonical_by_alias:
                return None
        words = key.split(" ")
        best: tuple[int, _FuzzyAlias] | None = None
        for entry in self.fuzzy.get((key[0], len(key)), ()):
            n = len(entry.key)
            if n == 4:
                if _one_doubled_letter(key, entry.key) or _one_swap(key, entry.key):
                    return entry
                continue
            cutoff = _max_edits(n, self.two_edits_from)
            if len(words) == 1:
                distance = OSA.distance(key, entry.key, score_cutoff=cutoff)
            else:
                distance = _word_edits(words, entry.words, cutoff, self.not_misspellings)
            if distance <= cutoff and (best is None or distance < best[0]):
                best = (distance, entry)
        return best[1] if best else None


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
class TermHit:
    """A counterfeit term found in a text, and how it was written.

    Attributes:
        term: The canonical term as listed in ``[vocabulary].terms``.
        written: The words as written, case kept (``R e p l i c a``, ``gaofang``).
        start: Start of the words in the normalised text.
        end: End (exclusive) of the words in the normalised text.
        evasions: How the writing differs from the term: ``"alias"`` (another
            spelling listed for it, e.g. pinyin), ``"spacing"``, ``"look-alike"``.
    """

    term: str
    written: str
    start: int
    end: int
    evasions: tuple[Evasion, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """Counterfeit vocabulary with phrases that mask innocent uses of a term.

    Each term and alias is matched as listed, spaced out (``r e p l i c a``,
    ``高 仿``) and, when at least ``min_lookalike_length`` characters long and
    free of digits, with look-alike characters folded (``r3plica``,
    ``rep1ica``). Terms with digits of their own (``1:1``, ``aaa+``) are
    matched as written. A match inside an ignore phrase (``高仿真``) does not
    count, nor does a term the text denies (``no replicas``, ``非A货``; see
    :class:`~stream.rules.wording.Negation`).
    """

    pattern: TermPattern
    ignore_phrases: tuple[str, ...]
    lookalike_pattern: TermPattern | None = None
    term_by_form: dict[str, str] = field(default_factory=dict)
    term_by_folded: dict[str, tuple[str, str]] = field(default_factory=dict)
    alias_forms: frozenset[str] = frozenset()
    negation: Negation | None = None

    @classmethod
    def build(
        cls,
        terms: Iterable[str],
        ignore_phrases: Iterable[str] = (),
        aliases: Mapping[str, Iterable[str]] | None = None,
        *,
        min_lookalike_length: int = 4,
        negation: Negation | None = None,
    ) -> Lexicon:
        """Compile the lexicon.

        Args:
            terms: The counterfeit terms, in the form reports name them.
            ignore_phrases: Different words that contain a term (``高仿真``): never a match.
            aliases: Other spellings of a term (pinyin ``gaofang`` for ``高仿``,
                traditional characters), reported as the term.
            min_lookalike_length: Shorter terms are matched without look-alike folding.
            negation: What denies a term; None counts every term.

        Returns:
            The compiled lexicon.
        """
        term_by_form: dict[str, str] = {}
        for term in terms:
            term_by_form.setdefault(normalize(term), term)
        listed = set(term_by_form)
        for term, spellings in (aliases or {}).items():
            for spelling in spellings:
                term_by_form.setdefault(normalize(spelling), term)
        for form, term in list(term_by_form.items()):
            # several words run together, or spaced out letter by letter
            # ("m i r r o r  q u a l i t y" joins to "mirrorquality")
            compact = form.replace(" ", "")
            if compact != form and len(compact) >= 6 and compact.isascii():
                term_by_form.setdefault(compact, term)
        term_by_folded: dict[str, tuple[str, str]] = {}
        for form, term in term_by_form.items():
            if _lookalike_eligible(form, min_lookalike_length):
                term_by_folded.setdefault(fold_lookalikes(form), (term, form))
        return cls(
            pattern=TermPattern.compile(term_by_form),
            ignore_phrases=tuple(dict.fromkeys(normalize(p) for p in ignore_phrases)),
            lookalike_pattern=TermPattern.compile(term_by_folded) if term_by_folded else None,
            term_by_form=term_by_form,
            term_by_folded=term_by_folded,
            alias_forms=frozenset(term_by_form) - listed,
            negation=negation,
        )

    def find(self, normalized_text: str) -> list[str]:
        """Distinct terms found in a text, in order of appearance.

        Args:
            normalized_text: The text, normalised or not (normalising is idempotent).

        Returns:
            The canonical terms, as listed in the configuration.
        """
        return list(dict.fromkeys(hit.term for hit in self.find_hits(normalized_text)))

    def find_hits(self, text: str | TextForms) -> list[TermHit]:
        """Every place a term is written in a text, in order of appearance.

        Args:
            text: The text or its :func:`~stream.rules.text.analyze` forms.

        Returns:
            One hit per place, with the term and how it was written there.
        """
        forms = text if isinstance(text, TextForms) else analyze(text)
        plain = forms.plain
        hits: dict[tuple[int, int], TermHit] = {}

        def add(start: int, end: int, form: str, term: str, evasions: list[Evasion]) -> None:
            if (start, end) in hits:
                return
            if form in self.alias_forms:
                evasions.insert(0, "alias")
            hits[start, end] = TermHit(term, forms.written(start, end), start, end, tuple(evasions))

        for match in self.pattern.finditer(plain):
            form = match.group()
            add(match.start(), match.end(), form, self.term_by_form[form], [])
        if forms.spaced:
            for match in self.pattern.finditer(forms.collapsed):
                start, end = forms.plain_span(*match.span())
                form = match.group()
                add(start, end, form, self.term_by_form[form], ["spacing"])
        if self.lookalike_pattern is not None:
            for match in self.lookalike_pattern.finditer(forms.skeleton):
                if forms.collapsed[match.start() : match.end()] in self.term_by_form:
                    continue  # written as listed: found above
                start, end = forms.plain_span(*match.span())
                if not _mostly_letters(plain[start:end]):
                    continue
                term, form = self.term_by_folded[match.group()]
                evasions: list[Evasion] = ["look-alike"]
                if plain[start:end] != forms.collapsed[match.start() : match.end()]:
                    evasions.insert(0, "spacing")
                add(start, end, form, term, evasions)
        if not hits:
            return []
        ignored = self._ignored_spans(forms)
        kept = [h for h in hits.values() if not _spans_overlap(h.start, h.end, ignored)]
        if kept and self.negation is not None:
            denied = self.negation.denied(forms, [(h.start, h.end) for h in kept])
            kept = [h for h in kept if (h.start, h.end) not in denied]
        return sorted(kept, key=lambda h: h.start)

    def _ignored_spans(self, forms: TextForms) -> list[tuple[int, int]]:
        """Spans of ``forms.plain`` covered by an ignore phrase, as written or spaced out."""
        spans = []
        for text in (forms.plain, forms.collapsed) if forms.spaced else (forms.plain,):
            for phrase in self.ignore_phrases:
                start = text.find(phrase)
                while start >= 0:
                    end = start + len(phrase)
                    spans.append(
                        forms.plain_span(start, end) if text is not forms.plain else (start, end)
                    )
                    start = text.find(phrase, start + 1)
        return spans
