"""Reference prices learned from the stream, seeded by the shipped catalog.

Per (brand, category) a KLL quantile sketch (Apache DataSketches) holds the
prices, in the reference currency, of new listings that looked genuine. The
reference used by the price rule is the catalog price blended with the
learned median, weighted by how many prices were seen. Fakes cannot drag it
down: a price is learned only when the listing raised no reason (it was not
far below the current reference and used no counterfeit wording), the blend
never falls below ``floor`` times the catalog price, and a pair without a
catalog price needs ``min_sample`` prices from trusted sellers (authorised for
the brand, or registered for ``trusted_account_days``) before it is used.
"""

from __future__ import annotations

from datasketches import kll_floats_sketch

from stream.rules.config import ReferenceLearningPolicy
from stream.rules.matching import Catalog, Reference

SKETCH_K = 200


class ReferenceBook:
    """Catalog references, refined by the prices seen in the stream."""

    def __init__(self, catalog: Catalog, policy: ReferenceLearningPolicy) -> None:
        self.catalog = catalog
        self.policy = policy
        self.sketches: dict[tuple[str, str], kll_floats_sketch] = {}
        self.dirty: set[tuple[str, str]] = set()
        self._medians: dict[tuple[str, str], float] = {}

    # ------------------------------------------------------------ reading

    def reference(self, brand: str, category: str) -> Reference | None:
        """The reference for ``brand`` in ``category`` (or its nearest known parent)."""
        path = category.strip("/")
        while path:
            found = self._reference_at(brand, path)
            if found is not None:
                return found
            path = path.rpartition("/")[0]
        return None

    def _reference_at(self, brand: str, path: str) -> Reference | None:
        seeded = self.catalog.prices.get((brand, path))
        sketch = self.sketches.get((brand, path))
        count = sketch.n if sketch is not None else 0
        if seeded is None:
            if count < self.policy.min_sample:
                return None
            return Reference(brand, path, self._median((brand, path)))
        if count == 0:
            return Reference(brand, path, seeded)
        learned = self._median((brand, path))
        weight = self.policy.catalog_weight
        blended = (weight * seeded + count * learned) / (weight + count)
        bounded = min(max(blended, seeded * self.policy.floor), seeded * self.policy.ceiling)
        return Reference(brand, path, round(bounded, 2))

    def _median(self, key: tuple[str, str]) -> float:
        median = self._medians.get(key)
        if median is None:
            median = self._medians[key] = float(self.sketches[key].get_quantile(0.5))
        return median

    def learned_count(self, brand: str, category: str) -> int:
        """How many prices were learned for exactly this pair."""
        sketch = self.sketches.get((brand, category.strip("/")))
        return 0 if sketch is None else int(sketch.n)

    # ----------------------------------------------------------- learning

    def learn(self, brand: str, category: str, price: float, *, trusted: bool) -> None:
        """Add a genuine-looking new listing's price (in the reference currency).

        The pair learned is the catalog's (nearest listed parent) when there is
        one; otherwise the listing's own category, and only from trusted sellers.
        """
        reference = self.catalog.reference(brand, category)
        if reference is None and not trusted:
            return
        key = (brand, reference.category if reference is not None else category.strip("/"))
        sketch = self.sketches.get(key)
        if sketch is None:
            sketch = self.sketches[key] = kll_floats_sketch(SKETCH_K)
        sketch.update(price)
        self._medians.pop(key, None)
        self.dirty.add(key)

    # -------------------------------------------------------- persistence

    @staticmethod
    def table_key(key: tuple[str, str]) -> bytes:
        """The table key of a (brand, category) pair."""
        return f"{key[0]}|{key[1]}".encode()

    def restore(self, table_key: bytes, raw: bytes) -> None:
        """Load one pair's sketch as written by :meth:`changes`."""
        brand, _, category = table_key.decode("utf-8").partition("|")
        self.sketches[(brand, category)] = kll_floats_sketch.deserialize(raw)
        self._medians.pop((brand, category), None)

    def changes(self) -> list[tuple[bytes, bytes]]:
        """Serialised sketches changed since the last call, as (table key, value)."""
        out = [(self.table_key(key), bytes(self.sketches[key].serialize())) for key in self.dirty]
        self.dirty.clear()
        return out
