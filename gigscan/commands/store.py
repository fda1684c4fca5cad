"""Commands that read the evidence store: ``search``, ``export``; and the flagged-sellers table.

Every scraped string printed here goes through :func:`rich.markup.escape`: a username like ``[link=...]`` must
print as itself, not as console markup.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.markup import escape
from rich.table import Table

from db.checkpoint import log_head
from db.exports.exhibit import exhibit_sellers, write_exhibit_csv, write_exhibit_text
from db.exports.files import ClobberError, atomic_path, atomic_text, store_files
from db.exports.flagged import flagged_rows, safe_filename, write_csv, write_jsonl
from db.exports.network import write_exhibit_by_network, write_gexf_export, write_network_html
from db.exports.report import write_html
from db.review import STATE_FILTERS
from db.search import HIT_LIMIT, MIN_SCORE, SellerHit, search_many
from db.store import Store
from gigscan import __version__
from gigscan.app import DEFAULT_DB, DbOption, app, console, err_console, fail, open_db

TEXT_FORMATS = ("csv", "jsonl", "html", "exhibit", "exhibit-csv", "network", "gexf")
FILE_FORMATS = {"xlsx": "xlsx", "bundle": "zip"}  # binary: written to a file, never stdout
FORMATS = (*TEXT_FORMATS, *FILE_FORMATS)
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(\S+)")


def open_existing(db: Path, *, upgrade: bool = False) -> Store:
    """An existing store, or one line saying why not (missing, a directory, corrupt, foreign, an older schema)
    and exit 2. Reading commands never write the store, so an older schema is upgraded only for a command that
    writes (``upgrade=True``: scan, review decisions, networks) or by ``gigscan migrate``."""
    return open_db(db, upgrade=upgrade)


def print_flagged_sellers(db: Path, run_id: int | None = None) -> None:
    """A table of sellers with flagged listings (dismissed flags left out): the analyst's first look.

    With ``run_id``, only the flagged listings that run saw: a crawl's summary shows its own findings."""
    with open_existing(db) as store:
        by_seller: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for row in flagged_rows(store, run_id=run_id):
            by_seller[(row["marketplace"], row["username"])].append(row)
    scope = f" seen in run {run_id}" if run_id is not None else ""
    table = Table(title=f"flagged sellers{scope} ({len(by_seller)})")
    for column in ("marketplace", "username", "flagged listings", "top score", "example title"):
        table.add_column(column, overflow="fold")
    ranked = sorted(by_seller.items(), key=lambda kv: -max(r["score"] for r in kv[1]))
    for (marketplace, username), rows in ranked:
        best = max(rows, key=lambda r: r["score"])
        table.add_row(
            escape(marketplace), escape(username), str(len(rows)), f"{best['score']:.2f}", escape(best["title"][:70])
        )
    console.print(table)


# -- search ---------------------------------------------------------------------------------------------------


