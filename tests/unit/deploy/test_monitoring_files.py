"""The Prometheus and Grafana files name only metrics a worker serves, and cover
what an operator needs; promtool's own checks run in tests/integration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from stream.settings import Settings
from stream.topology.app import create_app

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "listing-monitor.json"
# Metric names in PromQL: ours, the process collector's, and Prometheus' own `up`.
METRIC = re.compile(r"\b(listing_monitor_[a-z_]+|process_[a-z_]+|python_[a-z_]+|up)\b")


def served_names(tmp_path: Path) -> set[str]:
    """Every sample name a worker's /metrics can carry."""
    registry = create_app(Settings(home=tmp_path)).metrics.registry
    names = {"up"}
    for metric in registry.collect():
        for sample in metric.samples:
            names.add(sample.name)
        # a labelled counter has no sample before its first label set (a rule's first hit)
        names.add(metric.name + ("_total" if metric.type == "counter" else ""))
    return names


def rule_expressions() -> dict[str, str]:
    rules = yaml.safe_load(ALERTS.read_text())
    return {r["alert"]: r["expr"] for group in rules["groups"] for r in group["rules"]}


def panel_expressions() -> dict[str, list[str]]:
    dashboard: dict[str, Any] = orjson.loads(DASHBOARD.read_bytes())
    return {p["title"]: [t["expr"] for t in p["targets"]] for p in dashboard["panels"]}


def test_every_expression_names_only_metrics_a_worker_serves(tmp_path: Path) -> None:
    served = served_names(tmp_path)
    expressions = [*rule_expressions().values()]
    expressions += [e for exprs in panel_expressions().values() for e in exprs]
    named = {name for expr in expressions for name in METRIC.findall(expr)}
    assert named  # the pattern finds them
    assert named - served == set()


@pytest.mark.parametrize(
    "needed",
    [
        "listing_monitor_events_total",  # throughput in
        "listing_monitor_alerts_total",  # out, by severity
        "listing_monitor_rule_hits_total",  # by rule
        "listing_monitor_consumer_lag_messages",
        "listing_monitor_consumer_lag_seconds",
        "listing_monitor_alert_latency_seconds_bucket",
        "listing_monitor_dead_letters_total",  # by reason
        "listing_monitor_sellers_tracked",  # state size
        "process_resident_memory_bytes",  # per worker
    ],
)
def test_the_dashboard_shows_what_an_operator_watches(needed: str) -> None:
    expressions = [e for exprs in panel_expressions().values() for e in exprs]
    assert any(needed in e for e in expressions), needed


def test_the_dashboard_has_per_worker_panels_and_one_datasource() -> None:
    dashboard = orjson.loads(DASHBOARD.read_bytes())
    per_worker = [p for p in dashboard["panels"] if "by (instance)" in str(p["targets"])]
    assert len(per_worker) >= 2
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    uids = {d["uid"] for d in provisioned["datasources"]}
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids
        assert all(t["datasource"]["uid"] in uids for t in panel["targets"])
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


def test_there_is_an_alerting_rule_for_each_failure_an_operator_must_hear_of() -> None:
    assert set(rule_expressions()) == {
        "ListingMonitorWorkerDown",
        "ListingMonitorLagGrowing",
        "ListingMonitorLagSeconds",
        "ListingMonitorDeadLetterSpike",
        "ListingMonitorNoInput",
        "ListingMonitorAlertsStopped",
    }
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    for name in config["rule_files"]:
        assert (DEPLOY / "prometheus" / name).is_file()
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yml").read_text())
    tested = {t["alertname"] for case in tests["tests"] for t in case["alert_rule_test"]}
    assert tested == set(rule_expressions())  # each rule unit-tested with promtool
