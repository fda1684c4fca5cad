"""Freelancer.com spider: job search pages -> project pages. The listings are job posts; the sellers, clients.

A query is turned into Freelancer's skill path: ``"web scraping, python"`` -> ``/jobs/web-scraping_python/``
(comma-separated parts are skills; the words of a part are joined by hyphens, as in ``software-architecture``).
A skill the site does not know answers 404 and is counted in ``gigscan/freelancer/unknown_skill``. Each public
card is followed to its project page, which is what gets stored (with the card's bid figures merged in), so
a job has one id (the project id) whatever page it was seen on. With ``api=1`` (``scrapy crawl freelancer -a
api=1``, or the setting ``GIGSCAN_FREELANCER_API=1``) queries go to the public REST API's keyword search
instead, whose answers also name the client.

The logged-out project page does not name the client, so there is no client profile to follow: following
flagged sellers applies only to API listings, whose client's other projects are asked from the API.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.capture import capture_from
from crawler.items import Listing
from crawler.pages.freelancer import (
    FreelancerApiPage,
    FreelancerJobsPage,
    FreelancerProjectPage,
    is_block_page,
    merge_card,
)
from crawler.spiders.base import MarketplaceSpider, truthy

API_PAGE_SIZE = 50
_NOT_SLUG = re.compile(r"[^a-z0-9+#]+")


def skill_path(query: str) -> str:
    """``"web scraping, Python"`` -> ``web-scraping_python`` (Freelancer joins skills with ``_``)."""
    parts = query.split(",") if "," in query else [query]
    slugs = [_NOT_SLUG.sub("-", part.strip().lower()).strip("-") for part in parts]
    return "_".join(slug.replace("+", "plus").replace("#", "sharp") for slug in slugs if slug)


class FreelancerSpider(MarketplaceSpider):
    name = "freelancer"
    marketplace = "freelancer"
    default_base_url = "https://www.freelancer.com"

    def __init__(self, *args: Any, api: bool | str = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.use_api = truthy(api)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FreelancerSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # the setting lets `gigscan crawl freelancer --set GIGSCAN_FREELANCER_API=1` choose the API
        spider.use_api = spider.use_api or crawler.settings.getbool("GIGSCAN_FREELANCER_API")
        return spider  # type: ignore[return-value]

    # -- requests -----------------------------------------------------------------------------------------
    def jobs_url(self, query: str) -> str | None:
        path = skill_path(query)
        return self.site_url(f"jobs/{path}/") if path else None

    def api_url(self, params: dict[str, Any], offset: int = 0, path: str = "active/") -> str:
        query = {**params, "limit": API_PAGE_SIZE, "offset": offset, "full_description": "true",
                 "job_details": "true", "user_details": "true"}
        return self.site_url(f"api/projects/0.1/projects/{path}?{urlencode(query, doseq=True)}")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for query in self.queries:
            if self.use_api:
                params = {"query": query}
                yield self.page_request(self.api_url(params), self.parse_api, params=params, page=1)
            elif url := self.jobs_url(query):  # an unknown skill answers 404: counted, not an error
                yield self.page_request(url, self.parse_jobs, page=1, handle_httpstatus_list=[404])

    def looks_blocked(self, response: Response) -> bool:
        return is_block_page(response.body)

    # -- callbacks ----------------------------------------------------------------------------------------
    def parse_jobs(self, response: Response) -> Iterator[Any]:
        if response.status >= 400:
            self.crawler.stats.inc_value("gigscan/freelancer/unknown_skill")
            self.note_error(f"HTTP {response.status} on the start page {response.url}")
            return
        page = FreelancerJobsPage(response.text, response.url, capture_from(response))
        self.count_page("search", page)
        if page.private_project_ids:
            self.crawler.stats.inc_value("gigscan/freelancer/private_projects", len(page.private_project_ids))
        for card in page.listings:
            yield self.page_request(card.url, self.parse_project, card=card.extra)
        number = response.meta.get("page", 1)
        next_url = page.next_page_url()
        if next_url and number < self.max_pages:
            yield self.page_request(next_url, self.parse_jobs, page=number + 1)

    def parse_project(self, response: Response) -> Iterator[Any]:
        if response.status >= 400:
            self.crawler.stats.inc_value("gigscan/gig_unavailable")
            return
        page = FreelancerProjectPage(response.text, response.url, capture_from(response))
        self.count_page("project", page)
        yield page.seller
        card = response.meta.get("card")
        yield merge_card(page.listing, card) if card else page.listing

    def parse_api(self, response: Response) -> Iterator[Any]:
        page = FreelancerApiPage(response.text, response.url, capture_from(response))
        self.count_page("api", page)
        yield from page.sellers
        yield from page.listings
        number, params = response.meta.get("page", 1), response.meta.get("params")
        if params and len(page.projects) >= API_PAGE_SIZE and number < self.max_pages:
            url = self.api_url(params, offset=number * API_PAGE_SIZE)
            yield self.page_request(url, self.parse_api, params=params, page=number + 1)

    parse_seller = parse_api

    def seller_url(self, item: Listing) -> str | None:
        """A flagged client's other projects, from the API; None when the client's id is unknown."""
        owner = item.extra.get("owner_id")
        return self.api_url({"owners[]": owner}, path="") if isinstance(owner, int) else None