def read_names(path: str) -> list[str]:
    """Usernames from a file (``-`` = stdin): one per line, or numbered (``12. name ...``, as in an exhibit),
    or a CSV whose header has a ``username`` column (gigscan's exhibit CSV). Blank and ``#`` lines are skipped."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    lines = text.splitlines()
    header = next(csv.reader(lines[:1]), [])
    if len(header) > 1 and "username" in header:
        column = header.index("username")
        return [row[column].strip() for row in csv.reader(lines[1:]) if len(row) > column and row[column].strip()]
    names = []
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        numbered = _NUMBERED.match(stripped)
        names.append(numbered.group(1) if numbered else stripped)
    return names


@app.command()
def search(
    username: Annotated[str | None, typer.Argument(help="Username to look for (any marketplace).")] = None,
    from_file: Annotated[
        str | None,
        typer.Option("--from-file", help="File of usernames, one per line (or an exhibit list); - = stdin."),
    ] = None,
    fuzzy: Annotated[
        bool, typer.Option("--fuzzy", help="Also find ban-evasion variants and similar usernames.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Most hits per name.")] = HIT_LIMIT,
    marketplace: Annotated[str | None, typer.Option(help="Only this marketplace.")] = None,
    min_score: Annotated[float, typer.Option(
        "--min-score", min=0.0, max=1.0, help="Least similarity of a fuzzy hit, 0-1 (the scale of every score).")
    ] = MIN_SCORE / 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Look up sellers: their listings, flagged state, first and last seen, live or removed.

    Exact and case-insensitive matches come first; with --fuzzy, then variants (separators, digits,
    digit-for-letter swaps), doubled letters and similar spellings, each with its match kind and score.
    Exit 1 when nothing matches."""
    if (username is None) == (from_file is None):
        fail("give a USERNAME or --from-file, not both or neither")
    if username is not None and not username.strip():
        fail("the USERNAME to search for is empty")
    names = read_names(from_file) if from_file is not None else [username or ""]
    with open_existing(db) as store:  # the store's similarity runs 0-100; users see 0-1 like every other score
        results = search_many(store, names, fuzzy=fuzzy, limit=limit, marketplace=marketplace,
                              min_score=min_score * 100)
    if from_file is None:
        hits = results[0][1]
        if as_json:
            typer.echo(json.dumps([hit_json(hit) for hit in hits], ensure_ascii=False, default=str))
        else:
            print_hits(hits)
    elif as_json:
        payload = [{"query": name, "hits": [hit_json(hit) for hit in hits]} for name, hits in results]
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        print_name_list(results)
    if not any(hits for _, hits in results):
        raise typer.Exit(1)


def hit_json(hit: SellerHit) -> dict[str, Any]:
    """A hit for scripts, its similarity on the 0-1 scale of every gigscan score."""
    return {**hit.to_dict(), "score": round(hit.score / 100, 3)}


def print_hits(hits: list[SellerHit]) -> None:
    if not hits:
        console.print("no matching seller")
        return
    for hit in hits:
        seller = hit.seller
        how = f", {', '.join(hit.how)}" if hit.how else ""
        state = "[red]flagged[/]" if hit.flagged_listings else "not flagged"
        console.print(
            f"[bold]{escape(seller['username'])}[/] on {escape(seller['marketplace'])}  "
            f"({hit.match}{how}; score {hit.score / 100:.2f})  {state}  {escape(seller.get('profile_url') or '')}",
            highlight=False,
        )
        console.print(
            f"  first seen {seller.get('first_seen')}  last seen {seller.get('last_seen')}  "
            f"{hit.live_listings} of {len(hit.listings)} listing(s) live",
            highlight=False,
        )
        table = Table(show_lines=False)
        for column in ("flagged", "score", "status", "title", "url", "first seen", "last seen"):
            table.add_column(column, overflow="fold")
        for listing in hit.listings:
            status = listing.get("status") or ""
            if status == "removed":
                status = f"removed {listing.get('removed_at') or ''}"
            table.add_row(
                "[red]yes[/]" if listing.get("flagged") else "no",
                f"{listing.get('score') or 0:.2f}",
                escape(status),
                escape(listing.get("title") or ""),
                escape(listing.get("url") or ""),
                str(listing.get("first_seen") or ""),
                str(listing.get("last_seen") or ""),
            )
        console.print(table)


def print_name_list(results: list[tuple[str, list[SellerHit]]]) -> None:
    """One row per hit of each name (names without a hit get one row saying so), then how many matched."""
    table = Table(title="names checked")
    for column in ("name", "seller", "marketplace", "match", "score", "flagged", "live", "first seen", "last seen"):
        table.add_column(column, overflow="fold")
    for name, hits in results:
        if not hits:
            table.add_row(escape(name), "[dim]no match[/]", "", "", "", "", "", "", "")
        for hit in hits:
            seller = hit.seller
            how = f" ({', '.join(hit.how)})" if hit.how else ""
            table.add_row(
                escape(name),
                escape(seller["username"]),
                escape(seller["marketplace"]),
                hit.match + how,
                f"{hit.score / 100:.2f}",
                f"{hit.flagged_listings}/{len(hit.listings)}",
                f"{hit.live_listings}/{len(hit.listings)}",
                str(seller.get("first_seen") or ""),
                str(seller.get("last_seen") or ""),
            )
    console.print(table)
    matched = sum(1 for _, hits in results if hits)
    console.print(f"{matched} of {len(results)} name(s) matched a seller", highlight=False)


