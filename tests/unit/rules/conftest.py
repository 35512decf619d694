"""Shared builders for the rule tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas import ListingEvent
from stream.rules import CompiledRules, load_rules


@pytest.fixture(scope="session")
def rules() -> CompiledRules:
    """The bundled rules, compiled."""
    return CompiledRules.build(load_rules())


@pytest.fixture
def make_listing() -> Callable[..., ListingEvent]:
    """Build a valid new-condition listing, overriding any field."""

    def build(**changes: Any) -> ListingEvent:
        fields: dict[str, Any] = {
            "event_id": "evt-1",
            "event_type": "listing_created",
            "event_time": datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
            "listing_id": "L-1",
            "seller_id": "S-1",
            "title": "Running shoes",
            "category": "shoes/sneakers",
            "price": 899.0,
            "currency": "CNY",
        }
        fields.update(changes)
        return ListingEvent.model_validate(fields, strict=False)

    return build
