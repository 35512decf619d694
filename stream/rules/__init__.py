"""Detection rules: plain, typed functions that never import Faust."""

from stream.rules.config import DEFAULT_RULES_FILE, RulesConfig, RulesConfigError, load_rules
from stream.rules.listing_rules import (
    CompiledRules,
    counterfeit_vocabulary,
    evaluate_listing,
    misspelled_brand,
    price_far_below_reference,
)

__all__ = [
    "DEFAULT_RULES_FILE",
    "CompiledRules",
    "RulesConfig",
    "RulesConfigError",
    "counterfeit_vocabulary",
    "evaluate_listing",
    "load_rules",
    "misspelled_brand",
    "price_far_below_reference",
]
