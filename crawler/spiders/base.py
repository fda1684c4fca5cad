"""What every gigscan spider shares: arguments, the base URL, page requests, block checks, stats, following.

A marketplace spider subclasses `MarketplaceSpider`, sets ``name``, ``marketplace`` and ``default_base_url``,
implements ``start`` and its callbacks, and says what a block page looks like (``looks_blocked``). Everything
else (seed queries from the ruleset when no query is given, the ``gigscan/pages_parsed`` counters, following
the seller of a flagged listing once) is here, so the spiders stay thin and behave alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler import signals as gigscan_signals
from crawler.items import Listing

PAGE_META = "gigscan_page"  # requests for marketplace pages (robots.txt and the like are never block-checked)


def truthy(value: bool | str | None) -> bool:
    """A spider argument as a bool: ``scrapy crawl -a follow_sellers=0`` passes strings."""
    return value not in (False, None, "", "0", "false", "False", "no", "off")


class MarketplaceSpider(scrapy.Spider):
    """Base class: queries, ``max_pages``, ``base_url`` and ``follow_sellers`` as every spider takes them."""

    marketplace: str = ""
    default_base_url: str = ""

    def __init__(
        self,
        query: str | list[str] | None = None,
        max_pages: int | str = 3,
        base_url: str | None = None,
        follow_sellers: bool | str = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        queries = [query] if isinstance(query, str) else list(query or [])
        self.queries = [q for q in (q.strip() for q in queries) if q]
        self.max_pages = int(max_pages)
        self.base_url = (base_url or self.default_base_url).rstrip("/") + "/"
        self.follow_sellers = truthy(follow_sellers)
        self.sellers_followed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MarketplaceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.queries:
            from crawler.scanning import scanner_for

            spider.queries = list(scanner_for(crawler.settings.get("GIGSCAN_RULES")).seed_queries)
        crawler.signals.connect(spider.on_listing_flagged, signal=gigscan_signals.listing_flagged)
        return spider

    # -- requests -----------------------------------------------------------------------------------------
    def page_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A request for a marketplace page: its response is checked for blocks (see BlockPageMiddleware)."""
        return scrapy.Request(url, callback=callback, meta={PAGE_META: True, **meta})

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

    def looks_blocked(self, response: Response) -> bool:
        """True when the response is an anti-bot challenge or error page instead of the page asked for."""
        raise NotImplementedError

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

    def parse_seller(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError
