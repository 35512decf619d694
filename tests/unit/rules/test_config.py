"""The rules configuration file: loading and validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream.rules import DEFAULT_RULES_FILE, RulesConfigError, load_rules


def test_bundled_rules_load() -> None:
    rules = load_rules()
    assert rules.version
    assert len(rules.catalog) >= 30
    assert len({e.brand for e in rules.catalog}) >= 20
    assert len({e.category for e in rules.catalog}) >= 15
    assert {"replica", "1:1", "aaa", "mirror quality", "高仿", "原单", "复刻"} <= set(
        rules.vocabulary.terms
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RulesConfigError, match="no such rules file"):
        load_rules(tmp_path / "absent.toml")


def test_bad_toml_is_reported_with_position(tmp_path: Path) -> None:
    with pytest.raises(RulesConfigError, match=r"not valid TOML.*line 1"):
        load_rules(_write(tmp_path, "version = \n"))


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = DEFAULT_RULES_FILE.read_text(encoding="utf-8")
    text = text.replace("ratio_threshold = 0.30", "ratio_threshold = 1.5")
    text = text.replace("high = 60.0", "high = 90.0")
    text = text.replace("USD = 7.10", "usd = 7.10")
    with pytest.raises(RulesConfigError) as caught:
        load_rules(_write(tmp_path, text))
    message = str(caught.value)
    assert "price.ratio_threshold" in message
    assert "severity" in message
    assert "bands must rise" in message
    assert "currency_rates" in message


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    text = DEFAULT_RULES_FILE.read_text(encoding="utf-8").replace(
        "[price]", "[price]\nratio_treshold = 0.2"
    )
    with pytest.raises(RulesConfigError, match=r"price\.ratio_treshold"):
        load_rules(_write(tmp_path, text))


def test_catalog_brand_must_be_declared(tmp_path: Path) -> None:
    text = DEFAULT_RULES_FILE.read_text(encoding="utf-8") + (
        '\n[[catalog]]\nbrand = "Mystery"\ncategory = "a/b"\nreference_price = 10.0\n'
    )
    with pytest.raises(RulesConfigError, match=r"missing from \[brands\]: Mystery"):
        load_rules(_write(tmp_path, text))


def test_context_rules_must_name_known_rules(tmp_path: Path) -> None:
    text = DEFAULT_RULES_FILE.read_text(encoding="utf-8").replace(
        '"young_account_bulk_stock", "listing_velocity",',
        '"young_acount_bulk_stock", "listing_velocity",',
    )
    with pytest.raises(RulesConfigError, match=r"evidence: unknown rules: young_acount_bulk_stock"):
        load_rules(_write(tmp_path, text))


def test_product_names_must_name_terms(tmp_path: Path) -> None:
    text = DEFAULT_RULES_FILE.read_text(encoding="utf-8").replace('term = "1:1"', 'term = "1to1"')
    with pytest.raises(RulesConfigError, match=r"product_names name terms not in terms: 1to1"):
        load_rules(_write(tmp_path, text))


def test_every_rule_that_gives_reasons_is_known_to_the_config() -> None:
    """`[evidence] context_rules` is checked against KNOWN_RULES: keep it complete."""
    from stream.pipeline import detector
    from stream.rings import scoring
    from stream.rules import config, listing_rules
    from stream.stats import signals

    declared = {
        value
        for module in (detector, listing_rules, signals, scoring)
        for name, value in vars(module).items()
        if name.endswith("_RULE") and isinstance(value, str)
    }
    assert declared == config.KNOWN_RULES
