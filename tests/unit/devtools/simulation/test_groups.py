"""The simulator's groups: gangs that hide behind each other and honest look-alikes.

A small cast marketplace (a chain gang, a supplier with its resellers, a
fulfilment warehouse, a franchise, an agency) is checked for the shapes the
scenarios promise, then judged in-process: the gang is one ring named whole in
high/critical ring alerts, the warehouse's address a super-node, no honest
group alerted.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from itertools import pairwise
from typing import Any

import pytest

from stream.devtools.evaluation import SUPERNODE_SCENARIOS, compute_report, parse_labels
from stream.devtools.replay import Replay, event_load, replay
from stream.devtools.simulation import ALL_SCENARIOS, FRAUD_SCENARIOS, Simulation, simulate
from stream.devtools.simulation.generator import GROUPS_FROM, group_casting, population
from stream.devtools.simulation.scenarios import (
    AGENCY_SHOPS,
    CHAIN_GANG,
    FULFILMENT_WAREHOUSE,
    GROUP_SCENARIOS,
    HONEST_FRANCHISE,
    SCENARIOS,
    SUPPLIER_RESELLERS,
    YOUNG_BULK_UNAUTHORISED,
    chain_tells,
)
from stream.rules import CompiledRules, load_rules

RULES = CompiledRules.build(load_rules())
POLICY = RULES.config.rings
WAREHOUSE_SELLERS = POLICY.max_fanout + 6
CAST = (
    [CHAIN_GANG] * 14
    + [SUPPLIER_RESELLERS] * 6
    + [FULFILMENT_WAREHOUSE] * WAREHOUSE_SELLERS
    + [HONEST_FRANCHISE] * 4
    + [AGENCY_SHOPS] * 5
    + [YOUNG_BULK_UNAUTHORISED] * 2
    + ["generic_goods"] * 4
)
PROFILE_KINDS = {
    "phone_hash": "phone",
    "payout_account_hash": "payout_account",
    "device_hash": "device",
    "return_address_hash": "return_address",
}


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(len(CAST), 4, seed=7, cast=CAST)


@pytest.fixture(scope="module")
def judged(sim: Simulation) -> Replay:
    return replay(sim, RULES)


def members(sim: Simulation, scenario: str) -> dict[str, list[str]]:
    """The sim's groups of ``scenario``: group key to member ids, in seller order."""
    found: dict[str, list[str]] = defaultdict(list)
    for seller, entry in sorted(sim.labels.items()):
        if entry["scenario"] == scenario:
            found[entry["group"]].append(seller)
    return dict(found)


def shared(sim: Simulation, sellers: list[str]) -> dict[str, set[str]]:
    """Identifiers (``kind:value``) that two or more of ``sellers`` carry: profile or tracking."""
    owners: dict[str, set[str]] = defaultdict(set)
    wanted = set(sellers)
    for _, event in sim.events:
        if event["seller_id"] not in wanted:
            continue
        profile: dict[str, Any] | None = event.get("seller")
        if profile is not None:
            for field, kind in PROFILE_KINDS.items():
                owners[f"{kind}:{profile[field]}"].add(event["seller_id"])
        if event.get("tracking_hash"):
            owners[f"tracking:{event['tracking_hash']}"].add(event["seller_id"])
    return {key: found for key, found in owners.items() if len(found) >= 2}


# Casting -------------------------------------------------------------------------


@pytest.mark.parametrize(("sellers", "share"), [(400, 0.01), (1000, 0.01), (5000, 0.01)])
def test_every_group_scenario_is_cast_from_a_modest_marketplace_on(
    sellers: int, share: float
) -> None:
    cast = group_casting(sellers, share)
    assert set(cast) == set(GROUP_SCENARIOS)
    assert 12 <= cast[CHAIN_GANG] <= 60
    assert cast[FULFILMENT_WAREHOUSE] >= 2 * POLICY.max_fanout
    chosen = Counter(population(random.Random(1), sellers, share))
    assert set(chosen) == set(ALL_SCENARIOS)
    for scenario, count in cast.items():
        assert chosen[scenario] == count
    frauds = sum(n for name, n in chosen.items() if name in FRAUD_SCENARIOS)
    assert frauds == max(round(sellers * share), 9 + cast[CHAIN_GANG] + cast[SUPPLIER_RESELLERS])


def test_large_marketplaces_keep_the_fraud_share_and_get_hundreds_at_the_warehouse() -> None:
    cast = group_casting(5000, 0.01)
    assert cast[CHAIN_GANG] == 25
    assert cast[FULFILMENT_WAREHOUSE] >= 200
    chosen = population(random.Random(2), 5000, 0.01)
    assert sum(1 for name in chosen if name in FRAUD_SCENARIOS) == 50


def test_no_groups_below_the_threshold_and_no_gangs_without_fraud() -> None:
    assert group_casting(GROUPS_FROM - 1, 0.05) == {}
    assert not {CHAIN_GANG, SUPPLIER_RESELLERS} & set(group_casting(2000, 0.0))
    assert set(population(random.Random(3), 2000, 0.0)) & set(FRAUD_SCENARIOS) == set()


def test_group_members_are_labelled_with_their_group(sim: Simulation) -> None:
    for scenario in GROUP_SCENARIOS:
        (group,) = members(sim, scenario).values()
        assert len(group) == CAST.count(scenario)
    assert all("group" not in e for e in sim.labels.values() if e["scenario"] == "generic_goods")


# Shapes --------------------------------------------------------------------------


