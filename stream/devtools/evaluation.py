"""Seller-level detection quality of a monitor run against ground-truth labels.

Pure functions, no Faust and no Kafka: they read the simulator's ``labels.json``,
the alerts as dumped by ``listing-monitor alerts tail --json --from-beginning``
and, optionally, the simulated events, and compute what
``listing-monitor evaluate`` prints.

Definitions:

* A seller is **flagged** when it is *named* in a ``high`` or ``critical``
  alert; ``medium`` alerts (the watch list) do not count. An alert names its
  ``seller_id`` and, for ring alerts, every id in ``member_seller_ids``. A
  seller is **watched** when it is named in an alert of any severity
  (``medium`` and up); a legit scenario's ``false_positive_rate_medium`` is
  its watched share.
* Precision and recall come with their 95% Wilson score interval: on 50 fraud
  sellers a recall of 1.0 still means "at least 0.93".
* Sellers are grouped by ``(label, scenario)``. For a fraud scenario a flagged
  seller is a true positive and an unflagged one a false negative; for a legit
  scenario a flagged seller is a false positive and the scenario's
  false-positive rate is ``flagged / sellers``.
* **Events before first flag** of a flagged seller: how many of the seller's own
  events (listings and orders) arrived up to and including the
  ``trigger_event_id`` of the first high/critical alert (in alert order) that
  names it. For a ring member that did not trigger the alert itself, this is
  the number of its events that arrived before the other member's trigger.
* **Arrival order** is approximated from ``listings.jsonl`` and
  ``orders.jsonl``: each file is in arrival order for its own stream, and the
  two are merged by ``event_time`` (ties: listings first). The files do not
  record how the two streams interleaved on the wire, so an order and a listing
  with out-of-order event times may be counted in a different order than they
  were sent.
* Sellers named in alerts but absent from the labels are listed in
  ``unknown_sellers`` and count towards nothing else.

Rings (:class:`RingReport`), when the labels give sellers a ``group`` (the
simulator's rings and honest groups; groups of one seller are left out):

* A group member is **named** when a ``high`` or ``critical`` alert of level
  ``ring`` names it. Per scenario: the share of its groups' members named.
* **Honest sellers named**: legit sellers named so (the target is none).
* The **warehouse makes a ring** when some ring holds two or more sellers of
  one group of a :data:`SUPERNODE_SCENARIOS` scenario, whose members share
  nothing but the warehouse's return address: the rings at the end of an
  in-process replay (:class:`RingTrace`), or else the member lists of ring
  alerts of any severity.
* **First link** of a group: the first event (in arrival order) whose
  announcement made an identifier link two of its members, that is the
  event at which the second member announced a hard identifier the first
  already had (a super-node links nobody). **Events from first link to ring
  alert**: how many of the group's members' own events arrived after that
  event, up to and including the trigger event of the first high/critical
  ring alert naming a member. Only an in-process replay records the links.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson

Label = Literal["fraud", "legit"]
ACTING_SEVERITIES = frozenset({"high", "critical"})
"""Severities that count as flagging a seller (``medium`` is a watch list)."""
EVENT_FILES = ("listings.jsonl", "orders.jsonl")
"""The simulator's event files, in the order used to break ``event_time`` ties."""
SUPERNODE_SCENARIOS = frozenset({"fulfilment_warehouse"})
"""Group scenarios whose only link is an identifier shared by too many to be a ring."""
HONEST_NAMED_SHOWN = 10
"""Honest sellers named in ring alerts that the report lists (it counts them all)."""


@dataclass(frozen=True)
class SellerLabel:
    """Ground truth for one seller (``group``: the linked group it belongs to, if any)."""

    label: Label
    scenario: str
    group: str | None = None


