"""Rule: counterfeit vocabulary in title, description and image text."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schemas import ListingEvent
from stream.rules import CompiledRules, counterfeit_vocabulary

Make = Callable[..., ListingEvent]


def terms(listing: ListingEvent, rules: CompiledRules) -> list[str]:
    reason = counterfeit_vocabulary(listing, rules, rules.config.vocabulary)
    return [] if reason is None else list(reason.evidence["terms"])


@pytest.mark.parametrize(
    ("title", "term"),
    [
        ("Nike Dunk replica", "replica"),
        ("1:1 AJ1 high", "1:1"),
        ("AAA quality bag", "aaa"),
        ("Mirror Quality wallet", "mirror quality"),
        ("耐克高仿跑鞋", "高仿"),
        ("原单 LV 包", "原单"),
        ("复刻 手表", "复刻"),
        ("精仿 包包", "精仿"),
        ("ＲＥＰＬＩＣＡ bag", "replica"),  # full-width letters fold to ASCII
    ],
)
def test_terms_are_found_in_english_and_chinese(
    make_listing: Make, rules: CompiledRules, title: str, term: str
) -> None:
    assert term in terms(make_listing(title=title), rules)


def test_description_and_image_text_are_searched(make_listing: Make, rules: CompiledRules) -> None:
    listing = make_listing(title="Bag", description="super copy", image_text="高仿 WeChat 123")
    reason = counterfeit_vocabulary(listing, rules, rules.config.vocabulary)
    assert reason is not None
    assert reason.evidence["fields"] == ["description", "image_text"]
    assert "'super copy'" in reason.message
    assert "'高仿'" in reason.message


def test_more_terms_score_higher_up_to_the_cap(make_listing: Make, rules: CompiledRules) -> None:
    policy = rules.config.vocabulary
    one = counterfeit_vocabulary(make_listing(title="replica"), rules, policy)
    three = counterfeit_vocabulary(make_listing(title="replica 1:1 高仿"), rules, policy)
    many = counterfeit_vocabulary(
        make_listing(title="replica 1:1 高仿 原单 复刻 精仿 aaa mirror quality"), rules, policy
    )
    assert one is not None
    assert three is not None
    assert many is not None
    assert one.score == policy.score_first_term
    assert three.score == policy.score_first_term + 2 * policy.score_per_extra_term
    assert many.score == policy.score_max


@pytest.mark.parametrize(
    "title",
    [
        "Genuine Nike running shoes, 40% off",
        "AAA batteries, pack of 24",
        "Replicator 3D printer filament",  # a term inside a longer word
        "Imitation leather wallet",
        "100% authentic, no fakes",
        "全新正品 耐克跑鞋",
        "Original packaging, no replicas",
        "高仿真绿植 客厅装饰",  # lifelike artificial plants
        "1:1 scale model",
        "Size S M L XL",
    ],
)
def test_honest_wording_is_not_flagged(
    make_listing: Make, rules: CompiledRules, title: str
) -> None:
    assert terms(make_listing(title=title), rules) == []


@pytest.mark.parametrize(
    ("title", "term"),
    [
        ("r e p l i c a bag", "replica"),
        ("r3plica bag", "replica"),
        ("耐克 高 仿", "高仿"),
        ("gaofang AJ1", "高仿"),
    ],
)
def test_evasions_report_the_listed_term(
    make_listing: Make, rules: CompiledRules, title: str, term: str
) -> None:
    assert terms(make_listing(title=title), rules) == [term]


def test_message_quotes_a_term_written_as_listed_plainly(
    make_listing: Make, rules: CompiledRules
) -> None:
    listing = make_listing(title="Replica bag")
    reason = counterfeit_vocabulary(listing, rules, rules.config.vocabulary)
    assert reason is not None
    assert reason.message == "Counterfeit term 'replica' in the listing's title"
