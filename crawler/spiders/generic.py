"""Profile-driven spider: any marketplace described by a site profile (``crawler/profiles/*.toml``), no Python.

``gigscan crawl generic --profile crawler/profiles/seoclerks.toml --query "amazon reviews"``: search pages (the
profile's URL template, or its start URLs) -> listing pages; the next page is the profile's next link, or the
``{page}`` number plus one while a page still lists something; sellers of flagged listings -> their page ->
their other listings. What to read where is all in the profile (see ``crawler.pages.profile``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.capture import capture_from
from crawler.items import Listing
from crawler.pages.profile import Profile, ProfilePage, load_profile, shipped_profiles
from crawler.spiders.base import MarketplaceSpider


class GenericSpider(MarketplaceSpider):
    name = "generic"
    takes_profile = True  # one marketplace per site profile: --profile FILE.toml

    def __init__(self, *args: Any, profile: str | Path | Profile | None = None, **kwargs: Any) -> None:
        if profile is None:
            raise ValueError("the generic spider needs a site profile: --profile FILE.toml")
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
        self.marketplace = self.profile.name
        self.default_base_url = self.profile.base_url
        super().__init__(*args, **kwargs)

    @classmethod
    def marketplaces(cls, mirror: str | None) -> list[tuple[str, dict[str, Any]]]:
        """Every shipped profile is a marketplace of its own (``crawler/profiles/*.toml``)."""
        out = []
        for path in shipped_profiles():
            name = load_profile(path).name
            out.append((name, {"base_url": cls.mirror_url(mirror, name), "profile": str(path)}))
        return out

    def page(self, response: Response) -> ProfilePage:
        return ProfilePage(
            response.text, response.url, capture_from(response), profile=self.profile, base_url=self.base_url
        )

    def _read(self, response: Response, kind: str, unavailable: str) -> ProfilePage | None:
        """The page of a ``kind`` answer, counted; None for an error status, counted as ``unavailable``."""
        if response.status >= 400:
            self.crawler.stats.inc_value(f"gigscan/{unavailable}_unavailable")
            self.note_error(f"HTTP {response.status} on {response.url}")
            return None
        page = self.page(response)
        self.count_page(kind, page)
        return page

    # -- requests -----------------------------------------------------------------------------------------
    def search_url(self, query: str, page: int) -> str:
        return self.site_url(self.profile.search_urls(query, page))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.profile.start_urls:
            for path in self.profile.start_urls:
                yield self.page_request(self.site_url(path), self.parse_search, page=1)
            return
        first = self.profile.first_page
        for query in self.queries:
            yield self.page_request(self.search_url(query, first), self.parse_search, query=query, page=1)

    def looks_blocked(self, response: Response) -> bool:
        return ProfilePage(response.text, response.url, profile=self.profile).is_blocked()

    # -- callbacks ----------------------------------------------------------------------------------------
    def parse_search(self, response: Response) -> Iterator[Any]:
        page = self._read(response, "search", "search")
        if page is None:
            return
        links = page.listing_links
        for url in links:
            yield self.page_request(url, self.parse_listing)
        number = response.meta.get("page", 1)
        if number >= self.max_pages:
            return
        next_url = page.next_page_url()
        query = response.meta.get("query")
        if next_url is None and links and query is not None and self.profile.next_link is None:
            next_url = self.search_url(query, self.profile.first_page + number)
        if next_url:
            yield self.page_request(next_url, self.parse_search, query=query, page=number + 1)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        page = self._read(response, "listing", "gig")
        if page is None:
            return
        yield page.seller
        yield page.listing

    def parse_seller(self, response: Response) -> Iterator[Any]:
        page = self._read(response, "seller", "seller")
        if page is None:
            return
        for url in page.seller_links:
            yield self.page_request(url, self.parse_listing)

    def seller_url(self, item: Listing) -> str | None:
        if item.seller_profile_url:
            return item.seller_profile_url
        path = self.profile.seller_page(item.seller)
        return self.site_url(path) if path else None
