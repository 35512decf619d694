"""``listing-monitor rings``: the rings a running worker keeps, from its web server."""

from __future__ import annotations

import sys
import urllib.parse
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from stream.cli._common import console, fail, load_settings, printable
from stream.topology.web_client import WorkerUnavailableError, get_json, worker_url

rings_app = typer.Typer(
    help=(
        "Rings of linked sellers, as a running worker keeps them (any worker of the "
        "group answers: the one that does not own the ring tables forwards the question)."
    ),
    no_args_is_help=True,
)

BAND_NAMES = {0: "-", 1: "medium", 2: "high", 3: "critical"}
SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow"}

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="A worker's web address (default: http://LISTING_MONITOR_WEB_HOST:_WEB_PORT).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the worker's JSON as it is.")]


def _ask(url: str | None, path: str) -> tuple[int, Any]:
    base = url or worker_url(load_settings())
    try:
        return get_json(base, path)
    except WorkerUnavailableError as exc:
        fail(str(exc))


def _listing(url: str | None, path: str, as_json: bool) -> Any | None:
    """The worker's answer to ``path``, or None once printed as JSON; exits on an error."""
    status, body = _ask(url, path)
    if status != 200:
        fail(f"the worker answered HTTP {status}: {body}")
    if as_json:
        _print_json(body)
        return None
    return body


def _print_json(body: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def _severity(value: Any) -> str:
    name = printable(value or "-")
    style = SEVERITY_STYLE.get(str(value))
    return f"[{style}]{name}[/]" if style else name


@rings_app.command("list")
def list_rings(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many rings.")] = 50,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """The rings, riskiest first: score, severity, members, provinces, links."""
    body = _listing(url, f"/rings?limit={limit}", as_json)
    if body is None:
        return
    rings = body.get("rings", [])
    if not rings:
        console.print("no rings yet", highlight=False)
        return
    table = Table("ring", "score", "severity", "members", "flagged", "provinces", "links")
    for ring in rings:
        table.add_row(
            printable(ring["ring_id"]) + (" [dim](large)[/]" if ring.get("large") else ""),
            f"{ring['risk_score']:.0f}",
            _severity(ring.get("severity")),
            str(ring["members"]),
            str(ring["flagged_members"]),
            str(ring["provinces"]),
            printable(ring["links"]),
        )
    console.print(table)


@rings_app.command("show")
def show_ring(
    ring_id: Annotated[str, typer.Argument(metavar="RING_ID", help="A ring id (ring-…).")],
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """One ring: members with score and province, links with their kind, merge history."""
    status, body = _ask(url, "/rings/" + urllib.parse.quote(ring_id, safe=""))
    if status == 404:
        fail(f"no ring {printable(ring_id)} (unknown to the worker, or expired)")
    if status != 200:
        fail(f"the worker answered HTTP {status}: {body}")
    if as_json:
        _print_json(body)
        return
    rid = printable(body["ring_id"])
    if body.get("merged_into") or body.get("dissolved"):
        now = body.get("current_ring_id")
        where = f"now part of {printable(now)}" if now else "no longer a ring"
        verb = (
            "merged into " + printable(body["merged_into"])
            if body.get("merged_into")
            else "dissolved"
        )
        console.print(f"ring {rid} was {verb}: {where}", highlight=False)
    else:
        console.print(
            f"ring [bold]{rid}[/]  score [bold]{body['risk_score']:.0f}[/]  "
            f"{_severity(body.get('severity'))}  {body['members']} members "
            f"({body['flagged_members']} flagged) in {body['provinces']} provinces; "
            f"linked by {printable(body['links'])}",
            highlight=False,
        )
        members = Table("member", "score", "band", "province")
        for member in body["member_list"]:
            members.add_row(
                printable(member["seller_id"]),
                f"{member['risk_score']:.0f}",
                BAND_NAMES.get(member["band"], str(member["band"])),
                printable(member["province"] or "?"),
            )
        console.print(members)
        links = Table("kind", "strength", "identifier", "members")
        for link in body["link_list"]:
            links.add_row(
                printable(link["kind"]),
                printable(link["strength"]),
                printable(link["identifier"]),
                ", ".join(printable(m) for m in link["members"]),
            )
        console.print(links)
        if body.get("merged_ring_ids"):
            merged = ", ".join(printable(r) for r in body["merged_ring_ids"])
            console.print(f"merged into it: {merged}", highlight=False)
    for entry in body.get("history", []):
        console.print(f"  [dim]{printable(_history_line(entry))}[/]", highlight=False)


def _history_line(entry: Any) -> str:
    """``[event time, what, other ring]`` as one line."""
    if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], int):
        at, what, other = entry
        when = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return f"{when} {what} {other}".rstrip()
    return str(entry)


@rings_app.command("supernodes")
def supernodes(url: UrlOption = None, as_json: JsonOption = False) -> None:
    """Identifiers shared by too many sellers to link anyone, with their fan-out."""
    body = _listing(url, "/rings/supernodes", as_json)
    if body is None:
        return
    found = body.get("supernodes", [])
    if not found:
        console.print("no super-node identifiers", highlight=False)
        return
    table = Table("kind", "identifier", "sellers")
    for node in found:
        table.add_row(printable(node["kind"]), printable(node["identifier"]), str(node["fanout"]))
    console.print(table)
