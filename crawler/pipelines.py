"""Item pipelines: validate -> scan (matchers) -> store (db), in that order (see ITEM_PIPELINES).

Each is a small Scrapy component, switchable in settings. Spiders never touch the store; pipelines never
parse pages.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections import deque
from concurrent.futures import Future
from functools import lru_cache
from typing import Any, cast

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler import signals as gigscan_signals
from crawler.items import Gone, Listing, ReviewSet, Seller
from crawler.monitors import failure_reason
from crawler.scanning import scanner_for
from crawler.unattended import REASON
from db.buyer_records import SCOPES
from db.records import Record, VerdictRecord, listing_side
from db.store import BatchResult
from db.store_thread import StoreThread
from matchers import Verdict

logger = logging.getLogger(__name__)
#: Stat set when the store could not record the end of the run (a full disk): its stored record is stale.
UNCLOSED = "gigscan/store/run_unclosed"
# the store's record types
RECORD_TYPES: dict[type, str] = {Listing: "listing", Seller: "seller", Gone: "gone", ReviewSet: "reviews"}


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
    if isinstance(item, Gone):
        if item.kind not in ("listing", "seller") or not item.url or not (item.external_id or item.username):
            return "a gone answer must name the listing or seller"
        return None
    if isinstance(item, ReviewSet):
        return review_set_problem(item)
    return f"unknown item type {type(item).__name__}"


def review_set_problem(item: ReviewSet) -> str | None:
    if not item.marketplace or not item.seller or not item.url:
        return "a review set must name its marketplace, seller and page"
    if item.scope not in SCOPES:
        return f"unknown review scope {item.scope!r}"
    return None


class ScanPipeline(_Component):
    """Attach the matchers' verdict to every listing and announce flagged ones (sellers get followed).

    A crawl sees the same listing text again and again (one gig in the results of several queries, on its
    seller's page, on every re-check), and a verdict is a pure function of the text and the ruleset: the last
    ``GIGSCAN_SCAN_MEMO`` verdicts are kept and reused (each item still gets its own verdict dict).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.scanner = scanner_for(crawler.settings.get("GIGSCAN_RULES"))
        self.stats.set_value("gigscan/ruleset_version", self.scanner.version)
        size = crawler.settings.getint("GIGSCAN_SCAN_MEMO")  # default in crawler.settings
        self.verdict_of = lru_cache(maxsize=size)(self._scan) if size > 0 else self._scan

    def _scan(self, title: str, description: str | None, tags: tuple[str, ...], side: str) -> Verdict:
        return self.scanner.scan({"title": title, "description": description, "tags": list(tags),
                                  "listing_side": side})

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Listing):
            return item
        # the side of the market: a job post is a buyer's (the rules read a buyer's "5 reviews" as an order)
        verdict = self.verdict_of(item.title, item.description, tuple(item.tags or ()), listing_side(item.kind))
        item.verdict = cast(VerdictRecord, verdict.to_dict())
        if verdict.flagged:
            self.stats.inc_value("gigscan/flagged_items")
            self.crawler.signals.send_catch_log(gigscan_signals.listing_flagged, item=item)
        return item

    def close_spider(self) -> None:
        info = getattr(self.verdict_of, "cache_info", None)  # absent when the memo is off
        hits = info().hits if info is not None else 0
        if hits:
            self.stats.set_value("gigscan/scan_memo_hits", hits)


