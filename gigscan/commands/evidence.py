"""Commands over the whole store: ``scan`` (rescan under the current ruleset), ``verify``, ``runs``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gigscan import __version__
from gigscan.app import DEFAULT_DB, DbOption, app, console, err_console, fail
from gigscan.commands.store import open_existing
from matchers import Scanner, load_ruleset


@app.command()
def scan(
    rules: Annotated[Path | None, typer.Option(help="Ruleset TOML file (default: the bundled one).")] = None,
    marketplace: Annotated[str | None, typer.Option(help="Only this marketplace.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Re-apply the ruleset to every stored listing; new verdicts are added, older ones stay."""
    try:
        ruleset = load_ruleset(rules)
    except (OSError, ValueError) as exc:
        fail(f"cannot load ruleset: {exc}")
    scanner = Scanner(ruleset)
    with open_existing(db) as store:
        run_id = store.start_run("scan", None, {"rules": str(rules) if rules else None}, scanner.version, __version__)
        listings = store.iter_listings_for_scan(marketplace=marketplace)
        verdicts = ((row["id"], row["snapshot_id"], scanner.scan(row).to_dict()) for row in listings)
        changes = store.record_verdicts(run_id, scanner.version, verdicts)
        store.finish_run(run_id, "finished", changes.to_dict())
    summary = changes.to_dict()
    if as_json:
        typer.echo(json.dumps({"run_id": run_id, "ruleset_version": scanner.version, **summary}))
        return
    console.print(
        f"scanned {changes.checked} listing(s) with ruleset {scanner.version}: "
        f"{changes.verdicts_new} new verdict(s), {len(changes.newly_flagged)} newly flagged, "
        f"{len(changes.no_longer_flagged)} no longer flagged"
    )


@app.command()
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Recompute the evidence log's hash chain and re-hash stored bodies. Exit 1 naming the first broken entry."""
    with open_existing(db) as store:
        result = store.verify()
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    elif result.ok:
        console.print(f"[green]intact[/]: {result.entries} log entries verified; head {result.head}")
    else:
        err_console.print(
            f"[red]BROKEN[/] at entry {result.broken_seq} ({result.kind} {result.ref}): {result.problem}",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def runs(
    limit: Annotated[int, typer.Option(min=1, help="Most recent runs to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """List crawl and scan runs: status, duration and the main counters."""
    with open_existing(db) as store:
        rows = list(store.db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)))
    for row in rows:
        row["stats"] = json.loads(row.get("stats") or "{}")
        row["args"] = json.loads(row.get("args") or "{}")
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    table = Table(title="runs")
    for column in ("id", "kind", "spider", "status", "started", "pages", "items", "flagged", "blocked"):
        table.add_column(column)
    for row in rows:
        stats = row["stats"]
        table.add_row(
            str(row["id"]), row["kind"], row.get("spider") or "", row.get("status") or "running",
            str(row.get("started_at") or ""), str(stats.get("response_received_count", "")),
            str(stats.get("item_scraped_count", "")), str(stats.get("gigscan/flagged_items", "")),
            str(stats.get("gigscan/blocked", "")),
        )
    console.print(table)