# -- export ---------------------------------------------------------------------------------------------------


@contextmanager
def output_stream(output: Path | None, inputs: list[Path]) -> Iterator[TextIO]:
    """stdout, or a file written whole or not at all (:func:`db.exports.files.atomic_text`), never over an input."""
    if output is None or str(output) == "-":
        yield sys.stdout
        return
    if output.is_dir():
        fail(f"--output is a directory: {output}")
    try:
        with atomic_text(output, inputs) as fh:
            yield fh
    except ClobberError as exc:
        fail(str(exc))
    except OSError as exc:  # a directory that cannot be made or written, a full disk: one line, not a traceback
        fail(f"cannot write {output}: {exc.strerror or exc}")


def _filters_text(filters: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None) or "none (all open flags)"


def _preamble(filters: dict[str, Any], head: tuple[int, str]) -> list[str]:
    return [f"gigscan {__version__}, exported {datetime.now(UTC).isoformat(timespec='seconds')}",
            f"filters: {_filters_text(filters)}", f"evidence log: {head[0]} entries, head {head[1]}"]


def _exhibit_by_network(store: Store, filters: dict[str, Any], fh: TextIO) -> int:
    preamble = _preamble(filters, log_head(store.conn))
    return write_exhibit_by_network(store, flagged_rows(store, **filters), fh, preamble=preamble)


_NOUNS = {"network": "network(s)", "gexf": "network(s)"}


def _exhibit_text(store: Store, filters: dict[str, Any], fh: TextIO) -> int:
    preamble = _preamble(filters, log_head(store.conn))
    return write_exhibit_text(exhibit_sellers(flagged_rows(store, **filters)), fh, preamble=preamble)


def _html(store: Store, filters: dict[str, Any], fh: TextIO) -> int:
    about = {"gigscan version": __version__, "filters": _filters_text(filters)}
    return write_html(store, flagged_rows(store, **filters), fh, about=about)


TextWriter = Callable[[Store, dict[str, Any], TextIO], int]
TEXT_WRITERS: dict[str, TextWriter] = {
    "csv": lambda store, filters, fh: write_csv(flagged_rows(store, **filters), fh),
    "jsonl": lambda store, filters, fh: write_jsonl(flagged_rows(store, **filters), fh),
    "html": _html,
    "exhibit": _exhibit_text,
    "exhibit-csv": lambda store, filters, fh: write_exhibit_csv(exhibit_sellers(flagged_rows(store, **filters)), fh),
    "network": lambda store, filters, fh: write_network_html(store, fh),
    "gexf": lambda store, filters, fh: write_gexf_export(store, fh),
}
BY_GROUPS = ("network",)


