"""Site profiles: a TOML file that tells the generic spider how to read a marketplace, and the page object for it.

A profile names where to start (a search URL template with ``{query}`` and ``{page}``, or start URLs), how to
page (a next-link selector, or the ``{page}`` number going up while pages still list something), which links on
a search page lead to listings, and, for each field of a listing, where its value is: a CSS or XPath selector,
a path into embedded JSON (a ``<script>`` element's JSON, or a JSON-LD object), or a regular expression over the
page URL. It also lists block-page markers. The shipped profiles (``crawler/profiles/*.toml``) show every part;
``gigscan profile check FILE`` validates one and ``gigscan profile test FILE PAGE.html`` runs it on a saved page.

A field is a TOML table with exactly one source key::

    title = { css = "h1[itemprop=name]::text", confirmed = false }
    price = { jsonld = "Product", json = "offers.price", type = "number" }
    tags  = { script = "script#__NEXT_DATA__", json = "props.pageProps.service.tags.*.name", all = true }
    id    = { url = "/hourlie/[^/]+/(\\d+)" }

Options: ``regex`` (keep group 1, or the whole match, of each value), ``all`` (a list instead of the first
value), ``type`` (``text``, ``number``, ``int`` or ``url``), ``html`` (the value is HTML, e.g. a description
inside JSON: keep its readable text), ``confirmed`` (true only when the selector was checked against a real
captured page of the site; ``gigscan profile check`` reports the unconfirmed ones). An element selected by CSS
or XPath (no ``::text``) is always turned into readable text; other values are kept as written.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from parsel import Selector

from crawler.items import DETAIL_PAGE, Capture, Listing, Seller
from crawler.pages.common import (
    Blocked,
    PageError,
    as_float,
    as_int,
    html_to_text,
    page_json,
    same_host_url,
    strip_query,
)
from crawler.pages.selector_cost import SelectorCostError, check_cost
from matchers.patterns import PatternError, SafePattern, compile_pattern
from matchers.toml_lines import TomlLines, TomlSyntaxError
from matchers.toml_lines import parse as parse_toml

__all__ = [
    "FieldSpec",
    "Profile",
    "ProfileError",
    "ProfilePage",
    "json_path",
    "load_profile",
    "parse_profile",
    "shipped_profiles",
]

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"
LISTING_FIELDS = (
    "id", "title", "description", "seller", "seller_url", "display_name", "price", "currency", "rating",
    "review_count", "tags", "category",
)
REQUIRED_FIELDS = ("title", "seller")
SOURCES = ("css", "xpath", "json", "url")
TYPES = ("text", "number", "int", "url")
_FIELD_KEYS = {*SOURCES, "script", "jsonld", "regex", "all", "type", "html", "confirmed", "note"}
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_CHECK_DOC = Selector(text="<html><body></body></html>")


class ProfileError(ValueError):
    """A profile that cannot be used; ``problems`` are ``file:line: message`` lines (line when known)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def message(self) -> str:
        """What to tell the user: one line for one problem, else a header and one located line each."""
        if len(self.problems) == 1:
            return f"invalid site profile: {self.problems[0]}"
        return f"invalid site profile ({len(self.problems)} problems):\n" + "\n".join(self.problems)


@dataclass(frozen=True)
class FieldSpec:
    """Where one value lives on a page."""

    name: str
    source: str  # css | xpath | json | url
    expr: str
    script: str | None = None
    jsonld: str | None = None
    regex: SafePattern | None = None
    #: A url source's expression, compiled.
    url_pattern: SafePattern | None = None
    all: bool = False
    type: str = "text"
    html: bool = False  # the value is HTML (e.g. a description inside JSON): keep its text, drop its tags
    confirmed: bool = False


@dataclass(frozen=True)
class Profile:
    name: str  # the marketplace, as stored
    base_url: str
    path: Path | None
    kind: str = "gig"
    currency: str | None = None
    search_url: str | None = None
    start_urls: tuple[str, ...] = ()
    first_page: int = 1
    next_link: FieldSpec | None = None
    links: FieldSpec | None = None
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    block_markers: tuple[str, ...] = ()
    require: FieldSpec | None = None
    seller_url: str | None = None
    seller_links: FieldSpec | None = None

    @property
    def selectors(self) -> list[FieldSpec]:
        specs = [self.links, self.next_link, self.require, self.seller_links, *self.fields.values()]
        return [spec for spec in specs if spec is not None]

    @property
    def unconfirmed(self) -> list[str]:
        """Names of the selectors not checked against a real captured page."""
        return [spec.name for spec in self.selectors if not spec.confirmed]

    def search_urls(self, query: str, page: int) -> str:
        """The search URL template filled in (relative; the spider puts it under its base URL)."""
        assert self.search_url is not None
        return self.search_url.format(query=quote_plus(query), page=page)

    def seller_page(self, username: str) -> str | None:
        return self.seller_url.format(username=quote(username, safe="")) if self.seller_url else None


