"""Runtime configuration: one frozen, validated ``Settings`` object.

Every value can be set through an environment variable named
``LISTING_MONITOR_<FIELD>`` (for example ``LISTING_MONITOR_KAFKA_BOOTSTRAP``).
The field descriptions are the documentation: the README's configuration
table repeats them, and a test fails when it misses a field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


def _default_home() -> Path:
    return Path.home() / ".cache" / "listing-monitor"


class Settings(BaseSettings):
    """Settings of the monitor, its CLI and its local development broker."""

    model_config = SettingsConfigDict(
        env_prefix="LISTING_MONITOR_",
        frozen=True,
        extra="ignore",
        validate_default=True,
    )

    kafka_bootstrap: str | None = Field(
        default=None,
        description=(
            "Kafka bootstrap servers (host:port[,host:port]). Unset: the local "
            "development broker started by `listing-monitor kafka start`."
        ),
    )
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT",
        description=(
            "How every client of the monitor talks to Kafka: `PLAINTEXT`, `SSL` (TLS), "
            "`SASL_PLAINTEXT` or `SASL_SSL` (a user name and password over TLS: what "
            "managed Kafka services require)."
        ),
    )
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        default=None,
        description=(
            "SASL mechanism: `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`. Required with "
            "the `SASL_*` protocols."
        ),
    )
    kafka_username: str | None = Field(
        default=None, description="SASL user name. Required with the `SASL_*` protocols."
    )
    kafka_password: SecretStr | None = Field(
        default=None,
        description=(
            "SASL password. Never printed or logged; prefer LISTING_MONITOR_KAFKA_PASSWORD_FILE."
        ),
    )
    kafka_password_file: Path | None = Field(
        default=None,
        description=(
            "File holding the SASL password (one line; a mounted secret), instead of "
            "LISTING_MONITOR_KAFKA_PASSWORD."
        ),
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        description=(
            "PEM file of the certificate authorities that signed the brokers' certificates. "
            "Unset: the system's trust store."
        ),
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None,
        description="PEM client certificate (chain) for mutual TLS; needs the key file too.",
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None, description="PEM private key (unencrypted) of the client certificate."
    )
    kafka_ssl_check_hostname: bool = Field(
        default=True,
        description="Check that a broker's certificate names the host it was reached at.",
    )
    topic_replication_factor: int | None = Field(
        default=None,
        ge=-1,
        le=32,
        description=(
            "Replicas of every topic the monitor creates (inputs and outputs when missing, "
            "changelogs, ring linking's topics); -1: the broker's `default.replication.factor`. "
            "Unset: 1 on the local development broker, -1 on any other."
        ),
    )
    home: Path = Field(
        default_factory=_default_home,
        description="Directory for the local broker's jars, data and log.",
    )
    kafka_port: int = Field(
        default=9092, ge=1, le=65535, description="Client port of the local broker."
    )
    kafka_controller_port: int = Field(
        default=9093, ge=1, le=65535, description="KRaft controller port of the local broker."
    )
    kafka_start_timeout: float = Field(
        default=90.0, gt=0, description="Seconds to wait for the local broker to answer."
    )
    kafka_heap: str = Field(default="512m", description="Java heap (-Xmx) of the local broker.")

    app_id: str = Field(
        default="listing-monitor",
        description="Faust application id: the consumer group and the prefix of its changelogs.",
    )
    listings_topic: str = Field(default="listings", description="Input topic of ListingEvents.")
    orders_topic: str = Field(default="orders", description="Input topic of OrderEvents.")
    alerts_topic: str = Field(default="high-risk", description="Output topic of Alerts.")
    dead_letter_topic: str = Field(
        default="dead-letter", description="Output topic of DeadLetters (invalid input)."
    )
    session_timeout: float = Field(
        default=20.0,
        ge=6.0,
        le=300.0,
        description=(
            "Seconds the broker waits for a silent worker before giving its partitions "
            "to another (also how long a restarted worker may wait after a crash)."
        ),
    )
    topic_partitions: int = Field(
        default=1, ge=1, description="Partitions of topics the monitor creates when missing."
    )

    fetch_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=64 * 1024,
        description="Most bytes the worker fetches per partition per request.",
    )
    commit_interval: float = Field(
        default=5.0,
        gt=0,
        le=60.0,
        description=(
            "Seconds between the worker's offset commits; changed seller states are "
            "written just before each (a crash replays at most this much input)."
        ),
    )
    batch_max_events: int = Field(
        default=500,
        ge=1,
        description=(
            "Most events the worker judges in one batch (they are acknowledged together, "
            "after the batch)."
        ),
    )
    batch_max_wait: float = Field(
        default=0.02,
        gt=0,
        le=5.0,
        description=(
            "Seconds the worker gathers a batch before judging it: the most it adds to an "
            "alert's latency."
        ),
    )
    max_event_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description=(
            "Largest input message the worker reads; larger ones are dead-lettered unread "
            "(with compression a producer can send events larger than the broker's limit)."
        ),
    )
    max_event_age_days: float = Field(
        default=3650.0,
        gt=0,
        le=100_000,
        description="How many days before the worker's clock an event_time may lie.",
    )
    max_event_ahead: float = Field(
        default=3600.0,
        ge=0,
        le=7 * 86400,
        description=(
            "How many seconds ahead of the worker's clock an event_time or registered_at may "
            "lie (a later one is a producer's clock or time-zone error)."
        ),
    )
    max_registration_age_days: float = Field(
        default=36525.0,
        gt=0,
        le=100_000,
        description="How many days before the worker's clock a seller's registered_at may lie.",
    )
    dead_letter_payload_bytes: int = Field(
        default=64 * 1024,
        ge=0,
        le=512 * 1024,
        description=(
            "Most bytes of an invalid message's payload copied into its dead letter (the "
            "whole message's size and SHA-256 are always recorded)."
        ),
    )
    dead_letter_key_bytes: int = Field(
        default=1024,
        ge=0,
        le=16 * 1024,
        description="Most bytes of an invalid message's key copied into its dead letter.",
    )
    shutdown_timeout: float = Field(
        default=20.0,
        ge=1.0,
        le=300.0,
        description=(
            "Seconds a worker may take to stop after SIGTERM or Ctrl-C before it exits anyway "
            "(what it had not committed is judged again by the next worker)."
        ),
    )
    lag_interval: float = Field(
        default=10.0,
        ge=1.0,
        le=300.0,
        description=(
            "Seconds between the worker's lag measurements (end and committed offsets of "
            "its input partitions, asked of the broker): the consumer-lag gauges."
        ),
    )
    expiry_interval: float = Field(
        default=300.0,
        gt=0,
        description="Seconds between sweeps that delete sellers silent beyond the retention.",
    )
    store: str = Field(
        default="memory://",
        description=(
            "Faust table store: `memory://` (state rebuilt from the changelog at start) or "
            "`rocksdb://` (on disk under LISTING_MONITOR_HOME; needs faust-streaming[rocksdict])."
        ),
    )
    state_cache_size: int = Field(
        default=100_000,
        ge=100,
        description="Seller states kept decoded in memory (least recently used are dropped).",
    )
    rules_file: Path | None = Field(
        default=None,
        description="Rules configuration (TOML). Unset: the bundled `stream/data/rules.toml`.",
    )
    web_enabled: bool = Field(
        default=True,
        description=(
            "Serve the worker's web endpoints (`/healthz`, `/readyz`, `/metrics`, `/rings`)."
        ),
    )
    web_port: int = Field(
        default=6066, ge=1, le=65535, description="Port of the worker's web server."
    )
    web_host: str = Field(default="127.0.0.1", description="Bind address of the web server.")
    web_advertised_host: str | None = Field(
        default=None,
        description=(
            "Host name other workers reach this worker's web server at (they forward "
            "`/rings` requests to the owner of the ring tables). Unset: the bind address; "
            "set it when binding 0.0.0.0 (a container: its host name)."
        ),
    )
    log_level: str = Field(default="info", description="Worker log level.")

    @field_validator("listings_topic", "orders_topic", "alerts_topic", "dead_letter_topic")
    @classmethod
    def _valid_topic(cls, value: str) -> str:
        if not _TOPIC_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a valid Kafka topic name "
                "(1-249 characters of letters, digits, '.', '_' or '-')"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _valid_log_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError("must be one of debug, info, warning, error, critical")
        return level

    @field_validator("topic_replication_factor")
    @classmethod
    def _valid_replication(cls, value: int | None) -> int | None:
        if value == 0:
            raise ValueError("must be -1 (the broker's default) or at least 1")
        return value

    @model_validator(mode="after")
    def _consistent_kafka_security(self) -> Self:
        problems = kafka_security_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def sasl_password(self) -> SecretStr | None:
        """The SASL password, from LISTING_MONITOR_KAFKA_PASSWORD or its file."""
        if self.kafka_password is not None:
            return self.kafka_password
        if self.kafka_password_file is not None:
            return SecretStr(_read_password_file(self.kafka_password_file))
        return None

    @property
    def replication_factor(self) -> int:
        """Replicas of the topics the monitor creates (-1: the broker's default)."""
        if self.topic_replication_factor is not None:
            return self.topic_replication_factor
        return 1 if self.kafka_bootstrap is None else -1

    @property
    def local_bootstrap(self) -> str:
        """Bootstrap address of the local development broker."""
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def bootstrap(self) -> str:
        """The configured bootstrap servers, or the local broker's."""
        return self.kafka_bootstrap or self.local_bootstrap

    @property
    def kafka_dir(self) -> Path:
        """Where the local broker keeps its jars, data, pid file and log."""
        return self.home / "kafka"


def _read_password_file(path: Path) -> str:
    return path.read_text(encoding="utf-8").rstrip("\r\n")


def kafka_security_problems(settings: Settings) -> list[str]:
    """What is missing or contradictory in the Kafka security settings (empty: nothing)."""
    problems: list[str] = []
    protocol = settings.kafka_security_protocol
    if protocol.startswith("SASL_"):
        if settings.kafka_sasl_mechanism is None:
            problems.append(
                f"{protocol} needs LISTING_MONITOR_KAFKA_SASL_MECHANISM "
                "(PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"
            )
        if not settings.kafka_username:
            problems.append(f"{protocol} needs LISTING_MONITOR_KAFKA_USERNAME")
        if settings.kafka_password is None and settings.kafka_password_file is None:
            problems.append(
                f"{protocol} needs LISTING_MONITOR_KAFKA_PASSWORD or "
                "LISTING_MONITOR_KAFKA_PASSWORD_FILE"
            )
    if settings.kafka_password is not None and settings.kafka_password_file is not None:
        problems.append(
            "set LISTING_MONITOR_KAFKA_PASSWORD or LISTING_MONITOR_KAFKA_PASSWORD_FILE, not both"
        )
    if settings.kafka_password_file is not None:
        try:
            if not _read_password_file(settings.kafka_password_file):
                problems.append(
                    f"LISTING_MONITOR_KAFKA_PASSWORD_FILE {settings.kafka_password_file} is empty"
                )
        except OSError as exc:
            problems.append(
                f"LISTING_MONITOR_KAFKA_PASSWORD_FILE {settings.kafka_password_file} cannot be "
                f"read: {exc.strerror or exc}"
            )
    for name in ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile"):
        path = getattr(settings, name)
        if path is not None and not path.is_file():
            problems.append(f"LISTING_MONITOR_{name.upper()} {path} is not a file")
    if (settings.kafka_ssl_certfile is None) != (settings.kafka_ssl_keyfile is None):
        problems.append(
            "mutual TLS needs both LISTING_MONITOR_KAFKA_SSL_CERTFILE and "
            "LISTING_MONITOR_KAFKA_SSL_KEYFILE"
        )
    uses_tls = protocol in ("SSL", "SASL_SSL")
    tls_files = (settings.kafka_ssl_cafile, settings.kafka_ssl_certfile)
    if not uses_tls and any(path is not None for path in tls_files):
        problems.append(
            f"TLS files are set but LISTING_MONITOR_KAFKA_SECURITY_PROTOCOL is {protocol}; "
            "use SSL or SASL_SSL"
        )
    return problems


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``LISTING_MONITOR_*`` variables that reproduce ``settings`` in a child process.

    The password travels as it came: in its variable, or as the path of its file.
    """
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        text: Any = value
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, bool):
            text = str(value).lower()
        env[f"LISTING_MONITOR_{name.upper()}"] = str(text)
    return env
