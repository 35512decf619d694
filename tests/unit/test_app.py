"""The topology builds from settings without touching Kafka."""

from __future__ import annotations

from pathlib import Path

from stream.app import broker_urls, create_app
from stream.settings import Settings


def test_topology_is_declared(tmp_path: Path) -> None:
    monitor = create_app(Settings(home=tmp_path, kafka_bootstrap="h1:9092,h2:9092"))
    app = monitor.app
    assert [agent.name for agent in app.agents.values()] == ["judge-events"]
    assert {"seller-state", "reference-prices"} <= set(app.tables)
    table = app.tables["seller-state"]
    assert table.use_partitioner
    assert table.changelog_topic.get_topic_name() == "listing-monitor-seller-state-changelog"
    assert app.conf.processing_guarantee.value == "at_least_once"
    assert monitor.rules.version


def test_broker_urls() -> None:
    assert broker_urls("h1:9092, h2:9093") == "kafka://h1:9092;kafka://h2:9093"
