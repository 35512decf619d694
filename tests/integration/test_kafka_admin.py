"""Admin helpers against the real broker."""

from __future__ import annotations

import uuid

import pytest

from stream.devtools.local_kafka import LocalKafka
from stream.devtools.processes import free_port
from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import delete_topics, ensure_topics, group_members

pytestmark = pytest.mark.integration


def test_ensure_topics_creates_only_missing_ones(kafka_bootstrap: str) -> None:
    names = [f"lm-admin-{uuid.uuid4().hex[:8]}-{n}" for n in range(2)]
    try:
        assert ensure_topics(KafkaConnection(kafka_bootstrap), names) == names
        assert ensure_topics(KafkaConnection(kafka_bootstrap), names) == []
    finally:
        delete_topics(KafkaConnection(kafka_bootstrap), names)


def test_unknown_group_has_no_members(kafka_bootstrap: str) -> None:
    state, members = group_members(
        KafkaConnection(kafka_bootstrap), f"lm-nobody-{uuid.uuid4().hex[:8]}"
    )
    assert members == set()
    assert state in {"Dead", "Empty"}


def test_group_lookup_on_a_brand_new_broker_does_not_fail(tmp_path: object) -> None:
    # A fresh broker has no group coordinator until __consumer_offsets exists.
    settings = Settings(
        home=tmp_path,  # type: ignore[arg-type]
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
    )
    local = LocalKafka(settings)
    try:
        bootstrap = local.start()
        state, members = group_members(KafkaConnection(bootstrap), "listing-monitor")
        assert members == set()
        assert state in {"Dead", "Empty", "Unavailable"}
    finally:
        local.stop()
