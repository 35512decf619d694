"""The recovery benchmark's pieces that need no broker."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from stream.cli import app
from stream.devtools.bench.recovery import RecoveryResult, seller_events
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor, Source
from stream.rules import CompiledRules, load_rules


def test_each_seller_gets_one_valid_listing_that_raises_nothing() -> None:
    events = seller_events(50)
    assert len({key for _, key, _, _ in events}) == 50
    processor = EventProcessor(
        CompiledRules.build(load_rules()),
        MonitorMetrics(CollectorRegistry()),
        lambda: datetime(2026, 11, 30, 9, tzinfo=UTC),
    )
    for number, (kind, key, value, _) in enumerate(events):
        assert kind == "listings"
        outcome = processor.on_listing(value, Source("listings", 0, number, key))
        assert outcome.dead_letter is None
        assert outcome.alerts == []


def test_recovery_is_reported_per_100000_sellers() -> None:
    result = RecoveryResult(
        sellers=20_000, partitions=1, empty_start_seconds=2.0, build_seconds=9.0,
        recovery_seconds=5.0, sellers_recovered=20_000,
    )  # fmt: skip
    assert result.restore_seconds == 3.0  # the start itself is not the states' cost
    assert result.seconds_per_100k == 15.0
    assert result.to_dict()["seconds_per_100k_sellers"] == 15.0


def test_the_bench_documents_its_recovery_option() -> None:
    result = CliRunner().invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})
    assert "--recovery" in result.output
