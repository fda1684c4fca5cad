"""Protective middlewares without a network: Retry-After parsing, the user agent, gzip bombs, server errors."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.items import Listing
from crawler.middlewares import (
    ContactUserAgentMiddleware,
    CountedCompressionMiddleware,
    QueryResultsMiddleware,
    is_server_error,
    recovered_delay,
    retry_after_seconds,
)


def project_settings(**cmdline: object) -> Settings:
    """crawler.settings, with ``cmdline`` on top as ``gigscan crawl --set`` gives them."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(cmdline, priority="cmdline")
    settings.set("TWISTED_REACTOR_ENABLED", False, priority="cmdline")  # no crawl: no reactor needed
    return settings


def user_agent_of(**cmdline: object) -> str:
    return ContactUserAgentMiddleware.from_crawler(Crawler(Spider, project_settings(**cmdline))).user_agent


@pytest.mark.parametrize(("header", "seconds"), [
    (b"120", 120.0), ("0", 0.0), (b" 7 ", 7.0), (None, None), (b"", None), (b"soon", None), (b"-5", None),
])
def test_retry_after_in_seconds(header: bytes | str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True).encode()
    assert retry_after_seconds(later, now=now.timestamp()) == pytest.approx(90)
    earlier = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(earlier, now=now.timestamp()) == 0.0


def test_user_agent_names_gigscan_and_a_configurable_contact() -> None:
    default = user_agent_of()
    assert default.startswith("gigscan/") and "(+https://" in default
    mine = user_agent_of(GIGSCAN_CONTACT_URL="https://ops.example.org/bot")
    assert mine == default.split(" ")[0] + " (+https://ops.example.org/bot)"
    assert user_agent_of(USER_AGENT="research-bot/1.0") == "research-bot/1.0"
    crawler = Crawler(Spider, project_settings())
    assert crawler.settings["ROBOTSTXT_USER_AGENT"] == "gigscan" and crawler.settings.getbool("ROBOTSTXT_OBEY")
    assert crawler.settings.getbool("AUTOTHROTTLE_ENABLED")
    assert crawler.settings.getint("DOWNLOAD_MAXSIZE") <= 16 * 1024 * 1024


def test_the_contact_url_in_the_environment_is_read_when_a_crawl_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    default = user_agent_of()
    monkeypatch.setenv("GIGSCAN_CONTACT_URL", "https://env.example.org/bot")  # after crawler.settings was imported
    assert user_agent_of() == default.split(" ")[0] + " (+https://env.example.org/bot)"
    assert user_agent_of(GIGSCAN_CONTACT_URL="https://ops.example.org/bot").endswith("(+https://ops.example.org/bot)")
    assert user_agent_of(USER_AGENT="research-bot/1.0") == "research-bot/1.0"


def test_gzip_bomb_is_stopped_at_the_size_cap_and_counted() -> None:
    crawler = get_crawler(settings_dict=dict(project_settings(DOWNLOAD_MAXSIZE=1024 * 1024)))
    crawler.stats.open_spider()
    middleware = CountedCompressionMiddleware.from_crawler(crawler)
    bomb = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
    request = Request("http://127.0.0.1/gig")
    response = HtmlResponse(request.url, body=bomb, headers={"Content-Encoding": "gzip"}, request=request)
    with pytest.raises(IgnoreRequest, match="DOWNLOAD_MAXSIZE"):
        middleware.process_response(request, response)
    assert crawler.stats.get_value("gigscan/oversized/decompressed") == 1
    page = b"<html><body>" + b"x" * 5000 + b"</body></html>"
    small = HtmlResponse(request.url, body=gzip.compress(page), headers={"Content-Encoding": "gzip"}, request=request)
    assert middleware.process_response(request, small).body == page


def test_server_errors_are_not_block_pages_but_503_may_be() -> None:
    assert [is_server_error(s) for s in (500, 502, 504, 503, 429, 403)] == [True, True, True, False, False, False]


@pytest.mark.parametrize(
    ("delay", "base", "after"), [(8.0, 0.0, 4.0), (1.5, 1.0, 1.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)]
)
def test_backoff_recovers_on_good_pages_without_autothrottle(delay: float, base: float, after: float) -> None:
    assert recovered_delay(delay, base) == after


def _query_results_middleware() -> QueryResultsMiddleware:
    crawler = get_crawler(settings_dict=dict(project_settings()))
    return QueryResultsMiddleware(crawler)


def _page(url: str, query: str, status: int = 200) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=b"<html></html>", request=Request(url, meta={"query": query}))


def _listing(external_id: str) -> Listing:
    return Listing("fiverr", external_id, f"http://127.0.0.1/gig/{external_id}", "seller", "a gig")


@pytest.mark.parametrize("read_before_second_ask", [False, True])
def test_a_listing_two_queries_link_to_counts_for_both(read_before_second_ask: bool) -> None:
    """The duplicate filter fetches a detail page once, for whichever query asked first; the other query found
    it too, in either order, so a second run in another order does not read 0 for it (the zero-results monitor)."""
    mw = _query_results_middleware()
    first, second = _page("http://127.0.0.1/search?q=a", "a"), _page("http://127.0.0.1/search?q=b", "b")
    for search in (first, second):
        mw.process_spider_input(search)
    detail = "http://127.0.0.1/gig/1"
    mw.get_processed_request(Request(detail), first)
    if not read_before_second_ask:
        mw.get_processed_request(Request(detail), second)
    fetched = HtmlResponse(detail, body=b"<html></html>", request=Request(detail, meta={"query": "a"}))
    mw.get_processed_item(_listing("1"), fetched)
    if read_before_second_ask:
        mw.get_processed_request(Request(detail), second)
    mw.get_processed_item(_listing("2"), first)  # a card read on the first query's own page
    stats = mw.stats.get_stats()
    assert stats["gigscan/query_results/a"] == 2
    assert stats["gigscan/query_results/b"] == 1


def test_a_query_whose_pages_came_back_empty_reads_zero_and_one_never_answered_has_no_counter() -> None:
    mw = _query_results_middleware()
    mw.process_spider_input(_page("http://127.0.0.1/search?q=empty", "empty"))
    mw.process_spider_input(_page("http://127.0.0.1/search?q=blocked", "blocked", status=403))
    stats = mw.stats.get_stats()
    assert stats["gigscan/query_results/empty"] == 0
    assert "gigscan/query_results/blocked" not in stats
