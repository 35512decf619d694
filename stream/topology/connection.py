"""How the monitor reaches Kafka: the bootstrap servers and the security settings,
in the shape each client library wants.

One :class:`KafkaConnection` is built from the settings and handed to every
client: the Faust worker (its consumer, producer and admin client, through
``broker_credentials``), kafka-python's admin client, consumers and producers
(the CLI, the lag probe, the tooling). The password is a ``SecretStr`` until the
moment a client library needs it, so printing a connection never shows it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faust.auth import SASLCredentials, SSLCredentials
from faust.types.auth import CredentialsT
from pydantic import SecretStr

from stream.settings import SaslMechanism, SecurityProtocol, Settings


@dataclass(frozen=True)
class KafkaConnection:
    """Where Kafka is and how to authenticate to it.

    Attributes:
        bootstrap: Comma-separated ``host:port`` list.
        security_protocol: ``PLAINTEXT``, ``SSL``, ``SASL_PLAINTEXT`` or ``SASL_SSL``.
        sasl_mechanism: ``PLAIN``, ``SCRAM-SHA-256`` or ``SCRAM-SHA-512`` (SASL only).
        username: SASL user name.
        password: SASL password (never in ``repr``).
        ssl_cafile: CA bundle the brokers' certificates are checked against
            (None: the system's trust store).
        ssl_certfile: Client certificate for mutual TLS.
        ssl_keyfile: Its private key.
        ssl_check_hostname: Whether a broker's certificate must name its host.
    """

    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaConnection:
        """The connection the settings describe (the local broker's when no bootstrap is set)."""
        return cls(
            bootstrap=settings.bootstrap,
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_username,
            password=settings.sasl_password,
            ssl_cafile=settings.kafka_ssl_cafile,
            ssl_certfile=settings.kafka_ssl_certfile,
            ssl_keyfile=settings.kafka_ssl_keyfile,
            ssl_check_hostname=settings.kafka_ssl_check_hostname,
        )

    @property
    def servers(self) -> list[str]:
        """The bootstrap servers as a list."""
        return [host.strip() for host in self.bootstrap.split(",") if host.strip()]

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    def describe(self) -> str:
        """``host:port`` plus how it is reached, for messages (no secret in it)."""
        if self.uses_sasl:
            return (
                f"{self.bootstrap} ({self.security_protocol}, {self.sasl_mechanism} "
                f"as user {self.username!r})"
            )
        if self.uses_tls:
            return f"{self.bootstrap} (SSL)"
        return self.bootstrap

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client TLS context for the SSL protocols (None for the plaintext ones).

        Raises:
            ssl.SSLError, OSError: a certificate or key file is invalid.
        """
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(
            purpose=ssl.Purpose.SERVER_AUTH,
            cafile=str(self.ssl_cafile) if self.ssl_cafile is not None else None,
        )
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile is not None:
            context.load_cert_chain(
                str(self.ssl_certfile),
                str(self.ssl_keyfile) if self.ssl_keyfile is not None else None,
            )
        return context

    def kafka_python_options(self) -> dict[str, Any]:
        """Keyword arguments of kafka-python's clients (admin, consumer, producer)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "security_protocol": self.security_protocol,
        }
        context = self.ssl_context()
        if context is not None:
            options["ssl_context"] = context
            options["ssl_check_hostname"] = self.ssl_check_hostname
        if self.uses_sasl:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.username
            options["sasl_plain_password"] = (
                self.password.get_secret_value() if self.password is not None else None
            )
        return options

    def faust_credentials(self) -> CredentialsT | None:
        """Faust's ``broker_credentials`` (None for PLAINTEXT)."""
        context = self.ssl_context()
        if self.uses_sasl:
            return SASLCredentials(
                username=self.username,
                password=self.password.get_secret_value() if self.password is not None else None,
                ssl_context=context,
                mechanism=self.sasl_mechanism,
            )
        if context is not None:
            return SSLCredentials(context)
        return None
