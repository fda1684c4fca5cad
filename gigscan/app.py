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
from rich.text import Text

app = typer.Typer(
    name="gigscan",
    help="Find sellers of fake reviews on freelance marketplaces and keep the evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

DEFAULT_DB = "gigscan.db"

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
    """Print one clear line on stderr and exit: 2 = bad usage or bad input (see ARCHITECTURE.md).

    ``message`` is printed as plain text: it often quotes what the user typed or a page held, and ``[/x]`` in it
    must neither crash rich nor turn into markup."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)
