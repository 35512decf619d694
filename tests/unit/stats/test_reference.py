"""Reference prices learned from the stream, seeded by the catalog."""

from __future__ import annotations

from stream.rules import CompiledRules, load_rules
from stream.rules.config import ReferenceLearningPolicy
from stream.stats.reference import ReferenceBook


def book(**policy: float) -> ReferenceBook:
    rules = CompiledRules.build(load_rules())
    return ReferenceBook(rules.catalog, ReferenceLearningPolicy(**policy))  # type: ignore[arg-type]


def test_catalog_reference_until_prices_are_learned() -> None:
    references = book()
    reference = references.reference("Nike", "shoes/sneakers/running")
    assert reference is not None
    assert (reference.category, reference.price) == ("shoes/sneakers", 899.0)


def test_learned_prices_blend_with_the_catalog() -> None:
    references = book(catalog_weight=50)
    for _ in range(150):
        references.learn("Nike", "shoes/sneakers", 1099.0, trusted=False)
    reference = references.reference("Nike", "shoes/sneakers")
    assert reference is not None
    # (50 x 899 + 150 x 1099) / 200
    assert abs(reference.price - 1049.0) < 5


def test_reference_never_falls_below_the_floor() -> None:
    references = book(catalog_weight=1, floor=0.6)
    for _ in range(1000):
        references.learn("Nike", "shoes/sneakers", 100.0, trusted=True)
    reference = references.reference("Nike", "shoes/sneakers")
    assert reference is not None
    assert reference.price == round(899.0 * 0.6, 2)


def test_pairs_outside_the_catalog_need_trusted_sellers_and_a_sample() -> None:
    references = book(min_sample=30)
    for _ in range(100):
        references.learn("Nike", "bags/backpacks", 20.0, trusted=False)
    assert references.reference("Nike", "bags/backpacks") is None
    for _ in range(29):
        references.learn("Nike", "bags/backpacks", 300.0, trusted=True)
    assert references.reference("Nike", "bags/backpacks") is None
    references.learn("Nike", "bags/backpacks", 300.0, trusted=True)
    reference = references.reference("Nike", "bags/backpacks")
    assert reference is not None
    assert reference.price == 300.0


def test_sketches_survive_serialisation() -> None:
    references = book()
    for price in (800.0, 900.0, 1000.0):
        references.learn("Nike", "shoes/sneakers", price, trusted=False)
    changes = references.changes()
    assert len(changes) == 1
    assert references.changes() == []
    restored = book()
    for key, raw in changes:
        restored.restore(key, raw)
    assert restored.learned_count("Nike", "shoes/sneakers") == 3
    assert restored.reference("Nike", "shoes/sneakers") == references.reference(
        "Nike", "shoes/sneakers"
    )
