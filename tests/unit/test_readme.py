"""The README stays true: every setting, command and metric is documented."""

from __future__ import annotations

import re
from pathlib import Path

from stream.pipeline.metrics import MonitorMetrics
from stream.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table() -> None:
    for name in Settings.model_fields:
        assert f"| `LISTING_MONITOR_{name.upper()}` |" in README, name


def test_every_command_is_in_the_cli_reference() -> None:
    for command in (
        "worker",
        "produce",
        "alerts tail",
        "demo",
        "kafka start",
        "kafka stop",
        "kafka status",
        "kafka logs",
        "rules check",
    ):
        assert f"| `{command}" in README, command


def test_every_metric_is_in_the_metrics_reference() -> None:
    names = {
        metric.name + ("_total" if metric.type == "counter" else "")
        for metric in MonitorMetrics().registry.collect()
    }
    assert names
    for name in names:
        assert f"| `{name}` |" in README, name


def test_quick_start_has_the_two_commands() -> None:
    assert "make demo" in README
    assert "make test" in README


def test_every_path_the_readme_names_exists() -> None:
    root = Path(__file__).resolve().parents[2]
    named = set(re.findall(r"`((?:stream|schemas|tests|deploy|docs)/[\w./-]*)`", README))
    assert named, "the README names no paths"
    missing = sorted(path for path in named if not (root / path).exists())
    assert missing == []
