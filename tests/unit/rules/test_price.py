"""Rule: price far below the brand/category reference."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schemas import ListingEvent
from stream.rules import CompiledRules, price_far_below_reference

Make = Callable[..., ListingEvent]


def check(listing: ListingEvent, rules: CompiledRules) -> object:
    return price_far_below_reference(listing, rules, rules.config.price)


def test_contract_example_price_is_flagged_with_figures(
    make_listing: Make, rules: CompiledRules
) -> None:
    listing = make_listing(
        brand="Samsung", category="electronics/storage", price=1299.0, title="990 PRO 4TB"
    )
    reason = price_far_below_reference(listing, rules, rules.config.price)
    assert reason is not None
    assert reason.message == (
        "Price 1299 CNY is 4% of the 32000 CNY reference for Samsung electronics/storage"
    )
    assert reason.evidence["ratio"] == 0.041
    assert reason.evidence["reference"] == 32000.0
    assert 80 < reason.score <= 95


@pytest.mark.parametrize("ratio", [0.5, 0.6, 0.7, 0.9, 1.0, 1.2])
def test_honest_discounts_are_not_flagged(
    make_listing: Make, rules: CompiledRules, ratio: float
) -> None:
    assert check(make_listing(brand="Nike", price=899.0 * ratio), rules) is None


def test_lower_price_scores_higher(make_listing: Make, rules: CompiledRules) -> None:
    scores = []
    for ratio in (0.25, 0.15, 0.05, 0.01):
        reason = price_far_below_reference(
            make_listing(brand="Nike", price=899.0 * ratio), rules, rules.config.price
        )
        assert reason is not None
        scores.append(reason.score)
    assert scores == sorted(scores)
    assert scores[0] >= rules.config.price.score_at_threshold


def test_brand_is_recognised_from_alias_and_title(make_listing: Make, rules: CompiledRules) -> None:
    by_alias = price_far_below_reference(
        make_listing(brand="耐克", price=100.0), rules, rules.config.price
    )
    by_title = price_far_below_reference(
        make_listing(brand=None, title="NIKE air max 90", price=100.0), rules, rules.config.price
    )
    assert by_alias is not None
    assert by_alias.evidence["brand"] == "Nike"
    assert by_title is not None
    assert by_title.evidence["brand"] == "Nike"


def test_brand_alias_does_not_match_inside_a_word(make_listing: Make, rules: CompiledRules) -> None:
    # "lv" (Louis Vuitton) must not be found in "silver"
    listing = make_listing(brand=None, title="silver handbag", category="bags/handbags", price=80.0)
    assert check(listing, rules) is None


def test_unbranded_or_unknown_brand_is_not_price_checked(
    make_listing: Make, rules: CompiledRules
) -> None:
    assert check(make_listing(brand=None, title="canvas shoes", price=20.0), rules) is None
    assert check(make_listing(brand="NoName", title="canvas shoes", price=20.0), rules) is None


def test_subcategory_uses_parent_reference(make_listing: Make, rules: CompiledRules) -> None:
    reason = price_far_below_reference(
        make_listing(brand="Nike", category="shoes/sneakers/running", price=90.0),
        rules,
        rules.config.price,
    )
    assert reason is not None
    assert reason.evidence["category"] == "shoes/sneakers"


def test_category_without_reference_is_not_checked(
    make_listing: Make, rules: CompiledRules
) -> None:
    assert check(make_listing(brand="Nike", category="home/kitchen", price=1.0), rules) is None


def test_foreign_currency_is_converted(make_listing: Make, rules: CompiledRules) -> None:
    honest = make_listing(brand="Nike", price=110.0, currency="USD")  # ~781 CNY
    fake = make_listing(brand="Nike", price=15.0, currency="USD")  # ~107 CNY
    assert check(honest, rules) is None
    reason = price_far_below_reference(fake, rules, rules.config.price)
    assert reason is not None
    assert "Price 15 USD (106 CNY) is 12% of the 899 CNY" in reason.message


def test_unknown_currency_is_not_checked(make_listing: Make, rules: CompiledRules) -> None:
    assert check(make_listing(brand="Nike", price=1.0, currency="XAU"), rules) is None


def test_used_goods_get_a_looser_band(make_listing: Make, rules: CompiledRules) -> None:
    used = make_listing(brand="Nike", price=899.0 * 0.2, condition="used")
    new = make_listing(brand="Nike", price=899.0 * 0.2, condition="new")
    assert check(used, rules) is None
    assert check(new, rules) is not None
    very_cheap_used = price_far_below_reference(
        make_listing(brand="Nike", price=899.0 * 0.05, condition="refurbished"),
        rules,
        rules.config.price,
    )
    assert very_cheap_used is not None
    assert "(refurbished)" in very_cheap_used.message


@pytest.mark.parametrize(
    ("brand", "title"),
    [
        (None, "Addidas Samba OG"),  # misspelled in the title
        (None, "A d i d a s Samba OG"),  # spaced out
        (None, "阿迪达斯 三叶草 板鞋"),  # Chinese name
        ("Adidos", "Samba OG"),  # misspelled brand field
    ],
)
def test_brand_is_recognised_under_evasion(
    make_listing: Make, rules: CompiledRules, brand: str | None, title: str
) -> None:
    reason = price_far_below_reference(
        make_listing(brand=brand, title=title, price=60.0), rules, rules.config.price
    )
    assert reason is not None
    assert reason.evidence["brand"] == "Adidas"


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Canon EOS 5D Mark IV strap bag", "bags/handbags"),  # "IV" is not "LV"
        ("Carrier bag, canvas", "bags/handbags"),  # not Cartier
        ("Apple slicer and corer", "home/kitchen"),  # Apple named, but no kitchen reference
    ],
)
def test_lookalike_words_are_not_priced_as_brands(
    make_listing: Make, rules: CompiledRules, title: str, category: str
) -> None:
    listing = make_listing(brand=None, title=title, category=category, price=20.0)
    assert check(listing, rules) is None
