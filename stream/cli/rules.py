"""``listing-monitor rules``: validate and inspect rules configurations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stream.cli._common import console, fail
from stream.rules import DEFAULT_RULES_FILE, RulesConfigError, load_rules

rules_app = typer.Typer(help="Validate and inspect rules configurations.", no_args_is_help=True)


@rules_app.command("check")
def check(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE", help="Rules file (TOML); default: the bundled stream/data/rules.toml."
        ),
    ] = None,
) -> None:
    """Validate a rules file and report every problem; exit 1 when it is invalid."""
    path = file or DEFAULT_RULES_FILE
    try:
        rules = load_rules(path)
    except RulesConfigError as exc:
        fail(str(exc))
    console.print(
        f"[green]ok[/] {path}: version {rules.version}, {len(rules.catalog)} catalog entries, "
        f"{len(rules.brands)} brands, {len(rules.vocabulary.terms)} vocabulary terms, "
        f"{len(rules.currency_rates)} currencies",
        highlight=False,
    )
