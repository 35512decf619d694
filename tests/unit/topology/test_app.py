"""The topology builds from settings without touching Kafka."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from pydantic import SecretStr

from stream.devtools.bench.baseline import create_baseline_app
from stream.rules import load_rules
from stream.settings import Settings
from stream.topology.app import FETCH_MAX_WAIT_MS, broker_urls, create_app, tune_gc
from stream.topology.faust_patches import check_private_api
from stream.topology.kafka_admin import monitor_topics, worker_topics


def test_topology_is_declared(tmp_path: Path) -> None:
    monitor = create_app(
        Settings(
            home=tmp_path,
            kafka_bootstrap="h1:9092,h2:9092",
            topic_partitions=4,
            topic_replication_factor=3,
        )
    )
    app = monitor.app
    names = [agent.name.rsplit(".", 1)[-1] for agent in app.agents.values()]
    assert sorted(names) == ["index-identifiers", "judge-events", "link-rings"]
    assert {"seller-state", "reference-prices"} <= set(app.tables)
    # ring linking: the identifier index is partitioned like the input, the
    # rings live in one partition (one owner answers /rings)
    assert app.tables["ring-identifiers"].partitions == 4
    assert {app.tables[name].partitions for name in RING_BOOK_TABLES} == {1}
    assert monitor.rings is not None
    table = app.tables["seller-state"]
    assert table.use_partitioner
    assert table.changelog_topic.get_topic_name() == "listing-monitor-seller-state-changelog"
    # a table's changelog takes the app's replication factor when it names none
    assert {t.changelog_topic.replicas for t in app.tables.values()} == {None}
    assert cast(Any, app.conf).topic_replication_factor == 3
    assert cast(Any, app.conf).producer_acks == -1  # every in-sync replica
    assert cast(Any, app.conf).processing_guarantee.value == "at_least_once"
    assert monitor.rules.version


RING_BOOK_TABLES = ("ring-edges", "ring-of", "rings", "ring-statuses", "ring-soft")


@pytest.mark.parametrize("partitions", [1, 4])
def test_misrouted_events_are_forwarded_only_with_more_than_one_partition(
    tmp_path: Path, partitions: int
) -> None:
    settings = Settings(home=tmp_path, topic_partitions=partitions)
    monitor = create_app(settings)
    agent = next(a for a in monitor.app.agents.values() if a.name.endswith("judge-events"))
    forwarded = {"listing-monitor-listings-by-seller", "listing-monitor-orders-by-seller"}
    inputs = {"listings", "orders"}
    assert set(agent.channel.topics) == (inputs | forwarded if partitions > 1 else inputs)
    assert set(worker_topics(settings)) - set(monitor_topics(settings)) == (
        forwarded if partitions > 1 else set()
    )


def test_rings_can_be_switched_off_in_the_rules(tmp_path: Path) -> None:
    rules = load_rules()
    off = rules.model_copy(update={"rings": rules.rings.model_copy(update={"enabled": False})})
    monitor = create_app(Settings(home=tmp_path), rules=off)
    names = [agent.name.rsplit(".", 1)[-1] for agent in monitor.app.agents.values()]
    assert names == ["judge-events"]
    assert not set(RING_BOOK_TABLES) & set(monitor.app.tables)
    assert monitor.rings is None


def test_a_remote_cluster_needs_its_replication_factor_resolved_first(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, kafka_bootstrap="h1:9092")
    assert settings.replication_factor == -1  # the broker's default
    with pytest.raises(ValueError, match="resolve_replication"):
        create_app(settings)


def test_sasl_over_tls_reaches_faust_as_its_broker_credentials(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        kafka_bootstrap="h1:9093",
        topic_replication_factor=3,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_username="monitor",
        kafka_password=SecretStr("not-in-any-repr"),
    )
    conf = cast(Any, create_app(settings).app.conf)
    credentials = conf.broker_credentials
    assert isinstance(credentials, faust.auth.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("monitor", "not-in-any-repr")
    assert "not-in-any-repr" not in repr(credentials)


def test_broker_urls() -> None:
    assert broker_urls("h1:9092, h2:9093") == "kafka://h1:9092;kafka://h2:9093"


def fake_consumer(**thread: object) -> SimpleNamespace:
    """Faust's consumer as far as the app reaches into it once partitions are assigned."""

    async def on_partitions_revoked(revoked: set[object]) -> None:
        return None

    async def wait_empty() -> None:
        return None

    async def perform_seek() -> None:
        return None

    return SimpleNamespace(
        _thread=SimpleNamespace(**thread),
        ack=lambda message: True,
        on_partitions_revoked=on_partitions_revoked,
        wait_empty=wait_empty,
        resume_partitions=lambda tps: None,
        perform_seek=perform_seek,
        threadsafe_partitions_revoked=None,
    )


