"""KafkaConnection: the settings in the shape of each client library, the password kept secret."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from faust.auth import SASLCredentials, SSLCredentials
from pydantic import SecretStr

from stream.settings import Settings
from stream.topology.connection import KafkaConnection

SECRET = "correct-horse-battery-staple"


def sasl_ssl(**overrides: object) -> KafkaConnection:
    values: dict[str, object] = {
        "bootstrap": "k1:9094, k2:9094",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "username": "monitor",
        "password": SecretStr(SECRET),
        **overrides,
    }
    return KafkaConnection(**values)  # type: ignore[arg-type]


def test_plaintext_is_the_bootstrap_only() -> None:
    kafka = KafkaConnection("h1:9092,h2:9092")
    assert kafka.kafka_python_options() == {
        "bootstrap_servers": ["h1:9092", "h2:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert kafka.faust_credentials() is None
    assert kafka.ssl_context() is None
    assert kafka.describe() == "h1:9092,h2:9092"


def test_sasl_ssl_gives_kafka_python_the_mechanism_user_password_and_a_tls_context() -> None:
    options = sasl_ssl().kafka_python_options()
    assert options["bootstrap_servers"] == ["k1:9094", "k2:9094"]
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("monitor", SECRET)
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_sasl_over_plaintext_has_no_tls() -> None:
    options = sasl_ssl(security_protocol="SASL_PLAINTEXT").kafka_python_options()
    assert "ssl_context" not in options
    credentials = sasl_ssl(security_protocol="SASL_PLAINTEXT").faust_credentials()
    assert isinstance(credentials, SASLCredentials)
    assert credentials.protocol.value == "SASL_PLAINTEXT"


def test_tls_without_sasl_is_faust_ssl_credentials() -> None:
    kafka = KafkaConnection("k:9093", "SSL", ssl_check_hostname=False)
    credentials = kafka.faust_credentials()
    assert isinstance(credentials, SSLCredentials)
    assert credentials.context.check_hostname is False
    assert kafka.describe() == "k:9093 (SSL)"


def test_the_password_is_in_no_repr_and_no_description() -> None:
    kafka = sasl_ssl()
    for text in (repr(kafka), str(kafka), kafka.describe(), repr(kafka.faust_credentials())):
        assert SECRET not in text
    assert kafka.describe() == "k1:9094, k2:9094 (SASL_SSL, SCRAM-SHA-256 as user 'monitor')"


def test_from_settings_reads_the_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(SECRET + "\n")
    settings = Settings(
        kafka_bootstrap="k:9094",
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_username="monitor",
        kafka_password_file=secret,
    )
    kafka = KafkaConnection.from_settings(settings)
    assert kafka.password is not None
    assert kafka.password.get_secret_value() == SECRET
    assert kafka.kafka_python_options()["sasl_mechanism"] == "PLAIN"


def test_a_bad_ca_file_fails_when_the_context_is_made(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ssl.SSLError):
        KafkaConnection("k:9093", "SSL", ssl_cafile=bad).ssl_context()
