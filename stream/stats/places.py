"""Locations as compact codes (``CN/Fujian/Putian``) and comparisons between them."""

from __future__ import annotations

import functools

from schemas import Location


def location_code(location: Location | None) -> str | None:
    """``COUNTRY/Province/City`` with the parts that are known, or None."""
    if location is None:
        return None
    parts = [location.country]
    if location.province:
        parts.append(location.province.strip())
        if location.city:
            parts.append(location.city.strip())
    return "/".join(parts)


def _parts(code: str) -> list[str]:
    return [part.casefold() for part in code.split("/")]


@functools.lru_cache(maxsize=65_536)
def different_region(declared: str, scanned: str) -> bool:
    """Whether a dispatch point lies in another province (or country) than declared.

    Cities within one province are not told apart: honest sellers ship from
    more than one warehouse nearby. Unknown provinces never count as different.
    Cached: it runs for every order, over few distinct places.
    """
    left, right = _parts(declared), _parts(scanned)
    if left[0] != right[0]:
        return True
    if len(left) < 2 or len(right) < 2:
        return False
    return left[1] != right[1]


def within(code: str, region: str) -> bool:
    """Whether ``code`` lies inside ``region`` (a prefix of its parts)."""
    inner, outer = _parts(code), _parts(region)
    return len(inner) >= len(outer) and inner[: len(outer)] == outer
