"""The local Kafka broker for real: start, restart, persistence of topics and messages.

Uses its own home directory and free ports, so it never touches another broker.
Needs Java 17+ (and Maven, or the jars in the local Maven repository).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from stream.devtools.local_kafka import LocalKafka, LocalKafkaError
from stream.settings import Settings

pytestmark = pytest.mark.integration

TOPIC = "local-kafka-lifecycle"


def free_ports(count: int) -> list[int]:
    """Ports that are free right now (the sockets stay open until all are picked)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture
def local_kafka(tmp_path: Path) -> Iterator[LocalKafka]:
    port, controller_port = free_ports(2)
    settings = Settings(
        home=tmp_path, kafka_port=port, kafka_controller_port=controller_port, kafka_heap="384m"
    )
    kafka = LocalKafka(settings)
    try:
        kafka.check_prerequisites()
    except LocalKafkaError as exc:
        pytest.skip(f"cannot run the local broker here: {exc}")
    try:
        yield kafka
    finally:
        kafka.stop(timeout=15)


def consume_all(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + timeout
        while len(values) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(record.value for record in records)
        # anything beyond the expected messages would show up here
        for records in consumer.poll(timeout_ms=500).values():
            values.extend(record.value for record in records)
    finally:
        consumer.close()
    return values


def test_start_restart_and_persistence(local_kafka: LocalKafka) -> None:
    messages: list[str] = []
    bootstrap = local_kafka.start(messages.append)
    assert bootstrap == f"127.0.0.1:{local_kafka.settings.kafka_port}"
    assert any(m.startswith("Formatting KRaft storage") for m in messages)

    # Starting twice is harmless.
    messages.clear()
    assert local_kafka.start(messages.append) == bootstrap
    assert messages == [f"Kafka is already running at {bootstrap} (pid {local_kafka._read_pid()})"]
    assert local_kafka.is_running()
    assert local_kafka.status() == bootstrap

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics(
            {TOPIC: {"num_partitions": 1, "replication_factor": 1}}, wait_for_metadata=True
        )
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for i in range(3):
            producer.send(TOPIC, f"message {i}".encode())
        producer.flush(timeout=30)
    finally:
        producer.close()

    messages.clear()
    assert local_kafka.stop(messages.append) is True
    assert messages[-1] == "Kafka stopped"  # graceful, not killed
    assert not local_kafka.is_running()
    assert local_kafka.status() is None
    assert not local_kafka.pid_path.exists()
    assert local_kafka.stop() is False

    messages.clear()
    assert local_kafka.start(messages.append) == bootstrap
    assert not any(m.startswith("Formatting") for m in messages)  # data is kept
    assert local_kafka.status() == bootstrap
    assert consume_all(bootstrap, TOPIC, expected=3) == [b"message 0", b"message 1", b"message 2"]
    assert any("Kafka Server started" in line for line in local_kafka.tail_log(2000))