# -- loading and validation ---------------------------------------------------------------------------------


class _Checker:
    """Collects problems with the line they are on, so a user sees every mistake at once."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.where = str(path) if path else "<profile>"
        self.toml = TomlLines(text)
        self.problems: list[str] = []

    def line_of(self, table: str, key: str | None = None) -> int | None:
        """The line of ``key`` inside ``[table]`` or of ``[table.key]``, else of ``[table]``; None if neither."""
        start = self.toml.table(table)
        if key is None:
            return start
        return self.toml.table(f"{table}.{key}") or (self.toml.key(start, key) if start else None)

    def add(self, message: str, table: str, key: str | None = None) -> None:
        line = self.line_of(table, key)
        self.problems.append(f"{self.where}:{line}: {message}" if line else f"{self.where}: {message}")


def _compile_regex(check: _Checker, pattern: Any, table: str, key: str) -> SafePattern | None:
    """A profile's regular expression, refused if it does not compile or backtracks catastrophically (a page
    is hostile text: a pattern must not stall a crawl or ``profile test``)."""
    if not isinstance(pattern, str):
        check.add(f"[{table}] {key}: regex must be a string", table, key)
        return None
    try:
        return compile_pattern(pattern)
    except PatternError as exc:
        check.add(f"[{table}] {key}: {exc}", table, key)
        return None


def _check_selector(check: _Checker, source: str, expr: str, table: str, key: str) -> None:
    """A selector that compiles and cannot stall a crawl: XPath, unlike a regex, has no time limit per page
    (``crawler.pages.selector_cost`` says why), so a costly one is refused here."""
    if source not in ("css", "xpath"):
        return
    try:
        if source == "css":
            _CHECK_DOC.css(expr)
        else:
            _CHECK_DOC.xpath(expr)
    except Exception as exc:  # cssselect and lxml raise several types for a bad expression
        check.add(f"[{table}] {key}: bad {source} selector {expr!r}: {exc}", table, key)
        return
    try:
        check_cost(source, expr)
    except SelectorCostError as exc:
        check.add(f"[{table}] {key}: {exc}", table, key)


def _field(check: _Checker, table: str, key: str, raw: Any) -> FieldSpec | None:
    name = f"{table}.{key}"
    if isinstance(raw, str):
        raw = {"css": raw}
    if not isinstance(raw, dict):
        check.add(f"[{table}] {key} must be a table like {{ css = \"...\" }}", table, key)
        return None
    unknown = sorted(set(raw) - _FIELD_KEYS)
    if unknown:
        check.add(f"[{table}] {key}: unknown option(s) {', '.join(unknown)}", table, key)
    sources = [s for s in SOURCES if s in raw]
    if len(sources) != 1:
        check.add(f"[{table}] {key} needs exactly one of {', '.join(SOURCES)} (has {len(sources)})", table, key)
        return None
    source, expr = sources[0], raw[sources[0]]
    if not isinstance(expr, str) or not expr.strip():
        check.add(f"[{table}] {key}: {source} must be a non-empty string", table, key)
        return None
    if source == "json" and not (("script" in raw) ^ ("jsonld" in raw)):
        check.add(f"[{table}] {key}: a json path needs exactly one of script = \"css of the <script>\" or "
                  "jsonld = \"@type\"", table, key)
    if source != "json" and ("script" in raw or "jsonld" in raw):
        check.add(f"[{table}] {key}: script / jsonld only go with a json path", table, key)
    if "script" in raw:
        _check_selector(check, "css", str(raw["script"]), table, key)
    _check_selector(check, source, expr, table, key)
    url_pattern = _compile_regex(check, expr, table, key) if source == "url" else None
    regex = _compile_regex(check, raw["regex"], table, key) if "regex" in raw else None
    kind = raw.get("type", "text")
    if kind not in TYPES:
        check.add(f"[{table}] {key}: type must be one of {', '.join(TYPES)}, not {kind!r}", table, key)
    for flag in ("all", "html", "confirmed"):
        if not isinstance(raw.get(flag, False), bool):
            check.add(f"[{table}] {key}: {flag} must be true or false", table, key)
    return FieldSpec(
        name=name, source=source, expr=expr, script=raw.get("script"), jsonld=raw.get("jsonld"),
        regex=regex, url_pattern=url_pattern, all=raw.get("all") is True, html=raw.get("html") is True,
        type=kind if kind in TYPES else "text", confirmed=raw.get("confirmed") is True,
    )


def _template(check: _Checker, value: Any, allowed: set[str], table: str, key: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        check.add(f"[{table}] {key} must be a non-empty string", table, key)
        return None
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        check.add(f"[{table}] {key}: bad template {value!r}: {exc}", table, key)
        return None
    if names - allowed:
        check.add(f"[{table}] {key}: unknown placeholder(s) {', '.join(sorted(names - allowed))}; "
                  f"allowed: {', '.join('{' + a + '}' for a in sorted(allowed))}", table, key)
        return None
    if urlsplit(value).scheme or value.startswith("//"):
        check.add(f"[{table}] {key} must be relative to site.base_url, not {value!r}", table, key)
        return None
    return value


def _table(check: _Checker, data: dict[str, Any], name: str, required: bool) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        if required:
            check.add(f"missing [{name}] table", name)
        return {}
    if not isinstance(value, dict):
        check.add(f"{name} must be a table", name)
        return {}
    return value


def _site(check: _Checker, site: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The [site] table's marketplace name, base URL and kind (each checked)."""
    name = site.get("marketplace")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        check.add("[site] marketplace must be a short lowercase name (letters, digits, - and _)", "site", "marketplace")
    base_url = site.get("base_url")
    if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https"):
        check.add("[site] base_url must be an http(s) URL", "site", "base_url")
    kind = site.get("kind", "gig")
    if kind not in ("gig", "job"):
        check.add(f"[site] kind must be \"gig\" or \"job\", not {kind!r}", "site", "kind")
    return name, base_url, kind


