"""Paths of the contract examples shipped with the project (the test fixtures)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "schemas" / "examples"
INVALID = EXAMPLES / "invalid"

# invalid example -> (topic kind it is sent to, text the error must contain)
INVALID_CASES: dict[str, tuple[str, str]] = {
    "bad_timestamp.json": ("orders", "event_time"),
    "missing_price.json": ("listings", "price"),
    "naive_timestamp.json": ("listings", "event_time"),
    "negative_price.json": ("listings", "price"),
    "not_json.txt": ("listings", "not valid JSON"),
    "unknown_event_type.json": ("listings", "event_type"),
}


def example(name: str) -> bytes:
    """The bytes of a valid contract example."""
    return (EXAMPLES / name).read_bytes()
