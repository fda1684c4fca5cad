"""Fiverr spider: search pages -> gig pages; sellers of flagged gigs -> their profile -> their other gigs.

Thin by design: it schedules requests and hands each response to a page object (``crawler.pages.fiverr``).
Point it at any host with ``base_url`` (the testbed, a mirror, captured pages served locally).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler import signals as gigscan_signals
from crawler.capture import capture_from
from crawler.items import Listing
from crawler.pages.fiverr import FiverrGigPage, FiverrSearchPage, FiverrSellerPage, is_block_page

PAGE_META = "gigscan_page"


class FiverrSpider(scrapy.Spider):
    name = "fiverr"
    marketplace = "fiverr"
    default_base_url = "https://www.fiverr.com"

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
        self.follow_sellers = follow_sellers not in (False, "0", "false", "no")
        self.sellers_followed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FiverrSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.queries:
            from crawler.scanning import scanner_for

            spider.queries = list(scanner_for(crawler.settings.get("GIGSCAN_RULES")).seed_queries)
        crawler.signals.connect(spider.on_listing_flagged, signal=gigscan_signals.listing_flagged)
        return spider

    # -- requests -----------------------------------------------------------------------------------------
    def page_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, meta={PAGE_META: True, **meta})

    def search_url(self, query: str, page: int) -> str:
        params = {"query": query} if page == 1 else {"query": query, "page": page}
        return urljoin(self.base_url, "search/gigs?" + urlencode(params))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for query in self.queries:
            yield self.page_request(self.search_url(query, 1), self.parse_search, query=query, page=1)

    def is_blocked(self, response: Response) -> bool:
        """Used by BlockPageMiddleware: a Fiverr page without its perseus JSON is a block page."""
        if not response.meta.get(PAGE_META) or response.status in (404, 410):
            return False
        return is_block_page(response.body)

    # -- callbacks ----------------------------------------------------------------------------------------
    def parse_search(self, response: Response) -> Iterator[Any]:
        page = FiverrSearchPage(response.text, response.url, capture_from(response))
        self.count_page("search", page)
        yield from page.sellers
        for listing in page.listings:
            yield listing
            yield self.page_request(listing.url, self.parse_gig)
        number = response.meta.get("page", 1)
        if page.has_more and number < self.max_pages:
            query = response.meta.get("query")
            yield self.page_request(self.search_url(query, number + 1), self.parse_search, query=query, page=number + 1)

    def parse_gig(self, response: Response) -> Iterator[Any]:
        if response.status >= 400:
            self.crawler.stats.inc_value("gigscan/gig_unavailable")
            return
        page = FiverrGigPage(response.text, response.url, capture_from(response))
        self.count_page("gig", page)
        seller = page.seller
        if seller is not None:
            yield seller
        yield page.listing

    def parse_seller(self, response: Response) -> Iterator[Any]:
        page = FiverrSellerPage(response.text, response.url, capture_from(response))
        self.count_page("seller", page)
        yield page.seller
        for listing in page.listings:
            yield listing
            yield self.page_request(listing.url, self.parse_gig)

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
        url = item.seller_profile_url or urljoin(self.base_url, item.seller)
        self.crawler.stats.inc_value("gigscan/sellers_followed")
        self.crawler.engine.crawl(self.page_request(url, self.parse_seller))
