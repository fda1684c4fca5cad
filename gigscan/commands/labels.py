"""``gigscan labels export``: the analysts' decisions as labeled rows, to measure and check rulesets on.

``gigscan eval F.jsonl`` then measures a ruleset on the team's own decisions, and ``gigscan rules check
--examples F.jsonl`` fails when a ruleset change gets one of them wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from db.exports.files import ClobberError, atomic_text, store_files
from db.labels import labeled_rows
from gigscan.app import DEFAULT_DB, DbOption, app, console, fail
from gigscan.commands.store import open_existing

labels_app = typer.Typer(help="Labeled data from the analysts' decisions.", no_args_is_help=True)
app.add_typer(labels_app, name="labels")


@labels_app.command("export")
def labels_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON Lines file to write (dev.jsonl's format).",
                                         dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Write every confirmed (label 1) or dismissed (label 0) verdict's text, as stored, with who and when."""
    if output.exists() and not force:
        fail(f"{output} exists (pass --force to replace it)")
    with open_existing(db) as store:
        rows = list(labeled_rows(store))
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    _write_atomically(output, text, db)
    positives = sum(row["label"] for row in rows)
    console.print(f"{len(rows)} labeled rows ({positives} confirmed, {len(rows) - positives} dismissed) -> {output}",
                  highlight=False, markup=False)


def _write_atomically(path: Path, text: str, db: Path) -> None:
    """A reader never sees half a file, and ``--force`` never replaces the store or its checkpoints (it once
    replaced ``gigscan.db`` with the labels): the export writers' :func:`db.exports.files.atomic_text`."""
    try:
        with atomic_text(path, store_files(db)) as out:
            out.write(text)
    except ClobberError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
