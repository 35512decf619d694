"""What an operator sees, from real components: the worker's health pages and
metrics after a known input, the lag probe against the broker, promtool's checks
of the deployed configuration, and a real Prometheus scraping a real worker."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from stream import __version__
from stream.devtools.processes import free_port
from stream.devtools.simulation.generator import simulate
from stream.rules import load_rules
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_admin import delete_topics, ensure_topics
from stream.topology.lag import LagProbe
from tests.integration.conftest import RunningMonitor, send_events

Start = Callable[..., RunningMonitor]
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "listing-monitor.json"
METRIC_NAME = re.compile(r"\b(listing_monitor_[a-z_]+|process_[a-z_]+|up)\b")


def tool(name: str) -> str:
    """A Prometheus binary; missing is a failure (`.ci/run` installs Debian's package)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install Debian's prometheus package (.ci/run does)")
    return path


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def wait_ready(monitor: RunningMonitor, timeout: float = 90.0) -> dict[str, Any]:
    """Poll /readyz until it answers 200; its body."""
    url = f"http://127.0.0.1:{monitor.settings.web_port}/readyz"
    deadline = time.monotonic() + timeout
    while True:
        assert monitor.process.poll() is None, f"worker died:\n{monitor.log_tail()}"
        try:
            status, body = get(url)
        except (urllib.error.URLError, OSError):
            status, body = 0, {}
        if status == 200:
            return dict(body)
        if status == 503:
            assert body["ready"] is False
            assert body["reason"]
        assert time.monotonic() < deadline, f"not ready: {body}\n{monitor.log_tail()}"
        time.sleep(0.3)


def scrape(monitor: RunningMonitor) -> dict[str, float]:
    """The worker's /metrics as ``{'name{labels}': value}``."""
    url = f"http://127.0.0.1:{monitor.settings.web_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def listing(seller: str, n: int, price: float = 19_500.0, title: str = "") -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": f"{seller}-e{n}",
        "event_type": "listing_created",
        "event_time": "2026-11-20T10:00:00+08:00",
        "listing_id": f"{seller}-L{n}",
        "seller_id": seller,
        "title": title or "Gucci GG Marmont shoulder bag",
        "brand": "Gucci",
        "category": "bags/handbags",
        "price": price,
        "currency": "CNY",
        "quantity": 2,
        "condition": "new",
        "ship_from": {"country": "CN", "province": "Shanghai", "city": "Shanghai"},
    }


def test_health_pages_and_the_metrics_of_a_known_input(start_monitor: Start) -> None:
    monitor = start_monitor(topic_partitions=2, lag_interval=1.0)
    ready = wait_ready(monitor)
    assert ready["rules_version"] == load_rules().version
    health = get(f"http://127.0.0.1:{monitor.settings.web_port}/healthz")
    assert health == (200, {"status": "ok"})

    sellers = [f"ops-{n}" for n in range(6)]
    events = [("listings", listing(s, n)) for n, s in enumerate(sellers)]
    # one listing with a tell in its title: one listing alert
    events.append(("listings", listing("ops-0", 99, price=600.0, title="Gucci bag replica 1:1")))
    send_events(monitor, events)
    alerts = monitor.collect(
        monitor.settings.alerts_topic, lambda found: len(found) >= 1, timeout=60
    )
    listing_alerts = [a for a in alerts if a["level"] == "listing"]
    assert listing_alerts

    deadline = time.monotonic() + 60
    while True:  # states are written, offsets committed and lag measured on timers
        m = scrape(monitor)
        lags = [v for k, v in m.items() if k.startswith("listing_monitor_consumer_lag_messages{")]
        done = (
            m.get("listing_monitor_sellers_tracked", 0) == len(sellers)
            and len(lags) == 4
            and sum(lags) == 0
        )
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert m['listing_monitor_events_total{outcome="valid",stream="listings"}'] == len(events)
    assert len(lags) == 4, lags  # one per partition of each input topic
    assert sum(lags) == 0
    assert m['listing_monitor_consumer_lag_seconds{stream="listings"}'] == 0
    assert m['listing_monitor_consumer_lag_messages{partition="0",stream="orders"}'] == 0
    assert m["listing_monitor_sellers_tracked"] == len(sellers)
    assert m["listing_monitor_state_written_bytes_total"] > 0
    assert m['listing_monitor_alert_latency_seconds_count{level="listing"}'] == len(listing_alerts)
    latency = m['listing_monitor_alert_latency_seconds_sum{level="listing"}']
    assert 0 <= latency < 30 * len(listing_alerts)
    versions = f'rules_version="{load_rules().version}",version="{__version__}"'
    assert m[f"listing_monitor_build_info{{{versions}}}"] == 1
    assert m["process_resident_memory_bytes"] > 10 * 2**20


