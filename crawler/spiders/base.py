"""What every gigscan spider shares: arguments, the base URL, page requests, block checks, stats, following.

A marketplace spider subclasses `MarketplaceSpider`, sets ``name``, ``marketplace`` and ``default_base_url``,
implements ``start`` and its callbacks, and says what a block page looks like (``looks_blocked``). Everything
else (seed queries from the ruleset when no query is given, the ``gigscan/pages_parsed`` counters, following
the seller of a flagged listing once) is here, so the spiders stay thin and behave alike.

Re-checks: ``recheck=PATH`` names a JSON Lines file of known listings and sellers to visit again (written by
``gigscan crawl --recheck`` from the store, see ``db.recheck``). Those requests let 404/410 answers through to
the callback, which yields a :class:`~crawler.items.Gone` item (via :meth:`MarketplaceSpider.gone`) when the
page is gone or redirected away, so a takedown is stored with the answer received.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler import signals as gigscan_signals
from crawler.capture import capture_from
from crawler.items import Gone, Listing, Seller

PAGE_META = "gigscan_page"  # requests for marketplace pages (robots.txt and the like are never block-checked)
RECHECK_META = "gigscan_recheck"  # the re-check target a request visits
GONE_STATUSES = (404, 410)
FIRST_ERROR = "gigscan/first_error"  # stats key: the first failed page's cause, one line


def truthy(value: bool | str | None) -> bool:
    """A spider argument as a bool: ``scrapy crawl -a follow_sellers=0`` passes strings."""
    return value not in (False, None, "", "0", "false", "False", "no", "off")


class MarketplaceSpider(scrapy.Spider, ABC):
    """Base class: queries, ``max_pages``, ``base_url`` and ``follow_sellers`` as every spider takes them."""

    marketplace: str = ""
    default_base_url: str = ""
    # What the crawl library (crawler.run) reads instead of a list of its own: each spider declares its abilities.
    can_recheck: ClassVar[bool] = False  # visits known URLs again (``recheck=FILE``) and reports takedowns
    searches: ClassVar[bool] = True  # takes queries; without any, it searches the ruleset's seed queries
    takes_profile: ClassVar[bool] = False  # needs a site profile (``profile=FILE.toml``) to know its marketplace
    # Where this marketplace lives on a mirror serving every marketplace (the testbed): ``ROOT/<mirror_path>``.
    mirror_path: ClassVar[str | None] = None  # None: ``/<marketplace>``

    def __init__(
        self,
        query: str | list[str] | None = None,
        max_pages: int | str = 3,
        base_url: str | None = None,
        follow_sellers: bool | str = True,
        recheck: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        queries = [query] if isinstance(query, str) else list(query or [])
        self.queries = [q for q in (q.strip() for q in queries) if q]
        self.max_pages = int(max_pages)
        self.base_url = (base_url or self.default_base_url).rstrip("/") + "/"
        self.follow_sellers = truthy(follow_sellers)
        self.sellers_followed: set[str] = set()
        self.sellers_yielded: set[tuple[Any, ...]] = set()
        self.recheck_targets = load_targets(recheck) if recheck else []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MarketplaceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.queries and not spider.recheck_targets and spider.searches:
            spider.queries = seed_queries(crawler.settings.get("GIGSCAN_RULES"))
        crawler.signals.connect(spider.on_listing_flagged, signal=gigscan_signals.listing_flagged)
        return spider

    @classmethod
    def marketplaces(cls, mirror: str | None) -> list[tuple[str, dict[str, Any]]]:
        """(label, spider arguments) of each marketplace this spider crawls in ``gigscan crawl all``; with
        ``mirror``, on that one host serving every marketplace (see :meth:`mirror_url`)."""
        return [(cls.marketplace, {"base_url": cls.mirror_url(mirror, cls.marketplace)})]

    @classmethod
    def mirror_url(cls, mirror: str | None, marketplace: str) -> str | None:
        """This marketplace's base URL on ``mirror``: its root plus ``mirror_path`` (``/<marketplace>``)."""
        if mirror is None:
            return None
        path = cls.mirror_path if cls.mirror_path is not None else f"/{marketplace}"
        return mirror.rstrip("/") + path

    # -- requests -----------------------------------------------------------------------------------------
    def page_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A request for a marketplace page: its response is checked for blocks (see BlockPageMiddleware), and a
        failure (refused, DNS, an HTTP error) is noted as the run's first cause (:meth:`request_failed`)."""
        return scrapy.Request(url, callback=callback, errback=self.request_failed, meta={PAGE_META: True, **meta})

    def request_failed(self, failure: Any) -> None:
        """Keep the first failed page's cause, in one line, as ``gigscan/first_error``: what a failed run's
        reason says (connection refused, DNS, a 404 on the start page) instead of a traceback."""
        self.crawler.stats.inc_value("gigscan/page_errors")
        self.note_error(describe_failure(failure))

    def note_error(self, cause: str) -> None:
        """Keep ``cause`` as the run's first error unless an earlier one is kept (a spider that lets an error
        status through to its callback, e.g. a 404 start page, notes it here)."""
        if self.crawler.stats.get_value(FIRST_ERROR) is None:
            self.crawler.stats.set_value(FIRST_ERROR, cause)

    def recheck_requests(self) -> Iterator[scrapy.Request]:
        """One request per re-check target: listings to ``parse_gig``, sellers to ``parse_seller``. Never
        de-duplicated away (the same page followed from a seller page would not let a 404 through)."""
        for target in self.recheck_targets:
            callback = self.parse_seller if target["kind"] == "seller" else self.parse_gig
            request = self.page_request(
                target["url"], callback, handle_httpstatus_list=list(GONE_STATUSES), **{RECHECK_META: target}
            )
            yield request.replace(dont_filter=True)

    def gone(self, response: Response) -> Gone | None:
        """On a re-check, the Gone item when the target answered 404/410 or was redirected to another page."""
        target = response.meta.get(RECHECK_META)
        if target is None:
            return None
        if response.status in GONE_STATUSES:
            reason = f"http {response.status}"
        elif response.meta.get("redirect_urls") and _page_path(response.url) != _page_path(target["url"]):
            reason = f"redirected to {response.url}"
        else:
            return None
        self.crawler.stats.inc_value("gigscan/recheck/gone")
        return Gone(
            marketplace=self.marketplace,
            kind=target["kind"],
            url=target["url"],
            reason=reason,
            external_id=target.get("external_id"),
            username=target.get("username"),
            capture=capture_from(response),
        )

    def site_url(self, path: str) -> str:
        """``path`` under the base URL, keeping any path prefix the base URL has (a mirror, the testbed)."""
        return self.base_url + path.lstrip("/")

    def is_blocked(self, response: Response) -> bool:
        """Used by BlockPageMiddleware. Not-found answers and robots.txt are real answers, never blocks.

        In a downloader middleware Scrapy 2.19 has not tied the response to its request yet (``response.meta``
        raises), so the request's ``PAGE_META`` mark is read only when it is there.
        """
        request = response.request
        if request is not None and not request.meta.get(PAGE_META):
            return False
        if response.status in (404, 410) or urlsplit(response.url).path == "/robots.txt":
            return False
        return self.looks_blocked(response)

    @abstractmethod
    def looks_blocked(self, response: Response) -> bool:
        """True when the response is an anti-bot challenge or error page instead of the page asked for."""

    # -- sellers ------------------------------------------------------------------------------------------
    def new_seller(self, seller: Seller | None) -> bool:
        """True the first time this run meets a seller with these details (capture aside).

        A seller with five gigs shows the same profile block on each gig page; storing it once per run is
        enough to prove it was live then (the gig pages themselves are stored with their listings), and it
        spares the store four records. Changed details count as new, so history still sees every change.
        """
        if seller is None:
            return False
        key = tuple(v for k, v in vars(seller).items() if k != "capture")
        if key in self.sellers_yielded:
            self.crawler.stats.inc_value("gigscan/sellers_repeated")
            return False
        self.sellers_yielded.add(key)
        return True

    # -- stats --------------------------------------------------------------------------------------------
    def count_page(self, kind: str, page: Any) -> None:
        stats = self.crawler.stats
        stats.inc_value("gigscan/pages_parsed")
        stats.inc_value(f"gigscan/pages_parsed/{kind}")
        skipped = getattr(page, "skipped", 0)
        if skipped:
            stats.inc_value("gigscan/cards_skipped", skipped)

    # -- following sellers of flagged listings ---------------------------------------------------------
    def on_listing_flagged(self, item: Listing) -> None:
        if not self.follow_sellers or item.marketplace != self.marketplace:
            return
        key = item.seller.casefold()
        if key in self.sellers_followed:
            return
        self.sellers_followed.add(key)
        url = self.seller_url(item)
        if url is None:
            return
        self.crawler.stats.inc_value("gigscan/sellers_followed")
        self.crawler.engine.crawl(self.page_request(url, self.parse_seller))

    def seller_url(self, item: Listing) -> str | None:
        """Where the seller of ``item`` lists their other listings; None when the marketplace has no such page."""
        return item.seller_profile_url or urljoin(self.base_url, item.seller)

    @abstractmethod
    def parse_seller(self, response: Response) -> Iterator[Any]:
        """Items of a seller's page (and requests for their other listings): where ``seller_url`` leads."""


