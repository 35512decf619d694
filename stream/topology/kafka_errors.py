"""Kafka failures as one sentence a person can act on: the cause and the setting to change.

kafka-python reports a refused password, an untrusted certificate and an
unreachable broker alike, as ``KafkaTimeoutError: Unable to bootstrap`` after
its bootstrap timeout; the cause only appears in its log records.
:func:`kafka_failures` collects the exceptions those records carry while a
command talks to Kafka, and :func:`explain` turns the error and what was
collected into the sentence. :func:`probe_transport` finds the unreachable
broker and the untrusted certificate in a second, before any client waits.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from kafka.errors import (
    AuthorizationError,
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    SaslAuthenticationFailedError,
    TopicAuthorizationFailedError,
)

from stream.topology.connection import KafkaConnection

_DIGITS = re.compile(r"\d+")
PASSWORD_SETTINGS = (
    "LISTING_MONITOR_KAFKA_USERNAME, LISTING_MONITOR_KAFKA_PASSWORD (or _PASSWORD_FILE) "
    "and LISTING_MONITOR_KAFKA_SASL_MECHANISM"
)
ACLS_HINT = "grant the ACLs `listing-monitor kafka acls` lists (README: Least privilege)"


class KafkaClientFailures(logging.Handler):
    """Keeps the latest exception of each kind kafka-python's warning and error
    records carry, oldest kind first.

    By kind, not the last N: after refusing a password the broker often drops
    the next attempts without an answer, and a refused password seen once must
    not be pushed out by the dozens of "socket disconnected" that follow. Bounded
    by the number of kinds (``alerts tail`` may follow a flapping broker for days).
    """

    def __init__(self, kinds: int = 20) -> None:
        super().__init__(logging.WARNING)
        self._kinds = kinds
        self._latest: dict[tuple[type[BaseException], str], BaseException] = {}

    @property
    def exceptions(self) -> list[BaseException]:
        """The latest exception of each kind, the most recently seen kind last."""
        return list(self._latest.values())

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        for arg in args:
            if isinstance(arg, BaseException):
                self._keep(arg)
        if record.exc_info and record.exc_info[1] is not None:
            self._keep(record.exc_info[1])

    def _keep(self, exception: BaseException) -> None:
        # kafka-python raises one class for many causes (KafkaConnectionError): the
        # message tells them apart, its numbers (ports, offsets, attempts) do not
        kind = (type(exception), _DIGITS.sub("N", str(exception))[:80])
        self._latest.pop(kind, None)
        self._latest[kind] = exception
        while len(self._latest) > self._kinds:
            del self._latest[next(iter(self._latest))]


@contextmanager
def kafka_failures() -> Iterator[KafkaClientFailures]:
    """Collect what kafka-python's clients log as failing while the block runs.

    kafka-python's own level is kept, unless it would drop warnings; its records
    still reach the handlers they reached before.
    """
    logger = logging.getLogger("kafka")
    handler = KafkaClientFailures()
    previous = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def explain(
    error: BaseException, kafka: KafkaConnection, seen: Sequence[BaseException] = ()
) -> str:
    """One sentence: what went wrong talking to ``kafka`` and which setting to look at.

    Args:
        error: What the client raised.
        kafka: The connection it used (for the address, protocol and user).
        seen: Exceptions kafka-python logged meanwhile (see :func:`kafka_failures`).
    """
    where = kafka.describe()
    user = f"user {kafka.username!r}" if kafka.uses_sasl else "this client"
    if isinstance(error, TopicAuthorizationFailedError):
        topics = ", ".join(sorted(str(arg) for arg in error.args)) or "a topic"
        return f"Kafka at {where} denies {user} access to topic {topics}: {ACLS_HINT}"
    if isinstance(error, GroupAuthorizationFailedError):
        return f"Kafka at {where} denies {user} access to its consumer group: {ACLS_HINT}"
    if isinstance(error, ClusterAuthorizationFailedError):
        return f"Kafka at {where} denies {user} a cluster operation: {ACLS_HINT}"
    if isinstance(error, AuthorizationError):
        return f"Kafka at {where} denies {user} an operation ({type(error).__name__}): {ACLS_HINT}"
    for cause in (error, *reversed(seen)):
        sentence = _explain_connection_failure(cause, kafka)
        if sentence is not None:
            return sentence
    if kafka.uses_sasl and "Unable to bootstrap" in str(error) and any(map(_dropped, seen)):
        # kafka-python 3.0 drops the broker's "invalid credentials" answer when the
        # broker closes the connection in the same breath, which it often does
        return (
            f"Kafka at {where} closed every connection while authenticating {user}, as it "
            f"does after refusing a password: check {PASSWORD_SETTINGS}, and that "
            "LISTING_MONITOR_KAFKA_SECURITY_PROTOCOL is what this listener speaks"
        )
    return f"Kafka at {where} failed: {_one_line(error)}"


def _dropped(cause: BaseException) -> bool:
    return isinstance(cause, KafkaConnectionError) and "socket disconnected" in str(cause)


def _explain_connection_failure(cause: BaseException, kafka: KafkaConnection) -> str | None:
    where = kafka.describe()
    text = str(cause)
    if isinstance(cause, SaslAuthenticationFailedError):
        return (
            f"Kafka at {where} refused the password of user {kafka.username!r}: check "
            f"{PASSWORD_SETTINGS}"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(cause, ssl.SSLCertVerificationError):
        if "mismatch" in text or "doesn't match" in text:
            return (
                f"the TLS certificate of Kafka at {kafka.bootstrap} names another host: use the "
                "host name it names in LISTING_MONITOR_KAFKA_BOOTSTRAP (or set "
                "LISTING_MONITOR_KAFKA_SSL_CHECK_HOSTNAME=false)"
            )
        reason = text.split("certificate verify failed:", 1)[-1].split("(_ssl.c", 1)[0].strip()
        return (
            f"the TLS certificate of Kafka at {kafka.bootstrap} is not trusted ({reason}): set "
            "LISTING_MONITOR_KAFKA_SSL_CAFILE to the CA certificate that signed it"
        )
    if "Invalid frame length" in text and not kafka.uses_tls:
        return (
            f"Kafka at {kafka.bootstrap} does not answer {kafka.security_protocol}; it may be a "
            "TLS listener: check LISTING_MONITOR_KAFKA_SECURITY_PROTOCOL (SSL or SASL_SSL)"
        )
    if "Handshake failed" in text or isinstance(cause, ssl.SSLError):
        return (
            f"Kafka at {kafka.bootstrap} did not complete a TLS handshake; it may be a plaintext "
            "listener: check LISTING_MONITOR_KAFKA_SECURITY_PROTOCOL and the port in "
            "LISTING_MONITOR_KAFKA_BOOTSTRAP"
        )
    if isinstance(cause, ConnectionRefusedError) or "ECONNREFUSED" in text:
        return (
            f"cannot reach Kafka at {kafka.bootstrap} (connection refused): check "
            "LISTING_MONITOR_KAFKA_BOOTSTRAP, or start the local broker with "
            "`listing-monitor kafka start`"
        )
    if isinstance(cause, socket.gaierror):
        return (
            f"cannot reach Kafka at {kafka.bootstrap} (unknown host): check "
            "LISTING_MONITOR_KAFKA_BOOTSTRAP"
        )
    if isinstance(cause, OSError) and not isinstance(cause, ssl.SSLError):
        return (
            f"cannot reach Kafka at {kafka.bootstrap} ({cause.strerror or cause}): check "
            "LISTING_MONITOR_KAFKA_BOOTSTRAP"
        )
    return None


def _one_line(error: BaseException) -> str:
    name = type(error).__name__
    text = " ".join(str(error).split())
    if text.startswith(name):  # kafka-python's errors name themselves
        return text
    return f"{name}: {text}" if text else name


def probe_transport(kafka: KafkaConnection, timeout: float = 5.0) -> str | None:
    """Connect to each bootstrap server (and shake hands over TLS when the protocol
    asks for it); return the explanation of the failure when none answers, else None.
    """
    failures: list[str] = []
    context = kafka.ssl_context()
    for server in kafka.servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as raw:
                if context is not None:
                    try:
                        with context.wrap_socket(raw, server_hostname=host.strip("[]")):
                            pass
                    except ssl.SSLError:
                        raise
                    except OSError as exc:  # connected, then reset mid-handshake: plaintext
                        raise ssl.SSLError(f"Handshake failed: {exc}") from exc
            return None
        except (OSError, ValueError) as exc:
            failures.append(_explain_connection_failure(exc, kafka) or f"{server}: {exc}")
    return failures[0] if failures else None
