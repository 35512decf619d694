"""``listing-monitor kafka ...``: run the local single-node Apache Kafka broker, and
print the ACLs a production cluster must grant."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from stream.cli._common import console, fail, load_settings, printable
from stream.devtools.local_kafka import LocalKafka, LocalKafkaError
from stream.topology.acls import all_grants, cli_grants, kafka_acls_command, worker_grants

kafka_app = typer.Typer(
    help=(
        "Run the local single-node Apache Kafka broker (KRaft) for development, the demo and tests."
    ),
    no_args_is_help=True,
)


def _say(message: str) -> None:
    """Print a progress message from ``LocalKafka`` (paths may contain brackets: no markup)."""
    console.print(message, markup=False, highlight=False)


def _local_kafka() -> LocalKafka:
    try:
        return LocalKafka(load_settings())
    except LocalKafkaError as exc:
        fail(str(exc))


def _print_log_line(line: str) -> None:
    console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


@kafka_app.command()
def start() -> None:
    """Start the broker in the background and wait until it answers.

    The first start downloads the Kafka jars with Maven (once) and formats the data
    directory. Starting a broker that already runs does nothing.
    """
    kafka = _local_kafka()
    try:
        bootstrap = kafka.start(_say)
    except LocalKafkaError as exc:
        fail(str(exc))
    console.print(f"[bold green]Kafka is up at {bootstrap}[/]")
    configured = os.environ.get("LISTING_MONITOR_KAFKA_BOOTSTRAP")
    if configured and configured != bootstrap:
        console.print(
            f"[yellow]note:[/] LISTING_MONITOR_KAFKA_BOOTSTRAP is set to {configured}, so the"
            " monitor will not use this broker; unset it or run:",
            highlight=False,
        )
    else:
        console.print("The monitor uses it by default; to be explicit:", highlight=False)
    console.print(f"  export LISTING_MONITOR_KAFKA_BOOTSTRAP={bootstrap}", highlight=False)


@kafka_app.command()
def stop() -> None:
    """Stop the broker gracefully (SIGTERM; SIGKILL after 30 s). Its data is kept."""
    kafka = _local_kafka()
    try:
        kafka.stop(_say)
    except LocalKafkaError as exc:
        fail(str(exc))


@kafka_app.command()
def status() -> None:
    """Print the broker's bootstrap address, or "not running" (exit code 1)."""
    kafka = _local_kafka()
    bootstrap = kafka.status()
    if bootstrap is not None:
        console.print(f"running at {bootstrap}", highlight=False)
        return
    if kafka.is_running():
        console.print(
            f"not running: the broker process is up but does not answer at {kafka.bootstrap}"
            f" (still starting, or unhealthy: see {kafka.log_path})",
            markup=False,
            highlight=False,
        )
    else:
        console.print("not running", highlight=False)
    raise typer.Exit(1)


@kafka_app.command()
def logs(
    lines: Annotated[
        int, typer.Option("--lines", "-n", min=0, help="How many of the last lines to show.")
    ] = 50,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Keep printing new lines as the broker writes them (Ctrl-C ends).",
        ),
    ] = False,
) -> None:
    """Show the end of the broker log (its stdout and stderr)."""
    kafka = _local_kafka()
    path = kafka.log_path
    if not path.exists():
        fail(f"there is no broker log yet at {path}; start the broker with `kafka start`")
    for line in kafka.tail_log(lines):
        _print_log_line(line)
    if not follow:
        return
    try:
        _follow(path)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def _follow(path: Path) -> None:
    """Print lines appended to ``path`` until interrupted, reopening it when it is rotated."""
    handle = path.open("rb")
    handle.seek(0, os.SEEK_END)
    pending = b""
    try:
        while True:
            chunk = handle.read()
            if chunk:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    _print_log_line(raw.decode("utf-8", errors="replace"))
                continue
            time.sleep(0.5)
            try:
                current = path.stat()
            except FileNotFoundError:
                continue
            if current.st_ino != os.fstat(handle.fileno()).st_ino:  # rotated: a new file
                handle.close()
                handle = path.open("rb")
                pending = b""
            elif current.st_size < handle.tell():  # truncated
                handle.seek(0)
                pending = b""
    finally:
        handle.close()


@kafka_app.command()
def acls(
    principal: Annotated[
        str, typer.Option(help="The Kafka principal to grant to, e.g. User:listing-monitor.")
    ] = "User:listing-monitor",
    who: Annotated[
        str,
        typer.Option(help="Whose grants: `worker`, `cli` or `all`."),
    ] = "all",
) -> None:
    """Print the kafka-acls.sh commands that grant the least the monitor needs.

    For the current settings (topic names, app id, bootstrap). Optional grants
    are printed commented out, with when they are needed.
    """
    settings = load_settings()
    choices = {"worker": worker_grants, "cli": cli_grants, "all": all_grants}
    if who not in choices:
        fail(f"--who must be one of {', '.join(choices)}, not {printable(who)}")
    lines = [
        "# run as a Kafka admin; add --command-config FILE (the admin's client properties) "
        "when the cluster needs authentication"
    ]
    for grant in choices[who](settings):
        command = kafka_acls_command(grant, principal, settings.bootstrap)
        lines.append(f"# {grant.user_of}: {grant.why}")
        lines.append(f"# optional: {command}" if grant.optional else command)
    for line in lines:  # names come from the settings: printed as they are, no markup
        console.print(line, markup=False, highlight=False, soft_wrap=True)
