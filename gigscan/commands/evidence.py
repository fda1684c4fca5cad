"""Commands over the whole store: ``scan`` (rescan under the current ruleset), ``verify``, ``runs``; and the
evidence views: ``history`` (a seller's or listing's timeline), ``stats`` (takedowns), ``warc`` (WARC export)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from crawler.monitors import counters
from crawler.unattended import REASON
from db.checkpoint import (
    CheckpointError,
    append_checkpoint,
    default_checkpoints,
    default_key,
    read_checkpoints,
    trusted_key,
)
from db.exports.warc import select_captures, write_warc
from db.history import History, Timeline
from db.history import history as store_history
from db.runs import MONITORS_KEY, list_runs
from db.stats import human_duration, takedown_stats
from db.verify import Anchors
from gigscan import __version__
from gigscan.app import DEFAULT_DB, DbOption, app, console, err_console, fail, open_db
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
    with open_existing(db, upgrade=True) as store:  # writes verdicts: upgrades an older store first
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
    expect_head: Annotated[
        list[str],
        typer.Option("--expect-head", help="A head recorded earlier (64 hex): it must be in the log. Repeatable."),
    ] = [],  # noqa: B006
    checkpoints: Annotated[
        Path | None,
        typer.Option(help="Checkpoint file to check the log against (default: the store's, when it exists)."),
    ] = None,
    no_checkpoints: Annotated[
        bool, typer.Option("--no-checkpoints", help="Ignore the default checkpoint file.")
    ] = False,
    public_key: Annotated[
        str | None, typer.Option(help="Ed25519 public key (hex, or a file) the checkpoints are signed with.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Recompute the evidence log's hash chain, re-hash stored bodies, check every row outputs read, and check the
    log against heads recorded outside it (checkpoints, --expect-head). Exit 1 naming the first broken entry."""
    anchors = Anchors(heads={check_head(head) for head in expect_head})
    used = None if no_checkpoints else checkpoints or default_checkpoints(db)
    if checkpoints is not None and not checkpoints.is_file():
        fail(f"no checkpoint file at {checkpoints}")
    # A store wiped to zero bytes is opened all the same when checkpoints recorded it: that is a finding (exit 1)
    wiped = db.is_file() and db.stat().st_size == 0 and used is not None and used.is_file()
    with open_db(db, create=wiped, upgrade=False) as store:
        count = 0
        if used is not None and used.is_file():
            try:
                key = trusted_key(public_key, default_key(db))
            except (CheckpointError, OSError) as exc:
                fail(str(exc))
            try:
                found, recorded = read_checkpoints(used, key)
            except CheckpointError as exc:
                _print_verify_failure({"ok": False, "problem": str(exc), "kind": "checkpoint"}, as_json)
                raise typer.Exit(1) from None
            count = len(found)
            anchors.at, anchors.times = recorded.at, recorded.times
        result = store.verify(anchors)
    if not result.ok:
        _print_verify_failure(result.to_dict(), as_json)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "checkpoints": count}))
        return
    console.print(f"[green]intact[/]: {result.entries} log entries verified; head {result.head}", highlight=False)
    if result.anchors_checked:
        console.print(f"{result.anchors_checked} recorded head(s) found where they were recorded"
                      + (f" ({count} checkpoint(s) in {escape(str(used))})" if count else ""), highlight=False)
    else:
        err_console.print("note: no checkpoint or --expect-head to compare with; a log cut short or rebuilt from"
                          " scratch verifies too (see `gigscan checkpoint`)", highlight=False)


def check_head(text: str) -> str:
    head = text.strip().lower()
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        fail(f"--expect-head must be 64 hex digits, not {text!r}")
    return head


def _print_verify_failure(found: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(found))
        return
    where = f"at entry {found['broken_seq']} " if found.get("broken_seq") is not None else ""
    what = f"({found['kind']} {found.get('ref') or ''}): ".replace(" )", ")") if found.get("kind") else ""
    err_console.print(f"[red]BROKEN[/] {where}{escape(what)}{escape(str(found['problem']))}", highlight=False,
                      soft_wrap=True)


