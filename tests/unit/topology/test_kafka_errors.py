"""Kafka failures as one sentence: the cause and the setting to change."""

from __future__ import annotations

import logging
import socket
import ssl
import threading

from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from stream.topology.connection import KafkaConnection
from stream.topology.kafka_errors import explain, kafka_failures, probe_transport

KAFKA = KafkaConnection(
    "k:9094", "SASL_SSL", "SCRAM-SHA-512", "monitor", SecretStr("pw-that-must-not-show")
)
BOOTSTRAP_TIMEOUT = KafkaTimeoutError("Unable to bootstrap from ['k:9094']")


def test_a_refused_password_is_found_in_what_the_client_logged() -> None:
    with kafka_failures() as seen:
        logging.getLogger("kafka.net.connection").error(
            "%s: Connection lost: %s",
            "<KafkaConnection>",
            SaslAuthenticationFailedError("invalid credentials with SASL mechanism SCRAM-SHA-512"),
        )
    sentence = explain(BOOTSTRAP_TIMEOUT, KAFKA, seen.exceptions)
    assert sentence.startswith("Kafka at k:9094 (SASL_SSL, SCRAM-SHA-512 as user 'monitor')")
    assert "refused the password of user 'monitor'" in sentence
    assert "LISTING_MONITOR_KAFKA_PASSWORD" in sentence
    assert "pw-that-must-not-show" not in sentence


def test_the_collector_is_removed_afterwards() -> None:
    with kafka_failures() as seen:
        pass
    logging.getLogger("kafka.net.connection").error("later: %s", KafkaConnectionError("x"))
    assert list(seen.exceptions) == []


def test_a_refused_password_outlives_the_disconnects_that_follow_it() -> None:
    # what a Kafka 4.1 broker does: one attempt answered "invalid credentials",
    # the next ones dropped without an answer until the bootstrap timeout
    with kafka_failures() as seen:
        manager = logging.getLogger("kafka.net.manager")
        manager.warning("failed: %s", SaslAuthenticationFailedError("invalid credentials"))
        for _ in range(100):
            manager.warning("failed: %s", KafkaConnectionError("socket disconnected"))
    assert "refused the password" in explain(BOOTSTRAP_TIMEOUT, KAFKA, seen.exceptions)
    assert [type(e) for e in seen.exceptions] == [
        SaslAuthenticationFailedError,
        KafkaConnectionError,
    ]


def test_connections_dropped_while_authenticating_point_at_the_password() -> None:
    with kafka_failures() as seen:
        for _ in range(10):
            logging.getLogger("kafka.net.manager").warning(
                "failed: %s", KafkaConnectionError("socket disconnected")
            )
    sentence = explain(BOOTSTRAP_TIMEOUT, KAFKA, seen.exceptions)
    assert "closed every connection while authenticating user 'monitor'" in sentence
    assert "LISTING_MONITOR_KAFKA_PASSWORD" in sentence
    plaintext = KafkaConnection("k:9092")
    assert "failed: KafkaTimeoutError" in explain(BOOTSTRAP_TIMEOUT, plaintext, seen.exceptions)


def test_only_the_latest_failure_of_each_kind_is_kept_and_only_so_many_kinds() -> None:
    def kind(number: int) -> str:
        return "kind " + "".join(chr(ord("a") + int(digit)) for digit in f"{number:03d}")

    with kafka_failures() as seen:
        for number in range(100):
            for attempt in range(3):  # the same kind: only the numbers differ
                logging.getLogger("kafka.net.manager").error(
                    "failed: %s", KafkaConnectionError(f"{kind(number)}, attempt {attempt}")
                )
    kept = [str(e) for e in seen.exceptions]
    assert len(kept) == 20
    assert kept[0].endswith(f"{kind(80)}, attempt 2")
    assert kept[-1].endswith(f"{kind(99)}, attempt 2")


def test_an_untrusted_certificate_names_the_ca_setting() -> None:
    logged = KafkaConnectionError(
        "Handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "self-signed certificate in certificate chain (_ssl.c:1006)"
    )
    sentence = explain(BOOTSTRAP_TIMEOUT, KAFKA, [logged])
    assert sentence == (
        "the TLS certificate of Kafka at k:9094 is not trusted (self-signed certificate in "
        "certificate chain): set LISTING_MONITOR_KAFKA_SSL_CAFILE to the CA certificate that "
        "signed it"
    )


def test_a_certificate_for_another_host_names_the_hostname_check() -> None:
    logged = KafkaConnectionError(
        "Handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "IP address mismatch, certificate is not valid for '10.0.0.1'. (_ssl.c:1006)"
    )
    assert "LISTING_MONITOR_KAFKA_SSL_CHECK_HOSTNAME" in explain(BOOTSTRAP_TIMEOUT, KAFKA, [logged])


def test_a_tls_listener_reached_in_plaintext_names_the_protocol() -> None:
    plain = KafkaConnection("k:9094")
    logged = KafkaConnectionError("Invalid frame length: 352518912")
    sentence = explain(BOOTSTRAP_TIMEOUT, plain, [logged])
    assert "does not answer PLAINTEXT" in sentence
    assert "LISTING_MONITOR_KAFKA_SECURITY_PROTOCOL" in sentence


def test_missing_acls_name_the_topic_and_the_acls_command() -> None:
    sentence = explain(TopicAuthorizationFailedError("listings"), KAFKA)
    assert "denies user 'monitor' access to topic listings" in sentence
    assert "listing-monitor kafka acls" in sentence
    group = explain(GroupAuthorizationFailedError(), KAFKA)
    assert "consumer group" in group
    assert "kafka acls" in group


def test_an_unknown_failure_is_still_one_line() -> None:
    sentence = explain(KafkaTimeoutError("a\nb"), KafkaConnection("k:1"))
    assert sentence == "Kafka at k:1 failed: KafkaTimeoutError: a b"


def test_the_probe_names_a_refused_connection() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    sentence = probe_transport(KafkaConnection(f"127.0.0.1:{port}"), timeout=2)
    assert sentence is not None
    assert "connection refused" in sentence
    assert "LISTING_MONITOR_KAFKA_BOOTSTRAP" in sentence


def test_the_probe_names_a_plaintext_server_reached_over_tls() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        kafka = KafkaConnection(f"127.0.0.1:{port}", "SSL")

        # nobody answers the handshake: the server closes at once
        def close_first() -> None:
            connection, _ = server.accept()
            connection.close()

        closer = threading.Thread(target=close_first)
        closer.start()
        sentence = probe_transport(kafka, timeout=5)
        closer.join()
    assert sentence is not None
    assert "TLS handshake" in sentence
    assert "LISTING_MONITOR_KAFKA_SECURITY_PROTOCOL" in sentence


def test_a_reachable_server_passes_the_probe() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert probe_transport(KafkaConnection(f"127.0.0.1:{server.getsockname()[1]}")) is None


def test_ssl_errors_of_the_probe_are_classified() -> None:
    error = ssl.SSLCertVerificationError(
        1,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
        "issuer certificate (_ssl.c:1006)",
    )
    assert "is not trusted (unable to get local issuer certificate)" in explain(error, KAFKA)
