"""Middlewares. Downloader: block pages are failures to retry, never empty results; each download slot is paced as
the server asks (robots.txt Crawl-delay, Retry-After); the user agent names gigscan and its operator; gzip bombs
are counted. Spider: listings found per search query, for the zero-results monitor; at most so many listings and
links out of one page."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Collection
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares import cookies as _cookies
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.asyncio import sleep
from tldextract import TLDExtract

from crawler.items import Listing
from crawler.monitors import QUERY_RESULTS

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
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
        if request.meta.get("dont_check_block") or is_blocked is None or is_server_error(response.status):
            return response
        if not is_blocked(response):
            return response
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("gigscan/blocked")
        slow_down(self.crawler, request, self.backoff, self.max_delay)
        retry = get_retry_request(request, spider=spider, reason="blocked", stats_base_key="gigscan/block_retry")
        if retry is not None:
            return retry
        stats.inc_value("gigscan/blocked_gave_up")
        raise IgnoreRequest(f"blocked page at {response.url}, retries exhausted")



def is_server_error(status: int) -> bool:
    """A 5xx other than 503 is the server failing, not a challenge: RetryMiddleware retries it as such."""
    return status >= 500 and status != 503


def download_slot(crawler: Crawler, request: Request) -> Slot | None:
    """The downloader slot ``request`` goes through, if it exists yet."""
    engine = crawler.engine
    if engine is None:
        return None
    downloader = engine.downloader
    return downloader.slots.get(downloader.get_slot_key(request))


def slow_down(crawler: Crawler, request: Request, backoff: float, max_delay: float) -> None:
    """Multiply the delay of ``request``'s slot by ``backoff`` (from at least 0.25 s), up to ``max_delay``.
    AutoThrottle never lowers a delay on a non-200 answer, and lowers it again slowly on good pages."""
    slot = download_slot(crawler, request)
    if slot is not None:
        slot.delay = min(max(slot.delay, 0.25) * backoff, max_delay)


def recovered_delay(delay: float, base: float) -> float:
    """After a good page, halve a delay that backoff raised, back down to the configured ``base`` (never below)."""
    return max(base, delay / 2) if delay > base else delay


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header (delay-seconds or an HTTP date) as seconds from now; None if absent or invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class PacingMiddleware:
    """Pace each download slot as its server asks.

    - robots.txt ``Crawl-delay`` (Scrapy 2.19 parses it but applies it nowhere) becomes a floor under the slot's
      delay, with no jitter below it. AutoThrottle may lower a delay after any response, so the floor is
      re-applied on ``response_downloaded``: this middleware is built with the engine, after the extensions, so
      its handler runs after AutoThrottle's.
    - 429 and 503 with ``Retry-After`` (seconds or an HTTP date, capped at ``GIGSCAN_RETRY_AFTER_MAX``): no
      request goes to that slot before the time given, the slot's delay is multiplied by
      ``GIGSCAN_BLOCK_BACKOFF``, and the request is retried here (stats ``gigscan/retry_after/<status>``).
    - 429 and 503 without it: the slot is slowed the same way and Scrapy's RetryMiddleware retries the request.

    Its ``process_response`` must run before RetryMiddleware's and BlockPageMiddleware's (a higher order number).
    """

    PACED_STATUSES = (429, 503)

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.backoff = settings.getfloat("GIGSCAN_BLOCK_BACKOFF")
        self.max_delay = settings.getfloat("GIGSCAN_BLOCK_MAX_DELAY")
        self.max_wait = settings.getfloat("GIGSCAN_RETRY_AFTER_MAX")
        self.robots_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or "*"
        self.floors: dict[str, float] = {}  # slot key -> Crawl-delay
        # Without AutoThrottle nothing would ever lower a delay raised by a block or a 429: this middleware does.
        self.autothrottle = settings.getbool("AUTOTHROTTLE_ENABLED")
        self.base_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.not_before: dict[str, float] = {}  # slot key -> monotonic time of the next allowed request
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PacingMiddleware:
        return cls(crawler)

    def _key(self, request: Request) -> str:
        assert self.crawler.engine is not None
        return self.crawler.engine.downloader.get_slot_key(request)

    # -- robots.txt Crawl-delay -----------------------------------------------------------------------------
    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = robotparser.crawl_delay(self.robots_agent)
        if delay:
            key = self._key(request)
            self.floors[key] = float(delay)
            self.crawler.stats.set_value(f"gigscan/crawl_delay/{key}", float(delay))
            self._apply_floor(request)

    def response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        if not self.autothrottle and response.status == 200:
            slot = download_slot(self.crawler, request)
            if slot is not None:
                slot.delay = recovered_delay(slot.delay, self.base_delay)
        self._apply_floor(request)

    def _apply_floor(self, request: Request) -> None:
        floor = self.floors.get(self._key(request))
        slot = download_slot(self.crawler, request) if floor else None
        if slot is not None and floor is not None:
            slot.delay = max(slot.delay, floor)
            slot.jitter = 0.0

    # -- Retry-After ----------------------------------------------------------------------------------------
    async def process_request(self, request: Request) -> None:
        key = self._key(request)
        self._apply_floor(request)
        wait = self.not_before.get(key, 0.0) - time.monotonic()
        if wait > 0:
            self.crawler.stats.inc_value("gigscan/retry_after/waits")
            await sleep(wait)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.PACED_STATUSES or request.meta.get("dont_retry"):
            return response
        stats = self.crawler.stats
        slow_down(self.crawler, request, self.backoff, self.max_delay)
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response  # RetryMiddleware retries it, from a slower slot
        stats.inc_value(f"gigscan/retry_after/{response.status}")
        if wait > self.max_wait:
            logger.warning("%s asked to wait %.0fs; waiting %.0fs (GIGSCAN_RETRY_AFTER_MAX)", response, wait,
                           self.max_wait)
            wait = self.max_wait
        key = self._key(request)
        self.not_before[key] = max(self.not_before.get(key, 0.0), time.monotonic() + wait)
        retry = get_retry_request(request, spider=self.crawler.spider, reason=f"retry_after_{response.status}")
        return retry if retry is not None else response


def user_agent(version: str, contact_url: str) -> str:
    """The user agent: the tool, its version, and where a site's operator can reach the crawl's operator."""
    return f"gigscan/{version} (+{contact_url})"


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """Scrapy's UserAgentMiddleware, with the agent rebuilt from the operator's contact URL (:func:`contact_url`)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        middleware = super().from_crawler(crawler)
        contact = contact_url(crawler.settings)
        if contact:
            middleware.user_agent = user_agent(crawler.settings["GIGSCAN_VERSION"], contact)
        return middleware


