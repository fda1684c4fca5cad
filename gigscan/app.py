"""The typer application object and the few helpers every command shares.

Commands live in ``gigscan/commands/<topic>.py`` and register themselves on :data:`app`;
``gigscan.cli`` imports them all. Keep commands thin: parse, call a library function, print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from db.store import DEFAULT_PATH

app = typer.Typer(
    name="gigscan",
    help="Find sellers of fake reviews on freelance marketplaces and keep the evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

DEFAULT_DB = DEFAULT_PATH

DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar="GIGSCAN_DB",
        help="The evidence store (SQLite file). Env: GIGSCAN_DB.",
        show_default=True,
    ),
]


def default_db() -> Path:
    return Path(os.environ.get("GIGSCAN_DB", DEFAULT_DB))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line on stderr and exit: 2 = bad usage or bad input (see ARCHITECTURE.md)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)
