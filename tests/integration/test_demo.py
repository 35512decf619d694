"""`listing-monitor demo` as a new user runs it: own broker, worker, sample, live alerts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream.devtools.local_kafka import LocalKafka
from stream.devtools.processes import free_port
from stream.settings import Settings

pytestmark = pytest.mark.integration


def test_demo_starts_a_broker_prints_alerts_and_cleans_up(tmp_path: Path) -> None:
    # A broker of its own (fresh home and ports), exactly like `make demo` on a new machine.
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("LISTING_MONITOR_")
    }
    env.update(
        {
            "LISTING_MONITOR_HOME": str(tmp_path / "home"),
            "LISTING_MONITOR_KAFKA_PORT": str(free_port()),
            "LISTING_MONITOR_KAFKA_CONTROLLER_PORT": str(free_port()),
            "LISTING_MONITOR_WEB_PORT": str(free_port()),
            "COLUMNS": "160",
        }
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "stream", "demo", "--duration", "45", "--rate", "100"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    first_alert_at = None
    assert process.stdout is not None
    try:
        for line in process.stdout:
            lines.append(line)
            if first_alert_at is None and ("CRITICAL" in line or " HIGH " in line):
                first_alert_at = time.monotonic() - started
        assert process.wait(timeout=120) == 0, "".join(lines)
    finally:
        if process.poll() is None:  # a demo stuck somewhere: stop it as `kill` would
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    output = "".join(lines)
    assert first_alert_at is not None, output
    assert first_alert_at < 60, f"first alert after {first_alert_at:.0f}s"
    assert "price_far_below_reference" in output
    assert "counterfeit_vocabulary" in output
    assert "sellers flagged: 11" in output, output
    settings = Settings(home=tmp_path / "home", kafka_port=int(env["LISTING_MONITOR_KAFKA_PORT"]))
    assert not LocalKafka(settings).is_running(), "the demo must stop the broker it started"
