"""Store a simulation as files: ``listings.jsonl``, ``orders.jsonl`` and ``labels.json``.

The JSON Lines files hold one event per line in arrival order, ready for
``listing-monitor produce``; ``labels.json`` holds the ground truth per seller.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

from stream.devtools.simulation.generator import Simulation

LISTINGS_FILE: Final = "listings.jsonl"
ORDERS_FILE: Final = "orders.jsonl"
LABELS_FILE: Final = "labels.json"
_LABELS: Final = frozenset({"fraud", "legit"})


@dataclass(frozen=True)
class WrittenFiles:
    """Where a simulation was written, and how many events each file holds."""

    listings: Path
    orders: Path
    labels: Path
    listing_events: int
    order_events: int


def write_labels(labels: dict[str, dict[str, str]], path: Path) -> Path:
    """Write labels as pretty JSON with sorted keys (parents are created).

    Args:
        labels: ``{seller_id: {"label": ..., "scenario": ...}}``.
        path: The file to write.

    Returns:
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        orjson.dumps(labels, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return path


def write_simulation(sim: Simulation, out_dir: Path | str) -> WrittenFiles:
    """Write ``listings.jsonl``, ``orders.jsonl`` and ``labels.json`` into ``out_dir``.

    Args:
        sim: The simulation.
        out_dir: Target directory; created if missing, files in it overwritten.

    Returns:
        The paths written and the event count of each JSON Lines file.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    listings_path, orders_path = directory / LISTINGS_FILE, directory / ORDERS_FILE
    counts = {"listings": 0, "orders": 0}
    with listings_path.open("wb") as listings, orders_path.open("wb") as orders:
        files = {"listings": listings, "orders": orders}
        for stream, event in sim.events:
            files[stream].write(orjson.dumps(event) + b"\n")
            counts[stream] += 1
    labels_path = write_labels(sim.labels, directory / LABELS_FILE)
    return WrittenFiles(
        listings_path, orders_path, labels_path, counts["listings"], counts["orders"]
    )


def read_labels(path: Path | str) -> dict[str, dict[str, str]]:
    """Read a ``labels.json`` written by :func:`write_simulation`.

    Args:
        path: The labels file, or a directory holding ``labels.json``.

    Returns:
        ``{seller_id: {"label": "fraud" | "legit", "scenario": name}}``, with
        ``"group"`` for members of a simulated ring or honest group.

    Raises:
        ValueError: If the file is not a labels object of that shape.
    """
    source = Path(path)
    if source.is_dir():
        source = source / LABELS_FILE
    data = orjson.loads(source.read_bytes())
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object of seller ids")
    labels: dict[str, dict[str, str]] = {}
    for seller, entry in data.items():
        if (
            not isinstance(entry, dict)
            or entry.get("label") not in _LABELS
            or not isinstance(entry.get("scenario"), str)
        ):
            raise ValueError(
                f"{source}: seller {seller!r} needs a label (fraud or legit) and a scenario"
            )
        labels[str(seller)] = {"label": str(entry["label"]), "scenario": str(entry["scenario"])}
        if isinstance(entry.get("group"), str):
            labels[str(seller)]["group"] = str(entry["group"])
    return labels
