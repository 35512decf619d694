"""What the words around a term or brand say: denials, product names, compatibility."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schemas import ListingEvent
from stream.devtools.simulation.scenarios import full_width
from stream.rules import CompiledRules
from stream.rules.listing_rules import listing_brand, term_hits, text_reasons

Make = Callable[..., ListingEvent]


def terms(rules: CompiledRules, text: str) -> list[str]:
    return rules.lexicon.find(text)


# Denials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # English
        "100% authentic, not a replica",
        "No replicas, no fakes",
        "No fakes or replicas",
        "We never sell replicas",
        "we do not sell replicas or knock-offs",
        "Non-replica, authorised channel stock",
        "Zero replicas. Authenticity guaranteed",
        "No 1:1 copies, no AAA, only originals",
        "no replicas or 1:1 copies",
        "This is not a super copy",
        "Not replica quality: genuine",
        # simplified Chinese
        "正品保证 非A货",
        "拒绝高仿 假一赔十",
        "非高仿 非A货 专柜正品",
        "绝不卖高仿",
        "不是高仿，放心购买",
        "杜绝假货和高仿",
        "拒绝一切仿品",
        "高仿勿扰",
        "A货勿拍 只做正品",
        "高仿、A货勿扰",
        "非原单 非复刻 专柜正品",
        # traditional Chinese
        "正品保證 非A貨",
        "拒絕高仿",
        "絕非仿品",
        "絕不賣高仿",
        "高仿勿擾",
        "非複刻 專櫃正品",
        # pinyin
        "zhengpin baozheng, bushi gaofang",
        "jujue gaofang",
        "fei fuke",
    ],
)
def test_denied_terms_do_not_count(rules: CompiledRules, text: str) -> None:
    assert terms(rules, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "n0t a r3plica",  # look-alikes in the cue and the term
        "N0 REPLICAS",
        "拒 绝 高 仿",  # spaced out
        "非 A 货 正 品",
        "NOT R E P L I C A",
        full_width("no replicas"),
        full_width("非A货"),
        "不是\u200b高仿",  # an invisible character
    ],
)
def test_denials_survive_the_evasions_the_lexicon_handles(rules: CompiledRules, text: str) -> None:
    assert terms(rules, text) == []


@pytest.mark.parametrize(
    ("text", "used"),
    [
        ("not original box, 1:1 replica", ["1:1", "replica"]),  # a comma ends the denial
        ("非高仿 原单品质", ["原单"]),  # another term, not joined to the denial
        ("Nike Dunk not replica 1:1", ["1:1"]),
        ("not fake, AAA quality", ["aaa"]),
        ("不是A货 是顶级复刻", ["顶级复刻"]),
        ("非A货 纯原 莆田直发", ["纯原"]),
        ("no box, replica", ["replica"]),
        ("not original box 1:1 replica", ["1:1", "replica"]),  # other words between
        ("非常高仿", ["高仿"]),  # 非常: very, no denial
        ("无差别复刻", ["复刻"]),  # 无差别: without difference
        ("not only 1:1 but mirror quality", ["1:1", "mirror quality"]),
        ("replica free shipping", ["replica"]),
        ("No.1 replica seller", ["replica"]),
        ("高仿 A货", ["高仿", "A货"]),
    ],
)
def test_terms_beside_a_denial_still_count(
    rules: CompiledRules, text: str, used: list[str]
) -> None:
    assert terms(rules, text) == used


def test_a_denied_term_gives_no_reason_and_a_used_one_does(
    rules: CompiledRules, make_listing: Make
) -> None:
    honest = make_listing(title="Nike Air Max 90 正品保证 非A货", brand="Nike")
    assert text_reasons(honest, rules, "Nike") == []
    fake = make_listing(title="Nike Air Max 90 非A货 纯原", brand="Nike")
    [reason] = text_reasons(fake, rules, "Nike")
    assert reason.rule == "counterfeit_vocabulary"
    assert reason.evidence["terms"] == ["纯原"]


# Product names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Adidas Real Madrid 24/25 home replica jersey", "apparel/jerseys"),
        ("Nike England home stadium replica shirt", "apparel/sportswear"),  # by its words
        ("Adidas 阿森纳 主场 球迷版 replica 球衣", "apparel/sportswear"),
        ("Official replica kit, fan version", "apparel/jerseys"),  # by its category
        ("1:1 scale replica helmet, movie prop", "collectibles/props"),
        ("1:1 比例 模型 头盔", "collectibles/props"),
        ("Rechargeable AAA batteries, 8 pack", "electronics/batteries"),
        ("LED torch, takes 3 AAA batteries", "home/lighting"),
        ("AAA 7号电池 20粒装", "electronics/batteries"),
        ("AAA grade freshwater pearl necklace", "jewelry/pearls"),
    ],
)
def test_product_names_are_not_counterfeit_wording(
    rules: CompiledRules, make_listing: Make, title: str, category: str
) -> None:
    counterfeit, product = term_hits(make_listing(title=title, category=category), rules)
    assert counterfeit == []
    assert product, "the term is still seen, as a product name"


@pytest.mark.parametrize(
    ("title", "category", "used"),
    [
        ("Nike Dunk Low 1:1 replica", "shoes/sneakers", ["1:1", "replica"]),
        ("Rolex Submariner AAA grade", "watches/luxury", ["aaa"]),  # a grade, not of pearls
        ("Real Madrid replica jersey 1:1 AAA", "apparel/jerseys", ["1:1", "aaa"]),
        ("Gucci belt replica, AAA batteries not included", "accessories/belts", ["replica"]),
    ],
)
def test_counterfeit_terms_beside_product_names_still_count(
    rules: CompiledRules, make_listing: Make, title: str, category: str, used: list[str]
) -> None:
    counterfeit, _ = term_hits(make_listing(title=title, category=category), rules)
    assert [hit.term for _, hit in counterfeit] == used


def test_a_product_name_of_a_brand_is_a_context_reason(
    rules: CompiledRules, make_listing: Make
) -> None:
    jersey = make_listing(
        title="Adidas Real Madrid 24/25 home replica jersey",
        category="apparel/jerseys",
        brand="Adidas",
    )
    [reason] = text_reasons(jersey, rules, "Adidas")
    assert reason.rule == "product_name_term"
    assert not rules.is_evidence(reason.rule)
    assert reason.score < rules.config.severity.medium
    # an unbranded product name says nothing at all
    batteries = make_listing(title="AAA batteries", category="electronics/batteries")
    assert text_reasons(batteries, rules, None) == []


# Compatible accessories -----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("适用苹果 iPhone 16 手机壳 磁吸 防摔", "electronics/cases"),
        ("適用蘋果 iPhone 16 手機殼", "electronics/cases"),
        ("Magnetic case for iPhone 16 Pro Max", "electronics/cases"),
        ("For iPhone 16 clear case", "electronics/cases"),
        ("iPhone 16 Pro 专用 钢化膜", "electronics/accessories"),
        ("AirPods Pro 2 专用 保护套", "electronics/cases"),
        ("Screen protector compatible with iPhone 15/16", "electronics/accessories"),
        ("兼容三星 Galaxy S25 快充充电器", "electronics/chargers"),
        ("USB-C cable for Samsung Galaxy and iPhone 16, 2 m", "electronics/cables"),
        ("Silicone strap fits Apple Watch Series 9 45mm", "watches/straps"),
        ("适用戴森 V15 吸尘器 滤网", "home/appliance-parts"),
        ("Replacement filter for Dyson V15 Detect", "home/appliance-parts"),
        ("适用索尼 WH-1000XM5 耳机套", "electronics/accessories"),
        ("MacBook Air 13 M3 专用 保护壳", "electronics/cases"),
        ("iPhone 16 compatible wireless charger", "electronics/chargers"),
    ],
)
def test_an_accessory_that_names_what_it_fits_is_not_branded(
    rules: CompiledRules, make_listing: Make, title: str, category: str
) -> None:
    listing = make_listing(title=title, category=category, brand="ESR")
    assert listing_brand(listing, rules.brands, rules.compatibility) is None
    # the same words are still read as the brand where no compatibility is read
    assert listing_brand(listing, rules.brands) is not None


@pytest.mark.parametrize(
    ("title", "category", "brand", "expected"),
    [
        # outside accessory categories "for" changes nothing
        ("For Nike Dunk Low fans, new with box", "shoes/sneakers", None, "Nike"),
        ("适用苹果 AirPods Pro 2 蓝牙耳机 全新", "electronics/audio", None, "Apple"),
        ("Compatible with Dyson V15 Detect vacuum", "home/appliances", None, "Dyson"),
        # the brand named outside the compatibility phrase is the listing's
        ("Apple AirPods Pro 2, for iPhone", "electronics/accessories", None, "Apple"),
        ("Nike phone case", "electronics/cases", None, "Nike"),
        # a declared brand is the brand
        ("Case for iPhone 16", "electronics/cases", "Apple", "Apple"),
    ],
)
def test_compatibility_wording_does_not_hide_a_brand(
    rules: CompiledRules,
    make_listing: Make,
    title: str,
    category: str,
    brand: str | None,
    expected: str,
) -> None:
    listing = make_listing(title=title, category=category, brand=brand)
    assert listing_brand(listing, rules.brands, rules.compatibility) == expected


def test_a_fake_with_for_in_its_title_still_uses_its_words(
    rules: CompiledRules, make_listing: Make
) -> None:
    fake = make_listing(title="for Nike Dunk Low replica", category="shoes/sneakers")
    brand = listing_brand(fake, rules.brands, rules.compatibility)
    assert brand == "Nike"
    assert [r.rule for r in text_reasons(fake, rules, brand)] == ["counterfeit_vocabulary"]
