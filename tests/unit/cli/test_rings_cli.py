"""``listing-monitor rings``: what it prints from a worker's ring pages, and its errors.

A small HTTP server stands in for the worker's web server here (the pages
themselves are tested against a real worker in tests/integration/test_rings.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from stream.cli import app
from stream.devtools.processes import free_port

runner = CliRunner()
HOSTILE = "[bold]evil[/bold]\x1b[31m"
RING = {
    "ring_id": "ring-0123456789abcdef",
    "risk_score": 88.0,
    "severity": "high",
    "members": 2,
    "flagged_members": 1,
    "provinces": 2,
    "links": "1 phone",
    "large": False,
    "since": 1_790_000_000,
}
SHOWN = {
    **RING,
    "created_at": "2026-11-22T12:00:00Z",
    "member_list": [
        {"seller_id": HOSTILE, "risk_score": 93.0, "band": 3, "province": "CN/Fujian"},
        {"seller_id": "S2", "risk_score": 0.0, "band": 0, "province": None},
    ],
    "link_list": [
        {"kind": "phone", "strength": "hard", "identifier": "ph-1", "members": [HOSTILE, "S2"]}
    ],
    "merged_ring_ids": ["ring-fedcba9876543210"],
    "history": [[1_790_000_100, "merged", "ring-fedcba9876543210"]],
    "merged_into": None,
}
PAGES: dict[str, tuple[int, Any]] = {
    "/rings?limit=50": (200, {"rings": [RING]}),
    "/rings/ring-0123456789abcdef": (200, SHOWN),
    "/rings/ring-fedcba9876543210": (
        200,
        {
            "ring_id": "ring-fedcba9876543210",
            "merged_into": "ring-0123456789abcdef",
            "current_ring_id": "ring-0123456789abcdef",
            "dissolved": False,
            "history": [[1_790_000_100, "merged_into", "ring-0123456789abcdef"]],
        },
    ),
    "/rings/supernodes": (
        200,
        {"supernodes": [{"kind": "return_address", "identifier": "ra-9", "fanout": 412}]},
    ),
}


class Worker(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = PAGES.get(self.path, (404, {"error": "no such ring"}))
        if self.path == "/rings/ring-busy":
            status, body = (
                503,
                {"error": "this worker is recovering the ring tables; retry shortly"},
            )
        raw = orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@pytest.fixture
def worker() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Worker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def rings(*args: str) -> Any:
    return runner.invoke(app, ["rings", *args], env={"COLUMNS": "200"})


def test_list_shows_each_ring_with_its_figures(worker: str) -> None:
    result = rings("list", "--url", worker)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "ring-0123456789abcdef" in line)
    for figure in ("88", "high", "1 phone"):
        assert figure in line


def test_show_lists_members_links_and_history_escaping_what_sellers_control(worker: str) -> None:
    result = rings("show", "ring-0123456789abcdef", "--url", worker)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 members (1 flagged) in 2 provinces; linked by 1 phone" in out
    assert "[bold]evil[/bold]" in out  # printed as text, not taken as markup
    assert "\x1b" not in out  # no terminal control sequence from a seller id
    assert "evil[/bold]\\x1b[31m" in out  # shown, not obeyed
    for text in ("critical", "CN/Fujian", "ph-1"):
        assert text in out
    assert "2026-09-21 14:15:00Z merged ring-fedcba9876543210" in out


def test_show_of_a_merged_ring_names_the_ring_it_is_part_of_now(worker: str) -> None:
    result = rings("show", "ring-fedcba9876543210", "--url", worker)
    assert result.exit_code == 0, result.output
    assert "merged into ring-0123456789abcdef: now part of ring-0123456789abcdef" in result.output


def test_json_is_the_workers_json(worker: str) -> None:
    result = rings("show", "ring-0123456789abcdef", "--url", worker, "--json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == SHOWN


def test_supernodes_show_their_fan_out(worker: str) -> None:
    result = rings("supernodes", "--url", worker)
    assert result.exit_code == 0, result.output
    assert "return_address" in result.output
    assert "412" in result.output


def test_an_unknown_ring_a_busy_worker_and_no_worker_are_one_line_errors(worker: str) -> None:
    unknown = rings("show", "ring-nope", "--url", worker)
    assert unknown.exit_code == 1
    assert "no ring ring-nope" in unknown.output
    busy = rings("show", "ring-busy", "--url", worker)
    assert busy.exit_code == 1
    assert "recovering the ring tables" in busy.output
    nobody = rings("list", "--url", f"http://127.0.0.1:{free_port()}")
    assert nobody.exit_code == 1
    assert "no worker answers at" in nobody.output
    assert "Traceback" not in nobody.output
