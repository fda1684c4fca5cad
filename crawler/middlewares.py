"""Downloader middlewares: treat anti-bot block pages as failures to retry, never as empty results."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares import cookies as _cookies
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from tldextract import TLDExtract

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Scrapy's cookie middleware splits domains with tldextract, which by default downloads the Public Suffix List
# from the internet on first use. A crawler must make no request its user did not ask for (and must work
# offline, e.g. against the testbed): use the list snapshot that ships inside tldextract instead.
_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class BlockPageMiddleware:
    """Retry block pages (e.g. PerimeterX "Press & Hold") with backoff and count them in ``gigscan/blocked``.

    The spider decides what a block page is (``spider.is_blocked(response) -> bool``), because only it knows
    what a real page of its marketplace must contain. On a block the download slot's delay is multiplied by
    ``GIGSCAN_BLOCK_BACKOFF`` (AutoThrottle never lowers a delay on a non-200 answer, and lowers it again
    slowly on good pages), then the request is retried through Scrapy's retry machinery. When retries run
    out the request is dropped and counted in ``gigscan/blocked_gave_up``, so a run can tell "blocked" from
    "nothing found".
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.backoff = crawler.settings.getfloat("GIGSCAN_BLOCK_BACKOFF")
        self.max_delay = crawler.settings.getfloat("GIGSCAN_BLOCK_MAX_DELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockPageMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        spider = self.crawler.spider
        is_blocked = getattr(spider, "is_blocked", None)
        if request.meta.get("dont_check_block") or is_blocked is None or not is_blocked(response):
            return response
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("gigscan/blocked")
        self._slow_down(request)
        retry = get_retry_request(request, spider=spider, reason="blocked", stats_base_key="gigscan/block_retry")
        if retry is not None:
            return retry
        stats.inc_value("gigscan/blocked_gave_up")
        raise IgnoreRequest(f"blocked page at {response.url}, retries exhausted")

    def _slow_down(self, request: Request) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.delay = min(max(slot.delay, 0.25) * self.backoff, self.max_delay)
