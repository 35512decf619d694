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

Every worker judges against the same references. The prices learned from the
events of input partition P form P's *contribution* (one sketch per pair),
written to partition P of the reference table's changelog, so it moves with
the partition like a seller's state; every worker reads the other partitions'
contributions from that changelog (``stream/topology/reference_feed.py``) and
judges against all of them merged (KLL sketches merge with their error bound).
"""

from __future__ import annotations

from datasketches import kll_floats_sketch

from stream.rules.config import ReferenceLearningPolicy
from stream.rules.matching import Catalog, Reference

SKETCH_K = 200


Pair = tuple[str, str]  # (brand, category path)
LEGACY_PARTITION = -1  # sketches written before contributions were kept per partition


class ReferenceBook:
    """Catalog references, refined by the prices seen in the stream by every worker."""

    def __init__(self, catalog: Catalog, policy: ReferenceLearningPolicy) -> None:
        self.catalog = catalog
        self.policy = policy
        self.partition = 0  # input partition of the event being judged (set by the agent)
        # per pair, each input partition's learned prices
        self.contributions: dict[Pair, dict[int, kll_floats_sketch]] = {}
        # per pair, every contribution together: what the references read
        self.merged: dict[Pair, kll_floats_sketch] = {}
        self.dirty: set[tuple[Pair, int]] = set()
        self._medians: dict[Pair, float] = {}

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
        sketch = self.merged.get((brand, path))
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

    def _median(self, key: Pair) -> float:
        median = self._medians.get(key)
        if median is None:
            median = self._medians[key] = float(self.merged[key].get_quantile(0.5))
        return median

    def learned_count(self, brand: str, category: str) -> int:
        """How many prices were learned for exactly this pair, by every partition."""
        sketch = self.merged.get((brand, category.strip("/")))
        return 0 if sketch is None else int(sketch.n)

    # ----------------------------------------------------------- learning

    def learn(self, brand: str, category: str, price: float, *, trusted: bool) -> None:
        """Add a genuine-looking new listing's price (in the reference currency) to the
        contribution of the current :attr:`partition`.

        The pair learned is the catalog's (nearest listed parent) when there is
        one; otherwise the listing's own category, and only from trusted sellers.
        """
        reference = self.catalog.reference(brand, category)
        if reference is None and not trusted:
            return
        key = (brand, reference.category if reference is not None else category.strip("/"))
        own = self.contributions.setdefault(key, {})
        sketch = own.get(self.partition)
        new = sketch is None
        if sketch is None:
            sketch = own[self.partition] = kll_floats_sketch(SKETCH_K)
        sketch.update(price)
        if new:
            self._merge(key)
        elif len(own) > 1:
            self.merged[key].update(price)  # a sketch of its own (see _merge)
        self._medians.pop(key, None)
        self.dirty.add((key, self.partition))

    def _merge(self, key: Pair) -> None:
        """Rebuild the merged view of ``key`` from its contributions."""
        own = self.contributions[key]
        if len(own) == 1:  # one contribution is its own merge (and stays exact)
            self.merged[key] = next(iter(own.values()))
            return
        merged = kll_floats_sketch(SKETCH_K)
        for contribution in own.values():
            merged.merge(contribution)
        self.merged[key] = merged

    # -------------------------------------------------------- persistence

    @staticmethod
    def table_key(key: Pair, partition: int) -> bytes:
        """The table key of a pair's contribution from ``partition``."""
        return f"{key[0]}|{key[1]}|{partition}".encode()

    @staticmethod
    def parse_table_key(table_key: bytes) -> tuple[Pair, int]:
        """The pair and partition of a table key (a key without a partition is a sketch
        of before contributions, :data:`LEGACY_PARTITION`)."""
        brand, _, rest = table_key.decode("utf-8").partition("|")
        category, _, partition = rest.rpartition("|")
        if category and partition.lstrip("-").isdigit():
            return (brand, category), int(partition)
        return (brand, rest), LEGACY_PARTITION

    def restore(self, table_key: bytes, raw: bytes) -> None:
        """Load one contribution as written by :meth:`changes` (from this worker's table,
        or from another partition's changelog)."""
        key, partition = self.parse_table_key(table_key)
        own = self.contributions.setdefault(key, {})
        own[partition] = kll_floats_sketch.deserialize(raw)
        self.dirty.discard((key, partition))
        self._merge(key)
        self._medians.pop(key, None)

    def changes(self) -> list[tuple[int, bytes, bytes]]:
        """Contributions changed since the last call, as (partition, table key, value)."""
        out = [
            (
                partition,
                self.table_key(key, partition),
                bytes(self.contributions[key][partition].serialize()),
            )
            for key, partition in sorted(self.dirty)
        ]
        self.dirty.clear()
        return out
