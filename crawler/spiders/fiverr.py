"""Fiverr spider: search pages -> gig pages; sellers of flagged gigs -> their profile -> their other gigs.

Thin by design: it schedules requests and hands each response to a page object (``crawler.pages.fiverr``).
Point it at any host with ``base_url`` (the testbed, a mirror, captured pages served locally).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin

import scrapy
from scrapy.http import Response

from crawler.capture import capture_from
from crawler.pages.fiverr import FiverrGigPage, FiverrSearchPage, FiverrSellerPage, is_block_page
from crawler.spiders.base import PAGE_META, MarketplaceSpider

__all__ = ["PAGE_META", "FiverrSpider"]


class FiverrSpider(MarketplaceSpider):
    name = "fiverr"
    marketplace = "fiverr"
    default_base_url = "https://www.fiverr.com"
    can_recheck = True
    mirror_path = ""  # the testbed serves Fiverr at its root

    # -- requests -----------------------------------------------------------------------------------------
    def search_url(self, query: str, page: int) -> str:
        params = {"query": query} if page == 1 else {"query": query, "page": page}
        return urljoin(self.base_url, "search/gigs?" + urlencode(params))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.recheck_requests():
            yield request
        for query in self.queries:
            yield self.page_request(self.search_url(query, 1), self.parse_search, query=query, page=1)

    def looks_blocked(self, response: Response) -> bool:
        """A Fiverr page without its perseus JSON is a block page."""
        return is_block_page(response.body)

    # -- callbacks ----------------------------------------------------------------------------------------
    def parse_search(self, response: Response) -> Iterator[Any]:
        page = FiverrSearchPage(response.text, response.url, capture_from(response))
        self.count_page("search", page)
        # No Seller items from cards: every card's gig page is fetched next and carries the seller's full block
        # (the card's seller fields stay in each listing's snapshot, and the listing record names its seller).
        for listing in page.listings:
            yield listing
            yield self.page_request(listing.url, self.parse_gig)
        number = response.meta.get("page", 1)
        if page.has_more and number < self.max_pages:
            query = response.meta.get("query")
            yield self.page_request(self.search_url(query, number + 1), self.parse_search, query=query, page=number + 1)

    def parse_gig(self, response: Response) -> Iterator[Any]:
        gone = self.gone(response)
        if gone is not None:
            yield gone
            return
        if response.status >= 400:
            self.crawler.stats.inc_value("gigscan/gig_unavailable")
            return
        page = FiverrGigPage(response.text, response.url, capture_from(response))
        self.count_page("gig", page)
        seller = page.seller
        if self.new_seller(seller):
            yield seller
        yield page.listing
        if page.reviews is not None:
            yield page.reviews

    def parse_seller(self, response: Response) -> Iterator[Any]:
        gone = self.gone(response)
        if gone is not None:
            yield gone
            return
        page = FiverrSellerPage(response.text, response.url, capture_from(response))
        self.count_page("seller", page)
        yield page.seller
        yield from page.review_sets
        for listing in page.listings:
            yield listing
            yield self.page_request(listing.url, self.parse_gig)