def default_output(format: str, username: str | None) -> Path:  # noqa: A002
    """``gigscan-<username or "flagged">-<UTC time>.<ext>`` in the current directory; the username is
    sanitised (scraped text never becomes a path)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"gigscan-{format}-{safe_filename(username, default='flagged')}-{stamp}.{FILE_FORMATS[format]}")


def check_time(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be an ISO-8601 date or time (e.g. 2024-05-01), not {value!r}")
    return value


@app.command()
def export(
    format: Annotated[  # noqa: A002
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = "csv",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: stdout; xlsx and bundle: a new file here)."),
    ] = None,
    marketplace: Annotated[str | None, typer.Option(help="Only this marketplace.")] = None,
    username: Annotated[str | None, typer.Option(help="Only this seller (any case).")] = None,
    min_score: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Only verdicts scoring at least this.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only listings last seen on or after this date/time.")] = None,
    until: Annotated[str | None, typer.Option(help="Only listings first seen on or before this date/time.")] = None,
    state: Annotated[
        str, typer.Option(help=f"Review state: {', '.join(STATE_FILTERS)} (open = all but dismissed).")
    ] = "open",
    by: Annotated[str | None, typer.Option("--by", help="exhibit only: group the usernames by network.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Say what was written as JSON (needs --output).")] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Export flagged listings: csv, jsonl, xlsx, an HTML report, the exhibit list (text or CSV), or a bundle
    for counsel (zip: report, CSV, exhibit, WARC of the captures and a manifest of SHA-256 hashes); or the seller
    networks: an offline HTML graph (network) or GEXF for Gephi (gexf)."""
    if format not in FORMATS:
        fail(f"unknown --format {format!r}; choose from {', '.join(FORMATS)}")
    if by is not None and (by not in BY_GROUPS or format != "exhibit"):
        fail(f"--by {by!r}: only --format exhibit --by network is supported")
    if state not in STATE_FILTERS:
        fail(f"unknown --state {state!r}; choose from {', '.join(STATE_FILTERS)}")
    filters: dict[str, Any] = {
        "marketplace": marketplace,
        "username": username,
        "min_score": min_score,
        "since": check_time(since, "--since"),
        "until": check_time(until, "--until"),
        "state": state,
    }
    to_stdout = format not in FILE_FORMATS and (output is None or str(output) == "-")
    if as_json and to_stdout:
        fail("--json says what was written to a file: give --output a file name")
    inputs = store_files(db)
    with open_existing(db) as store, store.reading():
        head = log_head(store.conn)  # read in the same snapshot as every row the export shows
        count, target = _write_export(store, format, output, username, by, filters, inputs)
    noun = "seller(s)" if format.startswith("exhibit") else _NOUNS.get(format, "flagged listing(s)")
    if as_json:
        typer.echo(json.dumps({"format": format, "output": str(target), "count": count, "counted": noun,
                               "db": str(db), "log_entries": head[0], "head": head[1]}))
        return
    if not to_stdout:
        console.print(f"wrote {count} {noun} to [bold]{escape(str(target))}[/]", highlight=False)
    err_console.print(f"made from the evidence log at {head[0]} entries, head {head[1]}", highlight=False)


def _write_export(store: Store, format: str, output: Path | None, username: str | None, by: str | None,  # noqa: A002
                  filters: dict[str, Any], inputs: list[Path]) -> tuple[int, Path | None]:
    """Write one export; returns what it counted and the file it wrote (None: stdout)."""
    if format in FILE_FORMATS:
        if output is not None and (str(output) == "-" or output.is_dir()):
            fail(f"--format {format} writes a file: give --output a file name")
        target = output or default_output(format, username)
        return _write_file(store, format, filters, target, inputs), target
    with output_stream(output, inputs) as fh:
        count = (_exhibit_by_network if by == "network" else TEXT_WRITERS[format])(store, filters, fh)
    return count, None if output is None or str(output) == "-" else output


def _write_file(store: Store, format: str, filters: dict[str, Any], target: Path, inputs: list[Path]) -> int:  # noqa: A002
    # Imported on use: openpyxl and warcio take a noticeable part of a second to load.
    from db.exports.bundle import write_bundle
    from db.exports.xlsx import write_xlsx

    try:
        with atomic_path(target, inputs) as partial:
            if format == "xlsx":
                entries, head = log_head(store.conn)
                about = {"gigscan version": __version__, **{k: v for k, v in filters.items() if v is not None},
                         "evidence log": f"{entries} entries, head {head}"}
                return write_xlsx(flagged_rows(store, **filters), partial, about=about)
            return write_bundle(store, partial, filters).listings
    except ClobberError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
