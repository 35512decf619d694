"""Reference prices learned from the stream, seeded by the catalog."""

from __future__ import annotations

from datasketches import kll_floats_sketch

from stream.rules import CompiledRules, load_rules
from stream.rules.config import ReferenceLearningPolicy
from stream.stats.reference import LEGACY_PARTITION, ReferenceBook


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
    for _, key, raw in changes:
        restored.restore(key, raw)
    assert restored.learned_count("Nike", "shoes/sneakers") == 3
    assert restored.reference("Nike", "shoes/sneakers") == references.reference(
        "Nike", "shoes/sneakers"
    )


def test_each_partition_contributes_and_every_worker_judges_against_all_of_them() -> None:
    first, second = book(min_sample=5), book(min_sample=5)  # two workers, a partition each
    first.partition, second.partition = 0, 1
    for price in (10.0, 11.0, 12.0):
        first.learn("Nike", "bags/backpacks", price, trusted=True)
    for price in (13.0, 14.0):
        second.learn("Nike", "bags/backpacks", price, trusted=True)
    assert first.reference("Nike", "bags/backpacks") is None  # 3 of min_sample 5
    # each reads the other's contribution from its partition of the changelog
    for partition, key, raw in first.changes():
        assert partition == 0
        second.restore(key, raw)
    for partition, key, raw in second.changes():
        assert partition == 1
        first.restore(key, raw)
    for judge in (first, second):
        assert judge.learned_count("Nike", "bags/backpacks") == 5
        reference = judge.reference("Nike", "bags/backpacks")
        assert reference is not None
        assert reference.price == 12.0
    # learning on after the merge adds to the own contribution and to the merge
    first.learn("Nike", "bags/backpacks", 15.0, trusted=True)
    assert first.learned_count("Nike", "bags/backpacks") == 6
    ((partition, key, raw),) = first.changes()
    alone = book()
    alone.restore(key, raw)
    assert alone.learned_count("Nike", "bags/backpacks") == 4  # partition 0's own only


def test_a_worker_with_two_partitions_keeps_their_contributions_apart() -> None:
    references = book()
    for partition, price in ((0, 100.0), (1, 200.0), (0, 300.0)):
        references.partition = partition
        references.learn("Nike", "bags/backpacks", price, trusted=True)
    changes = {partition: raw for partition, _, raw in references.changes()}
    counts = {p: kll_floats_sketch.deserialize(raw).n for p, raw in changes.items()}
    assert counts == {0: 2, 1: 1}
    assert references.learned_count("Nike", "bags/backpacks") == 3


def test_table_keys_name_the_partition_and_legacy_keys_still_load() -> None:
    key = ReferenceBook.table_key(("Nike", "shoes/sneakers"), 7)
    assert key == b"Nike|shoes/sneakers|7"
    assert ReferenceBook.parse_table_key(key) == (("Nike", "shoes/sneakers"), 7)
    assert ReferenceBook.parse_table_key(b"Nike|shoes/sneakers") == (
        ("Nike", "shoes/sneakers"),
        LEGACY_PARTITION,
    )
    old = kll_floats_sketch(200)
    old.update(900.0)
    references = book()
    references.restore(b"Nike|shoes/sneakers", bytes(old.serialize()))
    assert references.learned_count("Nike", "shoes/sneakers") == 1
