"""Replication of the topics the monitor creates, on a cluster of two brokers whose
``default.replication.factor`` is 2: left unset, the setting takes the broker's
default, for the input and output topics and for the worker's changelogs alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from stream.devtools.local_kafka import LocalKafka
from stream.devtools.processes import free_port, spawn, stop
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import broker_default_replication
from tests.integration.conftest import fresh_settings

pytestmark = pytest.mark.integration

DEFAULT_REPLICAS = {"default.replication.factor": "2", "min.insync.replicas": "1"}


@pytest.fixture(scope="module")
def two_brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A KRaft cluster: node 1 (controller and broker) and node 2 (broker only)."""
    base = tmp_path_factory.mktemp("two-brokers")
    port, controller = free_port(), free_port()
    first = LocalKafka(
        Settings(home=base / "node1", kafka_port=port, kafka_controller_port=controller),
        extra_properties=DEFAULT_REPLICAS,
    )
    first.start()
    second_port = free_port()
    second = LocalKafka(
        Settings(home=base / "node2", kafka_port=second_port, kafka_controller_port=free_port()),
        extra_properties={
            **DEFAULT_REPLICAS,
            "process.roles": "broker",
            "node.id": "2",
            "controller.quorum.voters": f"1@127.0.0.1:{controller}",
            "listeners": f"PLAINTEXT://127.0.0.1:{second_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{second_port}",
        },
        cluster_id=first.cluster_id,
    )
    try:
        second.start()
        bootstrap = f"127.0.0.1:{port},127.0.0.1:{second_port}"
        wait_for_brokers(bootstrap, 2)
        yield bootstrap
    finally:
        second.stop()
        first.stop()


def wait_for_brokers(bootstrap: str, count: int, timeout: float = 60.0) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    try:
        deadline = time.monotonic() + timeout
        while len(admin.describe_cluster()["brokers"]) < count:
            assert time.monotonic() < deadline, "the second broker did not join"
            time.sleep(0.5)
    finally:
        admin.close()


def replicas(bootstrap: str, topics: list[str]) -> dict[str, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    try:
        return {
            t["name"]: len(t["partitions"][0]["replica_nodes"])
            for t in admin.describe_topics(topics)
        }
    finally:
        admin.close()


def test_topics_the_worker_creates_get_the_brokers_default_replication(
    two_brokers: str, tmp_path: Path
) -> None:
    settings = fresh_settings("lm-rf", tmp_path, kafka_bootstrap=two_brokers, web_port=free_port())
    assert settings.topic_replication_factor is None  # unset: the broker's default
    assert broker_default_replication(KafkaConnection(two_brokers)) == 2
    changelog = f"{settings.app_id}-seller-state-changelog"
    wanted = [settings.listings_topic, settings.alerts_topic, changelog]
    log_path = tmp_path / "worker.log"
    process, log = spawn(settings, log_path)
    try:
        deadline = time.monotonic() + 120
        found: dict[str, int] = {}
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                found = replicas(two_brokers, wanted)
            except Exception:  # a topic not created yet
                found = {}
            if len(found) == len(wanted):
                break
            time.sleep(1)
    finally:
        stop(process)
        log.close()
    assert found == dict.fromkeys(wanted, 2), log_path.read_text(errors="replace")[-3000:]
