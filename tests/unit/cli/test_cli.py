"""The command line: help texts, rules check, message keys, alert rendering."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from rich.console import Console
from typer.testing import CliRunner

from stream.cli import app
from stream.cli.alerts import print_alert, render_alert
from stream.cli.produce import event_key, read_lines
from stream.devtools.pacing import Pacer
from stream.rules import DEFAULT_RULES_FILE
from tests.fixtures import example

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("worker", "produce", "alerts", "demo", "kafka", "rules", "rings"):
        assert command in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["kafka", "--help"], ["start", "stop", "status", "logs"]),
        (["alerts", "tail", "--help"], ["--json", "--from-beginning", "--idle-timeout", "--max"]),
        (["produce", "--help"], ["--topic", "--rate", "FILE"]),
        (["demo", "--help"], ["--rate", "--duration", "--keep-broker"]),
        (["worker", "--help"], ["--web-port", "--no-web"]),
        (["rules", "check", "--help"], ["FILE"]),
        (["rings", "--help"], ["list", "show", "supernodes"]),
        (["rings", "list", "--help"], ["--limit", "--url", "--json"]),
        (["rings", "show", "--help"], ["RING_ID", "--url", "--json"]),
    ],
)
def test_subcommand_help_documents_options(args: list[str], expected: list[str]) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output


def test_rules_check_accepts_the_bundled_file() -> None:
    result = runner.invoke(app, ["rules", "check", str(DEFAULT_RULES_FILE)])
    assert result.exit_code == 0
    assert "ok" in result.output
    assert "2026" in result.output


def test_rules_check_reports_problems(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(
        DEFAULT_RULES_FILE.read_text(encoding="utf-8").replace("medium = 40.0", "medium = 70.0"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert "bands must rise" in result.output


def test_invalid_environment_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTING_MONITOR_WEB_PORT", "not-a-port")
    result = runner.invoke(app, ["alerts", "tail"])
    assert result.exit_code == 1
    assert "LISTING_MONITOR_WEB_PORT" in result.output


def test_worker_refuses_an_invalid_rules_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('version = "x"\n', encoding="utf-8")
    monkeypatch.setenv("LISTING_MONITOR_RULES_FILE", str(bad))
    monkeypatch.setenv("LISTING_MONITOR_HOME", str(tmp_path))
    result = runner.invoke(app, ["worker", "--no-web"])
    assert result.exit_code == 1
    assert "refusing to start" in result.output
    assert "vocabulary" in result.output


def test_produce_rejects_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["produce", "--topic", "t", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_message_key_is_the_seller_id() -> None:
    assert event_key(example("listing_created.json"), "seller_id") == b"S-42"
    assert event_key(b"not json", "seller_id") is None
    assert event_key(b"[1]", "seller_id") is None
    assert event_key(b'{"seller_id": 5}', "seller_id") is None


def test_read_lines_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"a": 1}\n\n  \n{"b": 2}\r\n')
    with path.open("rb") as source:
        assert list(read_lines(source)) == [b'{"a": 1}', b'{"b": 2}']


def test_pacer_spaces_messages() -> None:
    pacer = Pacer(1000.0)
    assert pacer.interval == pytest.approx(0.001)
    assert Pacer(None).interval == 0.0


def test_alert_block_shows_severity_seller_score_and_reasons() -> None:
    console = Console(record=True, width=200)
    render_alert(orjson.loads(example("alert.json")), console)
    text = console.export_text()
    assert "CRITICAL" in text
    assert "seller S-42" in text
    assert "listing L-1001" in text
    assert "score 91.0" in text
    assert "price_far_below_reference: Price 1299 CNY is 4% of the 32000 CNY reference" in text
    assert "new_seller_bulk_branded_stock" in text
    assert "a-3f9d0c1e" in text


def test_json_mode_prints_the_alert_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    raw = example("alert.json").strip()
    assert print_alert(raw, True, Console()) is not None
    assert capsys.readouterr().out == raw.decode() + "\n"


def test_non_alert_messages_are_skipped_not_fatal() -> None:
    console = Console(record=True, width=200)
    assert print_alert(b"garbage", False, console) is None
    assert "not a JSON alert" in console.export_text()


def test_alert_text_cannot_reach_the_terminal_as_control_sequences() -> None:
    out = Console(record=True, width=200)
    render_alert(
        {
            "severity": "high",
            "level": "listing",
            "seller_id": "S\x1b[2J",
            "reasons": [{"rule": "r", "score": 1, "message": "title \u202eevil\x07"}],
        },
        out,
    )
    text = out.export_text()
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "S\\x1b[2J" in text
    assert "title \\u202eevil\\x07" in text
