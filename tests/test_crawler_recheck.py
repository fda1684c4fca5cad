"""Re-check crawls on the crawler side: targets become requests that let 404/410 through; a gone or redirected
page becomes a Gone item the pipelines validate and the store understands; a live page parses as usual."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from conftest import read_page_bytes
from crawler.items import Capture, Gone, Listing
from crawler.pipelines import RECORD_TYPES, validation_problem
from crawler.spiders.fiverr import FiverrSpider
from db import Store
from db.testing import listing_record

GIG_URL = "https://www.fiverr.com/vpross/create-a-top-quality-retro-vintage-logo-for-you"
TARGETS = [
    {"kind": "listing", "id": 1, "marketplace": "fiverr", "url": GIG_URL, "external_id": "1001", "username": None},
    {"kind": "seller", "id": 1, "marketplace": "fiverr", "url": "https://www.fiverr.com/vpross", "external_id": None,
     "username": "vpross"},
]  # fmt: skip


@pytest.fixture
def spider(tmp_path: Path) -> FiverrSpider:
    path = tmp_path / "targets.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in TARGETS))
    return FiverrSpider.from_crawler(get_crawler(FiverrSpider), recheck=str(path))


def start_requests(spider: FiverrSpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def answer(request: Request, status: int, body: bytes, url: str | None = None, **meta: object) -> HtmlResponse:
    request = request.replace(url=url or request.url, meta={**request.meta, **meta})
    return HtmlResponse(request.url, status=status, body=body, request=request)


def test_recheck_requests_visit_every_target_and_nothing_else(spider):
    requests = start_requests(spider)
    assert [r.url for r in requests] == [GIG_URL, "https://www.fiverr.com/vpross"]
    assert [r.callback.__name__ for r in requests] == ["parse_gig", "parse_seller"]
    assert all(r.meta["handle_httpstatus_list"] == [404, 410] and r.dont_filter for r in requests)
    assert spider.queries == []  # no seed-query search on a re-check


@pytest.mark.parametrize("status", [404, 410])
def test_gone_answers_become_gone_items(spider, status):
    listing_request, seller_request = start_requests(spider)
    [gone] = list(spider.parse_gig(answer(listing_request, status, b"<html>Page not found</html>")))
    assert isinstance(gone, Gone)
    assert (gone.kind, gone.external_id, gone.url, gone.reason) == ("listing", "1001", GIG_URL, f"http {status}")
    assert gone.capture.status == status and gone.capture.body == b"<html>Page not found</html>"
    [seller_gone] = list(spider.parse_seller(answer(seller_request, status, b"gone")))
    assert (seller_gone.kind, seller_gone.username) == ("seller", "vpross")
    assert spider.crawler.stats.get_value("gigscan/recheck/gone") == 2


def test_redirect_away_is_gone_but_a_live_page_parses(spider):
    listing_request, _ = start_requests(spider)
    home = answer(listing_request, 200, b"<html>home</html>", url="https://www.fiverr.com/",
                  redirect_urls=[GIG_URL])  # fmt: skip
    [gone] = list(spider.parse_gig(home))
    assert gone.reason == "redirected to https://www.fiverr.com/"
    page = read_page_bytes("fiverr/gig_vpross_create-a-top-quality-retro-vintage-logo-for-you_browserhtml.html")
    items = list(spider.parse_gig(answer(listing_request, 200, page)))
    assert [type(item).__name__ for item in items] == ["Seller", "Listing"]
    assert items[1].seller == "vpross"


def test_gone_items_validate_and_store_as_gone_records(tmp_path):
    capture = Capture(url=GIG_URL, status=404, headers={}, body=b"gone", fetched_at="2030-01-01T00:00:00Z")
    gone = Gone("fiverr", "listing", GIG_URL, "http 404", external_id="1001", capture=capture)
    assert validation_problem(gone) is None
    assert "must name" in validation_problem(dataclasses.replace(gone, external_id=None))
    record = {**dataclasses.asdict(gone), "type": RECORD_TYPES[Gone]}
    with Store(tmp_path / "gigscan.db") as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(url=GIG_URL)])
        result = store.record_batch(run, [record])
        assert (result.removed, store.get_listing("fiverr", "1001")["status"]) == (1, "removed")
    assert RECORD_TYPES[Listing] == "listing"
