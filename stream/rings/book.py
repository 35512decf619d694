"""Step 3 of ring linking, on the one ring partition: components, ids, scores, alerts.

A ring is a connected component of sellers over hard edges (identifiers that
are neither super-nodes nor of a soft kind). Its id comes from the identifier
that linked it first: ``ring-`` and a digest of the edge with the earliest
``since`` (then the smallest key). Hence:

* a ring keeps its id as it grows (a newer edge never founds an older ring);
* when two rings merge, the older ring's id survives and the other is
  recorded as ``merged_into`` it, so a subscriber holding the old id follows it;
* the rings and their ids are a function of the edges alone, not of the order
  they arrive in: N workers on M partitions find the same rings as one.

An identifier that turns super-node after linking is retracted: its ring is
recomputed without it (split or dissolved, recorded in its history).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas import Alert
from stream.pipeline.policy import BANDS, assess, has_evidence
from stream.rings.messages import Edge, MemberStatus, kind_of, stored_json
from stream.rings.scoring import RingView, describe_links, ring_reasons
from stream.rules.config import LinkKind
from stream.rules.listing_rules import CompiledRules

Table = MutableMapping[bytes, bytes]
# Soft identifiers remembered per seller.
MAX_SOFT_PER_SELLER = 32
# Merge and split events kept in a ring's history.
MAX_HISTORY = 100


def ring_id_of(edge_key: str) -> str:
    """The id of the ring an identifier founds."""
    return "ring-" + hashlib.sha256(edge_key.encode("utf-8")).hexdigest()[:16]


def ring_alert_id(ring_id: str, severity: str, members: int, version: str) -> str:
    """A ring alert's id: the ring, its band, its size when alerted, the rules version."""
    digest = hashlib.sha256(f"ring|{ring_id}|{severity}|{members}|{version}".encode())
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Trigger:
    """The event behind an update: the ring alert names it."""

    seller_id: str
    event_id: str
    at: int


def _get(table: Table, key: str) -> Any:
    raw = table.get(key.encode("utf-8"))
    return None if raw is None else orjson.loads(raw)


def _put(table: Table, key: str, value: Any) -> None:
    table[key.encode("utf-8")] = stored_json(value)


