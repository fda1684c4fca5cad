"""``gigscan review``: the flags awaiting a decision, and ``confirm`` / ``dismiss`` to decide one.

A decision records who, when and why in the evidence log (:meth:`db.store.Store.review_verdict`); the verdict
itself never changes. Exports can then be limited to confirmed flags (``gigscan export --state confirmed``).
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from db.exports.flagged import reasons_text
from db.review import flag, pending, state_counts
from gigscan.app import DEFAULT_DB, DbOption, app, console, fail
from gigscan.commands.store import open_existing
from matchers import load_ruleset

review_app = typer.Typer(
    help="Review flags: list those awaiting a decision, confirm or dismiss them.", invoke_without_command=True
)
app.add_typer(review_app, name="review")

VerdictArgument = Annotated[int, typer.Argument(help="Verdict ID (from `gigscan review`).")]
NoteOption = Annotated[str, typer.Option("--note", help="Why: the reason for the decision (kept in the log).")]
ByOption = Annotated[
    str | None,
    typer.Option("--by", envvar="GIGSCAN_REVIEWER", help="Who decides (default: $GIGSCAN_REVIEWER or your login)."),
]


@review_app.callback()
def review_list(
    ctx: typer.Context,
    marketplace: Annotated[str | None, typer.Option(help="Only this marketplace.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Most flags to list.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """List listings awaiting a decision: suspects first (scored short of a flag), then flags, highest score
    first, with the verdict ID to review."""
    ctx.obj = db
    if ctx.invoked_subcommand is not None:
        return
    suspect_at = load_ruleset().suspect_threshold
    with open_existing(db) as store:
        rows = pending(store, marketplace=marketplace, limit=limit, suspect_at=suspect_at)
        counts = state_counts(store)
    for row in rows:
        row["reasons"] = json.loads(row["reasons"] or "[]")
    if as_json:
        typer.echo(json.dumps({"counts": counts, "pending": rows}, ensure_ascii=False, default=str))
        return
    table = Table(title=f"flags awaiting review ({counts['new']})")
    for column in ("verdict", "grade", "marketplace", "seller", "score", "status", "title", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["verdict_id"]), row["grade"], escape(row["marketplace"]), escape(row["username"]),
            f"{row['score']:.2f}",
            escape(row["status"] or ""), escape(row["title"] or ""), escape(reasons_text(row["reasons"])[:160]),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"{counts['confirmed']} confirmed, {counts['dismissed']} dismissed. "
        "Decide with: gigscan review confirm|dismiss VERDICT --note TEXT",
        highlight=False,
    )


def _decide(ctx: typer.Context, verdict_id: int, state: str, note: str, by: str | None, db: Path,
            as_json: bool = False) -> None:
    source = ctx.get_parameter_source("db")
    if (source is None or source.name == "DEFAULT") and ctx.obj is not None:
        db = ctx.obj  # `gigscan review --db X confirm ...`
    if not note.strip():
        fail("--note must say why")
    reviewer = (by or os.environ.get("GIGSCAN_REVIEWER") or getpass.getuser()).strip()
    if not reviewer:
        fail("--by must name who decides")
    with open_existing(db, upgrade=True) as store:
        found = flag(store, verdict_id)
        if found is None:
            fail(f"no verdict with id {verdict_id} (see `gigscan review` for the IDs)")
        suspect_at = load_ruleset().suspect_threshold
        if not found["flagged"] and (suspect_at is None or (found["score"] or 0) < suspect_at):
            fail(f"verdict {verdict_id} neither flagged nor graded its listing suspect; only those are reviewed")
        decision = store.review_verdict(verdict_id, state, note.strip(), reviewer)
    if as_json:
        typer.echo(json.dumps({"verdict_id": verdict_id, "username": found["username"],
                               "marketplace": found["marketplace"], "title": found["title"], "state": state,
                               "reviewed_by": decision["reviewed_by"], "reviewed_at": decision["reviewed_at"],
                               "note": note.strip()}, ensure_ascii=False, default=str))
        return
    console.print(
        f"verdict {verdict_id} ({escape(found['username'])} on {escape(found['marketplace'])}: "
        f"{escape(found['title'] or '')}) {state} by {escape(decision['reviewed_by'])} at {decision['reviewed_at']}",
        highlight=False,
    )


def _decision_command(state: str, doc: str) -> Callable[..., None]:
    """A ``review`` subcommand that records ``state``: confirm and dismiss take the same arguments."""

    def command(
        ctx: typer.Context,
        verdict_id: VerdictArgument,
        note: NoteOption,
        by: ByOption = None,
        db: DbOption = Path(DEFAULT_DB),
        as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    ) -> None:
        _decide(ctx, verdict_id, state, note, by, db, as_json)

    command.__doc__ = doc
    return command


confirm = review_app.command("confirm")(
    _decision_command("confirmed", "Confirm a flag: the listing does sell fake reviews.")
)
dismiss = review_app.command("dismiss")(
    _decision_command(
        "dismissed",
        """Dismiss a flag (a false positive). It stays dismissed for this ruleset version, even if the listing's
    text changes; a later ruleset may flag it again.""",
    )
)
