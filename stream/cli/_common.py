"""Helpers shared by the CLI commands: settings loading and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from kafka.errors import KafkaError
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from stream.settings import Settings
from stream.topology.connection import KafkaConnection
from stream.topology.kafka_errors import explain, kafka_failures, probe_transport

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error in red on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    """Build ``Settings`` from the environment, or exit with a readable error."""
    try:
        return Settings()
    except ValidationError as exc:
        # the messages only: pydantic's own text would repeat the input, a password too
        problems = "; ".join(_problem(err["loc"], err["msg"]) for err in exc.errors())
        fail(f"invalid configuration: {problems}")


def _problem(location: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    if not location:  # a check across settings names its variables itself
        return message
    return f"LISTING_MONITOR_{'_'.join(str(part) for part in location).upper()}: {message}"


@contextmanager
def talking_to(kafka: KafkaConnection) -> Iterator[None]:
    """Run the block against ``kafka``; a Kafka failure ends the command with one
    sentence naming the cause and the setting to change (never a stack trace).

    The broker is first reached directly (and over TLS when configured), so an
    unreachable address or an untrusted certificate is reported at once.
    """
    problem = probe_transport(kafka)
    if problem is not None:
        fail(escape(problem))
    with kafka_failures() as seen:
        try:
            yield
        except KafkaError as exc:
            fail(escape(explain(exc, kafka, seen.exceptions)))


def printable(value: Any) -> str:
    """``value`` as text safe to print inside rich markup.

    Sellers control most of what the CLI prints (ids, titles, provinces): rich
    markup is escaped, and control and format characters (terminal escape
    sequences, bidirectional overrides) are shown as ``\\xNN`` / ``\\uNNNN``
    instead of being sent to the terminal.
    """
    text = str(value)
    if not text.isprintable():
        text = "".join(
            char
            if char.isprintable() or char == " "
            else (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
            for char in text
        )
    return escape(text)