class RingBook:
    """Rings kept in five tables (Faust tables in the topology, dicts in tests).

    Args:
        rules: The compiled rules (ring policy, severity bands, evidence).
        edges: Identifier key to its latest edge.
        ring_of: Seller to the id of its ring.
        rings: Ring id to its record (a merged ring's record says where it went).
        statuses: Seller to its own strongest alert (score, band, province).
        soft_of: Seller to the soft identifiers it was seen with.
        clock: Alert time.
    """

    def __init__(
        self,
        rules: CompiledRules,
        edges: Table,
        ring_of: Table,
        rings: Table,
        statuses: Table,
        soft_of: Table,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.rules = rules
        self.policy = rules.config.rings
        self.edges, self.ring_of, self.rings = edges, ring_of, rings
        self.statuses, self.soft_of = statuses, soft_of
        self.clock = clock

    # ---------------------------------------------------------------- updates

    def apply_edge(self, edge: Edge) -> list[Alert]:
        """Record an identifier's sellers; the ring alerts this causes."""
        key = edge.key
        previous = _get(self.edges, key)
        _put(
            self.edges,
            key,
            {"m": edge.members, "s": edge.since, "f": edge.fanout, "x": edge.supernode},
        )
        trigger = Trigger(edge.seller_id, edge.event_id, edge.at)
        strength = self.policy.strength(edge.kind)
        if strength is None:
            return []
        if strength == "soft":
            for seller in edge.members:
                known = _get(self.soft_of, seller) or []
                if key not in known:
                    _put(self.soft_of, seller, [*known, key][-MAX_SOFT_PER_SELLER:])
            touched = {self._ring_of(s) for s in edge.members} - {None}
            return self._rescore(sorted(t for t in touched if t), trigger)
        sellers = set(edge.members) | set((previous or {}).get("m", {}))
        old_ids = sorted({r for r in (self._ring_of(s) for s in sellers) if r})
        edge_keys: set[str] = set()
        for ring_id in old_ids:
            edge_keys.update(self._record(ring_id)["edges"])
        if self._links(edge.members, edge.supernode):
            edge_keys.add(key)
        else:
            edge_keys.discard(key)
        new_ids = self._settle(edge_keys, old_ids, sellers, trigger)
        return self._rescore(new_ids, trigger)

    def apply_status(self, status: MemberStatus) -> list[Alert]:
        """Record a seller's own risk; the ring alerts this causes."""
        known = _get(self.statuses, status.seller_id)
        if known is not None and known[1] >= status.band:
            return []
        _put(self.statuses, status.seller_id, [status.score, status.band, status.province])
        ring_id = self._ring_of(status.seller_id)
        if ring_id is None:
            return []
        return self._rescore([ring_id], Trigger(status.seller_id, status.event_id, status.at))

    # ----------------------------------------------------------- components

    @staticmethod
    def _links(members: dict[str, Any], supernode: bool) -> bool:
        return not supernode and len(members) >= 2

    def _ring_of(self, seller: str) -> str | None:
        raw = self.ring_of.get(seller.encode("utf-8"))
        return None if raw is None else raw.decode("utf-8")

    def _record(self, ring_id: str) -> dict[str, Any]:
        record: dict[str, Any] | None = _get(self.rings, ring_id)
        if record is None:
            raise KeyError(f"ring {ring_id} is referenced but has no record")
        return record

    def _components(self, edge_keys: Iterable[str]) -> list[tuple[set[str], list[str]]]:
        """Connected components of sellers over the given hard edges, with their edges."""
        parent: dict[str, str] = {}

        def find(seller: str) -> str:
            root = seller
            while parent[root] != root:
                root = parent[root]
            while parent[seller] != root:
                parent[seller], seller = root, parent[seller]
            return root

        edge_members: dict[str, list[str]] = {}
        for key in sorted(edge_keys):
            edge = _get(self.edges, key)
            if edge is None or not self._links(edge["m"], edge["x"]):
                continue
            members = sorted(edge["m"])
            edge_members[key] = members
            for seller in members:
                parent.setdefault(seller, seller)
            for seller in members[1:]:
                a, b = find(members[0]), find(seller)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        groups: dict[str, tuple[set[str], list[str]]] = {}
        for key, members in edge_members.items():
            root = find(members[0])
            group = groups.setdefault(root, (set(), []))
            group[0].update(members)
            group[1].append(key)
        return list(groups.values())

    def _founder(self, edge_keys: list[str]) -> str:
        """The identifier that linked a component first (earliest since, then smallest key)."""
        return min(edge_keys, key=lambda k: (_get(self.edges, k)["s"], k))

    def _settle(
        self, edge_keys: set[str], old_ids: list[str], sellers: set[str], trigger: Trigger
    ) -> list[str]:
        """Write the rings the edges now form; record merges, splits and dissolutions."""
        old = {ring_id: self._record(ring_id) for ring_id in old_ids}
        formed: dict[str, tuple[set[str], list[str]]] = {}
        for members, keys in self._components(edge_keys):
            formed[ring_id_of(self._founder(keys))] = (members, keys)
        # where the members of each old ring went
        targets = {
            other: sorted(r for r, (members, _) in formed.items() if members & set(rec["members"]))
            for other, rec in old.items()
        }
        for ring_id, (members, keys) in formed.items():
            record = (
                old.get(ring_id) or _get(self.rings, ring_id) or self._new_record(ring_id, trigger)
            )
            record["merged_into"], record["dissolved"] = None, False
            record["members"] = self._provinces(members, keys)
            record["edges"] = sorted(keys)
            record["since"] = min(_get(self.edges, k)["s"] for k in keys)
            for other, into in targets.items():
                if other != ring_id and into == [ring_id]:
                    if other not in record["merged"]:
                        record["merged"].append(other)
                    self._history(record, trigger, "merged", other)
            _put(self.rings, ring_id, record)
            encoded = ring_id.encode("utf-8")
            for seller in members:
                key = seller.encode("utf-8")
                if self.ring_of.get(key) != encoded:  # a changelog record only if it moved
                    self.ring_of[key] = encoded
        for other, into in targets.items():
            if other in formed:
                if len(into) > 1:
                    self._note(other, trigger, "split", ",".join(r for r in into if r != other))
                continue
            record = old[other]
            if len(into) == 1:
                record["merged_into"] = into[0]
                self._history(record, trigger, "merged_into", into[0])
            else:
                record["merged_into"], record["dissolved"] = None, True
                self._history(record, trigger, "split" if into else "dissolved", ",".join(into))
            _put(self.rings, other, record)
        placed = {s for members, _ in formed.values() for s in members}
        for seller in sellers | {s for rec in old.values() for s in rec["members"]}:
            if seller not in placed:
                self.ring_of.pop(seller.encode("utf-8"), None)
        return sorted(formed)

    def _note(self, ring_id: str, trigger: Trigger, what: str, other: str) -> None:
        record = self._record(ring_id)
        self._history(record, trigger, what, other)
        _put(self.rings, ring_id, record)

    def _provinces(self, members: set[str], keys: list[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = dict.fromkeys(sorted(members))
        for key in keys:
            for seller, province in _get(self.edges, key)["m"].items():
                if province and not found.get(seller):
                    found[seller] = province
        return found

    @staticmethod
    def _new_record(ring_id: str, trigger: Trigger) -> dict[str, Any]:
        return {
            "id": ring_id,
            "created_at": trigger.at,
            "members": {},
            "edges": [],
            "since": trigger.at,
            "merged": [],
            "merged_into": None,
            "history": [],
            "alert": [0, 0],
            "score": 0.0,
            "severity": None,
        }

    @staticmethod
    def _history(record: dict[str, Any], trigger: Trigger, what: str, other: str) -> None:
        record["history"] = [*record["history"], [trigger.at, what, other]][-MAX_HISTORY:]

    # -------------------------------------------------------------- scoring

    def view(self, record: dict[str, Any]) -> RingView:
        """What the ring's score is read from."""
        members: dict[str, str | None] = record["members"]
        view = RingView(members=sorted(members))
        for seller, province in members.items():
            status = _get(self.statuses, seller)
            if status is not None:
                view.statuses[seller] = (status[0], status[1])
                province = province or status[2]
            if province:
                view.provinces.add(province)
        view.hard = Counter(kind_of(k) for k in record["edges"])
        soft: dict[str, LinkKind] = {}
        for seller in members:
            for key in _get(self.soft_of, seller) or []:
                if key in soft:
                    continue
                edge = _get(self.edges, key)
                if edge and not edge["x"] and sum(1 for s in edge["m"] if s in members) >= 2:
                    soft[key] = kind_of(key)
        view.soft = Counter(soft.values())
        return view

    def _rescore(self, ring_ids: Iterable[str], trigger: Trigger) -> list[Alert]:
        alerts = []
        for ring_id in ring_ids:
            record = self._record(ring_id)
            view = self.view(record)
            reasons = ring_reasons(view, self.policy)
            score, severity = assess(reasons, self.rules)
            record["score"], record["severity"] = score, severity
            band, size = BANDS[severity], len(view.members)
            alerted_band, alerted_size = record["alert"]
            grown = size >= alerted_size * (1 + self.policy.regrow_factor)
            if (
                severity is not None
                and has_evidence(reasons, self.rules)
                and (band > alerted_band or (band == alerted_band and grown))
            ):
                record["alert"] = [band, size]
                alerts.append(self._alert(record, view, score, severity, reasons, trigger))
            _put(self.rings, ring_id, record)
        return alerts

    def _alert(
        self,
        record: dict[str, Any],
        view: RingView,
        score: float,
        severity: Any,
        reasons: list[Any],
        trigger: Trigger,
    ) -> Alert:
        version = self.rules.config.version
        seller = trigger.seller_id if trigger.seller_id in record["members"] else view.members[0]
        return Alert(
            alert_id=ring_alert_id(record["id"], severity, len(view.members), version),
            alert_time=self.clock(),
            event_time=datetime.fromtimestamp(trigger.at, UTC),
            trigger_event_id=trigger.event_id,
            level="ring",
            seller_id=seller,
            ring_id=record["id"],
            member_seller_ids=view.members,
            risk_score=score,
            severity=severity,
            reasons=reasons,
            rules_version=version,
        )

    # -------------------------------------------------------------- look-up

    def resolve(self, ring_id: str) -> str | None:
        """The id a ring goes by now (following merges), or None if unknown or dissolved."""
        seen = set()
        while ring_id not in seen:
            seen.add(ring_id)
            record = _get(self.rings, ring_id)
            if record is None or record.get("dissolved"):
                return None
            if record["merged_into"] is None:
                return ring_id
            ring_id = record["merged_into"]
        return None

    def summary(self, record: dict[str, Any]) -> dict[str, Any]:
        """A ring in one line: id, score, severity, size, provinces, links."""
        view = self.view(record)
        return {
            "ring_id": record["id"],
            "risk_score": record["score"],
            "severity": record["severity"],
            "members": len(view.members),
            "flagged_members": sum(
                1
                for _, band in view.statuses.values()
                if band >= BANDS[self.policy.member_flag_severity]
            ),
            "provinces": len(view.provinces),
            "links": describe_links(view),
            "large": len(view.members) >= self.policy.large_ring_members,
            "since": record["since"],
        }

    def ranked(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Live rings (not merged away or dissolved), riskiest first."""
        found = []
        for raw in self.rings.values():
            record = orjson.loads(raw)
            if record["merged_into"] is None and not record.get("dissolved"):
                found.append(self.summary(record))
        found.sort(key=lambda r: (-r["risk_score"], -r["members"], r["ring_id"]))
        return found[:limit] if limit is not None else found

    def show(self, ring_id: str) -> dict[str, Any] | None:
        """A ring in full: members with scores and provinces, links, merge history.

        A ring merged into another says so (``merged_into``); None if unknown.
        """
        record = _get(self.rings, ring_id)
        if record is None:
            return None
        if record["merged_into"] is not None or record.get("dissolved"):
            return {
                "ring_id": ring_id,
                "merged_into": record["merged_into"],
                "current_ring_id": self.resolve(ring_id),
                "dissolved": bool(record.get("dissolved")),
                "history": record["history"],
            }
        view = self.view(record)
        members = []
        for seller in view.members:
            score, band = view.statuses.get(seller, (0.0, 0))
            members.append(
                {
                    "seller_id": seller,
                    "risk_score": score,
                    "band": band,
                    "province": record["members"][seller],
                }
            )
        links = []
        for key in record["edges"]:
            edge = _get(self.edges, key)
            links.append(self._link(key, "hard", sorted(edge["m"])))
        seen = set(record["edges"])
        for seller in view.members:
            for key in _get(self.soft_of, seller) or []:
                edge = _get(self.edges, key)
                inside = sorted(s for s in edge["m"] if s in record["members"]) if edge else []
                if key not in seen and len(inside) >= 2 and not edge["x"]:
                    seen.add(key)
                    links.append(self._link(key, "soft", inside))
        return {
            **self.summary(record),
            "created_at": record["created_at"],
            "member_list": members,
            "link_list": links,
            "merged_ring_ids": record["merged"],
            "history": record["history"],
            "merged_into": None,
        }

    @staticmethod
    def _link(key: str, strength: str, members: list[str]) -> dict[str, Any]:
        kind, value = key.split(":", 1)
        return {"kind": kind, "strength": strength, "identifier": value, "members": members}

    def supernodes(self) -> list[dict[str, Any]]:
        """Identifiers shared by too many sellers to link, largest fan-out first."""
        found = []
        for raw_key, raw in self.edges.items():
            edge = orjson.loads(raw)
            if edge["x"]:
                kind, value = raw_key.decode("utf-8").split(":", 1)
                found.append({"kind": kind, "identifier": value, "fanout": edge["f"]})
        found.sort(key=lambda s: (-s["fanout"], s["kind"], s["identifier"]))
        return found

    def counts(self) -> tuple[int, int, int]:
        """Live rings, large rings and super-node identifiers (for the metrics)."""
        live = large = 0
        for raw in self.rings.values():
            record = orjson.loads(raw)
            if record["merged_into"] is None and not record.get("dissolved"):
                live += 1
                large += len(record["members"]) >= self.policy.large_ring_members
        supernodes = sum(1 for raw in self.edges.values() if orjson.loads(raw)["x"])
        return live, large, supernodes
