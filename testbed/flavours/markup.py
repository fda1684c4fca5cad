"""HTML building blocks the flavours share: a page, a not-found page, and the anti-bot pages other sites show."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from html import escape
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from testbed.pages import Page
from testbed.search import SearchIndex

JSON_TYPE = "application/json; charset=utf-8"


def html_page(title: str, body: str, head: str = "", status: int = 200) -> Page:
    """A page; ``title`` is escaped here, ``body`` and ``head`` must already be safe HTML."""
    html = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>{escape(title)}</title>{head}'
            f"</head><body>{body}</body></html>")
    return Page(status, (html.encode(),))


def json_page(data: Any, status: int = 200) -> Page:
    return Page(status, (json.dumps(data, ensure_ascii=False).encode(),), content_type=JSON_TYPE)


def script_json(data: Any) -> str:
    """JSON that cannot close its ``<script>`` element (``<``, ``>``, ``&`` escaped as JSON escapes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\s*(/?)>")
SAFE_TAGS = frozenset(("p", "ul", "ol", "li", "strong", "em", "b", "i", "br"))


def safe_html(fragment: str) -> str:
    """A description as a marketplace shows it: plain formatting tags kept, everything else escaped as text."""
    out, last = [], 0
    for match in _TAG_RE.finditer(fragment):
        if match.group(2).lower() in SAFE_TAGS:
            out.append(escape(fragment[last : match.start()]))
            out.append(match.group(0).lower())
            last = match.end()
    out.append(escape(fragment[last:]))
    return "".join(out)


def not_found(site: str) -> Page:
    return html_page(f"Page not found | {site}", "<h1>404</h1><p>The page you were looking for doesn't exist.</p>",
                     status=404)


def cloudflare_block() -> Page:
    """Cloudflare's managed challenge: 403, "Just a moment...", the challenge-platform script."""
    ray = secrets.token_hex(8)
    body = ('<div id="challenge-stage"><h1>Checking if the site connection is secure</h1>'
            f'<div id="cf-chl-widget-{ray[:5]}"></div></div><noscript>Enable JavaScript and cookies</noscript>'
            f'<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}"></script>'
            f"<footer>Ray ID: {ray}</footer>")
    page = html_page("Just a moment...", body, status=403)
    return Page(page.status, page.parts, headers=(("cf-mitigated", "challenge"), ("Cache-Control", "no-store")))


def incapsula_block() -> Page:
    """Imperva Incapsula's refusal page: 200 with an iframe and an incident id, no content."""
    incident = f"{secrets.randbelow(10**9)}-{secrets.randbelow(10**12)}"
    body = ('<iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=9" frameborder=0></iframe>'
            f"<p>Request unsuccessful. Incapsula incident ID: {incident}</p>")
    return html_page("Access denied", body, head='<meta name="robots" content="noindex,nofollow">')


class Doc(NamedTuple):
    """What `testbed.search.SearchIndex` indexes, for any kind of listing."""

    gig_id: int
    title: str
    description: str
    tags: tuple[str, ...]
    reviews_count: int


def index(docs: Iterable[Doc]) -> SearchIndex:
    return SearchIndex(docs)


def page_number(text: str) -> int:
    """A ``page`` query value as a page number: 1 unless it is a positive whole number."""
    return int(text) if text.isdigit() and int(text) > 0 else 1


def search_query(query: str, words_key: str) -> tuple[str, int]:
    """The words (white space folded) and the page number in a search URL's query string."""
    params = parse_qs(query)
    return " ".join(params.get(words_key, [""])[0].split()), page_number(params.get("page", ["1"])[0])


def page_slice(items: list[Any], page: int, size: int) -> tuple[list[Any], bool]:
    """The items of page ``page`` (1-based) and whether a next page exists."""
    start = (page - 1) * size
    return items[start : start + size], start + size < len(items)
