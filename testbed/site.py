"""Routing and the page cache: which page a request path gets, at one catalogue step.

Paths under ``/freelancer``, ``/seoclerks``, ``/legiit`` and ``/peopleperhour`` go to the other marketplaces
(``testbed.flavours``); their hits are counted as ``<flavour>:<kind>``.

Paths follow Fiverr's: ``/search/gigs?query=Q&page=N``, ``/<username>/<slug>`` (gig), ``/<username>`` (seller),
``/robots.txt``. Tracking parameters on gig and seller URLs are ignored, like the real site's canonical URLs.
Rendered pages are cached per route (the cache belongs to one step, so it is per (path, step)); only the csrfToken
hole is filled per response.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qs, unquote, urlsplit

from testbed import pages, props
from testbed.catalogue import Catalogue
from testbed.flavours import Flavours

USERNAME = re.compile(r"[a-z0-9_]{1,40}")
MAX_CACHED = 20_000
MAX_PAGE = 10_000


def _page_number(values: list[str]) -> int:
    try:
        number = int(values[0]) if values else 1
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


class Site:
    """Everything served at one catalogue step, for one base URL."""

    def __init__(self, catalogue: Catalogue, base_url: str) -> None:
        self.catalogue = catalogue
        self.base_url = base_url
        self._host = urlsplit(base_url).netloc
        self._cache: dict[tuple[str, ...], tuple[str, pages.Page]] = {}
        self._lock = threading.Lock()
        self.flavours = Flavours(catalogue)  # the other marketplaces, under /freelancer, /seoclerks, ...

    def route(self, target: str) -> tuple[str, pages.Page]:
        """(kind, page) for a request target; kind is search, gig, seller, robots or not_found."""
        parts = urlsplit(target)
        path = unquote(parts.path)
        if path == "/robots.txt":
            return "robots", pages.robots_page()
        flavour = Flavours.flavour_of(path)
        if flavour is not None:
            kind, page = self.flavours.route(flavour, path, parts.query)
            return f"{flavour}:{kind}", page
        if path.rstrip("/") == "/search/gigs":
            query_string = parse_qs(parts.query)
            query = " ".join(query_string.get("query", [""])[0].split())
            return self._cached(("search", query, str(_page_number(query_string.get("page", [])))))
        segments = [s for s in path.split("/") if s]
        if len(segments) == 1 and USERNAME.fullmatch(segments[0].lower()):
            return self._cached(("seller", segments[0].lower()))
        if len(segments) == 2 and USERNAME.fullmatch(segments[0].lower()):
            return self._cached(("gig", segments[0].lower(), segments[1]))
        return "not_found", pages.not_found_page()

    def block_page(self, target: str) -> pages.Page:
        """The anti-bot page of the marketplace a request is for (PerimeterX for Fiverr)."""
        flavour = Flavours.flavour_of(unquote(urlsplit(target).path))
        return self.flavours.block_page(flavour) if flavour else pages.block_page()

    def _cached(self, key: tuple[str, ...]) -> tuple[str, pages.Page]:
        hit = self._cache.get(key)
        if hit is None:
            hit = self._render(key)
            with self._lock:
                if len(self._cache) >= MAX_CACHED:
                    self._cache.clear()
                self._cache[key] = hit
        return hit

    def _render(self, key: tuple[str, ...]) -> tuple[str, pages.Page]:
        kind, cat = key[0], self.catalogue
        if kind == "search":
            query, page = key[1], int(key[2])
            return kind, pages.search_page(props.search_props(cat, query, page, self._host), query, page, self.base_url)
        seller = cat.seller(key[1])
        if kind == "seller" and seller:
            return kind, pages.seller_page(props.seller_props(cat, seller), self.base_url)
        gig = cat.gig_at(key[1], key[2]) if kind == "gig" else None
        if gig:
            return kind, pages.gig_page(props.gig_props(cat, gig), gig.seller, gig.slug, self.base_url)
        return "not_found", pages.not_found_page()