@app.command()
def checkpoint(
    checkpoints: Annotated[Path | None, typer.Option(help="Checkpoint file (default: beside the store).")] = None,
    key: Annotated[Path | None, typer.Option(help="Ed25519 signing key (created if missing).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Append the evidence log's head and length, signed, to a checkpoint file outside the store (every crawl
    does too); `gigscan verify` then fails if the log is later cut, rebuilt or wiped. Copy the file elsewhere."""
    target = checkpoints or default_checkpoints(db)
    with open_existing(db) as store:
        try:
            made = append_checkpoint(store.conn, db, target, key or default_key(db))
        except (CheckpointError, OSError) as exc:
            fail(f"cannot write checkpoint: {exc}")
    if as_json:
        typer.echo(json.dumps({**made.to_dict(), "file": str(target)}))
        return
    console.print(f"checkpoint: {made.entries} log entries, head {made.head}, at {made.at} -> "
                  f"{escape(str(target))}", highlight=False)


@app.command()
def migrate(db: DbOption = Path(DEFAULT_DB)) -> None:
    """Upgrade a store written by an older gigscan to this one's schema. Reading commands (serve, search, export,
    verify...) never write the store, so they ask for this first; a crawl, scan or review decision upgrades too."""
    import sqlite3
    from contextlib import closing

    from db.access import StoreUnavailable, check_store_path
    from db.schema import SCHEMA_VERSION

    try:
        check_store_path(db, create=False)
        with closing(sqlite3.connect(db)) as conn:
            before = conn.execute("PRAGMA user_version").fetchone()[0]
    except (StoreUnavailable, sqlite3.Error) as exc:
        fail(str(exc))
    with open_db(db, upgrade=True):
        pass
    if before == SCHEMA_VERSION:
        console.print(f"{escape(str(db))}: schema v{SCHEMA_VERSION}, already current", highlight=False)
    else:
        console.print(f"{escape(str(db))}: upgraded from schema v{before} to v{SCHEMA_VERSION}", highlight=False)


_TEXT_COLUMNS = ("run of", "status", "started")


@app.command()
def runs(
    limit: Annotated[int, typer.Option(min=1, help="Most recent runs to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """List crawl and scan runs: status, duration, pages, items, flags, blocked pages, errors, failed monitors."""
    with open_existing(db) as store:
        rows = list_runs(store, limit)
    for row in rows:
        row.update(counters(row["stats"]), flagged=row["flagged_listings"])  # listings, as `stats` counts
        row["monitors"] = [f.get("monitor") for f in row["stats"].get(MONITORS_KEY, [])]
        row["reason"] = row["stats"].get(REASON)
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    # A space between columns and no other rule, so the table stays whole at 80 columns; why a run
    # did not finish well goes under the table, one line each (`runs --json` has all of it).
    table = Table(title="runs", box=box.SIMPLE_HEAD, padding=0, show_edge=False)
    for column in ("id", "run of", "status", "started", "took", "pages", "items", "flagged", "blocked", "errors"):
        table.add_column(column, no_wrap=True, justify="left" if column in _TEXT_COLUMNS else "right")
    for row in rows:
        duration = row["duration_s"]
        table.add_row(
            str(row["id"]), row.get("spider") or row["kind"], row.get("status") or "running",
            str(row.get("started_at") or "")[:16].replace("T", " "), "" if duration is None else f"{duration:.0f}s",
            *(str(row[k]) for k in ("pages", "items", "flagged", "blocked", "errors")),
        )
    console.print(table)
    for row in rows:
        why = row["reason"] or ", ".join(row["monitors"])
        if why:
            console.print(f"run {row['id']}: {escape(_short(why, 200))}", highlight=False, overflow="fold")


@app.command()
def history(
    target: Annotated[str, typer.Argument(help="A username (any marketplace) or a listing URL.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Timeline of a seller or listing: first seen, each change (old -> new), verdicts, removal, reappearance.
    Exit 1 when the store knows neither."""
    with open_existing(db) as store:
        found = store_history(store, target)
    if found is None:
        if as_json:
            typer.echo("null")
        else:
            err_console.print(f"no seller or listing {escape(target)!r} in {db}", highlight=False)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(found.to_dict(), ensure_ascii=False, default=str))
        return
    print_history(found)


