"""Pure helpers of ``listing-monitor bench``: percentiles, RSS, latency matching, rates."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest
from typer.testing import CliRunner

from stream.cli import app
from stream.devtools.bench import runner as bench
from stream.devtools.bench.baseline import DECODED_METRIC, create_baseline_app
from stream.devtools.bench.runner import (
    BenchResult,
    LatencyResult,
    ThroughputResult,
    first_error,
    match_latencies,
    measured_rate,
    metric_total,
    mib,
    parse_vmhwm,
    peak_rss,
    percentile,
    setting_topics,
    simulated_events,
    topic_settings,
)
from stream.settings import Settings
from stream.topology.connection import KafkaConnection

STATUS = """Name:\tpython
Umask:\t0022
State:\tS (sleeping)
VmPeak:\t  912340 kB
VmSize:\t  850000 kB
VmHWM:\t   93612 kB
VmRSS:\t   90000 kB
Threads:\t4
"""


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [40.0, 10.0, 30.0, 20.0]  # unsorted on purpose
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0


def test_percentile_rejects_nothing_and_bad_q() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_vmhwm_parsing() -> None:
    assert parse_vmhwm(STATUS) == 93612 * 1024
    assert parse_vmhwm("Name:\tx\nVmRSS:\t12 kB\n") is None
    assert parse_vmhwm("VmHWM:\tlots kB\n") is None
    assert mib(parse_vmhwm(STATUS)) == 91.4
    assert mib(None) is None


def test_peak_rss_of_this_process_and_of_no_process() -> None:
    import os

    mine = peak_rss(os.getpid())
    assert mine is not None
    assert mine > 1024 * 1024
    assert peak_rss(2**22 + 12345) is None  # above the kernel's pid limit: never exists


def test_latency_matching_by_trigger_event_id() -> None:
    sent = {"e1": 1_000, "e2": 1_010, "e3": 1_500}
    alerts = [
        (orjson.dumps({"trigger_event_id": "e1", "seller_id": "S"}), 1_042),
        (orjson.dumps({"trigger_event_id": "e3"}), 1_620),
        (orjson.dumps({"trigger_event_id": "e3", "level": "seller"}), 1_700),  # 2 alerts, 1 event
        (orjson.dumps({"trigger_event_id": "e2", "level": "ring"}), 1_610),  # apart
        (orjson.dumps({"trigger_event_id": "elsewhere"}), 1_800),
        (orjson.dumps({"seller_id": "S"}), 1_800),
        (b"not json", 1_900),
    ]
    match = match_latencies(sent, alerts)
    assert match.latencies_ms == [42.0, 120.0, 200.0]
    assert match.ring_ms == [600.0]
    assert match.unmatched == 3
    assert match.to_broker_ms == match.in_worker_ms == []  # no append times given


def test_latency_split_at_the_brokers_append_time() -> None:
    sent = {"e1": 1_000, "e2": 1_010}
    appended = {"e1": 1_004, "unrelated": 5}  # e2's append time is unknown
    alerts = [
        (orjson.dumps({"trigger_event_id": "e1"}), 1_042),
        (orjson.dumps({"trigger_event_id": "e2"}), 1_100),
    ]
    match = match_latencies(sent, alerts, appended)
    assert match.latencies_ms == [42.0, 90.0]
    assert match.to_broker_ms == [4.0]  # send -> append
    assert match.in_worker_ms == [38.0]  # append -> alert


def test_measured_rate_starts_at_the_first_progress() -> None:
    polls = [(0.0, 0.0), (0.1, 0.0), (0.2, 500.0), (0.3, 1500.0), (0.7, 4500.0), (1.2, 5000.0)]
    seconds, rate = measured_rate(polls, 5000)
    assert seconds == pytest.approx(1.0)
    assert rate == pytest.approx(4500.0)  # (5000 - 500) / (1.2 - 0.2)


def test_measured_rate_of_a_run_seen_in_one_poll() -> None:
    seconds, rate = measured_rate([(0.0, 0.0), (0.25, 100.0)], 100)
    assert seconds == 0.25
    assert rate == 400.0
    with pytest.raises(ValueError, match="no poll before"):
        measured_rate([(0.0, 100.0)], 100)
    with pytest.raises(ValueError, match="do not cover"):
        measured_rate([(0.0, 0.0), (0.1, 50.0)], 100)


def test_metric_total_sums_every_labelled_sample() -> None:
    registry = CollectorRegistry()
    events = Counter("listing_monitor_events", "x", ["stream", "outcome"], registry=registry)
    events.labels("listings", "valid").inc(7)
    events.labels("orders", "valid").inc(5)
    events.labels("orders", "invalid").inc(1)
    text = generate_latest(registry).decode()
    assert metric_total(text, "listing_monitor_events_total") == 13.0
    assert metric_total(text, "listing_monitor_missing_total") == 0.0


def test_topic_settings_rename_every_topic_after_the_app(tmp_path: Path) -> None:
    base = Settings(home=tmp_path, kafka_bootstrap="127.0.0.1:1")
    settings = topic_settings(base, "lm-bench-x-full", listings_topic="lm-bench-x-in")
    assert settings.app_id == "lm-bench-x-full"
    assert settings.listings_topic == "lm-bench-x-in"
    assert settings.orders_topic == "lm-bench-x-full-orders"
    assert settings.alerts_topic == "lm-bench-x-full-alerts"
    topics = setting_topics(settings)
    assert all(t.startswith("lm-bench-x-") for t in topics)
    assert len(set(topics)) == len(topics)
    assert 0 < settings.web_port < 65536  # a free port of its own
    assert base.app_id == "listing-monitor"  # the base is left alone


def test_simulated_events_are_unique_and_exactly_as_many_as_asked() -> None:
    events = simulated_events(600, sellers=5, seed=3, fraud_share=0.2)
    assert len(events) == 600
    assert len({event_id for *_, event_id in events}) == 600
    for kind, key, value, event_id in events[:50]:
        event = orjson.loads(value)
        assert kind in ("listings", "orders")
        assert key == event["seller_id"].encode()
        assert event_id == event["event_id"]


def _result(p99: float | None, full: float = 600.0) -> BenchResult:
    return BenchResult(
        full=ThroughputResult("full", 1000, 1.0, full, 2.0, 100 * 1024**2),
        bare=ThroughputResult("bare", 1000, 1.0, 1000.0, 2.0, 80 * 1024**2),
        latency=LatencyResult(2000.0, 1999.0, 30.0, 60000, 50, 50, 10.0, 20.0, p99, 300.0, None),
        cpu_count=2,
    )


def test_result_targets_and_json_shape() -> None:
    good = _result(249.0)
    assert good.ratio == 0.6
    assert good.ratio_met
    assert good.p99_met
    data = good.to_dict()
    assert data["throughput"]["ratio"] == 0.6
    assert data["peak_rss_mib"] == {
        "full_throughput": 100.0,
        "bare_throughput": 80.0,
        "full_latency": None,
    }
    assert data["targets"] == {
        "ratio_min": 0.6,
        "ratio_met": True,
        "p99_ms_max": 250.0,
        "p99_met": True,
    }
    assert orjson.loads(orjson.dumps(data)) == data
    assert data["throughput"]["ring_kafka_messages_per_event"] is None  # rings off
    slow = _result(251.0, full=599.0)
    assert not slow.ratio_met
    assert not slow.p99_met
    assert not _result(None).p99_met


def test_ring_traffic_is_reported_per_input_event() -> None:
    result = BenchResult(
        full=ThroughputResult("full", 1000, 1.0, 600.0, 2.0, None, 30.0, 750.0),
        bare=ThroughputResult("bare", 1000, 1.0, 1000.0, 2.0, None),
        latency=LatencyResult(2000.0, 1999.0, 30.0, 60000, 50, 50, 10.0, 20.0, 99.0, 300.0, None),
        cpu_count=2,
    )
    throughput = result.to_dict()["throughput"]
    assert throughput["ring_kafka_messages_per_event"] == 0.03
    assert throughput["ring_records_per_event"] == 0.75


def test_baseline_app_has_one_decoding_agent_over_both_topics(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        app_id="lm-bench-unit",
        kafka_bootstrap="127.0.0.1:1",
        topic_replication_factor=1,
    )
    baseline = create_baseline_app(settings)
    assert list(baseline.agents) == ["decode-events"]
    topics = baseline.agents["decode-events"].channel.topics
    assert set(topics) == {settings.listings_topic, settings.orders_topic}
    assert DECODED_METRIC == "listing_monitor_bench_decoded_total"


def test_bench_help_documents_its_options() -> None:
    result = CliRunner().invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in (
        "--events",
        "--rate",
        "--duration",
        "--sellers",
        "--seed",
        "--json",
        "--keep-logs",
    ):
        assert option in result.output


def test_first_error_of_a_worker_log() -> None:
    log = (
        "[2026-11-22 16:57:54,900] [1] [INFO] [^Worker]: Ready\n"
        "[2026-11-22 16:57:54,979] [1] [ERROR] [^----Stream: x]: Error adding to take buffer\n"
        "Traceback (most recent call last):\n"
        "[2026-11-22 16:57:57,003] [1] [CRITICAL] [^Worker]: We experienced a crash!\n"
    )
    assert first_error(log) == "[ERROR] [^----Stream: x]: Error adding to take buffer"
    assert first_error("[INFO] fine\n") is None


@pytest.mark.parametrize("keep_logs", [False, True])
def test_work_files_are_removed_after_success_unless_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_logs: bool
) -> None:
    monkeypatch.setattr(bench, "_delete_bench_topics", lambda kafka, prefix: None)
    workdir = tmp_path / "bench" / "run1"
    with bench.bench_workspace(
        KafkaConnection("127.0.0.1:1"), "lm-bench-run1-", workdir, keep_logs
    ):
        workdir.mkdir(parents=True)
        (workdir / "latency-worker.log").write_text("log")
    assert (workdir / "latency-worker.log").exists() is keep_logs


def test_work_files_are_kept_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "_delete_bench_topics", lambda kafka, prefix: None)
    workdir = tmp_path / "bench" / "run1"

    def failing_run() -> None:
        with bench.bench_workspace(
            KafkaConnection("127.0.0.1:1"), "lm-bench-run1-", workdir, keep_logs=False
        ):
            workdir.mkdir(parents=True)
            (workdir / "latency-worker.log").write_text("log")
            raise bench.BenchError("the worker died")

    with pytest.raises(bench.BenchError):
        failing_run()
    assert (workdir / "latency-worker.log").exists()


def _run(rate: float, rss: int | None) -> ThroughputResult:
    return ThroughputResult("full", 1000, 1.0, rate, 2.0, rss)


def test_median_run_of_an_odd_number_of_runs_keeps_the_highest_peak_rss() -> None:
    runs = [_run(7000.0, 100), _run(6000.0, 300), _run(8000.0, None)]
    median = bench.median_run(runs)
    assert median.events_per_s == 7000.0
    assert median.peak_rss_bytes == 300


def test_median_run_of_an_even_number_never_flatters_the_ratio() -> None:
    runs = [_run(8000.0, None), _run(6000.0, None)]
    assert bench.median_run(runs).events_per_s == 6000.0  # the full pipeline: lower
    assert bench.median_run(runs, high=True).events_per_s == 8000.0  # the bare agent: higher
    assert bench.median_run(runs).peak_rss_bytes is None
    with pytest.raises(ValueError, match="no runs"):
        bench.median_run([])