@dataclass(frozen=True)
class AlertRecord:
    """The parts of one alert that the evaluation needs."""

    seller_id: str
    severity: str
    trigger_event_id: str | None = None
    level: str | None = None
    member_seller_ids: tuple[str, ...] = ()

    @property
    def named_sellers(self) -> tuple[str, ...]:
        """The sellers this alert names: ``seller_id``, then ring members (no repeats)."""
        return tuple(dict.fromkeys((self.seller_id, *self.member_seller_ids)))

    @property
    def acting(self) -> bool:
        """Whether the alert flags the sellers it names (``high`` or ``critical``)."""
        return self.severity in ACTING_SEVERITIES


@dataclass(frozen=True)
class AlertLoad:
    """Alerts read from JSON Lines, with the number of lines that were not alerts."""

    alerts: list[AlertRecord]
    malformed: int = 0


@dataclass(frozen=True)
class EventRef:
    """One input event in (approximate) arrival order."""

    seller_id: str
    event_id: str


@dataclass(frozen=True)
class EventLoad:
    """Events read from the simulator's files, merged into arrival order."""

    events: list[EventRef]
    malformed: int = 0


@dataclass(frozen=True)
class RingTrace:
    """What ring linking did during an in-process replay (alert files do not say).

    Attributes:
        links: Per edge that links sellers (a hard identifier, not a
            super-node), the index in arrival order of the event that made it
            and the sellers it linked then.
        rings: The members of every live ring at the end.
        supernodes: The identifiers shared by too many sellers to link: kind
            and fan-out.
    """

    links: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    rings: list[tuple[str, ...]] = field(default_factory=list)
    supernodes: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class RingScenarioResult:
    """Ring figures of the groups of one ``(label, scenario)``.

    Attributes:
        scenario: Scenario name from the labels.
        label: ``fraud`` or ``legit``.
        groups: Groups of two or more members.
        members: Their members.
        named: Members named in a high/critical ring alert.
        named_share: ``named / members``.
        groups_named: Groups with a member named so.
        groups_linked: Groups two of whose members a hard identifier linked
            (None without a :class:`RingTrace`).
        median_events_link_to_alert: Median over the named groups of the
            members' events from first link to first ring alert (None
            without a trace, or when no group was named).
    """

    scenario: str
    label: Label
    groups: int
    members: int
    named: int
    named_share: float | None
    groups_named: int
    groups_linked: int | None = None
    median_events_link_to_alert: float | None = None


@dataclass(frozen=True)
class RingReport:
    """The ring section of the report (see the module's definitions).

    Attributes:
        scenarios: One entry per scenario with groups: fraud first, then legit.
        ring_alerts: Alerts of level ``ring`` (every severity).
        acting_ring_alerts: High and critical ones among them.
        honest_named: Legit sellers named in a high/critical ring alert.
        honest_named_sellers: The first of them, by id.
        warehouse_rings: Rings holding two or more members of one
            super-node scenario's group (None without such a group).
        supernodes: Identifiers that turned super-node (None without a trace).
        traced: Whether the figures come with a :class:`RingTrace`.
    """

    scenarios: list[RingScenarioResult]
    ring_alerts: int
    acting_ring_alerts: int
    honest_named: int
    honest_named_sellers: list[str] = field(default_factory=list)
    warehouse_rings: int | None = None
    supernodes: int | None = None
    traced: bool = False


@dataclass(frozen=True)
class ScenarioResult:
    """Detection figures of one ``(label, scenario)`` group of sellers.

    Attributes:
        scenario: Scenario name from the labels.
        label: ``fraud`` or ``legit``.
        sellers: Sellers in the group.
        flagged: Sellers named in at least one high/critical alert.
        true_positives: Flagged fraud sellers (0 for a legit scenario).
        false_positives: Flagged legit sellers (0 for a fraud scenario).
        false_negatives: Unflagged fraud sellers (0 for a legit scenario).
        precision: ``TP / (TP + FP)`` within the group; None when nothing is flagged.
        recall: ``TP / (TP + FN)`` for a fraud scenario; None for a legit one.
        false_positive_rate: ``FP / sellers`` for a legit scenario; None for a fraud one.
        median_events_to_flag: Median events before first flag over the flagged
            sellers whose trigger event was found; None when there are none.
        watched: Sellers named in an alert of any severity (``medium`` and up).
        false_positive_rate_medium: ``watched / sellers`` for a legit scenario;
            None for a fraud one.
    """

    scenario: str
    label: Label
    sellers: int
    flagged: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float | None
    recall: float | None
    false_positive_rate: float | None
    median_events_to_flag: float | None
    watched: int = 0
    false_positive_rate_medium: float | None = None


