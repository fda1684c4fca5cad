"""The typer application object and the few helpers every command shares.

Commands live in ``gigscan/commands/<topic>.py`` and register themselves on :data:`app`;
``gigscan.cli`` imports them all. Keep commands thin: parse, call a library function, print.

Conventions kept here for every command: ``-h``/``--help``, ``--version``, shell completion
(``--install-completion``), help that shows choices and defaults (click's metavars: ``TEXT``, ``[a|b]``, no
metavar for a flag), a usage error as ONE line on stderr with exit 2 (not typer's framed box), and a store that
cannot be opened (missing, a directory, corrupt, another program's SQLite file) as one line and exit 2.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text
from typer.core import TyperArgument, TyperGroup, TyperOption

from db.exports.exhibit import BIDI_CONTROLS
from db.store import DEFAULT_PATH
from gigscan import __version__

if TYPE_CHECKING:
    from db.store import Store

# Scraped text reaches the terminal in tables and messages. rich drops BEL, BS, VT, FF and CR from what it prints
# but passes ESC, the other controls and bidi overrides: a username "a\x1b[2K\x1b[1Gb" showed as "b" (another
# account's name), "\x1b[8m" hid text, OSC 52 could write the clipboard. Each is printed as a visible \uXXXX.
_UNSAFE = {c: f"\\u{c:04x}" for c in (*range(0x20), *range(0x7F, 0xA0), *BIDI_CONTROLS) if chr(c) not in "\t\n\r"}


class SafeConsole(Console):
    """A console whose printed text can never drive the terminal; its own styles and cursor moves still do."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Strings (a table's cells among them) are shown escaped before they are measured, so a row holding a
        control character keeps the table's columns aligned."""
        return super().render_str(text.translate(_UNSAFE), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(segment.text.translate(_UNSAFE), segment.style)
            for segment in buffer
        )


# soft_wrap: a line is never broken at the console's width (80 columns when piped), so a message stays one
# line and reads the same whatever the terminal's width or the length of a path in it.
console = SafeConsole(soft_wrap=True)
err_console = SafeConsole(stderr=True, soft_wrap=True)

DEFAULT_DB = DEFAULT_PATH  # the one default, shared with the crawl settings


def _one_line(message: str, hint: str | None = None) -> None:
    suffix = f" (see: {hint} -h)" if hint else ""
    err_console.print(f"[bold red]error:[/] {escape(message)}{escape(suffix)}", highlight=False)


class OneLineErrors(TyperGroup):
    """The root command: usage errors become one line on stderr; a store that is not one, too."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        argv = kwargs.get("args", args[0] if args else None)
        argv = list(sys.argv[1:] if argv is None else argv)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except typer.TyperException as exc:  # typer's click: UsageError, BadParameter, NoSuchOption...
            ctx = getattr(exc, "ctx", None)
            if not exc.format_message():  # no arguments: the help was shown instead of an error
                sys.exit(exc.exit_code)
            _one_line(exc.format_message().replace("\n", " "), ctx.command_path if ctx is not None else "gigscan")
            sys.exit(exc.exit_code)
        except typer.Abort:
            err_console.print("aborted")
            sys.exit(1)
        except sqlite3.DatabaseError as exc:  # a store damaged under a running command: still one line
            from db.access import io_hint

            hint = io_hint(exc)  # a full or failing disk: the store is not to be called damaged
            _one_line(f"the store cannot be read or written: {exc}{hint}" if hint else
                      f"the store cannot be read: {exc} (not a gigscan store, or damaged)")
            sys.exit(2)
        except OverflowError as exc:  # an ID or a limit typed beyond SQLite's integers
            if "SQLite INTEGER" not in str(exc):
                raise
            _one_line(f"a number is too large: {exc} (SQLite's integers end at {SQLITE_INT_MAX})")
            sys.exit(2)
        except UnicodeEncodeError as exc:
            if not _from_argv(exc, argv):
                raise
            _one_line(not_utf8(exc.object))
            sys.exit(2)
        sys.exit(rv if isinstance(rv, int) else 0)


def _from_argv(exc: UnicodeEncodeError, argv: list[str]) -> bool:
    """An argument's bytes that are not UTF-8 reach gigscan as lone surrogates (Python's surrogateescape), which
    SQLite and JSON cannot encode: a search, a review note or an export filter holding one was a traceback. Paths
    keep working (the file system takes the bytes back); text meets this error where it is stored or looked up.
    Only characters the command line holds are blamed on it: anything else is a bug to see whole."""
    if not isinstance(exc.object, str) or exc.reason != "surrogates not allowed":
        return False
    bad = exc.object[exc.start:exc.end]
    return any(bad in str(arg) for arg in argv)


def not_utf8(value: str) -> str:
    """The one line for an argument whose bytes are not UTF-8, showing them as bytes."""
    return (f"an argument holds bytes that are not UTF-8 text ({value.encode('utf-8', 'surrogateescape')!r}); "
            "give names, notes and queries in UTF-8")


# the largest integer SQLite stores: an ID or a limit beyond it was an OverflowError traceback (caught in main, so
# every integer option is covered and help shows no 19-digit range)
SQLITE_INT_MAX = 2**63 - 1

_PLAIN_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "int range": "INTEGER",
                "float range": "NUMBER", "path": "PATH", "file": "FILE", "directory": "DIR"}


def _plain_type(self: Any, ctx: Any) -> str | None:
    """Help's type column as a user reads it: ``TEXT``, ``INTEGER``, ``[csv|jsonl]``, ``TEXT...`` for a
    repeatable option, nothing for a flag (typer 0.29 shows ``<bool>``, ``<list[str]>``)."""
    if getattr(self, "is_flag", False):
        return None
    label = self.display_type(ctx).strip("<>")
    many = label.startswith("list[")
    if many:
        label = label[len("list["):-1]
    text = f"[{label}]" if "|" in label else _PLAIN_TYPES.get(label, label.upper())
    return text + ("..." if many else "")


TyperOption.display_type_rich = _plain_type  # type: ignore[method-assign]
TyperArgument.display_type_rich = _plain_type  # type: ignore[method-assign]


app = typer.Typer(
    name="gigscan",
    cls=OneLineErrors,
    help="Find sellers of fake reviews on freelance marketplaces and keep the evidence.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        console.print(f"gigscan {__version__}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_show_version, is_eager=True, help="Print gigscan's version and exit.")] = False,
) -> None:
    """Find sellers of fake reviews on freelance marketplaces and keep the evidence."""


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
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def open_db(path: Path, *, create: bool = False, upgrade: bool = True) -> Store:
    """The store at ``path``, or one line saying why it cannot be opened and exit 2. ``upgrade=False`` for a
    command that only reads: an older store is one line naming the command that upgrades it, and left as it is."""
    from db.access import StoreUnavailable, open_store

    try:
        return open_store(path, create=create, upgrade=upgrade)
    except StoreUnavailable as exc:
        fail(str(exc))
