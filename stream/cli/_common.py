"""Helpers shared by the CLI commands: settings loading and error reporting."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from stream.settings import Settings

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
        problems = "; ".join(
            f"LISTING_MONITOR_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        fail(f"invalid configuration: {problems}")


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