def _search_urls(check: _Checker, search: dict[str, Any]) -> tuple[str | None, list[str | None] | None]:
    """The [search] table's URL template, or its fixed start URLs (exactly one of them)."""
    if ("url" in search) == ("start_urls" in search):
        check.add("[search] needs exactly one of url (a template with {query} and {page}) or start_urls", "search")
        return None, None
    if "url" in search:
        return _template(check, search["url"], {"query", "page"}, "search", "url"), None
    raw_urls = search["start_urls"]
    if not isinstance(raw_urls, list) or not raw_urls:
        check.add("[search] start_urls must be a non-empty list", "search", "start_urls")
        return None, None
    return None, [_template(check, u, set(), "search", "start_urls") for u in raw_urls]


def parse_profile(text: str, path: Path | None = None) -> Profile:
    """A profile from TOML text; `ProfileError` listing every problem found (with line numbers)."""
    check = _Checker(path, text)
    try:
        data = parse_toml(text)
    except TomlSyntaxError as exc:
        raise ProfileError([f"{check.where}: not valid TOML: {exc}"]) from None
    unknown = sorted(set(data) - {"site", "search", "listing", "block", "seller"})
    if unknown:
        check.add(f"unknown table(s) {', '.join(unknown)}", unknown[0])
    site = _table(check, data, "site", True)
    search = _table(check, data, "search", True)
    listing = _table(check, data, "listing", True)
    block = _table(check, data, "block", False)
    seller = _table(check, data, "seller", False)

    name, base_url, kind = _site(check, site)
    search_url, start_urls = _search_urls(check, search)
    first_page = search.get("first_page", 1)
    if not isinstance(first_page, int) or first_page < 0:
        check.add("[search] first_page must be a whole number", "search", "first_page")
    links = _field(check, "search", "links", search["links"]) if "links" in search else None
    if "links" not in search:
        check.add("[search] needs links: the selector of listing links on a search page", "search")
    next_link = _field(check, "search", "next", search["next"]) if "next" in search else None

    fields: dict[str, FieldSpec] = {}
    for key, raw in listing.items():
        if key not in LISTING_FIELDS:
            check.add(f"[listing] unknown field {key!r}; known: {', '.join(LISTING_FIELDS)}", "listing", key)
        elif (spec := _field(check, "listing", key, raw)) is not None:
            fields[key] = spec
    for key in REQUIRED_FIELDS:
        if key not in listing:
            check.add(f"[listing] needs a {key} field", "listing")

    markers = block.get("markers", [])
    if not isinstance(markers, list) or not all(isinstance(m, str) and m for m in markers):
        check.add("[block] markers must be a list of non-empty strings", "block", "markers")
        markers = []
    require = _field(check, "block", "require", block["require"]) if "require" in block else None
    seller_url = _template(check, seller["url"], {"username"}, "seller", "url") if "url" in seller else None
    seller_links = _field(check, "seller", "links", seller["links"]) if "links" in seller else None

    if check.problems:
        raise ProfileError(check.problems)
    return Profile(
        name=str(name), base_url=str(base_url).rstrip("/") + "/", path=path, kind=str(kind),
        currency=site.get("currency") if isinstance(site.get("currency"), str) else None,
        search_url=search_url, start_urls=tuple(u for u in start_urls or () if u), first_page=int(first_page),
        next_link=next_link, links=links, fields=fields, block_markers=tuple(markers), require=require,
        seller_url=seller_url, seller_links=seller_links,
    )


