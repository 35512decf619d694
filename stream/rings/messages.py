"""The messages of ring linking and their encoding on the internal topics.

* ``<app-id>-ring-identifiers`` (as many partitions as the input topics):
  :class:`Announcement` lists, each message holding those of one partition,
  every identifier always in the partition its key hashes to;
* ``<app-id>-ring-updates`` (one partition): :class:`Edge` and
  :class:`MemberStatus` lists, read by the one worker that owns the ring tables.

These topics are internal, but their bytes are still checked: a message that
does not decode raises :class:`RingMessageError` naming the problem, and the
topology dead-letters it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import orjson

from stream.rules.config import LINK_KINDS, LinkKind

# A seller id, an identifier hash or a brand: the contract bounds them at 200.
MAX_TEXT = 512


class RingMessageError(ValueError):
    """An internal ring message that cannot be read."""


def identifier_key(kind: LinkKind, value: str) -> str:
    """The key of an identifier in the index and in ring records: ``kind:value``."""
    return f"{kind}:{value}"


def kind_of(key: str) -> LinkKind:
    """The kind of an identifier key."""
    return cast(LinkKind, key.split(":", 1)[0])


@dataclass(frozen=True, slots=True)
class Announcement:
    """A seller seen with an identifier, announced once per pair.

    Attributes:
        kind: What the identifier is.
        value: The identifier (a hash from the marketplace; for a resale
            chain, ``buyer|brand``).
        seller_id: The seller seen with it.
        at: Event time of the event that named it, in Unix seconds.
        province: ``COUNTRY/Province`` the seller is registered in, if known.
        event_id: The event that named it.
    """

    kind: LinkKind
    value: str
    seller_id: str
    at: int
    province: str | None
    event_id: str

    @property
    def key(self) -> str:
        return identifier_key(self.kind, self.value)


@dataclass(frozen=True, slots=True)
class Edge:
    """An identifier and every seller seen with it so far (up to its fan-out cap).

    Sent whenever that list changes, always whole: applying one twice, or an
    older one after a newer one of the same ``fanout``, changes nothing.

    Attributes:
        kind, value: The identifier.
        members: Seller id to its province (None: unknown).
        since: When it first linked two sellers (the second-earliest
            announcement's event time, Unix seconds).
        fanout: How many sellers were seen with it.
        supernode: Shared by more than the fan-out cap allows: links nobody.
        seller_id, event_id, at: The announcement that changed it.
    """

    kind: LinkKind
    value: str
    members: dict[str, str | None]
    since: int
    fanout: int
    supernode: bool
    seller_id: str
    event_id: str
    at: int

    @property
    def key(self) -> str:
        return identifier_key(self.kind, self.value)


@dataclass(frozen=True, slots=True)
class MemberStatus:
    """A seller's own risk, sent each time its band rises.

    Attributes:
        seller_id: The seller.
        score: Its strongest listing or seller alert's score.
        band: That alert's band (1 medium, 2 high, 3 critical).
        province: ``COUNTRY/Province`` it is registered in, if known.
        event_id, at: The event that raised it.
    """

    seller_id: str
    score: float
    band: int
    province: str | None
    event_id: str
    at: int


@dataclass
class RingUpdates:
    """What one message of the ring-updates topic carries."""

    edges: list[Edge] = field(default_factory=list)
    statuses: list[MemberStatus] = field(default_factory=list)


# --------------------------------------------------------------- encoding


def stored_json(value: Any) -> bytes:
    """``value`` as JSON bytes of their own size, for values a table keeps.

    orjson (3.12 on) hands back a buffer of at least 4 KiB whatever the output's
    length and never shrinks it: the index's ~100-byte entries took 4 KiB each
    (305 MiB for the bench's 75,000 identifiers). A copy is exactly as long.
    """
    return bytes(memoryview(orjson.dumps(value)))


def encode_announcements(announcements: list[Announcement]) -> bytes:
    return orjson.dumps(
        {"a": [[a.kind, a.value, a.seller_id, a.at, a.province, a.event_id] for a in announcements]}
    )


def _edge_row(edge: Edge) -> list[Any]:
    e = edge
    return [
        e.kind,
        e.value,
        e.members,
        e.since,
        e.fanout,
        e.supernode,
        e.seller_id,
        e.event_id,
        e.at,
    ]


def encode_updates(updates: RingUpdates) -> bytes:
    return orjson.dumps(
        {
            "e": [_edge_row(e) for e in updates.edges],
            "m": [
                [s.seller_id, s.score, s.band, s.province, s.event_id, s.at]
                for s in updates.statuses
            ],
        }
    )


def _load(raw: bytes | None, field_name: str) -> list[Any]:
    if not raw:
        raise RingMessageError("empty message")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RingMessageError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(field_name), list):
        raise RingMessageError(f"expected an object with a list {field_name!r}")
    return cast(list[Any], data[field_name])


def _text(value: Any, what: str, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise RingMessageError(f"{what}: expected a string of 1 to {MAX_TEXT} characters")
    return value


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RingMessageError(f"{what}: expected a non-negative integer")
    return value


def _kind(value: Any) -> LinkKind:
    if value not in LINK_KINDS:
        raise RingMessageError(f"kind: expected one of {', '.join(LINK_KINDS)}")
    return cast(LinkKind, value)


def _row(item: Any, size: int, what: str) -> list[Any]:
    if not isinstance(item, list) or len(item) != size:
        raise RingMessageError(f"{what}: expected a list of {size} fields")
    return item


def decode_announcements(raw: bytes | None) -> list[Announcement]:
    """The announcements of one ring-identifiers message (RingMessageError if unreadable)."""
    result = []
    for item in _load(raw, "a"):
        kind, value, seller, at, province, event = _row(item, 6, "announcement")
        result.append(
            Announcement(
                _kind(kind),
                _text(value, "value"),
                _text(seller, "seller_id"),
                _int(at, "at"),
                _text(province, "province", optional=True),
                _text(event, "event_id"),
            )
        )
    return result


def decode_updates(raw: bytes | None) -> RingUpdates:
    """The edges and statuses of one ring-updates message (RingMessageError if unreadable)."""
    edges = []
    for item in _load(raw, "e"):
        kind, value, members, since, fanout, supernode, seller, event, at = _row(item, 9, "edge")
        if not isinstance(members, dict):
            raise RingMessageError("members: expected an object")
        edges.append(
            Edge(
                _kind(kind),
                _text(value, "value"),
                {
                    _text(k, "member"): _text(v, "province", optional=True)
                    for k, v in members.items()
                },
                _int(since, "since"),
                _int(fanout, "fanout"),
                bool(supernode),
                _text(seller, "seller_id"),
                _text(event, "event_id"),
                _int(at, "at"),
            )
        )
    statuses = []
    for item in _load(raw, "m"):
        seller, score, band, province, event, at = _row(item, 6, "status")
        if not isinstance(score, int | float) or not 0 <= score <= 100:
            raise RingMessageError("score: expected a number from 0 to 100")
        statuses.append(
            MemberStatus(
                _text(seller, "seller_id"),
                float(score),
                _int(band, "band"),
                _text(province, "province", optional=True),
                _text(event, "event_id"),
                _int(at, "at"),
            )
        )
    return RingUpdates(edges, statuses)
