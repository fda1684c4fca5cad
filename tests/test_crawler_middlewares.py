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

from crawler.middlewares import (
    ContactUserAgentMiddleware,
    CountedCompressionMiddleware,
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