@dataclass(frozen=True)
class EvaluationReport:
    """Everything ``listing-monitor evaluate`` prints.

    Attributes:
        scenarios: One entry per ``(label, scenario)``: fraud scenarios first,
            then legit ones, each by name.
        sellers: Labelled sellers.
        fraud_sellers: Labelled fraud sellers.
        legit_sellers: Labelled legit sellers.
        flagged: Labelled sellers named in a high/critical alert.
        true_positives: Flagged fraud sellers.
        false_positives: Flagged legit sellers.
        false_negatives: Unflagged fraud sellers.
        precision: Overall ``TP / (TP + FP)``; None when nothing is flagged.
        recall: Overall ``TP / (TP + FN)``; None without fraud sellers.
        false_positive_rate: Overall ``FP / legit sellers``; None without legit sellers.
        median_events_to_flag: Median events before first flag over every
            flagged fraud seller whose trigger was found; None when there is none.
        alerts: Alerts read (every severity).
        acting_alerts: High and critical alerts among them.
        malformed_alert_lines: Alert lines skipped (not JSON, not an object,
            no ``seller_id`` or ``severity``).
        unknown_sellers: Sellers named in any alert but absent from the labels.
        events: Events read, or None when no events were given.
        malformed_event_lines: Event lines skipped.
        triggers_not_found: Flagged labelled sellers whose first flagging
            alert's trigger event is not among the events (no count for them).
        precision_interval: 95% Wilson score interval of ``precision``.
        recall_interval: 95% Wilson score interval of ``recall``.
        false_positive_rate_medium: Overall share of legit sellers named in an
            alert of any severity.
        rings: The ring section, when the labels give sellers a group.
    """

    scenarios: list[ScenarioResult]
    sellers: int
    fraud_sellers: int
    legit_sellers: int
    flagged: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float | None
    recall: float | None
    false_positive_rate: float | None
    median_events_to_flag: float | None
    alerts: int
    acting_alerts: int
    malformed_alert_lines: int
    unknown_sellers: list[str] = field(default_factory=list)
    events: int | None = None
    malformed_event_lines: int = 0
    triggers_not_found: int = 0
    precision_interval: tuple[float, float] | None = None
    recall_interval: tuple[float, float] | None = None
    false_positive_rate_medium: float | None = None
    rings: RingReport | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-compatible data."""
        return asdict(self)


# ------------------------------------------------------------------ loading


def parse_labels(data: object) -> dict[str, SellerLabel]:
    """Ground truth from the decoded ``labels.json``.

    Accepts the simulator's form ``{seller_id: {"label": ..., "scenario": ...}}``
    (with a ``"group"`` for members of a simulated ring or honest group) and the
    flat form ``{seller_id: "fraud" | "legit"}`` of
    :func:`stream.devtools.sample.labels` (the scenario is then the label itself).

    Raises:
        ValueError: when the data is not such a mapping or a label is not
            ``fraud`` or ``legit``: ground truth must not be guessed.
    """
    if not isinstance(data, dict):
        raise ValueError("labels must be a JSON object keyed by seller_id")
    labels: dict[str, SellerLabel] = {}
    for seller_id, entry in data.items():
        group: object = None
        if isinstance(entry, str):
            label: object = entry
            scenario: object = entry
        elif isinstance(entry, dict):
            label = entry.get("label")
            scenario = entry.get("scenario", label)
            group = entry.get("group")
        else:
            raise ValueError(f"seller {seller_id!r}: expected an object or a label string")
        if label not in ("fraud", "legit"):
            raise ValueError(
                f"seller {seller_id!r}: label must be 'fraud' or 'legit', not {label!r}"
            )
        if not isinstance(scenario, str) or not scenario:
            raise ValueError(f"seller {seller_id!r}: scenario must be a non-empty string")
        if group is not None and (not isinstance(group, str) or not group):
            raise ValueError(f"seller {seller_id!r}: group must be a non-empty string")
        labels[str(seller_id)] = SellerLabel(
            "fraud" if label == "fraud" else "legit", scenario, group
        )
    return labels


def load_labels(path: Path) -> dict[str, SellerLabel]:
    """Read ``labels.json`` (see :func:`parse_labels`).

    Raises:
        OSError: when the file cannot be read.
        ValueError: when it is not valid JSON or not valid labels.
    """
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    return parse_labels(data)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_alert(line: bytes | str) -> AlertRecord | None:
    """One alert from a JSON line, or None when the line is not an alert."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    seller_id = _text(data.get("seller_id"))
    severity = _text(data.get("severity"))
    if seller_id is None or severity is None:
        return None
    members = data.get("member_seller_ids")
    member_ids = (
        tuple(m for m in members if isinstance(m, str) and m) if isinstance(members, list) else ()
    )
    return AlertRecord(
        seller_id=seller_id,
        severity=severity,
        trigger_event_id=_text(data.get("trigger_event_id")),
        level=_text(data.get("level")),
        member_seller_ids=member_ids,
    )


