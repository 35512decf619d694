"""Seller-level evaluation: labels, alerts and events in, precision/recall/FPR out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from stream.cli import app
from stream.devtools.evaluation import (
    AlertRecord,
    EventRef,
    SellerLabel,
    compute_report,
    load_alerts,
    load_events,
    load_labels,
    merge_events,
    parse_alert,
    parse_labels,
    read_alerts,
    targets_met,
    wilson_interval,
)

runner = CliRunner()

LABELS: dict[str, dict[str, str]] = {
    "F1": {"label": "fraud", "scenario": "replica_sneakers"},
    "F2": {"label": "fraud", "scenario": "replica_sneakers"},
    "F3": {"label": "fraud", "scenario": "fake_memory"},
    "L1": {"label": "legit", "scenario": "brand_store"},
    "L2": {"label": "legit", "scenario": "brand_store"},
    "L3": {"label": "legit", "scenario": "putian_shop"},
    "L4": {"label": "legit", "scenario": "putian_shop"},
}


def _event(event_id: str, seller_id: str, minute: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "seller_id": seller_id,
        "event_time": f"2026-11-20T00:{minute:02d}:00Z",
    }


# Each file in its own arrival order; merged by event_time the arrival order is
# e1(F1) e6(F2) e2(F1) e3(L1) e4(F1) e5(F2) e7(F3) e8(F3).
LISTINGS = [
    _event("e1", "F1", 1),
    _event("e2", "F1", 3),
    _event("e3", "L1", 4),
    _event("e5", "F2", 6),
    _event("e7", "F3", 8),
]
ORDERS = [
    _event("e6", "F2", 2),
    _event("e4", "F1", 5),
    _event("e8", "F3", 9),
]


def _alert(
    seller_id: str,
    severity: str,
    trigger: str,
    level: str = "listing",
    members: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "alert_id": f"a-{seller_id}-{trigger}",
        "trigger_event_id": trigger,
        "level": level,
        "seller_id": seller_id,
        "member_seller_ids": members or [],
        "severity": severity,
        "risk_score": 70.0,
    }


ALERTS: list[dict[str, Any]] = [
    _alert("F3", "medium", "e7"),  # watch list only: F3 stays unflagged
    _alert("F1", "high", "e2"),  # F1's first flag: 2 of its events so far (e1, e2)
    _alert("F1", "critical", "e4"),  # later: does not move F1's first flag
    _alert("F2", "high", "e6", level="ring", members=["F2", "L3"]),  # F2 after 1 event; L3 too
    _alert("X-9", "critical", "e99"),  # a seller nobody labelled
    _alert("L2", "medium", "e3"),  # medium: L2 is not a false positive
]
MALFORMED = [b"not json at all", b"[1, 2, 3]", b'{"severity": "high"}', b'{"seller_id": "F3"}']


def _jsonl(items: list[dict[str, Any]], extra: list[bytes] | None = None) -> bytes:
    lines = [orjson.dumps(item) for item in items] + (extra or [])
    return b"\n".join(lines) + b"\n"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    (tmp_path / "labels.json").write_bytes(orjson.dumps(LABELS))
    (tmp_path / "listings.jsonl").write_bytes(_jsonl(LISTINGS))
    (tmp_path / "orders.jsonl").write_bytes(_jsonl(ORDERS))
    # malformed lines in the middle, and a blank line that is simply ignored
    alerts = _jsonl(ALERTS[:3], MALFORMED) + b"\n" + _jsonl(ALERTS[3:])
    (tmp_path / "alerts.jsonl").write_bytes(alerts)
    return tmp_path


def test_report_counts_precision_recall_and_fpr(run_dir: Path) -> None:
    report = compute_report(
        load_labels(run_dir / "labels.json"),
        load_alerts(run_dir / "alerts.jsonl"),
        load_events(run_dir),
    )
    assert report.sellers == 7
    assert report.fraud_sellers == 3
    assert report.legit_sellers == 4
    assert report.flagged == 3  # F1, F2, L3
    assert (report.true_positives, report.false_positives, report.false_negatives) == (2, 1, 1)
    assert report.precision == pytest.approx(2 / 3)
    assert report.recall == pytest.approx(2 / 3)
    assert report.false_positive_rate == pytest.approx(1 / 4)
    assert report.median_events_to_flag == 1.5  # F1 after 2 events, F2 after 1
    assert report.alerts == 6
    assert report.acting_alerts == 4
    assert report.malformed_alert_lines == 4
    assert report.unknown_sellers == ["X-9"]
    assert report.events == 8
    assert report.malformed_event_lines == 0
    assert report.triggers_not_found == 0

    rows = {(row.label, row.scenario): row for row in report.scenarios}
    assert [row.scenario for row in report.scenarios] == [
        "fake_memory",
        "replica_sneakers",
        "brand_store",
        "putian_shop",
    ]
    sneakers = rows[("fraud", "replica_sneakers")]
    assert (sneakers.sellers, sneakers.flagged, sneakers.true_positives) == (2, 2, 2)
    assert sneakers.recall == 1.0
    assert sneakers.precision == 1.0
    assert sneakers.false_positive_rate is None
    assert sneakers.median_events_to_flag == 1.5
    memory = rows[("fraud", "fake_memory")]
    assert (memory.flagged, memory.false_negatives) == (0, 1)
    assert memory.recall == 0.0
    assert memory.precision is None
    assert memory.median_events_to_flag is None
    putian = rows[("legit", "putian_shop")]
    assert (putian.sellers, putian.flagged, putian.false_positives) == (2, 1, 1)
    assert putian.false_positive_rate == 0.5
    assert putian.recall is None
    assert putian.median_events_to_flag == 0.0  # L3 had no events of its own yet
    stores = rows[("legit", "brand_store")]
    assert stores.false_positive_rate == 0.0
    assert stores.flagged == 0


def test_targets_name_every_miss(run_dir: Path) -> None:
    report = compute_report(
        load_labels(run_dir / "labels.json"), load_alerts(run_dir / "alerts.jsonl")
    )
    missed = targets_met(report)
    assert len(missed) == 5
    assert "precision 0.667" in missed[0]
    assert "recall 0.667" in missed[1]
    # L2 is only on the watch list: no false positive at high, one at medium
    assert "at medium of legit scenario 'brand_store' is 50.0% (1 of 2)" in missed[2]
    assert "rate of legit scenario 'putian_shop' is 50.0%" in missed[3]
    assert "at medium of legit scenario 'putian_shop' is 50.0%" in missed[4]
    # looser targets: all met
    assert targets_met(report, precision=0.6, recall=0.6, max_fpr=0.5, max_fpr_medium=0.5) == []


def test_medium_alerts_count_for_the_watch_list_rate(run_dir: Path) -> None:
    report = compute_report(
        load_labels(run_dir / "labels.json"), load_alerts(run_dir / "alerts.jsonl")
    )
    rows = {row.scenario: row for row in report.scenarios}
    assert (rows["brand_store"].false_positive_rate, rows["brand_store"].watched) == (0.0, 1)
    assert rows["brand_store"].false_positive_rate_medium == 0.5
    assert rows["fake_memory"].watched == 1  # F3: watched, not flagged
    assert rows["fake_memory"].false_positive_rate_medium is None
    assert report.false_positive_rate_medium == 0.5  # L2 and L3 of 4 legit sellers


def test_precision_and_recall_come_with_a_wilson_interval(run_dir: Path) -> None:
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(50, 50) or (0.0, 0.0)
    assert (round(low, 3), high) == (0.929, 1.0)  # all 50 found: at least ~93%
    low, high = wilson_interval(2, 3) or (0.0, 0.0)
    assert 0.0 <= low < 2 / 3
    assert 2 / 3 < high <= 1.0
    report = compute_report(
        load_labels(run_dir / "labels.json"), load_alerts(run_dir / "alerts.jsonl")
    )
    assert report.precision_interval == wilson_interval(2, 3)
    assert report.recall_interval == wilson_interval(2, 3)


def test_targets_met_by_a_perfect_run() -> None:
    labels = {"F": SellerLabel("fraud", "s"), "L": SellerLabel("legit", "t")}
    report = compute_report(labels, read_alerts([orjson.dumps(_alert("F", "critical", "x"))]))
    assert report.precision == 1.0
    assert report.recall == 1.0
    assert report.false_positive_rate == 0.0
    assert targets_met(report) == []


def test_undefined_precision_and_recall_are_misses() -> None:
    nothing_flagged = compute_report({"F": SellerLabel("fraud", "s")}, read_alerts([]))
    assert nothing_flagged.precision is None
    assert nothing_flagged.recall == 0.0
    missed = targets_met(nothing_flagged)
    assert any("precision is undefined" in m for m in missed)
    no_fraud = compute_report({"L": SellerLabel("legit", "t")}, read_alerts([]))
    assert no_fraud.recall is None
    assert any("recall is undefined" in m for m in targets_met(no_fraud))


def test_medium_alerts_never_flag() -> None:
    labels = {"F": SellerLabel("fraud", "s")}
    alerts = read_alerts([orjson.dumps(_alert("F", "medium", "x")) for _ in range(5)])
    report = compute_report(labels, alerts)
    assert report.flagged == 0
    assert report.false_negatives == 1
    assert report.acting_alerts == 0


def test_ring_alert_names_its_seller_and_every_member() -> None:
    alert = parse_alert(
        orjson.dumps(_alert("A", "high", "x", level="ring", members=["B", "A", "C"]))
    )
    assert alert is not None
    assert alert.named_sellers == ("A", "B", "C")
    labels = {s: SellerLabel("fraud", "ring") for s in "ABCD"}
    report = compute_report(
        labels, read_alerts([orjson.dumps(_alert("A", "high", "x", "ring", ["B", "C"]))])
    )
    assert report.true_positives == 3
    assert report.false_negatives == 1
    assert report.recall == 0.75


def test_malformed_alert_lines_are_skipped_and_counted() -> None:
    load = read_alerts(
        [
            b"{broken",
            "",
            "   ",
            b'"just a string"',
            b'{"seller_id": "", "severity": "high"}',
            b'{"seller_id": "S", "severity": 3}',
            orjson.dumps(_alert("S", "high", "e")).decode(),
        ]
    )
    assert load.malformed == 4
    assert load.alerts == [AlertRecord("S", "high", "e", "listing", ())]


def test_events_merge_by_time_keeping_each_files_order() -> None:
    listings = [orjson.dumps(e) for e in LISTINGS]
    orders = [orjson.dumps(e) for e in ORDERS]
    merged = merge_events(listings, orders)
    assert [e.event_id for e in merged.events] == ["e1", "e6", "e2", "e3", "e4", "e5", "e7", "e8"]
    # ties: the listing first; a file's own order is kept even when its times go back
    tie = merge_events(
        [orjson.dumps(_event("l1", "S", 5)), orjson.dumps(_event("l2", "S", 1))],
        [orjson.dumps(_event("o1", "S", 5))],
    )
    assert [e.event_id for e in tie.events] == ["l1", "l2", "o1"]


def test_malformed_event_lines_are_skipped_and_counted() -> None:
    merged = merge_events(
        [
            b"nope",
            b"",
            orjson.dumps({"event_id": "a", "seller_id": "S"}),  # no event_time
            orjson.dumps({**_event("b", "S", 1), "event_time": "2026-11-20T00:01:00"}),  # naive
            orjson.dumps(_event("c", "S", 2)),
        ]
    )
    assert merged.events == [EventRef("S", "c")]
    assert merged.malformed == 3


def test_missing_trigger_is_counted_not_guessed() -> None:
    labels = {"F": SellerLabel("fraud", "s")}
    events = merge_events([orjson.dumps(_event("e1", "F", 1))])
    report = compute_report(
        labels, read_alerts([orjson.dumps(_alert("F", "high", "gone"))]), events
    )
    assert report.flagged == 1
    assert report.triggers_not_found == 1
    assert report.median_events_to_flag is None


def test_no_event_files_means_no_medians(tmp_path: Path) -> None:
    assert load_events(tmp_path) is None


def test_labels_accept_the_flat_sample_form_and_reject_unknown_labels() -> None:
    assert parse_labels({"S-1": "fraud", "S-2": "legit"}) == {
        "S-1": SellerLabel("fraud", "fraud"),
        "S-2": SellerLabel("legit", "legit"),
    }
    with pytest.raises(ValueError, match="'fraud' or 'legit'"):
        parse_labels({"S-1": {"label": "maybe", "scenario": "x"}})
    with pytest.raises(ValueError, match="JSON object"):
        parse_labels([1, 2])


# ---------------------------------------------------------------------- CLI


def _invoke(args: list[str], stdin: bytes | None = None) -> Any:
    return runner.invoke(app, ["evaluate", *args], input=stdin, env={"COLUMNS": "200"})


def test_cli_prints_a_table_per_scenario_and_an_overall_line(run_dir: Path) -> None:
    result = _invoke(
        ["--labels", str(run_dir / "labels.json"), "--alerts", str(run_dir / "alerts.jsonl")]
    )
    assert result.exit_code == 0, result.output
    for text in ("replica_sneakers", "fake_memory", "brand_store", "putian_shop", "overall"):
        assert text in result.output
    assert "precision 66.7%" in result.output
    assert "4 malformed alert lines skipped" in result.output
    assert "X-9" in result.output
    assert "targets missed" in result.output


def test_cli_json_and_stdin(run_dir: Path) -> None:
    result = _invoke(
        ["--labels", str(run_dir / "labels.json"), "--alerts", "-", "--json"],
        stdin=(run_dir / "alerts.jsonl").read_bytes(),
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["precision"] == pytest.approx(2 / 3)
    assert report["recall"] == pytest.approx(2 / 3)
    assert report["median_events_to_flag"] == 1.5
    assert report["malformed_alert_lines"] == 4
    assert len(report["targets_missed"]) == 5
    fpr = {s["scenario"]: s["false_positive_rate"] for s in report["scenarios"]}
    assert fpr["putian_shop"] == 0.5


def test_cli_check_exit_codes(run_dir: Path, tmp_path: Path) -> None:
    missed = _invoke(
        [
            "--labels",
            str(run_dir / "labels.json"),
            "--alerts",
            str(run_dir / "alerts.jsonl"),
            "--check",
        ]
    )
    assert missed.exit_code == 1
    assert "targets missed" in missed.output
    assert "'putian_shop' is 50.0%" in missed.output
    as_json = _invoke(
        [
            "--labels",
            str(run_dir / "labels.json"),
            "--alerts",
            str(run_dir / "alerts.jsonl"),
            "--check",
            "--json",
        ]
    )
    assert as_json.exit_code == 1
    assert "target missed: recall 0.667" in as_json.stderr
    assert orjson.loads(as_json.stdout)["recall"] == pytest.approx(2 / 3)

    good = tmp_path / "good.jsonl"
    good.write_bytes(
        _jsonl(
            [_alert("F1", "high", "e2"), _alert("F2", "critical", "e5"), _alert("F3", "high", "e8")]
        )
    )
    met = _invoke(["--labels", str(run_dir / "labels.json"), "--alerts", str(good), "--check"])
    assert met.exit_code == 0, met.output
    assert "targets met" in met.output


def test_cli_reports_unreadable_inputs(tmp_path: Path) -> None:
    result = _invoke(["--labels", str(tmp_path / "none.json"), "--alerts", "-"], stdin=b"")
    assert result.exit_code == 1
    assert "cannot read labels" in result.output
    (tmp_path / "labels.json").write_bytes(orjson.dumps(LABELS))
    result = _invoke(
        ["--labels", str(tmp_path / "labels.json"), "--alerts", "-", "--events", str(tmp_path)],
        stdin=b"",
    )
    assert result.exit_code == 1
    assert "neither listings.jsonl nor orders.jsonl" in result.output
