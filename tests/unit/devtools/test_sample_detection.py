"""The bundled sample through the real rules: fraud is caught, honest sellers are not."""

from __future__ import annotations

import orjson

from stream.devtools.sample import labels, sample_marketplace
from stream.pipeline.metrics import MonitorMetrics
from stream.pipeline.processor import EventProcessor, Source
from stream.rules import CompiledRules, load_rules


def test_sample_alerts_name_only_fraudulent_sellers() -> None:
    processor = EventProcessor(CompiledRules.build(load_rules()), MonitorMetrics())
    flagged: set[str] = set()
    for offset, (kind, event) in enumerate(sample_marketplace()):
        source = Source(kind, 0, offset, None)
        handle = processor.on_listing if kind == "listings" else processor.on_order
        outcome = handle(orjson.dumps(event), source)
        assert outcome.dead_letter is None, outcome.dead_letter
        flagged.update(a.seller_id for a in outcome.alerts if a.severity in {"high", "critical"})
    truth = labels()
    fraud = {seller for seller, label in truth.items() if label == "fraud"}
    assert flagged, "the demo must show alerts"
    assert flagged <= fraud, f"honest sellers flagged: {sorted(flagged - fraud)}"
    assert flagged == fraud, f"fraudulent sellers missed: {sorted(fraud - flagged)}"