def test_the_lag_probe_reads_end_and_committed_offsets_from_the_broker(
    kafka_bootstrap: str,
) -> None:
    topic = f"lm-test-lag-{time.monotonic_ns()}"
    group = f"{topic}-group"
    ensure_topics(KafkaConnection(kafka_bootstrap), [topic], partitions=2)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","))
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap.split(","), group_id=group, enable_auto_commit=False
    )
    probe = LagProbe(KafkaConnection(kafka_bootstrap), group)
    try:
        for n in range(8):
            producer.send(topic, value=b"x", partition=0 if n < 5 else 1)
        producer.flush()
        # nothing committed: everything counts (partition 1 from its beginning)
        assert probe.measure([(topic, 0), (topic, 1)]) == {(topic, 0): 5, (topic, 1): 3}
        consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(2, "", -1)})
        assert probe.measure([(topic, 0), (topic, 1)]) == {(topic, 0): 3, (topic, 1): 3}
        assert probe.measure([]) == {}
    finally:
        probe.close()
        consumer.close()
        producer.close()
        delete_topics(KafkaConnection(kafka_bootstrap), [topic])


def test_promtool_accepts_the_configuration_and_every_rule_passes_its_unit_tests() -> None:
    promtool = tool("promtool")
    for command in (
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts_test.yml"],
    ):
        done = subprocess.run(
            [promtool, *command], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"promtool {' '.join(command)}:\n{done.stdout}{done.stderr}"
        assert "SUCCESS" in done.stdout


class Prometheus:
    """A real Prometheus on a free port, scraping ``targets`` every second."""

    def __init__(self, home: Path, targets: list[str]) -> None:
        self.port = free_port()
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROMETHEUS_DIR / "alerts.yml", home / "alerts.yml")
        config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
        config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        config["scrape_configs"][0]["static_configs"] = [{"targets": targets}]
        (home / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = (home / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.home = home

    def api(self, path: str, **query: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(query)}"
        status, body = get(url)
        assert status == 200, body
        assert body["status"] == "success", body
        return body["data"]

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, (self.home / "prometheus.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                assert time.monotonic() < deadline, "Prometheus did not get ready"
                time.sleep(0.3)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[Callable[[list[str]], Prometheus]]:
    started: list[Prometheus] = []

    def start(targets: list[str]) -> Prometheus:
        server = Prometheus(tmp_path / f"prometheus-{len(started)}", targets)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


def test_a_real_prometheus_scrapes_a_worker_and_every_panel_and_rule_has_data(
    start_monitor: Start, prometheus_for: Callable[[list[str]], Prometheus]
) -> None:
    monitor = start_monitor(topic_partitions=2, lag_interval=1.0)
    wait_ready(monitor)
    server = prometheus_for([f"127.0.0.1:{monitor.settings.web_port}"])
    events = simulate(200, 1.0, seed=7, fraud_share=0.2).events
    sender = threading.Thread(target=send_events, args=(monitor, events), kwargs={"rate": 400})
    sender.start()
    try:
        panels = {
            (panel["title"], target["expr"])
            for panel in orjson.loads(DASHBOARD.read_bytes())["panels"]
            for target in panel["targets"]
        }
        deadline = time.monotonic() + 120
        empty = set(panels)
        while empty and time.monotonic() < deadline:
            for title, expr in sorted(empty):
                if server.api("query", query=expr)["result"]:
                    empty.discard((title, expr))
            time.sleep(1)
        assert not empty, f"panels without data: {sorted(empty)}"
    finally:
        sender.join()

    # every rule loads, evaluates without error, and each metric it names has series
    groups = server.api("rules")["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert len(rules) == 6
    assert {r["health"] for r in rules.values()} == {"ok"}, rules
    alerts_file = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())
    for rule in alerts_file["groups"][0]["rules"]:
        server.api("query", query=rule["expr"])  # valid PromQL, evaluated
        for name in sorted(set(METRIC_NAME.findall(rule["expr"]))):
            found = server.api("query", query=f"count({name})")["result"]
            assert found, f"{rule['alert']}: no series of {name}"
    # a healthy worker under load: none of them fires
    firing = [a for a in server.api("alerts")["alerts"] if a["state"] == "firing"]
    assert firing == []