def load_profile(path: str | Path) -> Profile:
    """A profile from a file; `ProfileError` when it cannot be read or is invalid."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError([f"{file}: cannot read: {exc}"]) from None
    return parse_profile(text, file)


def shipped_profiles() -> list[Path]:
    """The profiles that come with gigscan (``crawler/profiles/*.toml``), by name."""
    return sorted(PROFILES_DIR.glob("*.toml"))


# -- extraction ---------------------------------------------------------------------------------------------


def json_path(obj: Any, path: str) -> Iterator[Any]:
    """Values at a dotted path; ``*`` steps into every item of a list (or value of an object)."""
    nodes = [obj]
    for step in path.split("."):
        following: list[Any] = []
        for node in nodes:
            if step == "*":
                following.extend(node if isinstance(node, list) else node.values() if isinstance(node, dict) else ())
            elif isinstance(node, dict) and step in node:
                following.append(node[step])
            elif isinstance(node, list) and step.lstrip("-").isdigit() and -len(node) <= int(step) < len(node):
                following.append(node[int(step)])
        nodes = following
    for node in nodes:
        if isinstance(node, list):
            yield from node
        else:
            yield node


def _jsonld_objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every object of a JSON-LD block: top-level lists and ``@graph`` are flattened."""
    if isinstance(data, list):
        for item in data:
            yield from _jsonld_objects(item)
    elif isinstance(data, dict):
        yield data
        yield from _jsonld_objects(data.get("@graph"))


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _scalar_text(value: Any, html: bool) -> str | None:
    """A value as text: HTML made readable when ``html`` (lines kept), other text with its spaces tidied."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dict):  # e.g. a JSON-LD Person: take its name
        return _scalar_text(value.get("name"), html)
    if not isinstance(value, int | float | str):
        return None
    if html:
        return html_to_text(str(value)) or None
    return " ".join(str(value).split()) or None


class ProfilePage:
    """Any page of a profiled site: search pages (links, next page) and listing pages (the listing's fields)."""

    def __init__(
        self, html: str, url: str, capture: Capture | None = None, *, profile: Profile, base_url: str | None = None
    ) -> None:
        self.html = html
        self.url = url
        self.capture = capture
        self.profile = profile
        self.base_url = base_url or profile.base_url  # where the site is served (a mirror or the testbed)

    @cached_property
    def sel(self) -> Selector:
        return Selector(text=self.html)

    def is_blocked(self) -> bool:
        """A block marker is on the page, or the element every real page has (``[block] require``) is not."""
        if any(marker in self.html for marker in self.profile.block_markers):
            return True
        return self.profile.require is not None and not self._raw(self.profile.require)

    def _check_blocked(self) -> None:
        if self.is_blocked():
            raise Blocked(f"{self.profile.name}: block page at {self.url}")

    # -- values -------------------------------------------------------------------------------------------
    @cached_property
    def _jsonld(self) -> list[dict[str, Any]]:
        objects = []
        for text in self.sel.css('script[type="application/ld+json"]::text').getall():
            try:
                objects.extend(_jsonld_objects(page_json(text)))
            except (ValueError, RecursionError):
                continue  # one broken block must not hide the others
        return objects

    def _script_json(self, css: str) -> Any:
        text = self.sel.css(css).xpath("string()").get()
        if not text:
            return None
        try:
            return page_json(text)
        except (ValueError, RecursionError):
            raise PageError(f"{self.profile.name}: {css} is not valid JSON") from None

    def _raw(self, spec: FieldSpec) -> list[Any]:
        if spec.source == "css":
            return self.sel.css(spec.expr).getall()
        if spec.source == "xpath":
            return self.sel.xpath(spec.expr).getall()
        if spec.source == "url":
            match = spec.url_pattern.search(self.url) if spec.url_pattern is not None else None
            return [match.group(1) if match and match.groups() else match.group(0)] if match else []
        if spec.jsonld:
            roots: list[Any] = [o for o in self._jsonld if spec.jsonld in _types(o)]
        else:
            roots = [self._script_json(spec.script or "")]
        return [value for root in roots for value in json_path(root, spec.expr)]

    def values(self, spec: FieldSpec) -> list[Any]:
        """Every value of a selector, as text (or numbers / URLs, by ``type``), in page order."""
        out: list[Any] = []
        markup_source = spec.source in ("css", "xpath")
        for raw in self._raw(spec):
            is_html = spec.html or (markup_source and isinstance(raw, str) and raw.lstrip().startswith("<"))
            text = _scalar_text(raw, is_html)
            if text is not None and spec.regex is not None:
                match = spec.regex.search(text)
                text = (match.group(1) if match.groups() else match.group(0)) if match else None
            value = self._typed(text, spec.type)
            if value is not None:
                out.append(value)
        return out

    def _typed(self, text: str | None, kind: str) -> Any:
        if text is None:
            return None
        if kind == "number":
            match = _NUMBER_RE.search(text)
            return as_float(match.group().replace(",", "")) if match else None
        if kind == "int":
            match = _NUMBER_RE.search(text)
            return as_int(match.group().replace(",", "").split(".")[0]) if match else None
        if kind == "url":
            return same_host_url(self.url, text)
        return text

    def value(self, name: str) -> Any:
        """A listing field: a list for ``all`` fields, else the first value (None when the page has none)."""
        spec = self.profile.fields.get(name)
        if spec is None:
            return [] if name == "tags" else None
        found = self.values(spec)
        return found if spec.all else (found[0] if found else None)

    # -- search pages -------------------------------------------------------------------------------------
    def _urls(self, spec: FieldSpec | None) -> list[str]:
        if spec is None:
            return []
        seen: dict[str, None] = {}
        for raw in self._raw(spec):
            url = same_host_url(self.url, raw) if isinstance(raw, str) else None
            if url:
                seen.setdefault(url)
        return list(seen)

    @property
    def listing_links(self) -> list[str]:
        """Links to listing pages on a search page, in order, without duplicates or tracking parameters."""
        self._check_blocked()
        return self._urls(self.profile.links)

    @property
    def seller_links(self) -> list[str]:
        """Links to the listings on a seller's page (``[seller] links``, else the search page's selector)."""
        self._check_blocked()
        return self._urls(self.profile.seller_links or self.profile.links)

    def next_page_url(self) -> str | None:
        urls = self._urls(self.profile.next_link)
        return urls[0] if urls else None

    # -- listing pages ------------------------------------------------------------------------------------
    @cached_property
    def listing(self) -> Listing:
        self._check_blocked()
        title, seller = self.value("title"), self.value("seller")
        if not title or not seller:
            missing = " and ".join(n for n, v in (("title", title), ("seller", seller)) if not v)
            raise PageError(f"{self.profile.name}: no {missing} on {self.url}")
        url = strip_query(self.url)
        external_id = self.value("id") or urlsplit(url).path.strip("/")
        profile_url = self.value("seller_url")
        if profile_url is None and (path := self.profile.seller_page(seller)):
            profile_url = same_host_url(self.url, urlsplit(self.base_url.rstrip("/") + "/" + path).path)
        price = self.value("price")
        return Listing(
            marketplace=self.profile.name,
            external_id=str(external_id),
            url=url,
            seller=str(seller),
            title=str(title),
            description=str(self.value("description") or ""),
            tags=[str(tag) for tag in self.value("tags")],
            category=self.value("category"),
            price=price if isinstance(price, float) and price >= 0 else None,
            currency=self.value("currency") or self.profile.currency,
            rating=self._number("rating"),
            review_count=self._count("review_count"),
            kind=self.profile.kind,
            detail=DETAIL_PAGE,
            source="listing",
            seller_profile_url=profile_url,
            extra={"display_name": self.value("display_name"), "profile": self.profile.name},
            capture=self.capture,
        )

    def _number(self, name: str) -> float | None:
        value = self.value(name)
        return value if isinstance(value, float) else as_float(value)

    def _count(self, name: str) -> int | None:
        value = self.value(name)
        return as_int(value) if not isinstance(value, float) else int(value)

    @cached_property
    def seller(self) -> Seller:
        listing = self.listing
        return Seller(
            marketplace=self.profile.name,
            username=listing.seller,
            profile_url=listing.seller_profile_url or listing.url,
            display_name=self.value("display_name"),
            capture=self.capture,
        )

    def extract(self) -> dict[str, Any]:
        """Everything the profile finds on this page, for ``gigscan profile test``: fields, links, next page."""
        fields = {name: self.value(name) for name in self.profile.fields}
        return {
            "blocked": self.is_blocked(),
            "fields": fields,
            "listing_links": self._urls(self.profile.links),
            "next_page": self.next_page_url(),
        }
