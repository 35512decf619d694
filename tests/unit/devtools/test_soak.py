"""The soak benchmark's pieces that need no broker."""

from __future__ import annotations

import itertools
import math
import multiprocessing
import xml.etree.ElementTree as ET

import orjson
from typer.testing import CliRunner

from stream.cli import app
from stream.devtools.bench.soak import (
    SoakResult,
    SoakSample,
    ahead,
    bucket_quantile,
    marketplace,
    parse_rss,
    parse_scrape,
    soak_svg,
    window_medians,
)

INF = math.inf


def sample(
    elapsed: float, rss_mib: float, lag: float = 0.0, p99: float | None = 40.0
) -> SoakSample:
    return SoakSample(
        elapsed_s=elapsed, sent=int(elapsed * 10), judged=elapsed * 10,
        rss_bytes=int(rss_mib * 1024**2), lag_messages=lag, lag_seconds=0.2,
        latency_p50_ms=10.0, latency_p99_ms=p99, alerts=3,
    )  # fmt: skip


def test_resident_memory_is_read_from_proc_status() -> None:
    status = "Name:\tpython\nVmHWM:\t  300000 kB\nVmRSS:\t  250000 kB\n"
    assert parse_rss(status) == 250_000 * 1024
    assert parse_rss("Name:\tzombie\n") is None


def test_a_scrape_sums_the_judged_events_and_lag_and_keeps_the_largest_lag_in_seconds() -> None:
    text = "\n".join(
        [
            'listing_monitor_events_total{stream="listings",outcome="judged"} 70',
            'listing_monitor_events_total{stream="orders",outcome="judged"} 30',
            'listing_monitor_consumer_lag_messages{topic="l",partition="0"} 5',
            'listing_monitor_consumer_lag_messages{topic="o",partition="0"} 7',
            'listing_monitor_consumer_lag_seconds{topic="l",partition="0"} 0.5',
            'listing_monitor_consumer_lag_seconds{topic="o",partition="0"} 1.5',
            'listing_monitor_alert_latency_seconds_bucket{level="listing",le="0.1"} 4',
            'listing_monitor_alert_latency_seconds_bucket{level="listing",le="+Inf"} 5',
            'listing_monitor_alert_latency_seconds_bucket{level="seller",le="0.1"} 1',
            'listing_monitor_alert_latency_seconds_bucket{level="seller",le="+Inf"} 1',
        ]
    )
    scrape = parse_scrape(text + "\n")
    assert scrape.judged == 100
    assert scrape.lag_messages == 12
    assert scrape.lag_seconds == 1.5
    assert scrape.latency_buckets == {0.1: 5, INF: 6}


def test_latency_quantiles_come_from_the_observations_between_two_reads() -> None:
    before = {0.05: 100.0, 0.1: 100.0, 0.25: 100.0, INF: 100.0}
    after = {0.05: 100.0, 0.1: 150.0, 0.25: 200.0, INF: 200.0}  # 50 in (0.05, 0.1], 50 above
    assert bucket_quantile(0.5, before, after) == 0.1
    assert math.isclose(bucket_quantile(0.99, before, after) or 0.0, 0.1 + 0.15 * 49 / 50)
    assert bucket_quantile(0.99, after, after) is None  # nothing observed meanwhile
    beyond = {0.05: 0.0, INF: 10.0}  # everything above the last finite bound
    assert bucket_quantile(0.99, {}, beyond) == 0.05


def test_flatness_compares_the_second_sixth_of_the_run_with_the_last_sixth() -> None:
    # a warm-up that climbs, then flat at 200 MiB, then 10% more at the end
    samples = [
        sample(t, 100 + t if t < 100 else (200 if t < 500 else 220)) for t in range(0, 601, 10)
    ]
    windows = window_medians(samples, lambda s: s.rss_bytes / 1024**2 if s.rss_bytes else None)
    assert windows["early"] == 200
    assert windows["late"] == 220
    assert windows["ratio"] == 1.1
    assert window_medians([], lambda s: s.lag_messages) == {
        "early": None,
        "late": None,
        "ratio": None,
    }
    no_latency = [sample(t, 200, p99=None) for t in range(0, 601, 10)]
    assert window_medians(no_latency, lambda s: s.latency_p99_ms)["ratio"] is None


def test_the_endless_marketplace_keeps_its_sellers_and_never_repeats_an_id() -> None:
    events = list(itertools.islice(marketplace(20, seed=5, fraud_share=0.0), 3000))
    decoded = [orjson.loads(value) for _, _, value, _ in events]
    assert len({event["event_id"] for event in decoded}) == len(events)
    quarters = {event["event_id"].rsplit("q", 1)[1] for event in decoded}
    assert {"0", "1"} <= quarters  # the stream went on past the first simulated quarter
    assert len({event["seller_id"] for event in decoded}) <= 20
    listings = [e for e in decoded if e["event_type"] == "listing_created"]
    assert len({e["listing_id"] for e in listings}) == len(listings)
    assert all(
        key == event["seller_id"].encode()
        for (_, key, _, _), event in zip(events, decoded, strict=True)
    )


def test_the_plot_is_an_svg_with_one_line_per_figure() -> None:
    result = SoakResult(
        2000, 10, 500, 1, tuple(sample(t, 180 + t / 100, lag=t % 7) for t in range(0, 601, 15))
    )
    svg = ET.fromstring(soak_svg(result))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 3
    assert all(len(line.attrib["points"].split()) == 41 for line in lines)


def test_the_bench_documents_its_soak_options() -> None:
    result = CliRunner().invoke(app, ["bench", "--help"], env={"COLUMNS": "200"})
    assert "--soak" in result.output
    assert "--plot" in result.output


def test_the_marketplace_is_simulated_in_a_process_of_its_own_that_stops_with_the_reader() -> None:
    events = ahead(20, seed=5, fraud_share=0.0, keep=4_000)
    taken = list(itertools.islice(events, 2_500))  # more than one chunk
    events.close()
    expected = list(itertools.islice(marketplace(20, seed=5, fraud_share=0.0), 2_500))
    assert taken == expected
    assert not [p for p in multiprocessing.active_children() if p.name == "soak-simulator"]
