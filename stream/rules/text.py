"""Text normalisation shared by the text rules: one canonical form to match on."""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """Fold text to the form the lexicons are matched in.

    NFKC turns full-width and compatibility forms into their plain letters
    (``ＲＥＰＬＩＣＡ`` becomes ``REPLICA``), case folding removes case, and
    runs of white space collapse to one space.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())