def print_history(found: History) -> None:
    if found.seller is not None:
        seller = found.seller.subject
        console.print(
            f"[bold]{escape(seller['username'])}[/] on {escape(seller['marketplace'])}  "
            f"{escape(seller.get('profile_url') or '')}  status {escape(seller.get('status') or 'active')}",
            highlight=False,
        )
        print_timeline(found.seller)
    for timeline in found.listings:
        listing = timeline.subject
        flag = "[red]flagged[/]" if listing.get("flagged") else "not flagged"
        console.print(
            f"\n[bold]{escape(listing.get('title') or '')}[/]  {flag}  status {escape(listing['status'])}\n"
            f"  {escape(listing.get('url') or '')}",
            highlight=False,
        )
        print_timeline(timeline)


def print_timeline(timeline: Timeline) -> None:
    table = Table(show_header=True, box=None, pad_edge=False)
    for column in ("when", "what", "details"):
        table.add_column(column, overflow="fold")
    for event in timeline.events:
        table.add_row(escape(str(event["at"] or "")), event["kind"], escape(event_details(event)))
    console.print(table)


def event_details(event: dict) -> str:
    """One line about a timeline event, for people (the JSON output has everything)."""
    kind = event["kind"]
    if kind == "changed":
        return "; ".join(
            f"{name}: {_short(old)} -> {_short(new)}" for name, (old, new) in event["changes"].items()
        ) + f" ({event['source']})"
    if kind == "verdict":
        rules = ", ".join(sorted({str(r["rule_id"]) for r in event["reasons"]}))
        state = f"flagged ({rules})" if event["flagged"] else "not flagged"
        which = "CURRENT" if event.get("current") else "earlier or other view"
        return (f"{which}: {state}, score {event['score']:.2f}, of the {event.get('source') or '?'} snapshot "
                f"{event['snapshot_id']}, ruleset {event['ruleset_version']}")
    if kind == "review":
        return f"{event['state']} by {event['reviewed_by']}" + (f": {event['note']}" if event.get("note") else "")
    if kind in ("removed", "reappeared"):
        status = f" (HTTP {event['http_status']})" if event.get("http_status") else ""
        return f"{event['reason']}{status}"
    return str(event.get("url") or "")


def _short(value: object, width: int = 60) -> str:
    text = " ".join(str(value).split()) if value is not None else "-"
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Takedowns per marketplace: flagged listings, still live, removed, median time from first flag to removal."""
    with open_existing(db) as store:
        figures = takedown_stats(store)
    if as_json:
        typer.echo(json.dumps([f.to_dict() for f in figures]))
        return
    table = Table(title="takedowns")
    for column in ("marketplace", "listings", "flagged", "still live", "removed", "reappeared", "flag -> removal"):
        table.add_column(column)
    for f in figures:
        table.add_row(
            escape(f.marketplace), str(f.listings), str(f.flagged), str(f.still_live), str(f.removed),
            str(f.reappeared), f"{human_duration(f.median_seconds_to_removal)} (median of {f.removed_after_flag})",
        )
    console.print(table)


@app.command()
def warc(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the .warc.gz file.")],
    username: Annotated[str | None, typer.Option(help="Only this seller (and their listings).")] = None,
    listing: Annotated[str | None, typer.Option(help="Only this listing URL.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every stored response, not only flagged ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts: the file and its count.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Export stored responses as WARC 1.1 (request/response records, original headers and times, warcinfo).
    Default: flagged listings and their sellers' pages."""
    if sum(x is not None for x in (username, listing)) + everything > 1:
        fail("choose one of --username, --listing, --all")
    if output.exists() and not output.is_dir():
        fail(f"--output must be a directory: {output}")
    with open_existing(db) as store:
        count = len(select_captures(store, username=username, listing=listing, flagged_only=not everything))
        if count == 0:
            fail("nothing stored matches; no WARC written", code=1)
        try:
            path = write_warc(store, output, username=username, listing=listing, flagged_only=not everything)
        except OSError as exc:
            fail(f"cannot write a WARC file in {output}: {exc.strerror or exc}")
    if as_json:
        typer.echo(json.dumps({"path": str(path), "pairs": count}))
        return
    console.print(f"wrote {count} request/response pair(s) to [bold]{escape(str(path))}[/]")