def contact_url(settings: BaseSettings) -> str | None:
    """The contact URL the agent names, or None to keep ``USER_AGENT`` as set. ``--set GIGSCAN_CONTACT_URL``
    beats ``--set USER_AGENT`` given at a lower priority; the environment's ``GIGSCAN_CONTACT_URL`` (read now,
    when the crawl starts, not when the settings were imported) beats the project's defaults only."""
    given = settings.getpriority("USER_AGENT") or 0
    if (settings.getpriority("GIGSCAN_CONTACT_URL") or 0) > given:
        return settings["GIGSCAN_CONTACT_URL"]
    from_env = os.environ.get("GIGSCAN_CONTACT_URL")
    return from_env if from_env and given <= SETTINGS_PRIORITIES["project"] else None


class CountedCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, which stops inflating a body at DOWNLOAD_MAXSIZE (a gzip bomb), with
    each such drop counted in ``gigscan/oversized/decompressed`` so a run's stats show it, not only its log."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            if self.stats is not None:
                self.stats.inc_value("gigscan/oversized/decompressed")
            raise


class QueryResultsMiddleware(BaseSpiderMiddleware):
    """Distinct listings found per search query, in ``gigscan/query_results/<query>``.

    A search request carries ``meta["query"]``; every request a response to it leads to inherits it (search page
    -> next page, detail page), so a listing counts for its query whether it was read from a search card or from
    the detail page a card linked to. A detail page two queries link to is fetched once (Scrapy's duplicate
    filter drops the second request), so it counts for every query whose pages asked for it: otherwise the query
    that asked second would read 0 in one run and not the next, and the zero-results monitor would cry wolf.
    A query gets its counter (at 0) once a page of it comes back, so a query whose pages came back with nothing
    reads 0 ("zero results"), while one whose pages never came back (blocked, failed) has no counter: the
    blocked-page and error counters tell that story.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.found: dict[str, set[tuple[str, str]]] = {}
        self.asked: dict[str, set[str]] = {}  # a URL -> the queries whose pages asked for it
        self.read: dict[str, set[tuple[str, str]]] = {}  # a URL -> the listings read from its page

    @staticmethod
    def _query(response: Response | None) -> str | None:
        request = getattr(response, "request", None)
        return request.meta.get("query") if request is not None else None

    def process_spider_input(self, response: Response) -> None:
        query = self._query(response)
        if query and response.status < 400 and query not in self.found:
            self.found[query] = set()
            self.stats.set_value(QUERY_RESULTS + query, 0)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        query = self._query(response)
        if query:
            if "query" not in request.meta:
                request.meta["query"] = query
            self.asked.setdefault(request.url, set()).add(query)
            self._count(query, self.read.get(request.url, ()))  # already read for another query
        return request

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        query = self._query(response)
        if query and isinstance(item, Listing):
            listing = (item.marketplace, item.external_id)
            request = response.request  # (there is a query, so there is a request)
            urls = [*request.meta.get("redirect_urls", ()), request.url]
            for url in urls:
                self.read.setdefault(url, set()).add(listing)
            for asker in {query}.union(*(self.asked.get(url, ()) for url in urls)):
                self._count(asker, (listing,))
        return item

    def _count(self, query: str, listings: Collection[tuple[str, str]]) -> None:
        if listings:
            found = self.found.setdefault(query, set())
            found.update(listings)
            self.stats.set_value(QUERY_RESULTS + query, len(found))


class PageCapMiddleware(BaseSpiderMiddleware):
    """At most ``GIGSCAN_MAX_LISTINGS_PER_PAGE`` listings and ``GIGSCAN_MAX_LINKS_PER_PAGE`` requests out of one
    page; the rest are dropped and counted (``gigscan/page_cap/...``).

    Why: a page is written by whoever serves it. A real search page lists a few dozen gigs; a hostile one with
    10,000 links would otherwise become 10,000 listings and 10,000 requests from one response, and a crawl of
    such pages grows without bound. The caps sit far above any real page, so they only ever cut a hostile one.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.max_listings = crawler.settings.getint("GIGSCAN_MAX_LISTINGS_PER_PAGE")
        self.max_links = crawler.settings.getint("GIGSCAN_MAX_LINKS_PER_PAGE")

    def process_spider_output(self, response: Response | None, result: Any, spider: Any = None) -> Any:
        counts = _PageCounts()
        for output in result:
            if self._keep(output, counts, response):
                yield output

    async def process_spider_output_async(self, response: Response | None, result: Any, spider: Any = None) -> Any:
        counts = _PageCounts()
        async for output in result:
            if self._keep(output, counts, response):
                yield output

    def _keep(self, output: Any, counts: _PageCounts, response: Response | None) -> bool:
        if response is None:  # start requests are the user's, not a page's
            return True
        if isinstance(output, Listing):
            counts.listings += 1
            over, kind, cap = counts.listings > self.max_listings > 0, "listings", self.max_listings
        elif isinstance(output, Request):
            counts.links += 1
            over, kind, cap = counts.links > self.max_links > 0, "links", self.max_links
        else:
            return True
        if over:
            self.stats.inc_value(f"gigscan/page_cap/{kind}_dropped")
            if kind not in counts.capped:
                counts.capped.add(kind)
                self.stats.inc_value(f"gigscan/page_cap/pages_over_{kind}_cap")
                logger.warning("%s holds more than %d %s: the rest are dropped", response.url, cap, kind)
        return not over


class _PageCounts:
    """What one response has yielded so far."""

    __slots__ = ("listings", "links", "capped")

    def __init__(self) -> None:
        self.listings = 0
        self.links = 0
        self.capped: set[str] = set()
