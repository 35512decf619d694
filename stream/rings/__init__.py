"""Rings: sellers linked by the identifiers they share, kept as stable groups and
alerted on as one.

No Faust here. Three steps, each on its own Kafka hop in the topology
(:mod:`stream.topology.app`) and chained in memory by :class:`RingPipeline`:

1. :mod:`stream.rings.announce`: a seller's events name its identifiers; each
   (identifier, seller) pair is announced once, and a seller's own risk band
   each time it rises (:class:`~stream.rings.messages.MemberStatus`).
2. :mod:`stream.rings.index`: per identifier, the sellers seen with it; an
   identifier shared by two or more becomes an
   :class:`~stream.rings.messages.Edge`, one shared by too many a super-node.
3. :mod:`stream.rings.book`: hard edges joined into connected components with
   stable ids, scored (:mod:`stream.rings.scoring`) and alerted on.
"""

from stream.rings.announce import Announcer
from stream.rings.book import RingBook
from stream.rings.index import IdentifierIndex
from stream.rings.messages import Announcement, Edge, MemberStatus, RingMessageError
from stream.rings.pipeline import RingPipeline

__all__ = [
    "Announcement",
    "Announcer",
    "Edge",
    "IdentifierIndex",
    "MemberStatus",
    "RingBook",
    "RingMessageError",
    "RingPipeline",
]