class FakeAiokafkaProducer:
    """aiokafka's producer as far as the app asks it for topic metadata."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    async def partitions_for(self, topic: str) -> set[int]:
        self.topics.append(topic)
        return {0}


def fake_producer() -> SimpleNamespace:
    aiokafka_producer = FakeAiokafkaProducer()
    return SimpleNamespace(_ensure_producer=lambda: aiokafka_producer)


def install_fakes(app: faust.App, consumer: SimpleNamespace) -> None:
    """Put a fake consumer and producer where Faust keeps its own."""
    faked = cast(Any, app)
    faked._consumer = consumer
    faked._producer = fake_producer()


def _fetch_wait_after_assignment(app: faust.App) -> int:
    """The fetch wait the app leaves on a consumer that Faust built with 1,500 ms."""
    fetcher = SimpleNamespace(_fetch_max_wait_ms=1500)  # aiokafka's Fetcher, as Faust builds it
    install_fakes(app, fake_consumer(_consumer=SimpleNamespace(_fetcher=fetcher)))
    asyncio.run(app.on_partitions_assigned.send(set()))
    return int(fetcher._fetch_max_wait_ms)


def test_assigned_partitions_shorten_the_brokers_fetch_wait(tmp_path: Path) -> None:
    """Faust's fixed 1.5 s fetch wait is cut once the consumer runs (see shorten_fetch_wait)."""
    app = create_app(Settings(home=tmp_path)).app
    assert _fetch_wait_after_assignment(app) == FETCH_MAX_WAIT_MS == 100


def test_assigned_partitions_fetch_the_changelogs_metadata(tmp_path: Path) -> None:
    """A state write needs the changelog's partitions: known before the first one."""
    app = create_app(Settings(home=tmp_path)).app
    _fetch_wait_after_assignment(app)
    assert cast(Any, app)._producer._ensure_producer().topics == [
        "listing-monitor-seller-state-changelog",
        "listing-monitor-reference-prices-changelog",
    ]


def test_a_consumer_faust_no_longer_builds_is_refused_at_start(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path)).app
    install_fakes(app, SimpleNamespace(_thread=SimpleNamespace(_consumer=SimpleNamespace())))
    with pytest.raises(RuntimeError, match="cannot guard its commits"):
        asyncio.run(app.on_partitions_assigned.send(set()))


def test_baseline_gets_the_same_fetch_wait(tmp_path: Path) -> None:
    app = create_baseline_app(Settings(home=tmp_path))
    assert _fetch_wait_after_assignment(app) == FETCH_MAX_WAIT_MS


def test_a_consumer_without_the_fetcher_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(home=tmp_path)).app
    install_fakes(app, fake_consumer(_consumer=SimpleNamespace()))
    with caplog.at_level(logging.WARNING, logger="stream.topology.faust_patches"):
        asyncio.run(app.on_partitions_assigned.send(set()))
    assert "could not shorten the fetch wait to 100 ms" in caplog.text


def test_tune_gc_collects_the_oldest_generation_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        young, middle, oldest = gc.get_threshold()
        assert (young, middle) == before[:2]  # young garbage as often as before
        assert oldest == 100 > before[2]
    finally:
        gc.set_threshold(*before)


def test_a_release_that_moves_a_private_attribute_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faust.transport.drivers import aiokafka as driver

    check_private_api()  # this release has all of them
    monkeypatch.delattr(driver.Producer, "_ensure_producer")
    with pytest.raises(RuntimeError, match=r"moved .*faust Producer\._ensure_producer"):
        create_app(Settings(home=tmp_path))
