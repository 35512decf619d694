"""Settings: environment prefix, validation, derived values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

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


SASL: dict[str, Any] = {
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_username": "monitor",
}


def test_incomplete_security_settings_list_every_problem_without_the_password() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_ssl_certfile=Path("/nonexistent/cert.pem"),
        )
    message = str(caught.value.errors()[0]["msg"])
    for expected in (
        "LISTING_MONITOR_KAFKA_SASL_MECHANISM",
        "LISTING_MONITOR_KAFKA_USERNAME",
        "LISTING_MONITOR_KAFKA_PASSWORD or LISTING_MONITOR_KAFKA_PASSWORD_FILE",
        "LISTING_MONITOR_KAFKA_SSL_CERTFILE /nonexistent/cert.pem is not a file",
        "needs both LISTING_MONITOR_KAFKA_SSL_CERTFILE and LISTING_MONITOR_KAFKA_SSL_KEYFILE",
    ):
        assert expected in message


def test_the_password_comes_from_one_place(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-the-file\n")
    assert Settings(**SASL, kafka_password_file=secret).sasl_password is not None
    with pytest.raises(ValidationError, match="not both"):
        Settings(**SASL, kafka_password=SecretStr("p"), kafka_password_file=secret)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ValidationError, match="is empty"):
        Settings(**SASL, kafka_password_file=empty)
    with pytest.raises(ValidationError, match="cannot be read"):
        Settings(**SASL, kafka_password_file=tmp_path / "missing")


def test_tls_files_need_a_tls_protocol(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(ValidationError, match="use SSL or SASL_SSL"):
        Settings(kafka_ssl_cafile=ca)
    assert Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=ca).kafka_ssl_cafile == ca


def test_the_password_is_hidden_in_dumps_but_reaches_a_child_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LISTING_MONITOR_KAFKA_PASSWORD", "s3cret-value")
    settings = Settings(**SASL)
    assert "s3cret-value" not in repr(settings)
    assert "s3cret-value" not in str(settings.model_dump())
    assert settings_env(settings)["LISTING_MONITOR_KAFKA_PASSWORD"] == "s3cret-value"


def test_replication_defaults_to_one_locally_and_to_the_brokers_default_elsewhere() -> None:
    assert Settings(kafka_bootstrap=None).replication_factor == 1
    assert Settings(kafka_bootstrap="k:9092").replication_factor == -1
    assert Settings(kafka_bootstrap="k:9092", topic_replication_factor=3).replication_factor == 3
    with pytest.raises(ValidationError, match="-1"):
        Settings(topic_replication_factor=0)
