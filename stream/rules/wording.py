"""What the words around a term or a brand say about it.

Three readings that a bare lexicon gets wrong, each built once from the rules:

* :class:`Negation`: a denied term is no counterfeit wording (``no replicas``,
  ``非A货``, ``拒绝高仿``, ``高仿勿扰``), while a term that merely sits near a
  denial still is (``not original box, 1:1 replica``).
* :func:`product_name_sense`: a term that is also a genuine product's name
  (``replica`` jerseys, ``1:1 scale`` models, ``AAA`` batteries), told by the
  words around it and the listing's category.
* :class:`Compatibility`: a brand that an accessory names only to say what it
  fits (``适用苹果 iPhone 16 手机壳``, ``case for Galaxy S25``).

Everything is matched in the forms of :mod:`stream.rules.text`: NFKC (full
width), case folded, look-alike characters folded (``n0t`` is ``not``), and
Chinese cues may be spaced out (``拒 绝``). Spans are spans of the normalised
(``plain``) text, the same as the lexicon's and the brand index's hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from stream.rules.config import CompatibilityPolicy, NegationPolicy, ProductName
from stream.rules.text import SEPARATORS, TextForms, fold_lookalikes, is_cjk, normalize

Span = tuple[int, int]

# Marks that end a clause: a denial never reaches across one.
CLAUSE_BREAKS = frozenset(',;:!?.|()[]{}<>"，；：！？。｜（）【】《》「」『』…\n')
# What may stand between the words of one clause without counting as a word.
_GAPS = frozenset(" \t-_*·•・~")
# A number or model code: "16", "s25", "v15", "1000xm5", "rb2140".
_MODEL_CODE = re.compile(r"[a-z]{0,3}\d+[a-z0-9]*")


def _cue_regex(cue: str, fold: bool = True) -> str:
    """A normalised (and look-alike-folded) cue as a regex: Chinese characters may
    be spaced out (``拒 绝``), words of letters are whole words."""
    form = fold_lookalikes(normalize(cue)) if fold else normalize(cue)
    parts: list[str] = []
    for index, char in enumerate(form):
        parts.append(re.escape(char))
        if index + 1 < len(form) and (is_cjk(char) or is_cjk(form[index + 1])):
            parts.append(f"[{re.escape(SEPARATORS)}]*")
    body = "".join(parts)
    head = r"(?<![a-z0-9])" if form[0].isascii() and form[0].isalnum() else ""
    tail = r"(?![a-z0-9])" if form[-1].isascii() and form[-1].isalnum() else ""
    return head + body + tail


def _words_regex(words: Iterable[str], fold: bool = True) -> re.Pattern[str] | None:
    """One regex for several cues or words, longest first."""
    forms = sorted({w for w in words if normalize(w)}, key=lambda w: -len(normalize(w)))
    if not forms:
        return None
    return re.compile("|".join(_cue_regex(w, fold) for w in forms))


Token = Literal["item", "conjunction", "filler"]


@dataclass(frozen=True)
class _Gap:
    """Reads the words between a cue and a term as fillers, items and conjunctions."""

    fillers: re.Pattern[str] | None
    nouns: re.Pattern[str] | None
    conjunctions: re.Pattern[str] | None

    def tokens(self, text: str, start: int, end: int, items: Sequence[Span]) -> list[Token] | None:
        """The tokens of ``text[start:end]``, or None when something else stands there."""
        out: list[Token] = []
        position = start
        while position < end:
            char = text[position]
            if char in CLAUSE_BREAKS:
                return None
            if char in _GAPS:
                position += 1
                continue
            item = next((s for s in items if s[0] == position and s[1] <= end), None)
            if item is not None:
                out.append("item")
                position = item[1]
                continue
            found = False
            for kind, pattern in (
                ("conjunction", self.conjunctions),
                ("item", self.nouns),
                ("filler", self.fillers),
            ):
                match = pattern.match(text, position, end) if pattern is not None else None
                if match is not None and match.end() > position:
                    out.append(kind)  # type: ignore[arg-type]
                    position = match.end()
                    found = True
                    break
            if not found:
                return None
        return out


@dataclass(frozen=True)
class Negation:
    """Finds terms that the text denies; see :class:`~stream.rules.config.NegationPolicy`."""

    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    gap: _Gap
    not_negations: tuple[str, ...]
    max_words: int

    @classmethod
    def build(cls, policy: NegationPolicy) -> Negation:
        return cls(
            before=_words_regex(policy.before),
            after=_words_regex(policy.after),
            gap=_Gap(
                _words_regex(policy.fillers),
                _words_regex(policy.denied_nouns),
                _words_regex(policy.conjunctions),
            ),
            not_negations=tuple(fold_lookalikes(normalize(p)) for p in policy.not_negations),
            max_words=policy.max_words,
        )

    def _cues(self, pattern: re.Pattern[str] | None, folded: str) -> list[Span]:
        if pattern is None:
            return []
        cues = []
        for match in pattern.finditer(folded):
            if any(folded.startswith(p, match.start()) for p in self.not_negations):
                continue
            if any(folded.endswith(p, 0, match.end()) for p in self.not_negations):
                continue
            cues.append(match.span())
        return cues

    def denied(self, forms: TextForms, spans: Sequence[Span]) -> set[Span]:
        """The spans among ``spans`` (term hits in ``forms.plain``) that a cue denies.

        Before a cue's term: fillers, then items (other terms, words for
        fakes) each joined to the next by a conjunction; after it, the same
        mirrored. At most ``max_words`` fillers and items in between.
        """
        folded = fold_lookalikes(forms.plain)
        before = self._cues(self.before, folded)
        after = self._cues(self.after, folded)
        if not before and not after:
            return set()
        denied: set[Span] = set()
        for span in spans:
            others = [s for s in spans if s != span]
            for _, cue_end in before:
                if cue_end <= span[0] and self._joined(
                    folded, cue_end, span[0], others, towards="term"
                ):
                    denied.add(span)
                    break
            else:
                for cue_start, _ in after:
                    if cue_start >= span[1] and self._joined(
                        folded, span[1], cue_start, others, towards="cue"
                    ):
                        denied.add(span)
                        break
        return denied

    def _joined(
        self, folded: str, start: int, end: int, items: Sequence[Span], towards: str
    ) -> bool:
        tokens = self.gap.tokens(folded, start, end, items)
        if tokens is None:
            return False
        if sum(1 for t in tokens if t != "conjunction") > self.max_words:
            return False
        # Read from the term outwards: every item between it and the cue must be
        # joined to the term's side by a conjunction ("no fakes or replicas").
        order = tokens[::-1] if towards == "term" else tokens
        joined = False
        for token in order:
            if token == "conjunction":
                joined = True
            elif token == "item":
                if not joined:
                    return False
                joined = False
        return True


def _in_category(category: str | None, prefixes: Iterable[str]) -> bool:
    if not category:
        return False
    path = category.strip("/").casefold()
    return any(path == p or path.startswith(p + "/") for p in prefixes)


@dataclass(frozen=True)
class ProductNames:
    """Terms that are also product names, with the words and categories of that sense."""

    words: dict[str, re.Pattern[str]]
    categories: dict[str, tuple[str, ...]]
    window: int

    @classmethod
    def build(cls, names: Iterable[ProductName], window: int) -> ProductNames:
        words: dict[str, re.Pattern[str]] = {}
        categories: dict[str, tuple[str, ...]] = {}
        for name in names:
            pattern = _words_regex(name.words)
            if pattern is not None:
                words[name.term] = pattern
            categories[name.term] = tuple(c.strip("/").casefold() for c in name.categories)
        return cls(words, categories, window)

    def __contains__(self, term: str) -> bool:
        return term in self.categories

    def sense(self, term: str, forms: TextForms, span: Span, category: str | None) -> bool:
        """Whether the term at ``span`` of ``forms.plain`` names a genuine product."""
        if term not in self.categories:
            return False
        if _in_category(category, self.categories[term]):
            return True
        pattern = self.words.get(term)
        if pattern is None:
            return False
        folded = fold_lookalikes(forms.plain)
        start, end = _word_window(folded, span, self.window)
        return any(
            not (m.start() >= span[0] and m.end() <= span[1])
            for m in pattern.finditer(folded, start, end)
        )


_WORD = re.compile(r"[a-z0-9]+|[^\W\d_a-z]", re.IGNORECASE)


def _word_window(text: str, span: Span, words: int) -> Span:
    """The span reaching ``words`` words either side of ``span``; a Chinese
    character counts as half a word, since most Chinese words have two."""
    left = list(_WORD.finditer(text, 0, span[0]))
    right = list(_WORD.finditer(text, span[1]))

    def reach(matches: list[re.Match[str]]) -> int:
        count, taken = 0.0, 0
        for match in matches:
            count += 0.5 if is_cjk(match.group()[0]) else 1.0
            if count > words:
                break
            taken += 1
        return taken

    back = reach(left[::-1])
    ahead = reach(right)
    start = left[len(left) - back].start() if back else span[0]
    end = right[ahead - 1].end() if ahead else span[1]
    return start, end


@dataclass(frozen=True)
class Compatibility:
    """Tells a brand an accessory fits from the brand of the goods; see
    :class:`~stream.rules.config.CompatibilityPolicy`."""

    categories: tuple[str, ...]
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    model_words: re.Pattern[str] | None

    @classmethod
    def build(cls, policy: CompatibilityPolicy) -> Compatibility:
        # Matched as written (normalised, not look-alike-folded): model numbers
        # matter here, and nobody disguises the word "for".
        def anchored(words: Iterable[str], at: str) -> re.Pattern[str] | None:
            pattern = _words_regex(words, fold=False)
            if pattern is None:
                return None
            return re.compile(f"(?:{pattern.pattern})$" if at == "end" else pattern.pattern)

        return cls(
            categories=tuple(c.strip("/").casefold() for c in policy.accessory_categories),
            before=anchored(policy.before, "end"),
            after=anchored(policy.after, "start"),
            model_words=_words_regex(policy.model_words, fold=False),
        )

    def covers(self, category: str | None) -> bool:
        """Whether listings of ``category`` are accessories."""
        return _in_category(category, self.categories)

    def fitted(self, forms: TextForms, span: Span, brands: Sequence[Span]) -> bool:
        """Whether the brand named at ``span`` of ``forms.plain`` is what the accessory fits.

        Args:
            forms: The title's forms.
            span: Where the brand is named.
            brands: Where any brand is named in the title (chains of names:
                ``适用苹果 iPhone 16``, ``for iPhone / Galaxy``).
        """
        plain = forms.plain
        return self._cue_before(plain, span[0], brands) or self._cue_after(plain, span[1], brands)

    def _skip_back(self, text: str, end: int, brands: Sequence[Span]) -> int | None:
        """Where the model word, code or brand name ending at ``end`` starts, or None."""
        for start, stop in brands:
            if stop == end:
                return start
        for pattern in (_MODEL_CODE, self.model_words):
            if pattern is None:
                continue
            for match in pattern.finditer(text, max(0, end - 24), end):
                if match.end() == end and (
                    match.start() == 0
                    or not text[match.start() - 1].isalnum()
                    or is_cjk(text[match.start()])
                ):
                    return match.start()
        return None

    def _cue_before(self, text: str, position: int, brands: Sequence[Span]) -> bool:
        if self.before is None:
            return False
        for _ in range(8):
            while position > 0 and (text[position - 1] in _GAPS or text[position - 1] in "/、&"):
                position -= 1
            if position == 0:
                return False
            if self.before.search(text, 0, position):
                return True
            back = self._skip_back(text, position, brands)
            if back is None:
                return False
            position = back
        return False

    def _cue_after(self, text: str, position: int, brands: Sequence[Span]) -> bool:
        if self.after is None:
            return False
        for _ in range(8):
            while position < len(text) and (text[position] in _GAPS or text[position] in "/、&"):
                position += 1
            if position >= len(text):
                return False
            if self.after.match(text, position):
                return True
            ahead = next((stop for start, stop in brands if start == position), None)
            if ahead is None:
                for pattern in (_MODEL_CODE, self.model_words):
                    match = pattern.match(text, position) if pattern is not None else None
                    if match is not None and (
                        match.end() == len(text)
                        or not text[match.end()].isalnum()
                        or is_cjk(text[match.end() - 1])
                    ):
                        ahead = match.end()
                        break
            if ahead is None:
                return False
            position = ahead
        return False