class StorePipeline(_Component):
    """Write items to the evidence store in batched transactions and keep a run record with Scrapy's stats.

    The store is written by a thread of the crawl process (``db.store_thread.StoreThread``): the reactor hands a
    batch over and goes on parsing while it is written. Batches are written in order, one transaction each. At
    most ``GIGSCAN_STORE_PENDING`` batches wait to be written; beyond that the pipeline waits, bounding memory.
    A batch the store cannot write stops the crawl (``store_failed``): nothing after it could be stored either.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.batch_size = settings.getint("GIGSCAN_STORE_BATCH")
        self.max_pending = max(1, settings.getint("GIGSCAN_STORE_PENDING"))
        self.buffer: list[Record] = []
        self.pending: deque[Future[BatchResult]] = deque()
        self.store: StoreThread | None = StoreThread(settings.get("GIGSCAN_DB"))  # opens while the crawl starts
        self.run_id: int | None = None
        self.store_failed = False
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def open_spider(self) -> None:
        assert self.store is not None
        settings, spider = self.crawler.settings, self.crawler.spider
        args = dict(settings.getdict("GIGSCAN_RUN_ARGS"))
        ruleset = scanner_for(settings.get("GIGSCAN_RULES")).version
        name = spider.name if spider else None
        version = settings.get("GIGSCAN_VERSION")
        self.run_id = self.store.call(lambda store: store.start_run("crawl", name, args, ruleset, version))
        self.stats.set_value("gigscan/run_id", self.run_id)

    async def process_item(self, item: Any) -> Any:
        self.buffer.append(as_record(item))
        if len(self.buffer) >= self.batch_size:
            self.flush()
            while len(self.pending) > self.max_pending:
                await _finished(self.pending[0])
                self.collect()
        return item

    def flush(self) -> None:
        if not self.buffer or self.store is None or self.run_id is None:
            return
        batch, self.buffer = self.buffer, []
        self.pending.append(self.store.record_batch(self.run_id, batch))
        self.collect()

    def collect(self) -> None:
        """Count finished batches into the stats. A failed batch is logged and counted, never silent, and stops
        the crawl (``store_failed``), with the store's error as the run's reason: a store that cannot write one
        batch (a full disk, a file gone read-only, a broken record) will not write the next."""
        while self.pending and self.pending[0].done():
            future = self.pending.popleft()
            error = future.exception()
            if error is not None:
                self.stats.inc_value("gigscan/store/failed_batches")
                logger.error("storing a batch failed: %s", error, exc_info=error)
                self.stop(error)
                continue
            for name, value in dataclasses.asdict(future.result()).items():
                if value:
                    self.stats.inc_value(f"gigscan/store/{name}", value)

    def stop(self, error: BaseException) -> None:
        """Close the crawl once, on the store's first failure."""
        if self.store_failed:
            return
        self.store_failed = True
        self.stats.set_value("gigscan/store/error", str(error))
        logger.error("the store failed (%s); closing the crawl, as nothing more can be stored", error)
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_failed"))

    async def close_spider(self) -> None:
        self.flush()
        for future in list(self.pending):
            await _finished(future)
        self.collect()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.store is None:
            return
        run_id, stats = self.run_id, self.stats.get_stats()
        status = run_status(reason, stats)
        why = failure_reason(status, stats)
        if why:
            self.stats.set_value(REASON, why)
            stats = self.stats.get_stats()
        try:
            if run_id is not None:
                self.store.call(lambda store: store.finish_run(run_id, status, stats))
        except (sqlite3.Error, OSError) as exc:  # a full disk: the run cannot be closed; say so, loudly
            logger.error("could not record the end of run %s: %s", run_id, exc)
            self.stats.set_value("gigscan/store/error", str(exc))
            self.stats.set_value(UNCLOSED, True)
            self.stats.set_value(REASON, f"store failure: {exc}")
        finally:
            self.store.close()
            self.store = None


async def _finished(future: Future[Any]) -> None:
    """Wait for a store call to end, failed or not (``collect`` reports failures)."""
    await asyncio.wait([asyncio.wrap_future(future)])


def as_record(item: Listing | Seller | Gone) -> Record:
    """The item as the store's record (:mod:`db.records`): a shallow dict (nested dataclasses such as the
    capture become dicts too).

    Shallow on purpose: ``dataclasses.asdict`` deep-copies every header dict and ``extra`` value, which cost
    about a tenth of a crawl's CPU; items are not changed after this stage, so sharing their values is safe.
    """
    record = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    for name, value in record.items():
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            record[name] = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(item, ReviewSet):  # plain mappings, so the record also crosses a MessagePack stream
        record["reviews"] = [dataclasses.asdict(review) for review in item.reviews]
    record["type"] = RECORD_TYPES[type(item)]
    return cast(Record, record)


def run_status(reason: str, stats: dict[str, Any]) -> str:
    """``finished``; ``blocked`` when block pages were given up on; ``failed`` when nothing could be parsed."""
    if reason == "store_failed":
        return "failed"
    if reason != "finished":
        return reason
    if stats.get("gigscan/blocked_gave_up"):
        return "blocked"
    if not stats.get("gigscan/pages_parsed") and stats.get("downloader/request_count"):
        return "failed"
    return "finished"
