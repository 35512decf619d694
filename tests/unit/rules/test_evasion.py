"""Counterfeit vocabulary and brand names written to dodge filters, and what must not match."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schemas import ListingEvent
from stream.rules import CompiledRules, counterfeit_vocabulary, evaluate_listing
from stream.rules.listing_rules import listing_brand, misspelled_brand, term_hits
from stream.rules.matching import BrandIndex, Lexicon
from stream.rules.text import analyze, fold_lookalikes, normalize

Make = Callable[..., ListingEvent]


def found(rules: CompiledRules, text: str) -> list[tuple[str, str]]:
    """(term, as written) for every counterfeit term in ``text``."""
    return [(hit.term, hit.written) for hit in rules.lexicon.find_hits(text)]


def misspelling(listing: ListingEvent, rules: CompiledRules) -> str | None:
    reason = misspelled_brand(listing, rules, rules.config.vocabulary)
    return None if reason is None else reason.message


# Text forms ------------------------------------------------------------------


def test_normalize_folds_width_case_and_invisible_characters() -> None:
    assert normalize("ＲＥＰ\u200bＬＩＣＡ  Bag\u00ad") == "replica bag"
    assert normalize(normalize("Ｎｉｋｅ\u200d  Ａｉｒ")) == normalize("Ｎｉｋｅ\u200d  Ａｉｒ")


@pytest.mark.parametrize(
    ("text", "collapsed"),
    [
        ("buy r e p l i c a now", "buy replica now"),
        ("r.e.p.l.i.c.a.", "replica."),
        ("R-E-P-L-I-C-A bag", "replica bag"),
        ("r_e_p_l_i_c_a", "replica"),
        ("耐克 高 仿 跑鞋", "耐克 高仿 跑鞋"),
        ("高-仿", "高仿"),
    ],
)
def test_spaced_out_words_are_joined(text: str, collapsed: str) -> None:
    assert analyze(text).collapsed == collapsed


@pytest.mark.parametrize(
    "text",
    [
        "a nice bag for a friend",  # single letters between ordinary words
        "1 : 1 ratio",  # two single characters are no spaced-out word
        "AJ 1 high",
        "价格高，仿佛全新",  # sentence punctuation is never a separator
        "质量 高 仿真 皮",  # "高" is single, "仿真" is not
        "New Balance 574 size 42",
    ],
)
def test_ordinary_text_is_not_joined(text: str) -> None:
    forms = analyze(text)
    assert forms.collapsed == forms.plain


def test_a_joined_word_maps_back_to_what_was_written() -> None:
    forms = analyze("Buy R e p l i c a now")
    start = forms.collapsed.index("replica")
    span = forms.plain_span(start, start + len("replica"))
    assert forms.written(*span) == "R e p l i c a"


def test_lookalikes_fold_digits_symbols_and_other_scripts() -> None:
    # 0→o 1→i 3→e 4→a 5→s 7→t $→s @→a, l→i, Cyrillic а е о р с, Greek ο
    assert fold_lookalikes("r3pl1c4 0r1g1nal 5$@7") == "repiica originai ssat"
    assert fold_lookalikes("аеорс ο") == "aeopc o"
    assert len(fold_lookalikes("nіkе")) == 4


# Counterfeit vocabulary under evasion -------------------------------------------


@pytest.mark.parametrize(
    ("text", "term", "written"),
    [
        ("buy r e p l i c a now", "replica", "r e p l i c a"),
        ("r.e.p.l.i.c.a bag", "replica", "r.e.p.l.i.c.a"),
        ("r-e-p-l-i-c-a", "replica", "r-e-p-l-i-c-a"),
        ("R_E_P_L_I_C_A", "replica", "R_E_P_L_I_C_A"),
        ("耐克 高 仿 跑鞋", "高仿", "高 仿"),
        ("高-仿 包包", "高仿", "高-仿"),
        ("原 单 尾货", "原单", "原 单"),
        ("R3PLICA Dunk", "replica", "R3PLICA"),
        ("rep1ica", "replica", "rep1ica"),
        ("repl1ca bag", "replica", "repl1ca"),
        ("REPLIC4", "replica", "REPLIC4"),
        ("rеplicа", "replica", "rеplicа"),  # Cyrillic е and а
        ("r 3 p l i c a", "replica", "r 3 p l i c a"),  # spaced and look-alike
        ("$uper c0py", "super copy", "$uper c0py"),
        ("same as 0riginal", "same as original", "same as 0riginal"),
        ("mirr0r qua1ity wallet", "mirror quality", "mirr0r qua1ity"),
        ("ＲＥＰＬＩＣＡ", "replica", "REPLICA"),  # full width
        ("ＡＡＡ quality", "aaa", "AAA"),
        ("１：１ AJ1", "1:1", "1:1"),
        ("rep\u200blica", "replica", "replica"),  # zero-width space
        ("gaofang AJ1", "高仿", "gaofang"),
        ("Yuandan quality", "原单", "Yuandan"),
        ("fuke watch", "复刻", "fuke"),
        ("jingfang bag", "精仿", "jingfang"),
        ("chunyuan version", "纯原", "chunyuan"),
        ("G A O F A N G", "高仿", "G A O F A N G"),
        ("原單 包", "原单", "原單"),  # traditional characters
        ("複刻 手錶", "复刻", "複刻"),
        ("超A 货源", "超A", "超A"),  # reported as listed, not folded
        ("m i r r o r  q u a l i t y", "mirror quality", "m i r r o r q u a l i t y"),
        ("#mirrorquality", "mirror quality", "mirrorquality"),
    ],
)
def test_evasions_are_found(rules: CompiledRules, text: str, term: str, written: str) -> None:
    assert (term, written) in found(rules, text)


@pytest.mark.parametrize(
    ("text", "term"),
    [("1:1 AJ1", "1:1"), ("aaa+ grade", "aaa+"), ("1比1 复刻", "1比1"), ("AAAAA bag", "aaaaa")],
)
def test_terms_with_digits_and_symbols_match_as_written(
    rules: CompiledRules, text: str, term: str
) -> None:
    assert term in rules.lexicon.find(text)


@pytest.mark.parametrize(
    "text",
    [
        "AAA batteries, pack of 24",
        "a a a batteries",  # spaced out, still batteries
        "Replicator 3D printer filament",
        "Imitation leather wallet",
        "100% authentic, no fakes",
        "No replicas, 100% genuine with receipt",
        "original packaging, original receipt",
        "全新正品 耐克跑鞋",
        "拒绝高仿 正品保证",
        "高仿真绿植 仿真花 客厅装饰",  # lifelike artificial plants
        "1:1 scale model car",
        "Size S M L XL available",
        "Made in U.S.A., ships today",
        "SKU 44444, 4444 units",  # digits alone are no look-alike of "aaaaa"
        "Gao Fang, our shop manager",  # a person's name, not pinyin 高仿
        "4K TV 55 inch, 120Hz",
        "价格高，仿佛全新",
        "Grade A leather, A+ service",
    ],
)
def test_honest_text_has_no_counterfeit_terms(
    rules: CompiledRules, make_listing: Make, text: str
) -> None:
    listing = make_listing(title=text, category="other")
    assert term_hits(listing, rules)[0] == []


def test_message_names_each_term_as_written_and_its_fields(
    make_listing: Make, rules: CompiledRules
) -> None:
    listing = make_listing(
        title="Dunk r e p l i c a", description="gaofang, 1:1", image_text="高 仿 | WeChat"
    )
    reason = counterfeit_vocabulary(listing, rules, rules.config.vocabulary)
    assert reason is not None
    assert reason.message == (
        "Counterfeit terms 'r e p l i c a' (replica) in the listing's title; "
        "'gaofang', '高 仿' (高仿) in the listing's description and image_text; "
        "'1:1' in the listing's description"
    )
    assert reason.evidence["terms"] == ["replica", "高仿", "1:1"]
    assert reason.evidence["fields"] == ["description", "image_text", "title"]
    matches = reason.evidence["matches"]
    assert {"term": "replica", "written": "r e p l i c a", "field": "title"}.items() <= matches[
        0
    ].items()
    assert matches[0]["evasions"] == ["spacing"]


def test_aliases_must_name_listed_terms() -> None:
    from pydantic import ValidationError

    from stream.rules.config import VocabularyPolicy

    with pytest.raises(ValidationError, match="aliases given for terms not in terms: fake"):
        VocabularyPolicy(terms=["replica"], aliases={"fake": ["fak3"]})


def test_lexicon_keeps_its_plain_interface() -> None:
    lexicon = Lexicon.build(["replica", "高仿"], ["no replicas"], {"高仿": ["gaofang"]})
    assert lexicon.find(normalize("no replicas here, but r3plica and gaofang")) == [
        "replica",
        "高仿",
    ]


# Brands -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("耐克 跑鞋", "Nike"),
        ("路易威登 老花包", "Louis Vuitton"),
        ("LV Neverfull", "Louis Vuitton"),
        ("三星 固态硬盘 4TB", "Samsung"),
        ("愛馬仕 鉑金包", "Hermes"),  # traditional characters
        ("LouisVuitton speedy", "Louis Vuitton"),  # run together
        ("N I K E dunk", "Nike"),  # spaced out
        ("Nikee Air Max", "Nike"),
        ("Addidas Samba", "Adidas"),
        ("Louis Vuiton bag", "Louis Vuitton"),
        ("Guccl belt", "Gucci"),
        ("Rolexx Submariner", "Rolex"),
        ("Guci Marmont", "Gucci"),
        ("Loui Vuitton Speedy", "Louis Vuitton"),
        ("N1ke Dunk", "Nike"),
        ("NІKЕ Dunk", "Nike"),  # Cyrillic І and Е
        ("Air Jordon 1", "Air Jordan"),
        ("New Balanse 990", "New Balance"),
        ("apple slicer", "Apple"),  # a brand name in the text; only priced in its category
    ],
)
def test_brands_are_found_in_text(rules: CompiledRules, text: str, brand: str) -> None:
    assert rules.brands.find(normalize(text)) == brand


@pytest.mark.parametrize(
    "text",
    [
        "silver handbag",  # no "lv" inside a word
        "Canon EOS 5D Mark IV",  # "iv" is no look-alike of the short alias "lv"
        "lw canvas bag",
        "wdd hard drive",
        "sk8 skateboard",
        "phone case for car",
        "Carrier bag, reusable",
        "Mike's bike shop, nice price",
        "roles and duties chart",
        "role play costume",
        "chapel veil lace",
        "canada moose plush toy",
        "new valance for kitchen window",
        "Omega3 fish oil",
        "skill toy",
        "Sonny Angel figure",
    ],
)
def test_honest_text_names_no_brand(rules: CompiledRules, text: str) -> None:
    assert rules.brands.find(normalize(text)) is None


@pytest.mark.parametrize(
    ("declared", "brand"),
    [
        ("耐克", "Nike"),
        ("ＮＩＫＥ", "Nike"),
        ("Nikee", "Nike"),
        ("Nlke", "Nike"),
        ("Air Jordon", "Air Jordan"),
        ("Adidos", "Adidas"),
        ("New Balanse", "New Balance"),
        ("lv", "Louis Vuitton"),
        ("Louis-Vuitton", "Louis Vuitton"),
    ],
)
def test_declared_brands_are_recognised(rules: CompiledRules, declared: str, brand: str) -> None:
    assert rules.brands.canonical(declared) == brand


@pytest.mark.parametrize("declared", ["NoName", "lvv", "wdd", "Carter", "Prado", None, ""])
def test_unknown_declared_brands_stay_unknown(rules: CompiledRules, declared: str | None) -> None:
    assert rules.brands.canonical(declared) is None


def test_short_aliases_match_exactly_only() -> None:
    index = BrandIndex.build({"Louis Vuitton": ["lv"], "SK-II": ["sk2"], "Nike": ["nike"]})
    assert index.find("lv bag") == "Louis Vuitton"
    assert index.find("lvv bag") is None
    assert index.find("sk3 serum") is None
    assert index.find("nikee") == "Nike"


def test_four_letter_aliases_accept_a_doubled_letter_or_a_swap_only() -> None:
    index = BrandIndex.build({"Nike": ["nike"]})
    assert index.find("niike") == "Nike"
    assert index.find("nkie") == "Nike"
    assert [index.find(word) for word in ("mike", "nice", "nile", "nik", "nikes")] == [None] * 5


def test_plural_of_a_brand_is_no_misspelling(make_listing: Make, rules: CompiledRules) -> None:
    assert misspelling(make_listing(title="Rolexes and Nikes, genuine"), rules) is None


# The misspelled-brand rule ----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("Nikee Air Max 90", "Title writes 'Nikee', a misspelling of Nike"),
        ("Addidas Samba OG", "Title writes 'Addidas', a misspelling of Adidas"),
        ("Louis Vuiton Neverfull", "Title writes 'Louis Vuiton', a misspelling of Louis Vuitton"),
        ("Rolexx Submariner", "Title writes 'Rolexx', a misspelling of Rolex"),
        ("Guccl Marmont", "Title writes 'Guccl', a look-alike spelling of Gucci"),
        ("N1KE Dunk Low", "Title writes 'N1KE', a look-alike spelling of Nike"),
    ],
)
def test_misspelled_brand_in_title_is_reported(
    make_listing: Make, rules: CompiledRules, title: str, message: str
) -> None:
    reason = misspelled_brand(make_listing(title=title), rules, rules.config.vocabulary)
    assert reason is not None
    assert reason.rule == "misspelled_brand"
    assert reason.message == message
    assert reason.score == rules.config.vocabulary.misspelled_brands.score


def test_misspelled_brand_field_is_reported(make_listing: Make, rules: CompiledRules) -> None:
    listing = make_listing(brand="Nlke", title="Dunk Low Panda")
    assert misspelling(listing, rules) == "Brand field writes 'Nlke', a look-alike spelling of Nike"
    assert listing_brand(listing, rules.brands) == "Nike"


@pytest.mark.parametrize(
    ("brand", "title"),
    [
        ("Nike", "Nike Air Max 90"),
        (None, "N I K E Air Max"),  # spaced out: the brand as listed
        (None, "LouisVuitton Speedy"),
        (None, "Carrier bag and phone case"),
        ("Samsung", "Samsung 990 PRO 4TB"),
        (None, "Canada moose plush, new valance, north race"),
        (None, "Top North Face jacket"),  # "top north face" names North Face exactly
    ],
)
def test_brands_written_as_listed_are_no_misspelling(
    make_listing: Make, rules: CompiledRules, brand: str | None, title: str
) -> None:
    assert misspelling(make_listing(brand=brand, title=title), rules) is None


def test_same_misspelling_in_title_and_brand_field_is_reported_once(
    make_listing: Make, rules: CompiledRules
) -> None:
    listing = make_listing(brand="Gucchi", title="Gucchi GG Marmont belt, Nlke box")
    reason = misspelled_brand(listing, rules, rules.config.vocabulary)
    assert reason is not None
    assert reason.message == (
        "Title and brand field write 'Gucchi', a misspelling of Gucci; "
        "Title writes 'Nlke', a look-alike spelling of Nike"
    )
    assert reason.evidence["brands"] == ["Gucci", "Nike"]


def test_a_word_first_seen_as_a_brand_field_is_still_found_in_titles() -> None:
    # the verdict cache is shared by brand fields and titles
    index = BrandIndex.build({"Gucci": ["gucci"], "Louis Vuitton": ["louis vuitton"]})
    assert index.canonical("Gucchi") == "Gucci"
    assert index.canonical("Louis") is None
    assert [h.written for h in index.altered("Gucchi belt, Louis Vuiton bag")] == [
        "Gucchi",
        "Louis Vuiton",
    ]


def test_image_text_is_not_checked_for_misspellings(
    make_listing: Make, rules: CompiledRules
) -> None:
    # OCR misreads letters by itself
    assert misspelling(make_listing(title="Running shoes", image_text="Nikee"), rules) is None


def test_evaluate_listing_includes_misspelled_brand(
    make_listing: Make, rules: CompiledRules
) -> None:
    reasons = evaluate_listing(make_listing(title="Nikee Dunk Low", price=899.0), rules)
    assert [r.rule for r in reasons] == ["misspelled_brand"]
