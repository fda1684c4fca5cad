"""``gigscan profile check FILE`` and ``gigscan profile test FILE PAGE``: write a site profile from saved pages.

A user adds a marketplace without Python: save a search page and a listing page from the browser, write a
profile (copy one of ``crawler/profiles/*.toml``), and run ``profile test`` on each page until the fields come
out right; then ``gigscan crawl generic --profile FILE``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape as markup_escape
from rich.table import Table

from crawler.pages.common import PageError
from crawler.pages.profile import Profile, ProfileError, ProfilePage, load_profile
from gigscan.app import app, console, fail

profile_app = typer.Typer(help="Site profiles for the generic spider: check one, test one on a saved page.",
                          no_args_is_help=True)
app.add_typer(profile_app, name="profile")


def _load(path: Path) -> Profile:
    try:
        return load_profile(path)
    except ProfileError as exc:
        fail(exc.message())  # printed as plain text: "[site]" stays


@profile_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Site profile (TOML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: marketplace, fields, selectors.")] = False,
) -> None:
    """Validate a profile: every problem with its line, then which selectors are unconfirmed."""
    profile = _load(file)
    unconfirmed = profile.unconfirmed
    if as_json:
        typer.echo(json.dumps({"file": str(file), "marketplace": profile.name, "fields": len(profile.fields),
                               "search": profile.search_url or list(profile.start_urls),
                               "selectors": len(profile.selectors), "unconfirmed": list(unconfirmed)}))
        return
    console.print(f"[green]ok[/] {markup_escape(str(file))}: marketplace [bold]{markup_escape(profile.name)}[/], "
                  f"{len(profile.fields)} fields, search "
                  f"{markup_escape(profile.search_url or ', '.join(profile.start_urls))}", highlight=False)
    if unconfirmed:
        console.print(f"{len(unconfirmed)} of {len(profile.selectors)} selectors not confirmed against a real "
                      f"captured page: {markup_escape(', '.join(unconfirmed))}", highlight=False)


@profile_app.command("test")
def test(
    file: Annotated[Path, typer.Argument(help="Site profile (TOML).")],
    page: Annotated[Path, typer.Argument(help="A saved page of the site (HTML).")],
    url: Annotated[
        str | None, typer.Option(help="The page's address (default: the profile's base URL + the file name).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Run a profile on a saved page and print what it extracts: fields, listing links, next page."""
    profile = _load(file)
    try:
        html = page.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        fail(f"cannot read {page}: {exc.strerror}")
    address = url or profile.base_url + page.name
    if not address.startswith(("http://", "https://")):
        fail(f"--url must be an http(s) URL, got {address!r}")
    try:
        found = ProfilePage(html, address, profile=profile).extract()
    except PageError as exc:
        fail(str(exc))
    if as_json:
        console.print_json(json.dumps(found, ensure_ascii=False))
        return
    print_extract(found)


def print_extract(found: dict[str, Any]) -> None:
    table = Table(title="fields", show_header=True)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for name, value in found["fields"].items():
        shown = "[dim]-[/]" if value in (None, []) else markup_escape(str(value)[:300])  # scraped text
        table.add_row(markup_escape(name), shown)
    console.print(table)
    links = found["listing_links"]
    console.print(f"listing links: {len(links)}", highlight=False)
    for link in links[:10]:
        console.print(f"  {link}", highlight=False, markup=False)
    console.print(f"next page: {found['next_page'] or '-'}", highlight=False, markup=False)
    if found["blocked"]:
        console.print("[yellow]this page looks like a block page to the profile[/]")
