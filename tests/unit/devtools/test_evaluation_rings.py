"""The ring section of the evaluation: who ring alerts named, per simulated group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stream.cli import app
from stream.devtools.evaluation import (
    AlertLoad,
    AlertRecord,
    EventLoad,
    EventRef,
    RingTrace,
    SellerLabel,
    compute_report,
    compute_ring_report,
    parse_labels,
    targets_met,
)

runner = CliRunner()

LABELS = {
    **{f"C{i}": SellerLabel("fraud", "chain_gang", "chain-0") for i in range(1, 5)},
    "R1": SellerLabel("fraud", "sneaker_ring", "ring-0"),
    "R2": SellerLabel("fraud", "sneaker_ring", "ring-0"),
    "S1": SellerLabel("fraud", "sneaker_ring", "ring-1"),  # a group of one: no ring
    **{f"W{i}": SellerLabel("legit", "fulfilment_warehouse", "wh-0") for i in range(1, 4)},
    "F1": SellerLabel("legit", "honest_franchise", "fr-0"),
    "F2": SellerLabel("legit", "honest_franchise", "fr-0"),
    "L1": SellerLabel("legit", "generic_goods"),
}
# arrival order: index, seller, event id
EVENTS = EventLoad(
    [
        EventRef(seller, f"e{index}")
        for index, seller in enumerate(["C1", "C2", "L1", "C3", "C2", "C4", "R1", "R2", "C1"])
    ]
)
TRACE = RingTrace(
    links=[
        (1, ("C1", "C2")),
        (3, ("C2", "C3")),
        (4, ("F1", "F2")),
        (5, ("C3", "C4")),
        (7, ("R1", "R2")),
    ],
    rings=[("C1", "C2", "C3", "C4"), ("F1", "F2"), ("R1", "R2")],
    supernodes=[("return_address", 32)],
)


def ring(severity: str, trigger: str, *members: str) -> AlertRecord:
    return AlertRecord(members[0], severity, trigger, "ring", tuple(sorted(members)))


ALERTS = AlertLoad(
    [
        ring("medium", "e1", "C1", "C2"),  # the watch list: names nobody for the ring figures
        ring("critical", "e4", "C3", "C1", "C2"),  # the chain's first: 3 of its 4
        AlertRecord("L1", "high", "e2", "listing"),  # a seller's own alert: not a ring alert
        ring("high", "e7", "R2", "R1"),
    ]
)


def rows(report: Any) -> dict[str, Any]:
    return {row.scenario: row for row in report.scenarios}


def test_named_shares_links_and_events_from_link_to_alert() -> None:
    report = compute_ring_report(LABELS, ALERTS, EVENTS, TRACE)
    assert report is not None
    assert [r.scenario for r in report.scenarios] == [
        "chain_gang",
        "sneaker_ring",
        "fulfilment_warehouse",
        "honest_franchise",
    ]
    chain, sneakers = rows(report)["chain_gang"], rows(report)["sneaker_ring"]
    assert (chain.groups, chain.members, chain.named, chain.named_share) == (1, 4, 3, 0.75)
    assert (chain.groups_named, chain.groups_linked) == (1, 1)
    # first link at e1 (C2 joins C1); first acting ring alert on e4: C3's e3 and C2's e4
    # in between (L1's e2 is not the ring's)
    assert chain.median_events_link_to_alert == 2
    # S1's group of one is no ring
    assert (sneakers.groups, sneakers.members, sneakers.named_share) == (1, 2, 1.0)
    assert sneakers.median_events_link_to_alert == 0  # alerted on the linking event
    franchise, warehouse = rows(report)["honest_franchise"], rows(report)["fulfilment_warehouse"]
    assert (franchise.named, franchise.groups_linked) == (0, 1)  # a ring, never alerted
    assert (warehouse.named, warehouse.groups_linked) == (0, 0)
    assert franchise.median_events_link_to_alert is None
    assert (report.ring_alerts, report.acting_ring_alerts) == (3, 2)
    assert (report.honest_named, report.warehouse_rings, report.supernodes) == (0, 0, 1)
    assert report.traced


def test_without_a_trace_the_figures_come_from_the_alerts_alone() -> None:
    report = compute_ring_report(LABELS, ALERTS, EVENTS)
    assert report is not None
    chain = rows(report)["chain_gang"]
    assert chain.named_share == 0.75
    assert chain.groups_linked is None
    assert chain.median_events_link_to_alert is None
    assert report.supernodes is None
    assert report.warehouse_rings == 0
    assert not report.traced


def test_ring_targets_name_the_missed_scenario_honest_sellers_and_a_warehouse_ring() -> None:
    report = compute_report(LABELS, ALERTS, EVENTS, TRACE)
    assert report.rings is not None
    missed = [m for m in targets_met(report) if "ring" in m]
    assert missed == [
        "ring alerts named 75.0% of fraud ring scenario 'chain_gang' (3 of 4 members), "
        "below the target 95%"
    ]
    bad = AlertLoad([*ALERTS.alerts, ring("high", "e8", "C4", "F1", "W1", "W2")])
    report = compute_report(LABELS, bad, EVENTS)
    assert report.rings is not None
    assert report.rings.honest_named == 3
    assert report.rings.honest_named_sellers == ["F1", "W1", "W2"]
    assert report.rings.warehouse_rings == 1
    missed = targets_met(report)
    assert "3 honest sellers named in high/critical ring alerts (F1, W1, W2); target none" in missed
    assert "a shared warehouse address made 1 ring(s); target none" in missed
    assert not any("chain_gang" in m for m in missed)  # C4 named now: 4 of 4
    # a medium ring alert of warehouse sellers is still a ring made by the warehouse
    medium = AlertLoad([*ALERTS.alerts, ring("medium", "e8", "W1", "W3")])
    report = compute_report(LABELS, medium, EVENTS)
    assert report.rings is not None
    assert (report.rings.warehouse_rings, report.rings.honest_named) == (1, 0)


def test_labels_without_groups_have_no_ring_section() -> None:
    labels = {s: SellerLabel(t.label, t.scenario) for s, t in LABELS.items()}
    report = compute_report(labels, ALERTS, EVENTS, TRACE)
    assert report.rings is None
    assert report.to_dict()["rings"] is None
    assert not any("ring" in m for m in targets_met(report))


def test_labels_carry_groups_and_reject_bad_ones() -> None:
    labels = parse_labels(
        {
            "a": {"label": "fraud", "scenario": "chain_gang", "group": "chain_gang-0"},
            "b": {"label": "legit", "scenario": "generic_goods"},
        }
    )
    assert labels["a"].group == "chain_gang-0"
    assert labels["b"].group is None
    for bad in ("", 7, ["g"]):
        with pytest.raises(ValueError, match="group"):
            parse_labels({"a": {"label": "fraud", "scenario": "s", "group": bad}})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=4,
)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=4), st.dictionaries(st.sampled_from(["label", "scenario", "group"]), JSON)
    )
)
def test_untrusted_labels_parse_or_raise_value_error(data: dict[str, Any]) -> None:
    try:
        labels = parse_labels(data)
    except ValueError:
        return
    for truth in labels.values():
        assert truth.group is None or (isinstance(truth.group, str) and truth.group)


SELLERS = [*sorted(LABELS), "X1"]  # X1: named in alerts, in no labels


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["medium", "high", "critical", "bogus"]),
            st.sampled_from(["ring", "seller", None]),
            st.lists(st.sampled_from(SELLERS), max_size=6),
            st.sampled_from([None, "e0", "e4", "e8", "e99"]),
        ),
        max_size=8,
    ),
    st.booleans(),
)
def test_the_ring_figures_stay_consistent_on_any_alerts(
    raw: list[tuple[str, str | None, list[str], str | None]], traced: bool
) -> None:
    alerts = AlertLoad(
        [
            AlertRecord(members[0] if members else "X1", sev, trigger, level, tuple(members))
            for sev, level, members, trigger in raw
        ]
    )
    report = compute_ring_report(LABELS, alerts, EVENTS, TRACE if traced else None)
    assert report is not None
    for row in report.scenarios:
        assert 0 <= row.named <= row.members
        assert row.named_share is not None
        assert 0.0 <= row.named_share <= 1.0
        assert 0 <= row.groups_named <= row.groups
        delay = row.median_events_link_to_alert
        assert delay is None or 0 <= delay <= len(EVENTS.events)
    legit = sum(1 for t in LABELS.values() if t.label == "legit")
    assert 0 <= report.honest_named <= legit
    assert report.honest_named_sellers == sorted(report.honest_named_sellers)
    assert report.acting_ring_alerts <= report.ring_alerts <= len(alerts.alerts)


def test_cli_prints_the_ring_table_and_checks_its_targets(tmp_path: Path) -> None:
    labels = {
        s: {"label": t.label, "scenario": t.scenario, **({"group": t.group} if t.group else {})}
        for s, t in LABELS.items()
    }
    (tmp_path / "labels.json").write_bytes(orjson.dumps(labels))
    alerts = [
        {
            "seller_id": a.seller_id,
            "severity": a.severity,
            "trigger_event_id": a.trigger_event_id,
            "level": a.level,
            "member_seller_ids": list(a.member_seller_ids),
        }
        for a in ALERTS.alerts
    ]
    (tmp_path / "alerts.jsonl").write_bytes(b"\n".join(orjson.dumps(a) for a in alerts))
    args = ["evaluate", "--labels", str(tmp_path / "labels.json")]
    args += ["--alerts", str(tmp_path / "alerts.jsonl"), "--check"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "Rings by scenario" in result.output
    assert "0 honest sellers in high/critical ring alerts" in result.output
    assert "warehouse made no ring" in result.output
    assert "'chain_gang' (3 of 4 members)" in result.output
    as_json = runner.invoke(app, [*args, "--json"], env={"COLUMNS": "200"})
    report = orjson.loads(as_json.stdout)
    chain = next(r for r in report["rings"]["scenarios"] if r["scenario"] == "chain_gang")
    assert chain["named_share"] == 0.75