def test_the_chain_gang_links_each_shop_to_the_next_only(sim: Simulation) -> None:
    (chain,) = members(sim, CHAIN_GANG).values()
    links = shared(sim, chain)
    assert links, "the gang shares nothing"
    pairs: dict[tuple[int, int], set[str]] = defaultdict(set)
    for key, found in links.items():
        assert len(found) == 2, (key, found)  # never more than two shops, never all
        first, second = sorted(chain.index(s) for s in found)
        assert second == first + 1, (key, first, second)  # a shop and the next
        pairs[(first, second)].add(key.split(":", 1)[0])
    assert set(pairs) == set(pairwise(range(len(chain))))
    for (first, _), kinds in pairs.items():
        assert kinds == {("phone", "payout_account", "tracking")[first % 3]}, (first, kinds)
    provinces = {
        e["seller"]["registered_region"]["province"]
        for _, e in sim.events
        if e["seller_id"] in chain and "seller" in e
    }
    assert len(provinces) >= 12


def test_only_a_few_chain_shops_have_a_tell_of_their_own(judged: Replay, sim: Simulation) -> None:
    (chain,) = members(sim, CHAIN_GANG).values()
    tells = chain_tells(len(chain))
    assert 3 <= len(tells) <= len(chain) // 4
    flagged_alone = {
        a.seller_id
        for a in judged.alerts
        if a.level != "ring" and a.severity in ("high", "critical") and a.seller_id in chain
    }
    assert flagged_alone == {chain[i] for i in tells}


def test_resellers_buy_one_brand_repeatedly_from_the_supplier_and_list_it(
    sim: Simulation,
) -> None:
    (group,) = members(sim, SUPPLIER_RESELLERS).values()
    supplier, resellers = group[0], group[1:]
    listed: dict[str, set[str | None]] = defaultdict(set)
    brand_of: dict[str, str | None] = {}
    bought: Counter[tuple[str, str | None]] = Counter()
    for stream, event in sim.events:
        if stream == "listings" and event["event_type"] == "listing_created":
            listed[event["seller_id"]].add(event.get("brand"))
            brand_of[event["listing_id"]] = event.get("brand")
        elif event["event_type"] == "order_placed" and event["seller_id"] == supplier:
            bought[(event["buyer_id"], brand_of[event["listing_id"]])] += 1
    assert listed[supplier] == {"Air Jordan"}
    provinces = set()
    for reseller in resellers:
        assert bought[(reseller, "Air Jordan")] >= POLICY.resale_min_orders, reseller
        assert listed[reseller] == {"Air Jordan"}
        profile = next(e["seller"] for _, e in sim.events if e.get("seller_id") == reseller)
        provinces.add(profile["registered_region"]["province"])
    assert len(provinces) == 5
    assert not any(buyer == supplier for buyer, _ in bought)


def test_honest_groups_share_one_identifier_each(sim: Simulation) -> None:
    expected = {
        HONEST_FRANCHISE: "payout_account",
        AGENCY_SHOPS: "device",
        FULFILMENT_WAREHOUSE: "return_address",
    }
    for scenario, kind in expected.items():
        (group,) = members(sim, scenario).values()
        links = shared(sim, group)
        assert [key.split(":", 1)[0] for key in links] == [kind], scenario
        assert next(iter(links.values())) == set(group)
    assert POLICY.strength("device") == POLICY.strength("return_address") == "soft"
    assert len(members(sim, FULFILMENT_WAREHOUSE)[f"{FULFILMENT_WAREHOUSE}-0"]) > POLICY.max_fanout


def test_young_bulk_rings_share_a_payout_account(sim: Simulation) -> None:
    (pair,) = members(sim, YOUNG_BULK_UNAUTHORISED).values()
    kinds = {key.split(":", 1)[0] for key in shared(sim, pair)}
    assert kinds == {"payout_account", "device"}


# Judged --------------------------------------------------------------------------


def test_the_chain_gang_is_one_ring_and_the_warehouse_none(judged: Replay, sim: Simulation) -> None:
    assert judged.rings is not None
    book = judged.rings.book
    (chain,) = members(sim, CHAIN_GANG).values()
    (warehouse,) = members(sim, FULFILMENT_WAREHOUSE).values()
    rings = [
        {m["seller_id"] for m in (book.show(r["ring_id"]) or {})["member_list"]}
        for r in book.ranked()
    ]
    assert set(chain) in rings
    assert not any(ring & set(warehouse) for ring in rings)
    (supernode,) = book.supernodes()
    assert supernode["kind"] == "return_address"
    assert supernode["fanout"] > POLICY.max_fanout

    report = compute_report(
        parse_labels(sim.labels), judged.alert_load(), event_load(sim), judged.ring_trace()
    )
    assert report.rings is not None
    by_name = {row.scenario: row for row in report.rings.scenarios}
    assert by_name[CHAIN_GANG].named_share == 1.0
    assert by_name[CHAIN_GANG].groups_linked == 1
    assert by_name[CHAIN_GANG].median_events_link_to_alert is not None
    assert by_name[SUPPLIER_RESELLERS].named_share == 1.0
    for scenario in (HONEST_FRANCHISE, AGENCY_SHOPS, FULFILMENT_WAREHOUSE):
        assert by_name[scenario].named == 0
    assert by_name[HONEST_FRANCHISE].groups_linked == 1  # a ring, but never alerted
    assert by_name[FULFILMENT_WAREHOUSE].groups_linked == 0
    assert report.rings.honest_named == 0
    assert report.rings.warehouse_rings == 0
    assert report.rings.supernodes == 1
    watched = {s for a in judged.alerts for s in (a.seller_id, *(a.member_seller_ids or ()))}
    honest = {s for s, e in sim.labels.items() if SCENARIOS[e["scenario"]].label == "legit"}
    assert watched & honest == set()


def test_the_evaluation_knows_the_warehouse_scenario() -> None:
    assert {FULFILMENT_WAREHOUSE} == SUPERNODE_SCENARIOS