def read_alerts(lines: Iterable[bytes | str]) -> AlertLoad:
    """Alerts from JSON Lines; blank lines are ignored, malformed ones skipped and counted."""
    alerts: list[AlertRecord] = []
    malformed = 0
    for line in lines:
        if not line.strip():
            continue
        alert = parse_alert(line)
        if alert is None:
            malformed += 1
        else:
            alerts.append(alert)
    return AlertLoad(alerts, malformed)


def load_alerts(path: Path) -> AlertLoad:
    """Alerts from a JSON Lines file (see :func:`read_alerts`)."""
    with path.open("rb") as source:
        return read_alerts(source)


def _event_entries(lines: Iterable[bytes], bad: list[int]) -> Iterator[tuple[datetime, EventRef]]:
    for line in lines:
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            bad[0] += 1
            continue
        if not isinstance(data, dict):
            bad[0] += 1
            continue
        seller_id = _text(data.get("seller_id"))
        event_id = _text(data.get("event_id"))
        raw_time = data.get("event_time")
        try:
            moment = datetime.fromisoformat(raw_time) if isinstance(raw_time, str) else None
        except ValueError:
            moment = None
        if seller_id is None or event_id is None or moment is None or moment.tzinfo is None:
            bad[0] += 1
            continue
        yield moment, EventRef(seller_id, event_id)


def merge_events(*streams: Iterable[bytes]) -> EventLoad:
    """Merge per-stream JSON Lines (each in arrival order) into one order by ``event_time``.

    Each stream keeps its own order; ties go to the earlier stream. Lines that
    are not JSON objects with ``seller_id``, ``event_id`` and an RFC 3339
    ``event_time`` with an offset are skipped and counted.
    """
    bad = [0]
    merged = heapq.merge(*(_event_entries(s, bad) for s in streams), key=lambda entry: entry[0])
    events = [ref for _, ref in merged]
    return EventLoad(events, bad[0])


def load_events(directory: Path) -> EventLoad | None:
    """The simulator's events from ``directory`` (``listings.jsonl``, ``orders.jsonl``).

    Returns:
        The merged events, or None when neither file exists. A missing file
        of the two counts as an empty stream.
    """
    paths = [directory / name for name in EVENT_FILES]
    if not any(path.is_file() for path in paths):
        return None
    streams: list[list[bytes]] = []
    for path in paths:
        streams.append(path.read_bytes().splitlines() if path.is_file() else [])
    return merge_events(*streams)


