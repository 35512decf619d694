"""Text normalisation shared by the text rules: the forms a text is matched in.

:func:`normalize` gives the canonical form; :func:`analyze` adds the forms that
undo evasions: spaced-out words joined (``r e p l i c a``, ``高 仿``) and
look-alike characters folded (``r3plica``, ``0riginal``, Cyrillic ``е``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Invisible characters that split a word without showing (zero-width space and
# joiners, soft hyphen, word joiner, byte-order mark, bidi marks).
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

# Characters that may stand between the letters of a spaced-out word:
# ``r e p l i c a``, ``r.e.p.l.i.c.a``, ``r-e-p-l-i-c-a``, ``高 仿``, ``高·仿``.
# Sentence punctuation (``:;!?，。``) is left out on purpose.
SEPARATORS = " .-_*·•・/|\\~,、"
_SEP = "[" + re.escape(SEPARATORS) + "]+"
_SINGLE = r"[^\W_](?![^\W_])"
# A run of single-character tokens separated by separators, and a quick test
# that a text may hold one (a separator before a single-character token).
_RUN_HINT = re.compile(rf"[{re.escape(SEPARATORS)}]{_SINGLE}")
_RUN = re.compile(rf"(?<![^\W_]){_SINGLE}(?=[{re.escape(SEPARATORS)}])(?:{_SEP}{_SINGLE})+")
_ALNUM = re.compile(r"[^\W_]")

#: Look-alike characters folded onto the Latin letter they imitate. Both ``i``
#: and ``l`` fold onto ``i`` (``Nlke``, ``Guccl``, ``rep1ica``), so the folded
#: form is a matching key, never shown. Case-folded Cyrillic and Greek letters
#: whose upper or lower case looks Latin are included.
LOOKALIKES: dict[str, str] = {
    "0": "o", "1": "i", "l": "i", "|": "i", "3": "e", "4": "a", "5": "s", "7": "t",
    "$": "s", "@": "a",
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x",
    "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "i", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m",
    "ν": "n", "ο": "o", "ρ": "p", "τ": "t", "υ": "y", "χ": "x",
}  # fmt: skip
_KEEP_L = {k: v for k, v in LOOKALIKES.items() if k not in "l|"}


def _tables(mapping: dict[str, str]) -> tuple[dict[int, str], bytes]:
    """A str table for any text and a much faster bytes table for ASCII text."""
    ascii_keys = [k for k in mapping if k.isascii()]
    return str.maketrans(mapping), bytes.maketrans(
        "".join(ascii_keys).encode(), "".join(mapping[k] for k in ascii_keys).encode()
    )


_FOLD = _tables(LOOKALIKES)
#: The same folding without ``l``→``i``, for edit-distance comparisons where
#: merging two common letters would turn real words (``roles``) into brands.
_FOLD_KEEP_L = _tables(_KEEP_L)


def _translate(text: str, tables: tuple[dict[int, str], bytes]) -> str:
    if text.isascii():
        return text.encode("ascii").translate(tables[1]).decode("ascii")
    return text.translate(tables[0])


def normalize(text: str) -> str:
    """Fold text to the form the lexicons are matched in.

    NFKC turns full-width and compatibility forms into their plain letters
    (``ＲＥＰＬＩＣＡ`` becomes ``REPLICA``), case folding removes case,
    invisible characters (zero-width spaces, soft hyphens) are dropped and
    runs of white space collapse to one space. Normalising twice changes
    nothing.

    Args:
        text: Any text.

    Returns:
        The normalised text.
    """
    return " ".join(_nfkc(text).casefold().split())


def _nfkc(text: str) -> str:
    """NFKC with invisible characters dropped."""
    text = unicodedata.normalize("NFKC", text)
    return _INVISIBLE.sub("", text) if _INVISIBLE.search(text) else text


def _display(text: str) -> str:
    """``normalize`` without case folding: the text as shown in messages."""
    return " ".join(_nfkc(text).split())


def fold_lookalikes(text: str) -> str:
    """Fold look-alike digits, symbols and Cyrillic/Greek letters onto Latin ones.

    The result has the same length as ``text``, character for character, so a
    span found in it is the same span of ``text``.

    Args:
        text: Normalised text.

    Returns:
        The folded text (``r3plica`` becomes ``repiica``, ``nlke`` becomes ``nike``).
    """
    return _translate(text, _FOLD)


def fold_lookalikes_keep_l(text: str) -> str:
    """Like :func:`fold_lookalikes`, but ``l`` stays ``l``.

    Args:
        text: Normalised text.

    Returns:
        The folded text, same length as ``text``.
    """
    return _translate(text, _FOLD_KEEP_L)


def is_cjk(char: str) -> bool:
    """Whether ``char`` is a letter of a script written without spaces (CJK, kana, hangul).

    Args:
        char: One character.

    Returns:
        True for CJK ideographs, kana and hangul.
    """
    return char >= "\u2e80" and char.isalpha()


@dataclass(frozen=True)
class _Run:
    """One spaced-out run: where its letters start in the collapsed text,
    where each letter was in the normalised text, and where the run ended there."""

    out_start: int
    positions: tuple[int, ...]
    in_end: int

    @property
    def out_end(self) -> int:
        return self.out_start + len(self.positions)


def _collapse(plain: str) -> tuple[str, tuple[_Run, ...]]:
    """Join spaced-out words; see :class:`TextForms`."""
    runs: list[_Run] = []
    pieces: list[str] = []
    last = 0
    out_len = 0
    for match in _RUN.finditer(plain):
        chars = [(m.start(), m.group()) for m in _ALNUM.finditer(plain, match.start(), match.end())]
        if len(chars) < 3 and not any(is_cjk(c) for _, c in chars):
            continue
        pieces.append(plain[last : match.start()])
        out_len += match.start() - last
        runs.append(_Run(out_len, tuple(i for i, _ in chars), match.end()))
        word = "".join(c for _, c in chars)
        pieces.append(word)
        out_len += len(word)
        last = match.end()
    if not runs:
        return plain, ()
    pieces.append(plain[last:])
    return "".join(pieces), tuple(runs)


@dataclass(frozen=True)
class TextForms:
    """The forms of one text that the matchers search, computed once.

    Attributes:
        display: NFKC-normalised text with case kept, to quote what was written.
        plain: The :func:`normalize` form.
        collapsed: ``plain`` with spaced-out words joined: a run of three or
            more single letters or digits separated by spaces or punctuation
            (``r e p l i c a``, ``r.e.p.l.i.c.a``), or of two or more single
            characters when one is CJK (``高 仿``, ``高-仿``), becomes one
            word. Ordinary words are never joined. Same object as ``plain``
            when nothing was joined.
        skeleton: ``collapsed`` with look-alikes folded (:func:`fold_lookalikes`).
    """

    display: str
    plain: str
    collapsed: str
    skeleton: str
    runs: tuple[_Run, ...] = ()

    @property
    def spaced(self) -> bool:
        """Whether any spaced-out word was joined."""
        return bool(self.runs)

    def plain_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``collapsed`` (or ``skeleton``) back to ``plain``.

        Args:
            start: Start of the span in ``collapsed``.
            end: End of the span (exclusive) in ``collapsed``.

        Returns:
            The span of ``plain`` that was written there.
        """
        if not self.runs:
            return start, end
        return self._to_plain(start, is_end=False), self._to_plain(end, is_end=True)

    def _to_plain(self, pos: int, *, is_end: bool) -> int:
        shift = 0
        for run in self.runs:
            if pos < run.out_start or (is_end and pos == run.out_start):
                break
            if pos < run.out_end or (is_end and pos == run.out_end):
                index = pos - run.out_start
                return run.positions[index - 1] + 1 if is_end else run.positions[index]
            shift = run.in_end - run.out_end
        return pos + shift

    def written(self, start: int, end: int) -> str:
        """What the text says at a span of ``plain``, with its case kept when possible.

        Args:
            start: Start of the span in ``plain``.
            end: End of the span (exclusive) in ``plain``.

        Returns:
            The span of ``display`` if case folding kept the length, else of ``plain``.
        """
        source = self.display if len(self.display) == len(self.plain) else self.plain
        return source[start:end]


@lru_cache(maxsize=256)
def analyze(text: str) -> TextForms:
    """Compute the :class:`TextForms` of a text (raw or already normalised).

    Cached for the few texts in flight, since every text rule of one listing
    looks at the same title.

    Args:
        text: The text to analyse.

    Returns:
        Its display, normalised, collapsed and look-alike-folded forms.
    """
    display = _display(text)
    plain = display.casefold()
    collapsed, runs = _collapse(plain) if _RUN_HINT.search(plain) else (plain, ())
    return TextForms(display, plain, collapsed, fold_lookalikes(collapsed), runs)
