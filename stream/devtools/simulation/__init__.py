"""A labelled marketplace simulator for evaluating the monitor.

:func:`simulate` builds a population of sellers (mostly honest, a few
counterfeiters in the shapes described in ``DOMAIN.md``), plays their listings and
orders over a number of days, and returns the events in arrival order together
with the ground truth per seller. :func:`write_simulation` stores a simulation as
``listings.jsonl``, ``orders.jsonl`` and ``labels.json``.

Pure Python: nothing here imports Faust or Kafka.
"""

from __future__ import annotations

from stream.devtools.simulation.generator import DEFAULT_START, Simulation, simulate
from stream.devtools.simulation.io import read_labels, write_simulation
from stream.devtools.simulation.scenarios import (
    ALL_SCENARIOS,
    FRAUD_SCENARIOS,
    LEGIT_SCENARIOS,
    SCENARIOS,
)

__all__ = [
    "ALL_SCENARIOS",
    "DEFAULT_START",
    "FRAUD_SCENARIOS",
    "LEGIT_SCENARIOS",
    "SCENARIOS",
    "Simulation",
    "read_labels",
    "simulate",
    "write_simulation",
]
