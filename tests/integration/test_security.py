"""Kafka over SASL_SSL with ACLs: a worker with only the documented grants, the CLI, and
the one-sentence errors of a wrong password, an untrusted CA and a missing ACL.

The broker is the test's own (see :mod:`tests.integration.secure_kafka`): its
plaintext listener serves the test's administration, its ``SASL_SSL`` listener
every client under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from kafka.admin import KafkaAdminClient

from stream.devtools.local_kafka import LocalKafka
from stream.devtools.processes import free_port, spawn, stop
from stream.settings import Settings, settings_env
from stream.topology.acls import cli_grants, worker_grants
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import ensure_topics, monitor_topics
from tests.fixtures import example
from tests.integration.conftest import fresh_settings
from tests.integration.secure_kafka import (
    Certificates,
    add_scram_user,
    grant,
    make_certificates,
    secure_properties,
)

pytestmark = pytest.mark.integration

PASSWORDS = {
    "monitor": "worker-" + uuid.uuid4().hex,
    "analyst": "analyst-" + uuid.uuid4().hex,
    "nobody": "nobody-" + uuid.uuid4().hex,
}


@dataclass(frozen=True)
class SecureBroker:
    broker: LocalKafka
    certificates: Certificates
    secure_bootstrap: str
    topics: Settings  # the topic and group names every test here uses

    @property
    def admin_bootstrap(self) -> str:
        return self.broker.bootstrap

    def settings(self, user: str, password: str | None = None, **overrides: object) -> Settings:
        """Settings of a client of the secure listener, logged in as ``user``."""
        values: dict[str, object] = {
            "kafka_bootstrap": self.secure_bootstrap,
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_username": user,
            "kafka_password": password if password is not None else PASSWORDS[user],
            "kafka_ssl_cafile": self.certificates.ca,
            **overrides,
        }
        return self.topics.model_copy(update=values)


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    base = tmp_path_factory.mktemp("secure-kafka")
    certificates = make_certificates(base / "certs")
    port, controller, secure_port = free_port(), free_port(), free_port()
    broker = LocalKafka(
        Settings(home=base / "broker", kafka_port=port, kafka_controller_port=controller),
        extra_properties=secure_properties(certificates, port, secure_port, controller),
    )
    broker.start()
    topics = fresh_settings("lm-sec", base)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        for user, password in PASSWORDS.items():
            add_scram_user(admin, user, password)
        # the topics exist: the worker needs no CREATE on them (an optional grant)
        ensure_topics(KafkaConnection(broker.bootstrap), monitor_topics(topics))
        grant(admin, "monitor", [g for g in worker_grants(topics) if not g.optional])
        grant(
            admin,
            "monitor",
            [g for g in worker_grants(topics) if g.resource == "cluster"],  # RF: broker's
        )
        grant(admin, "analyst", cli_grants(topics))
    finally:
        admin.close()
    try:
        yield SecureBroker(broker, certificates, f"127.0.0.1:{secure_port}", topics)
    finally:
        broker.stop()


def cli(
    settings: Settings, *arguments: str, stdin: bytes = b""
) -> subprocess.CompletedProcess[str]:
    """Run ``listing-monitor ARGUMENTS`` with ``settings`` as its environment."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LISTING_MONITOR_")},
        **settings_env(settings),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "stream", *arguments],
        input=stdin.decode(),
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    """The error a failed command printed: one line, no stack trace."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_worker_with_only_the_documented_acls_judges_a_listing_over_sasl_ssl(
    secure: SecureBroker, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORDS["monitor"] + "\n")
    worker_settings = secure.settings(
        "monitor", kafka_password=None, kafka_password_file=secret, web_port=free_port()
    )
    assert worker_settings.sasl_password is not None
    log_path = tmp_path / "worker.log"
    process, log = spawn(worker_settings, log_path)
    analyst = secure.settings("analyst")
    try:
        produced = cli(
            analyst,
            "produce",
            "--topic",
            analyst.listings_topic,
            stdin=example("listing_created.json").replace(b"\n", b"") + b"\n",
        )
        assert produced.returncode == 0, produced.stderr
        assert "sent 1 events" in produced.stdout
        tailed = cli(
            analyst, "alerts", "tail", "--json", "--from-beginning", "--max", "1",
            "--idle-timeout", "90",
        )  # fmt: skip
        assert tailed.returncode == 0, tailed.stderr + log_path.read_text(errors="replace")
        alerts = [orjson.loads(line) for line in tailed.stdout.splitlines() if line.strip()]
        assert [a["seller_id"] for a in alerts] == ["S-42"]
        assert process.poll() is None, log_path.read_text(errors="replace")
    finally:
        stop(process)
        log.close()
    worker_log = log_path.read_text(errors="replace")
    assert "Crashed reason=" not in worker_log
    assert "AuthorizationFailed" not in worker_log, worker_log[-3000:]
    for output in (worker_log, produced.stdout, produced.stderr, tailed.stdout, tailed.stderr):
        for password in PASSWORDS.values():
            assert password not in output


def test_a_wrong_password_is_named_in_one_sentence(secure: SecureBroker) -> None:
    wrong = "wrong-" + uuid.uuid4().hex
    started = time.monotonic()
    result = cli(
        secure.settings("analyst", wrong), "produce", "--topic", secure.topics.listings_topic,
        stdin=b"{}\n",
    )  # fmt: skip
    sentence = one_sentence(result)
    # which of the two depends on a race in kafka-python (see kafka_errors.explain)
    assert (
        "refused the password of user 'analyst'" in sentence
        or "closed every connection while authenticating user 'analyst'" in sentence
    ), sentence
    assert "LISTING_MONITOR_KAFKA_PASSWORD" in sentence
    assert wrong not in result.stdout + result.stderr
    assert time.monotonic() - started < 120


def test_an_untrusted_certificate_is_named_in_one_sentence(secure: SecureBroker) -> None:
    settings = secure.settings("analyst", kafka_ssl_cafile=secure.certificates.untrusted_ca)
    result = cli(settings, "alerts", "tail", "--max", "1", "--idle-timeout", "5")
    sentence = one_sentence(result)
    assert "is not trusted" in sentence
    assert "LISTING_MONITOR_KAFKA_SSL_CAFILE" in sentence
    assert PASSWORDS["analyst"] not in result.stdout + result.stderr


def test_a_missing_acl_is_named_in_one_sentence(secure: SecureBroker) -> None:
    topic = secure.topics.listings_topic
    result = cli(
        secure.settings("nobody"), "produce", "--topic", topic, stdin=b'{"seller_id": "S-1"}\n'
    )
    sentence = one_sentence(result)
    assert f"denies user 'nobody' access to topic {topic}" in sentence
    assert "listing-monitor kafka acls" in sentence
    assert PASSWORDS["nobody"] not in result.stdout + result.stderr


def test_a_topic_the_user_may_not_see_is_named_at_once(secure: SecureBroker) -> None:
    started = time.monotonic()
    result = cli(secure.settings("nobody"), "alerts", "tail", "--max", "1")
    sentence = one_sentence(result)
    assert f"denies user 'nobody' access to topic {secure.topics.alerts_topic}" in sentence
    assert time.monotonic() - started < 30  # not the minute it waits for a missing topic


def test_the_password_is_in_no_help_and_no_settings_error(secure: SecureBroker) -> None:
    settings = secure.settings("analyst")
    for arguments in (("--help",), ("produce", "--help"), ("worker", "--help")):
        result = cli(settings, *arguments)
        assert result.returncode == 0, result.stderr
        assert PASSWORDS["analyst"] not in result.stdout + result.stderr
    # an invalid setting beside the password: the error names the setting, not the password
    result = cli(settings.model_copy(update={"web_port": 70000}), "alerts", "tail")
    assert "LISTING_MONITOR_WEB_PORT" in one_sentence(result)
    assert PASSWORDS["analyst"] not in result.stdout + result.stderr