# -------------------------------------------------------------- computing


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95% for ``z=1.96``); None without trials.

    Unlike the normal approximation it stays inside [0, 1] and is honest at the
    edges: 50 of 50 gives (0.929, 1.0), not (1.0, 1.0).
    """
    if trials <= 0:
        return None
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    half /= denominator
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def first_flags(alerts: Iterable[AlertRecord]) -> dict[str, AlertRecord]:
    """For each seller named in a high/critical alert, the first such alert."""
    first: dict[str, AlertRecord] = {}
    for alert in alerts:
        if alert.acting:
            for seller_id in alert.named_sellers:
                first.setdefault(seller_id, alert)
    return first


def events_before_flag(
    events: Sequence[EventRef], flags: Mapping[str, AlertRecord]
) -> dict[str, int]:
    """How many of each flagged seller's events arrived up to its first flag's trigger.

    Sellers whose trigger event id is missing or not among ``events`` are left out.
    The first occurrence of an event id is its arrival (a replayed id does not move it).
    """
    position: dict[str, int] = {}
    for index, event in enumerate(events):
        position.setdefault(event.event_id, index)
    limits: dict[str, int] = {}
    for seller_id, alert in flags.items():
        if alert.trigger_event_id is not None and alert.trigger_event_id in position:
            limits[seller_id] = position[alert.trigger_event_id]
    counts = dict.fromkeys(limits, 0)
    for index, event in enumerate(events):
        limit = limits.get(event.seller_id)
        if limit is not None and index <= limit:
            counts[event.seller_id] += 1
    return counts


def _first_link(links: Sequence[tuple[int, tuple[str, ...]]], members: set[str]) -> int | None:
    """The index of the event whose identifier first linked two of ``members``."""
    found = [index for index, sellers in links if len(members.intersection(sellers)) >= 2]
    return min(found) if found else None


def compute_ring_report(
    labels: Mapping[str, SellerLabel],
    alerts: AlertLoad,
    events: EventLoad | None = None,
    trace: RingTrace | None = None,
) -> RingReport | None:
    """The ring section: who ring alerts named, per simulated group (None without groups).

    Args:
        labels: Ground truth by seller id, with the groups.
        alerts: The run's alerts, in the order they were published.
        events: The input events in arrival order (for the link-to-alert counts).
        trace: What ring linking did, from an in-process replay.
    """
    groups: dict[str, list[str]] = {}
    for seller_id, truth in labels.items():
        if truth.group is not None:
            groups.setdefault(truth.group, []).append(seller_id)
    groups = {key: sorted(members) for key, members in groups.items() if len(members) >= 2}
    if not groups:
        return None
    ring_alerts = [a for a in alerts.alerts if a.level == "ring"]
    acting = [a for a in ring_alerts if a.acting]
    named = {seller for alert in acting for seller in alert.named_sellers}
    position: dict[str, int] = {}
    if events is not None:
        for index, event in enumerate(events.events):
            position.setdefault(event.event_id, index)

    def link_to_alert(members: set[str]) -> int | None:
        if trace is None or events is None:
            return None
        link = _first_link(trace.links, members)
        alert = next((a for a in acting if members.intersection(a.named_sellers)), None)
        if link is None or alert is None or alert.trigger_event_id not in position:
            return None
        until = position[alert.trigger_event_id]
        return sum(1 for event in events.events[link + 1 : until + 1] if event.seller_id in members)

    by_scenario: dict[tuple[Label, str], list[list[str]]] = {}
    for members in groups.values():
        truth = labels[members[0]]
        by_scenario.setdefault((truth.label, truth.scenario), []).append(members)
    scenarios: list[RingScenarioResult] = []
    for (label, scenario), found in sorted(
        by_scenario.items(), key=lambda item: (item[0][0] != "fraud", item[0][1])
    ):
        total = sum(len(members) for members in found)
        hit = sum(1 for members in found for seller in members if seller in named)
        delays = [link_to_alert(set(members)) for members in found]
        scenarios.append(
            RingScenarioResult(
                scenario=scenario,
                label=label,
                groups=len(found),
                members=total,
                named=hit,
                named_share=_ratio(hit, total),
                groups_named=sum(1 for members in found if named.intersection(members)),
                groups_linked=(
                    None
                    if trace is None
                    else sum(1 for m in found if _first_link(trace.links, set(m)) is not None)
                ),
                median_events_link_to_alert=_median([d for d in delays if d is not None]),
            )
        )
    honest = sorted(s for s in named if s in labels and labels[s].label == "legit")
    warehouses = [
        set(members)
        for members in groups.values()
        if labels[members[0]].scenario in SUPERNODE_SCENARIOS
    ]
    rings = trace.rings if trace is not None else [a.named_sellers for a in ring_alerts]
    warehouse_rings = (
        sum(1 for ring in rings if any(len(w.intersection(ring)) >= 2 for w in warehouses))
        if warehouses
        else None
    )
    return RingReport(
        scenarios=scenarios,
        ring_alerts=len(ring_alerts),
        acting_ring_alerts=len(acting),
        honest_named=len(honest),
        honest_named_sellers=honest[:HONEST_NAMED_SHOWN],
        warehouse_rings=warehouse_rings,
        supernodes=None if trace is None else len(trace.supernodes),
        traced=trace is not None,
    )


def compute_report(
    labels: Mapping[str, SellerLabel],
    alerts: AlertLoad,
    events: EventLoad | None = None,
    trace: RingTrace | None = None,
) -> EvaluationReport:
    """Seller-level precision, recall, false-positive rates and time to first flag.

    Args:
        labels: Ground truth by seller id.
        alerts: The run's alerts, in the order they were published.
        events: The input events in arrival order, for "events before first
            flag"; None leaves those medians out.
        trace: What ring linking did in an in-process replay, for the ring
            section's links, rings and super-nodes.
    """
    flags = first_flags(alerts.alerts)
    counts = events_before_flag(events.events, flags) if events is not None else {}
    named = {seller for alert in alerts.alerts for seller in alert.named_sellers}

    groups: dict[tuple[Label, str], list[str]] = {}
    for seller_id, truth in labels.items():
        groups.setdefault((truth.label, truth.scenario), []).append(seller_id)

    scenarios: list[ScenarioResult] = []
    for (label, scenario), sellers in sorted(
        groups.items(), key=lambda item: (item[0][0] != "fraud", item[0][1])
    ):
        flagged = [s for s in sellers if s in flags]
        watched = sum(1 for s in sellers if s in named)
        fraud = label == "fraud"
        tp = len(flagged) if fraud else 0
        fp = 0 if fraud else len(flagged)
        fn = len(sellers) - len(flagged) if fraud else 0
        scenarios.append(
            ScenarioResult(
                scenario=scenario,
                label=label,
                sellers=len(sellers),
                flagged=len(flagged),
                true_positives=tp,
                false_positives=fp,
                false_negatives=fn,
                precision=_ratio(tp, tp + fp),
                recall=_ratio(tp, tp + fn) if fraud else None,
                false_positive_rate=None if fraud else _ratio(fp, len(sellers)),
                median_events_to_flag=_median([counts[s] for s in flagged if s in counts]),
                watched=watched,
                false_positive_rate_medium=None if fraud else _ratio(watched, len(sellers)),
            )
        )

    tp = sum(s.true_positives for s in scenarios)
    fp = sum(s.false_positives for s in scenarios)
    fn = sum(s.false_negatives for s in scenarios)
    fraud_sellers = sum(s.sellers for s in scenarios if s.label == "fraud")
    legit_sellers = sum(s.sellers for s in scenarios if s.label == "legit")
    flagged_fraud = [s for s, truth in labels.items() if truth.label == "fraud" and s in flags]
    flagged_labelled = [s for s in labels if s in flags]
    return EvaluationReport(
        scenarios=scenarios,
        sellers=len(labels),
        fraud_sellers=fraud_sellers,
        legit_sellers=legit_sellers,
        flagged=len(flagged_labelled),
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        false_positive_rate=_ratio(fp, legit_sellers),
        median_events_to_flag=_median([counts[s] for s in flagged_fraud if s in counts]),
        alerts=len(alerts.alerts),
        acting_alerts=sum(1 for alert in alerts.alerts if alert.acting),
        malformed_alert_lines=alerts.malformed,
        unknown_sellers=sorted(named - labels.keys()),
        events=None if events is None else len(events.events),
        malformed_event_lines=0 if events is None else events.malformed,
        triggers_not_found=(
            0 if events is None else sum(1 for s in flagged_labelled if s not in counts)
        ),
        precision_interval=wilson_interval(tp, tp + fp),
        recall_interval=wilson_interval(tp, tp + fn),
        false_positive_rate_medium=_ratio(
            sum(s.watched for s in scenarios if s.label == "legit"), legit_sellers
        ),
        rings=compute_ring_report(labels, alerts, events, trace),
    )


def targets_met(
    report: EvaluationReport,
    precision: float = 0.95,
    recall: float = 0.95,
    max_fpr: float = 0.01,
    max_fpr_medium: float = 0.05,
    ring_named: float = 0.95,
) -> list[str]:
    """The targets the report misses, in words (an empty list: every target is met).

    Args:
        report: The evaluation.
        precision: Minimum overall seller-level precision.
        recall: Minimum overall seller-level recall.
        max_fpr: Maximum false-positive rate (high/critical) of every legit scenario.
        max_fpr_medium: Maximum share of every legit scenario's sellers named in
            an alert of any severity (the medium watch list included).
        ring_named: With a ring section: minimum share of every fraud group
            scenario's members named in high/critical ring alerts. No honest
            seller may be named so, and no warehouse may make a ring.
    """
    missed: list[str] = []
    if report.precision is None:
        missed.append(
            f"precision is undefined (no labelled seller was flagged); target >= {precision:g}"
        )
    elif report.precision < precision:
        missed.append(f"precision {report.precision:.3f} is below the target {precision:g}")
    if report.recall is None:
        missed.append(f"recall is undefined (no fraud seller in the labels); target >= {recall:g}")
    elif report.recall < recall:
        missed.append(f"recall {report.recall:.3f} is below the target {recall:g}")
    for scenario in report.scenarios:
        if scenario.label != "legit":
            continue
        fpr = scenario.false_positive_rate
        if fpr is not None and fpr > max_fpr:
            missed.append(
                f"false-positive rate of legit scenario {scenario.scenario!r} is {fpr:.1%} "
                f"({scenario.false_positives} of {scenario.sellers}), "
                f"above the target {max_fpr:.1%}"
            )
        watched = scenario.false_positive_rate_medium
        if watched is not None and watched > max_fpr_medium:
            missed.append(
                f"false-positive rate at medium of legit scenario {scenario.scenario!r} is "
                f"{watched:.1%} ({scenario.watched} of {scenario.sellers}), "
                f"above the target {max_fpr_medium:.1%}"
            )
    rings = report.rings
    if rings is None:
        return missed
    for ring in rings.scenarios:
        share = ring.named_share
        if ring.label == "fraud" and share is not None and share < ring_named:
            missed.append(
                f"ring alerts named {share:.1%} of fraud ring scenario {ring.scenario!r} "
                f"({ring.named} of {ring.members} members), below the target {ring_named:.0%}"
            )
    if rings.honest_named:
        shown = ", ".join(rings.honest_named_sellers)
        more = rings.honest_named - len(rings.honest_named_sellers)
        missed.append(
            f"{rings.honest_named} honest sellers named in high/critical ring alerts "
            f"({shown}{f' and {more} more' if more > 0 else ''}); target none"
        )
    if rings.warehouse_rings:
        missed.append(
            f"a shared warehouse address made {rings.warehouse_rings} ring(s); target none"
        )
    return missed
