"""listing-monitor: flags counterfeit and high-risk listings and sellers as events stream in.

Where an event goes, in order:

* ``topology/``: the Faust app that reads ``listings`` and ``orders`` from
  Kafka, hands raw bytes to the pipeline, publishes what comes back, writes
  seller state to changelogged tables, and guards Faust around rebalances and
  stops. The only package that imports Faust or aiokafka.
* ``pipeline/``: bytes in, alerts and dead letters out: validation against
  the contract (``schemas``), the detector's named steps, the alert policy
  (scores, severity, evidence before severity, suppression, ids), metrics.
* ``rules/``: the per-listing rules, the lexicons and what the words around
  a term mean, and the rules file's loader.
* ``stats/``: per-seller state, rolling windows, seller signals, learned
  reference prices and the seller store.
* ``cli/``: the ``listing-monitor`` commands: parse, call, print.
* ``devtools/``: the local broker, the simulator, the demo sample, the
  evaluation and the bench. Nothing in the product imports it.

``settings.py`` holds every setting; ``data/rules.toml`` the bundled rules.
"""

__version__ = "0.1.0"
