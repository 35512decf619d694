"""`listing-monitor bench` end to end on the real broker: every figure is there and positive.

No timing thresholds: the figures depend on the machine. The bench runs as a
subprocess against the session's broker and must leave no topic behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import admin_client

pytestmark = pytest.mark.integration


def _leaves(data: dict[str, Any], path: str = "") -> list[tuple[str, Any]]:
    leaves: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            leaves.extend(_leaves(value, name))
        elif isinstance(value, list):  # the rates of each run
            leaves.extend((f"{name}[{i}]", item) for i, item in enumerate(value))
        else:
            leaves.append((name, value))
    return leaves


def test_bench_reports_every_figure(kafka_bootstrap: str, tmp_path: Path) -> None:
    env = {**os.environ, "LISTING_MONITOR_KAFKA_BOOTSTRAP": kafka_bootstrap}
    env["LISTING_MONITOR_HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stream",
            "bench",
            "--events",
            "2000",
            "--rate",
            "200",
            "--duration",
            "5",
            "--repeat",
            "2",
            "--json",
        ],
        env=env,
        capture_output=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    report = orjson.loads(result.stdout)
    assert set(report) == {"machine", "throughput", "latency", "peak_rss_mib", "targets"}
    for name, value in _leaves(report):
        if isinstance(value, bool):  # targets met or missed: either is fine here
            continue
        if isinstance(value, str):
            assert value, name
        else:
            assert isinstance(value, int | float), f"{name} = {value!r}"
            if "producer_to_broker" in name:  # the broker may append in the same ms
                assert value >= 0, f"{name} = {value!r}"
            else:
                assert value > 0, f"{name} = {value!r}"
    throughput = report["throughput"]
    assert throughput["events"] == 2000
    # two runs each, taking turns; the reported rates are the middle ones that
    # never flatter the ratio: the full pipeline's lower, the bare agent's higher
    assert throughput["full_events_per_s"] == min(throughput["full_runs_events_per_s"])
    assert throughput["bare_events_per_s"] == max(throughput["bare_runs_events_per_s"])
    assert len(throughput["full_runs_events_per_s"]) == 2
    assert report["latency"]["matched_alerts"] <= report["latency"]["alerts"]
    latency = report["latency"]
    assert latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    # the two parts of a latency add up to it, so neither exceeds the largest
    assert latency["producer_to_broker_p99_ms"] <= latency["max_ms"]
    assert latency["broker_to_alert_p99_ms"] <= latency["max_ms"]

    found = re.search(
        r"topics and consumer groups: (lm-bench-[0-9a-f]+-)\*", result.stderr.decode()
    )
    assert found is not None, result.stderr.decode(errors="replace")
    prefix = found.group(1)
    leftovers = ["?"]
    deadline = time.monotonic() + 15
    while leftovers and time.monotonic() < deadline:  # deletion completes asynchronously
        client = admin_client(KafkaConnection(kafka_bootstrap))
        try:
            leftovers = [t for t in client.list_topics() if t.startswith(prefix)]
        finally:
            client.close()
        time.sleep(0.5)
    assert leftovers == [], "the bench must delete the topics it created"
    assert not (tmp_path / "home" / "bench").exists(), "the bench must remove its work files"
