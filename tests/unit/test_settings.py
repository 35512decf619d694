"""Settings: environment prefix, validation, derived values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from stream.settings import Settings, settings_env


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"LISTING_MONITOR_{name.upper()}", raising=False)
    settings = Settings()
    assert settings.kafka_bootstrap is None
    assert settings.bootstrap == "127.0.0.1:9092"
    assert (settings.listings_topic, settings.orders_topic) == ("listings", "orders")
    assert (settings.alerts_topic, settings.dead_letter_topic) == ("high-risk", "dead-letter")


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTING_MONITOR_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("LISTING_MONITOR_ALERTS_TOPIC", "alerts.v1")
    settings = Settings()
    assert settings.bootstrap == "kafka-1:9092,kafka-2:9092"
    assert settings.alerts_topic == "alerts.v1"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.app_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [("listings_topic", "bad topic!"), ("web_port", "70000"), ("log_level", "loud")],
)
def test_invalid_values_are_rejected(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str
) -> None:
    monkeypatch.setenv(f"LISTING_MONITOR_{field.upper()}", value)
    with pytest.raises(ValidationError, match=field):
        Settings()


def test_settings_env_round_trips(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    original = Settings(
        kafka_bootstrap="h:1", home=tmp_path, app_id="x", web_enabled=False, topic_partitions=3
    )
    for name, value in settings_env(original).items():
        monkeypatch.setenv(name, value)
    assert Settings() == original
