"""Buyer maps and seller networks: ``buyers``, ``buyer``, ``network``, ``networks``.

Scraped text (usernames, comments) is printed through rich ``Text`` objects, never as markup, so a comment like
``[link=...]`` prints as itself; the parts of a comment that name a product or a shop are highlighted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from db.buyers import TargetNotFound, bought_by, buyers_of
from db.network_runs import list_networks, network_of
from gigscan.app import DEFAULT_DB, DbOption, app, console, fail
from gigscan.commands.store import open_existing

JsonOption = Annotated[bool, typer.Option("--json", help="JSON on stdout (for scripts).")]
RefreshOption = Annotated[bool, typer.Option("--refresh", help="Recompute the networks even if nothing changed.")]


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _answer(db: Path, query: Callable[[sqlite3.Connection, str], dict[str, Any]], name: str,
            as_json: bool) -> dict[str, Any] | None:  # fmt: skip
    """Run a buyer-map query; print it as JSON (and return None) when asked; exit 1 when nothing answers."""
    with open_existing(db) as store:
        try:
            found = query(store.conn, name)
        except TargetNotFound as exc:
            fail(str(exc), 1)
    if as_json:
        _print_json(found)
        return None
    return found


def highlighted(comment: str | None, found: list[dict[str, Any]]) -> Text:
    """The comment with its product/shop/platform mentions in bold yellow."""
    text = Text(comment or "")
    for mention in found:
        text.stylize("bold yellow", mention["start"], mention["end"])
    return text


@app.command()
def buyers(
    target: Annotated[str, typer.Argument(help="A seller's username, or a listing's URL or id.")],
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, help="Most buyers shown (JSON: all).")] = 50,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Who bought from a seller or listing: when, how much, what they wrote. Buyers who also bought from other
    sellers of flagged listings come first (buyers of fake reviews come back)."""
    found = _answer(db, buyers_of, target, as_json)
    if found is None:
        return
    stated = found["stated"]
    shown = f"{found['reviews']} review(s) stored" + (
        f"; the latest page states {stated['total_count']} in all" if stated.get("total_count") else "")
    table = Table(title=Text(f"buyers of {target} ({len(found['buyers'])}; {shown})"), show_lines=True)
    for column in ("#", "buyer", "review sellers", "date", "stars", "price", "comment"):
        table.add_column(column, overflow="fold")
    for rank, entry in enumerate(found["buyers"][:limit], 1):
        for n, review in enumerate(entry["reviews"]):
            first = n == 0
            table.add_row(str(rank) if first else "", Text(entry["buyer"]) if first else "",
                          str(entry["review_sellers"]) if first else "", Text((review["created_at"] or "")[:10]),
                          "" if review["stars"] is None else f"{review['stars']:g}", Text(review["price_range"] or ""),
                          highlighted(review["comment"], review["mentions"]))  # fmt: skip
    console.print(table)


@app.command()
def buyer(
    name: Annotated[str, typer.Argument(help="A buyer's username (as on their reviews).")],
    as_json: JsonOption = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Every seller a buyer bought from, with dates; sellers with flagged listings first."""
    found = _answer(db, bought_by, name, as_json)
    if found is None:
        return
    table = Table(title=Text(f"{found['buyer']} bought from {len(found['sellers'])} seller(s), "
                             f"{found['review_sellers']} of them flagged"), show_lines=True)  # fmt: skip
    for column in ("seller", "flagged", "date", "price", "listing", "comment"):
        table.add_column(column, overflow="fold")
    for entry in found["sellers"]:
        for review in entry["reviews"]:
            table.add_row(Text(f"{entry['marketplace']}:{entry['seller']}"), "yes" if entry["flagged"] else "",
                          Text((review["created_at"] or "")[:10]), Text(review["price_range"] or ""),
                          Text(review["listing_title"] or review["listing"] or ""),
                          highlighted(review["comment"], review["mentions"]))  # fmt: skip
    console.print(table)


def _print_network(network: dict[str, Any]) -> None:
    names = ", ".join(f"{a['marketplace']}:{a['username']}" for a in network["accounts"])
    title = f"network {network['network']}: {network['size']} account(s)" if network["network"] else "no network"
    console.print(Text(f"{title} [{', '.join(network['marketplaces'])}]: {names}", style="bold"))
    for link in network["links"] or network.get("weak_links", []):
        console.print(Text(f"  {link['a']} -- {link['b']}: {link['kind']} ({link['strength']:g}) {link['reason']}"))


@app.command()
def network(
    username: Annotated[str, typer.Argument(help="An account's username (any marketplace).")],
    as_json: JsonOption = False,
    refresh: RefreshOption = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """The network an account belongs to, with the reason for every link."""
    with open_existing(db, upgrade=True) as store:  # stores its computation
        found = network_of(store, username, refresh)
    if not found:
        fail(f"no stored account named {username!r}", 1)
    if as_json:
        _print_json(found)
        return
    for item in found:
        _print_network(item)


@app.command()
def networks(
    min_size: Annotated[int, typer.Option("--min-size", min=2, help="Only networks of this many accounts.")] = 2,
    as_json: JsonOption = False,
    refresh: RefreshOption = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Accounts that are one operation (shared contacts, copied listings, name variants, shared buyers),
    largest network first, each link with its kind, strength and reason."""
    with open_existing(db, upgrade=True) as store:  # stores its computation
        found = list_networks(store, min_size, refresh)
    if as_json:
        _print_json(found)
        return
    if not found:
        console.print("no networks")
    for item in found:
        _print_network(item)
