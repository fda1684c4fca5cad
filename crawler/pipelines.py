"""Item pipelines: validate -> scan (matchers) -> store (db), in that order (see ITEM_PIPELINES).

Each is a small Scrapy component, switchable in settings. Spiders never touch the store; pipelines never
parse pages.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler import signals as gigscan_signals
from crawler.items import Listing, Seller
from crawler.scanning import scanner_for
from db.store import Store

logger = logging.getLogger(__name__)


class _Component:
    """Keeps the crawler (Scrapy 2.13+ passes no spider to pipeline methods)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)


class ValidatePipeline(_Component):
    """Drop items a page object could not fill in: they would be evidence of nothing."""

    def process_item(self, item: Any) -> Any:
        problem = validation_problem(item)
        if problem:
            self.stats.inc_value("gigscan/invalid_items")
            raise DropItem(f"invalid {type(item).__name__}: {problem}")
        return item


def validation_problem(item: Any) -> str | None:
    if isinstance(item, Listing):
        for name in ("marketplace", "external_id", "url", "seller", "title"):
            if not isinstance(getattr(item, name), str) or not getattr(item, name).strip():
                return f"missing {name}"
        if item.price is not None and item.price < 0:
            return "negative price"
        return None
    if isinstance(item, Seller):
        if not item.username or not item.marketplace:
            return "missing username"
        return None
    return f"unknown item type {type(item).__name__}"


class ScanPipeline(_Component):
    """Attach the matchers' verdict to every listing and announce flagged ones (sellers get followed)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.scanner = scanner_for(crawler.settings.get("GIGSCAN_RULES"))
        self.stats.set_value("gigscan/ruleset_version", self.scanner.version)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Listing):
            return item
        verdict = self.scanner.scan({"title": item.title, "description": item.description, "tags": item.tags})
        item.verdict = verdict.to_dict()
        if verdict.flagged:
            self.stats.inc_value("gigscan/flagged_items")
            self.crawler.signals.send_catch_log(gigscan_signals.listing_flagged, item=item)
        return item


class StorePipeline(_Component):
    """Write items to the evidence store in batched transactions and keep a run record with Scrapy's stats."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.db_path = settings.get("GIGSCAN_DB")
        self.batch_size = settings.getint("GIGSCAN_STORE_BATCH")
        self.rules_path = settings.get("GIGSCAN_RULES")
        self.buffer: list[dict[str, Any]] = []
        self.store: Store | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def open_spider(self) -> None:
        settings = self.crawler.settings
        self.store = Store(self.db_path)
        spider = self.crawler.spider
        self.run_id = self.store.start_run(
            kind="crawl",
            spider=spider.name if spider else None,
            args=dict(settings.getdict("GIGSCAN_RUN_ARGS")),
            ruleset_version=scanner_for(self.rules_path).version,
            gigscan_version=settings.get("GIGSCAN_VERSION"),
        )
        self.stats.set_value("gigscan/run_id", self.run_id)

    def process_item(self, item: Any) -> Any:
        record = dataclasses.asdict(item)
        record["type"] = "listing" if isinstance(item, Listing) else "seller"
        self.buffer.append(record)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.buffer or self.store is None or self.run_id is None:
            return
        result = self.store.record_batch(self.run_id, self.buffer)
        self.buffer = []
        for name, value in dataclasses.asdict(result).items():
            if value:
                self.stats.inc_value(f"gigscan/store/{name}", value)

    def close_spider(self) -> None:
        self.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.store is None or self.run_id is None:
            return
        stats = self.stats.get_stats()
        status = run_status(reason, stats)
        self.store.finish_run(self.run_id, status, stats)
        self.store.close()
        self.store = None


def run_status(reason: str, stats: dict[str, Any]) -> str:
    """``finished``; ``blocked`` when block pages were given up on; ``failed`` when nothing could be parsed."""
    if reason != "finished":
        return reason
    if stats.get("gigscan/blocked_gave_up"):
        return "blocked"
    if not stats.get("gigscan/pages_parsed") and stats.get("downloader/request_count"):
        return "failed"
    return "finished"
