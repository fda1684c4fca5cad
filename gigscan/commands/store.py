"""Commands that read the evidence store: ``search``, ``export``; and the flagged-sellers table."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.table import Table

from db.export import flagged_rows, write_csv, write_jsonl
from db.search import search_sellers
from db.store import Store
from gigscan.app import DEFAULT_DB, DbOption, app, console, fail

WRITERS = {"csv": write_csv, "jsonl": write_jsonl}


def open_existing(db: Path) -> Store:
    if not db.is_file():
        fail(f"no store at {db} (run `gigscan crawl` first, or pass --db)")
    return Store(str(db))


def print_flagged_sellers(db: Path, run_id: int | None = None) -> None:
    """A table of sellers with flagged listings: the analyst's first look after a crawl."""
    with open_existing(db) as store:
        by_seller: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in flagged_rows(store):
            by_seller[(row["marketplace"], row["username"])].append(row)
    table = Table(title=f"flagged sellers ({len(by_seller)})")
    for column in ("marketplace", "username", "flagged listings", "top score", "example title"):
        table.add_column(column, overflow="fold")
    ranked = sorted(by_seller.items(), key=lambda kv: -max(r["score"] for r in kv[1]))
    for (marketplace, username), rows in ranked:
        best = max(rows, key=lambda r: r["score"])
        table.add_row(marketplace, username, str(len(rows)), f"{best['score']:.2f}", best["title"][:70])
    console.print(table)


@app.command()
def search(
    username: Annotated[str, typer.Argument(help="Username to look for (any marketplace).")],
    fuzzy: Annotated[
        bool, typer.Option("--fuzzy", help="Also find similar usernames and ban-evasion variants.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Most hits to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Look up a seller: their listings, flagged state, first and last seen. Exit 1 when nothing matches."""
    with open_existing(db) as store:
        hits = search_sellers(store, username, fuzzy=fuzzy, limit=limit)
    if as_json:
        typer.echo(json.dumps([hit_dict(h) for h in hits], ensure_ascii=False, default=str))
    else:
        print_hits(hits)
    if not hits:
        raise typer.Exit(1)


def hit_dict(hit: Any) -> dict[str, Any]:
    return hit.to_dict() if hasattr(hit, "to_dict") else dict(hit)


def print_hits(hits: list[Any]) -> None:
    if not hits:
        console.print("no matching seller")
        return
    for hit in map(hit_dict, hits):
        seller = hit["seller"]
        console.print(
            f"[bold]{seller['username']}[/] on {seller['marketplace']}  "
            f"({hit['match']}, score {hit['score']:.0f})  {seller.get('profile_url') or ''}",
            highlight=False,
        )
        console.print(f"  first seen {seller.get('first_seen')}  last seen {seller.get('last_seen')}", highlight=False)
        table = Table(show_lines=False)
        for column in ("flagged", "score", "status", "title", "url", "first seen", "last seen"):
            table.add_column(column, overflow="fold")
        for listing in hit["listings"]:
            table.add_row(
                "[red]yes[/]" if listing.get("flagged") else "no",
                f"{listing.get('score') or 0:.2f}",
                str(listing.get("status") or ""),
                listing.get("title") or "",
                listing.get("url") or "",
                str(listing.get("first_seen") or ""),
                str(listing.get("last_seen") or ""),
            )
        console.print(table)


@contextmanager
def output_stream(output: Path | None) -> Iterator[TextIO]:
    if output is None or str(output) == "-":
        yield sys.stdout
        return
    if output.is_dir():
        fail(f"--output is a directory: {output}")
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as fh:
        yield fh


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl.")] = "csv",  # noqa: A002
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    marketplace: Annotated[str | None, typer.Option(help="Only this marketplace.")] = None,
    username: Annotated[str | None, typer.Option(help="Only this seller.")] = None,
    min_score: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Only verdicts scoring at least this.")
    ] = None,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Export flagged listings: marketplace, username, profile URL, listing URL, title, score, reasons, seen."""
    writer = WRITERS.get(format)
    if writer is None:
        fail(f"unknown --format {format!r}; choose from {', '.join(WRITERS)}")
    with open_existing(db) as store, output_stream(output) as fh:
        count = writer(flagged_rows(store, marketplace=marketplace, username=username, min_score=min_score), fh)
    if output is not None and str(output) != "-":
        console.print(f"wrote {count} flagged listing(s) to [bold]{output}[/]")