def seed_queries(rules_path: str | None) -> list[str]:
    """The ruleset's seed queries: what a spider searches when it is given no query."""
    from crawler.scanning import scanner_for

    return list(scanner_for(rules_path).ruleset.seed_queries)


def describe_failure(failure: Any) -> str:
    """A failed request in one line: ``connection refused: http://host/...``, ``HTTP 404: URL``..."""
    error = failure.value
    request = getattr(failure, "request", None)
    response = getattr(error, "response", None)
    if response is not None:  # HttpError: an answer, but not a page
        return f"HTTP {response.status} on {response.url}"
    url = request.url if request is not None else "?"
    kind = type(error).__name__
    for marker, words in _FAILURE_WORDS:
        if marker in kind:
            return f"{words}: {url}"
    return f"{kind}: {url}"


# Scrapy 2.19 wraps Twisted's errors (DownloadConnectionRefusedError, CannotResolveHostError...): match names.
_FAILURE_WORDS = (("ConnectionRefused", "connection refused"), ("Resolve", "DNS lookup failed"),
                  ("DNSLookup", "DNS lookup failed"), ("Timeout", "timed out"), ("TimedOut", "timed out"),
                  ("ConnectionLost", "connection lost"), ("ResponseNeverReceived", "no response"))


def load_targets(path: str) -> list[dict[str, Any]]:
    """Re-check targets, one JSON object per line (``kind``, ``url``, ``external_id`` or ``username``)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _page_path(url: str) -> str:
    return urlsplit(url).path.rstrip("/").lower()
