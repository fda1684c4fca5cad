"""What a worker hands to Redis: its records (the last item pipeline, in place of the store) and its stats.

Records are buffered and sent as one stream entry per ``GIGSCAN_STREAM_BATCH`` records (a search page's body
once per entry, not once per card), and whenever the scheduler is about to release leases (``flush_records``):
a request's lease is released only after its records are on the stream. When the stream holds more than
``GIGSCAN_STREAM_MAX`` entries (the ingester is behind or down), the pipeline waits: memory stays bounded in the
worker and in Redis, and nothing is dropped.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.asyncio import sleep
from scrapy_redis.connection import get_redis_from_settings

from crawler.distributed.scheduler import flush_records
from crawler.pipelines import as_record
from db import stream

logger = logging.getLogger(__name__)
BACKPRESSURE_WAIT_S = 0.5
# Stats that describe one worker's process, not the run: not summed into the fleet's.
_LOCAL_STATS = ("memusage/", "elapsed_time_seconds", "gigscan/run_id", "log_count/")


class StreamPipeline:
    """Item pipeline (last): records go to the Redis stream for the ingester."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.client = get_redis_from_settings(settings)
        self.run = settings.get("GIGSCAN_RUN_KEY")
        self.batch_size = settings.getint("GIGSCAN_STREAM_BATCH")
        self.max_entries = settings.getint("GIGSCAN_STREAM_MAX")
        self.buffer: list[dict[str, Any]] = []
        crawler.signals.connect(self.flush, signal=flush_records)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StreamPipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        self.buffer.append(as_record(item))
        if len(self.buffer) >= self.batch_size:
            self.flush()
            while self.client.xlen(stream.STREAM) > self.max_entries:
                self.stats.inc_value("gigscan/stream/waits")
                await sleep(BACKPRESSURE_WAIT_S)
        return item

    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(stream.STREAM, stream.records_entry(self.run, batch))
        pipe.hincrby(stream.run_hash(self.run), "pushed", len(batch))
        pipe.execute()
        self.stats.inc_value("gigscan/stream/records", len(batch))
        self.stats.inc_value("gigscan/stream/entries")

    def close_spider(self) -> None:
        self.flush()


class StatsSync:
    """Extension: adds this worker's stats to the run's stats hash in Redis (counters summed over the fleet,
    other values last-written), on every ``flush_records`` and when the spider closes. The ingester closes the
    run record with them, so the monitors judge the fleet's run as they judge a local one."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.client = get_redis_from_settings(crawler.settings)
        self.key = stream.run_stats(crawler.settings.get("GIGSCAN_RUN_KEY"))
        self.sent: dict[str, Any] = {}
        crawler.signals.connect(self.sync, signal=flush_records)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsSync:
        return cls(crawler)

    def sync(self) -> None:
        pipe = self.client.pipeline(transaction=False)
        changed = False
        for name, value in self.stats.get_stats().items():
            if name.startswith(_LOCAL_STATS) or isinstance(value, datetime.datetime) or self.sent.get(name) == value:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                pipe.hincrby(self.key, name, value - int(self.sent.get(name) or 0))
            elif isinstance(value, float | str):
                pipe.hset(self.key, name, value)
            else:
                continue
            self.sent[name] = value
            changed = True
        if changed:
            pipe.execute()
