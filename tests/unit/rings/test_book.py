"""Rings from edges: components, stable ids, merges, super-nodes, scores and alerts."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.rings import Announcement, IdentifierIndex, MemberStatus, RingBook, RingPipeline
from stream.rings.book import ring_id_of
from stream.rings.messages import Edge
from stream.rules import CompiledRules, load_rules
from stream.rules.config import LinkKind

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
RULES = CompiledRules.build(load_rules())


def new_book(rules: CompiledRules = RULES) -> RingBook:
    return RingBook(rules, {}, {}, {}, {}, {}, lambda: NOW)


def edge(
    kind: LinkKind, value: str, members: list[str], since: int = 100, fanout: int | None = None
) -> Edge:
    return Edge(
        kind=kind,
        value=value,
        members=dict.fromkeys(members, "CN/Fujian"),
        since=since,
        fanout=len(members) if fanout is None else fanout,
        supernode=False,
        seller_id=members[-1],
        event_id=f"ev-{value}",
        at=since,
    )


def ring_of(book: RingBook, seller: str) -> str | None:
    raw = book.ring_of.get(seller.encode())
    return None if raw is None else raw.decode()


def test_a_hard_identifier_shared_by_two_sellers_makes_a_ring_named_after_it() -> None:
    book = new_book()
    assert book.apply_edge(edge("payout_account", "pa-1", ["A", "B"])) == []
    ring = ring_id_of("payout_account:pa-1")
    assert ring_of(book, "A") == ring_of(book, "B") == ring
    shown = book.show(ring)
    assert shown is not None
    assert [m["seller_id"] for m in shown["member_list"]] == ["A", "B"]
    assert shown["link_list"] == [
        {"kind": "payout_account", "strength": "hard", "identifier": "pa-1", "members": ["A", "B"]}
    ]


def test_a_ring_keeps_its_id_as_it_grows() -> None:
    book = new_book()
    book.apply_edge(edge("phone", "ph-1", ["A", "B"], since=100))
    book.apply_edge(edge("phone", "ph-2", ["B", "C"], since=200))
    book.apply_edge(edge("phone", "ph-1", ["A", "B", "D"], since=100))
    ring = ring_id_of("phone:ph-1")
    assert {ring_of(book, s) for s in "ABCD"} == {ring}
    assert book.ranked()[0]["members"] == 4


def test_when_two_rings_merge_the_older_id_survives_and_the_other_points_to_it() -> None:
    book = new_book()
    book.apply_edge(edge("phone", "young", ["C", "D"], since=500))
    book.apply_edge(edge("phone", "old", ["A", "B"], since=100))
    book.apply_edge(edge("tracking", "tk", ["B", "C"], since=900))
    old, young = ring_id_of("phone:old"), ring_id_of("phone:young")
    assert {ring_of(book, s) for s in "ABCD"} == {old}
    merged = book.show(young)
    assert merged is not None
    assert merged["merged_into"] == old
    assert book.resolve(young) == old
    survivor = book.show(old)
    assert survivor is not None
    assert young in survivor["merged_ring_ids"]
    assert [r["ring_id"] for r in book.ranked()] == [old]


def test_soft_links_weigh_but_never_join_sellers() -> None:
    book = new_book()
    book.apply_edge(edge("device", "dv-1", ["A", "B"]))
    book.apply_edge(edge("return_address", "ra-1", ["A", "B", "C"]))
    assert ring_of(book, "A") is None
    assert book.ranked() == []
    book.apply_edge(edge("payout_account", "pa-1", ["A", "B"]))
    (ring,) = book.ranked()
    assert ring["members"] == 2
    assert ring["links"] == "1 payout account; 1 shared device and 1 shared return address"


def test_a_supernode_links_nobody_and_undoes_what_it_linked() -> None:
    book = new_book()
    book.apply_edge(edge("payout_account", "agency", ["A", "B", "C"]))
    book.apply_edge(edge("phone", "ph", ["A", "B"], since=300))
    agency = ring_id_of("payout_account:agency")
    assert ring_of(book, "C") == agency
    book.apply_edge(Edge("payout_account", "agency", {}, 100, 31, True, "Z", "ev-z", 400))
    assert ring_of(book, "C") is None
    assert ring_of(book, "A") == ring_of(book, "B") == ring_id_of("phone:ph")
    assert book.supernodes() == [{"kind": "payout_account", "identifier": "agency", "fanout": 31}]
    gone = book.show(agency)
    assert gone is not None
    assert gone["current_ring_id"] == ring_id_of("phone:ph")


def status(seller: str, score: float, band: int) -> MemberStatus:
    return MemberStatus(seller, score, band, "CN/Guangdong", f"ev-{seller}", 1000)


def test_an_honest_group_with_nothing_against_it_stays_below_high_and_unalerted() -> None:
    book = new_book()
    shops = [f"F{i:02d}" for i in range(40)]
    alerts = book.apply_edge(edge("payout_account", "franchise", shops))
    (ring,) = book.ranked()
    assert alerts == []
    assert ring["severity"] in (None, "medium")


def test_flagged_members_raise_one_ring_alert_naming_every_member() -> None:
    book = new_book()
    shops = [f"G{i:02d}" for i in range(12)]
    for left, right in itertools.pairwise(shops):  # a chain: each shares with the next
        book.apply_edge(edge("phone", f"ph-{left}", [left, right]))
    # one flagged shop puts its ring on the watch list at most
    assert [a.severity for a in book.apply_status(status("G03", 72.0, 2))] == ["medium"]
    (alert,) = book.apply_status(status("G09", 68.0, 2))
    assert alert.level == "ring"
    assert alert.severity in ("high", "critical")
    assert alert.member_seller_ids == sorted(shops)
    assert alert.seller_id == "G09"
    assert alert.trigger_event_id == "ev-G09"
    assert alert.ring_id == ring_id_of(f"phone:ph-{shops[0]}")
    assert alert.reasons[0].message.startswith("2 of 12 members flagged")
    # the same evidence again: no second alert; one shop more (more than the
    # bundled regrow_factor of 5% of 12): another one, naming it
    assert book.apply_status(status("G09", 68.0, 2)) == []
    alerts = book.apply_edge(edge("phone", "ph-more", ["G11", "H0"], since=2000))
    assert len(alerts) == 1
    assert len(alerts[0].member_seller_ids) == 13
    assert alerts[0].alert_id != alert.alert_id


def test_a_grown_ring_alerts_again_once_it_grew_by_the_regrow_factor() -> None:
    config = RULES.config
    half = config.model_copy(
        update={"rings": config.rings.model_copy(update={"regrow_factor": 0.5})}
    )
    book = new_book(CompiledRules.build(half))
    shops = [f"G{i:02d}" for i in range(12)]
    book.apply_edge(edge("phone", "ph-g", shops))
    book.apply_status(status("G00", 80.0, 3))
    (alert,) = book.apply_status(status("G01", 80.0, 3))
    assert len(alert.member_seller_ids) == 12
    # 5 more (17 < 12 * 1.5): nothing new; a sixth (18): the grown ring, named whole
    assert book.apply_edge(edge("phone", "ph-h", ["G11", *(f"H{i}" for i in range(5))])) == []
    (grown,) = book.apply_edge(edge("phone", "ph-h", ["G11", *(f"H{i}" for i in range(6))]))
    assert len(grown.member_seller_ids) == 18


def test_applying_an_edge_twice_changes_nothing() -> None:
    book = new_book()
    e = edge("phone", "ph", ["A", "B"])
    book.apply_edge(e)
    before = dict(book.rings), dict(book.ring_of)
    book.apply_edge(e)
    assert (dict(book.rings), dict(book.ring_of)) == before


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=3, max_value=25))
def test_rings_and_ids_do_not_depend_on_the_order_identifiers_arrive_in(
    seed: int, sellers: int
) -> None:
    """What N workers see in any interleaving, one worker sees in order: same rings."""
    rng = random.Random(seed)
    kinds: list[LinkKind] = ["phone", "payout_account", "tracking", "device", "return_address"]
    announcements = []
    for index in range(sellers * 2):
        kind = rng.choice(kinds)
        value = f"id-{rng.randrange(sellers)}"
        seller = f"S{rng.randrange(sellers):02d}"
        announcements.append(Announcement(kind, value, seller, 1000 + index, None, f"e{index}"))

    def rings_after(order: list[Announcement]) -> dict[str, str | None]:
        index = IdentifierIndex({}, RULES.config.rings)
        book = new_book()
        # each identifier's announcements keep their order (one partition each)
        for a in order:
            found = index.add(a)
            if found is not None:
                book.apply_edge(found)
        return {f"S{i:02d}": ring_of(book, f"S{i:02d}") for i in range(sellers)}

    expected = rings_after(announcements)
    by_key: dict[str, list[Announcement]] = {}
    for a in announcements:
        by_key.setdefault(a.key, []).append(a)
    queues = list(by_key.values())
    shuffled: list[Announcement] = []
    while queues:
        queue = rng.choice(queues)
        shuffled.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    assert rings_after(shuffled) == expected


@pytest.mark.parametrize("fanout", [31, 32, 64])
def test_the_index_reports_a_supernode_when_it_crosses_the_cap_and_as_it_doubles(
    fanout: int,
) -> None:
    index = IdentifierIndex({}, RULES.config.rings)
    edges = [
        index.add(Announcement("return_address", "warehouse", f"S{i}", i, None, f"e{i}"))
        for i in range(fanout)
    ]
    last = edges[-1]
    assert last is not None
    assert last.supernode
    assert last.members == {}
    reported = [e.fanout for e in edges if e is not None and e.supernode]
    assert reported == [f for f in (31, 32, 64) if f <= fanout]
    assert index.fanout("return_address", "warehouse") == fanout


def test_the_index_forgets_lone_identifiers_after_the_retention() -> None:
    index = IdentifierIndex({}, RULES.config.rings)
    index.add(Announcement("tracking", "tk-old", "A", 100, None, "e1"))
    index.add(Announcement("tracking", "tk-new", "A", 5000, None, "e2"))
    index.add(Announcement("tracking", "tk-shared", "A", 100, None, "e3"))
    assert index.add(Announcement("tracking", "tk-shared", "B", 150, None, "e4")) is not None
    assert index.expire(now=5000, retention_seconds=1000) == 1
    assert index.fanout("tracking", "tk-old") == 0
    assert index.fanout("tracking", "tk-new") == 1
    assert index.fanout("tracking", "tk-shared") == 2


def test_expiry_pops_what_is_due_and_rebuilds_its_order_after_a_restart() -> None:
    table: dict[bytes, bytes] = {}
    index = IdentifierIndex(table, RULES.config.rings)
    assert index.expire(now=0, retention_seconds=1000) == 0  # builds the (empty) order
    for n in range(10):
        index.add(Announcement("tracking", f"tk-{n}", "A", 100 * n, None, f"e{n}"), 0)
    index.add(Announcement("tracking", "tk-other", "A", 0, None, "e-p1"), 1)
    # seen again by another seller: it links, and stays
    index.add(Announcement("tracking", "tk-1", "B", 150, None, "e-b"), 0)
    assert index.expire(now=1450, retention_seconds=1000, partition=0) == 4  # tk-0, 2, 3, 4
    assert index.fanout("tracking", "tk-1") == 2
    assert index.fanout("tracking", "tk-5") == 1
    assert index.fanout("tracking", "tk-other") == 1  # another partition's sweep

    restarted = IdentifierIndex(table, RULES.config.rings)  # the table recovered, no order
    assert restarted.expire(now=1750, retention_seconds=1000, partition=0) == 3  # 5, 6, 7
    assert restarted.expire(now=1750, retention_seconds=1000, partition=1) == 1
    restarted.forget_expiry_order()  # after a rebalance
    assert restarted.expire(now=5000, retention_seconds=1000, partition=0) == 2
    assert sorted(table) == [b"tracking:tk-1"]


def test_the_in_memory_pipeline_tells_of_every_edge_it_sends() -> None:
    seen: list[Edge] = []
    pipeline = RingPipeline(RULES, lambda: NOW, on_edge=seen.append)
    pipeline.feed([Announcement("phone", "ph-1", "A", 100, None, "e1")])
    assert seen == []  # one seller: no edge yet
    pipeline.feed([Announcement("phone", "ph-1", "B", 200, None, "e2")])
    assert [(e.key, sorted(e.members), e.event_id) for e in seen] == [
        ("phone:ph-1", ["A", "B"], "e2")
    ]


def test_an_identifier_announced_again_sends_its_edge_again_and_the_book_is_unchanged() -> None:
    # after a crash, a replayed announcement may find its entry recovered while
    # the edge it caused never reached the book: the edge goes again
    index = IdentifierIndex({}, RULES.config.rings)
    book = new_book()
    assert index.add(Announcement("phone", "ph-1", "A", 100, None, "e1")) is None
    first = index.add(Announcement("phone", "ph-1", "B", 200, None, "e2"))
    assert first is not None
    again = index.add(Announcement("phone", "ph-1", "B", 200, None, "e2"))
    assert again is not None
    assert (again.members, again.since, again.fanout) == (first.members, first.since, 2)
    later = index.add(Announcement("phone", "ph-1", "A", 300, None, "e3"))
    assert later == replace(again, seller_id="A", event_id="e3", at=300)
    book.apply_edge(again)  # only the replay arrived
    ring = ring_of(book, "A")
    assert ring is not None
    assert ring == ring_of(book, "B")
    assert book.apply_edge(first) == []
    assert ring_of(book, "A") == ring
    # a lone identifier seen again is still nobody's link
    assert index.add(Announcement("phone", "ph-2", "A", 100, None, "e4")) is None
    assert index.add(Announcement("phone", "ph-2", "A", 100, None, "e4")) is None
