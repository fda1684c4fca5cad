"""Scrapy extensions: the run monitors, so every way of starting a crawl (``gigscan crawl``, a schedule,
``scrapy crawl``, scrapyd, a distributed worker) has its run judged and a bad run notified.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.monitors import counters
from crawler.pipelines import UNCLOSED
from crawler.unattended import REASON, RunReport, judge_run, notify

logger = logging.getLogger(__name__)

STATUS = "gigscan/status"  # the run's status once judged (finished, degraded, blocked, failed...)
REPORT = "gigscan/report"  # the judged run, as a notification carries it


class RunMonitors:
    """On ``spider_closed``, after the store pipeline has closed the run record: compare the run with earlier
    like runs (``crawler.monitors``), mark it ``degraded`` when a monitor fails, and when the run is not healthy
    (failed, blocked, degraded) send ``GIGSCAN_NOTIFY`` the report. The judged status and report go into the
    crawl's stats for the caller (``crawler.run``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.notify_to: str | None = crawler.settings.get("GIGSCAN_NOTIFY") or None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunMonitors:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        # Connected now, not in __init__: the store pipeline connects its spider_closed handler when the engine
        # is built (after the extensions), and the run must be closed before it can be judged.
        self.crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        run_id = stats.get_value("gigscan/run_id")
        db = Path(self.crawler.settings.get("GIGSCAN_DB"))
        try:  # no run: the store pipeline is off or never opened, and a crawl that stored nothing failed;
            # a store error: the run could not be closed (a full disk), so the store's record of it is stale
            closed = run_id is not None and not stats.get_value(UNCLOSED)
            report = judge_run(db, int(run_id)) if closed else unrecorded_failure(db, spider, stats.get_stats())
        except (sqlite3.Error, OSError) as exc:  # the store broke while being read: still say so, and notify
            report = unrecorded_failure(db, spider, {**stats.get_stats(), REASON: f"store failure: {exc}"})
        stats.set_value(STATUS, report.status)
        stats.set_value(REPORT, report.to_dict())
        if not report.healthy:
            logger.warning("run %s (%s) is %s: %s", report.run_id, report.marketplace, report.status,
                           report.reason or "; ".join(f["message"] for f in report.failures))
            self.send([report])

    def send(self, reports: list[RunReport]) -> None:
        if not self.notify_to:
            return
        problem = notify(self.notify_to, reports)
        if problem:
            logger.warning(problem)
            self.crawler.stats.set_value("gigscan/notify_error", problem)  # type: ignore[union-attr]


def unrecorded_failure(db: Path, spider: Any, stats: dict[str, Any]) -> RunReport:
    """The report of a crawl whose store never opened (it stored nothing, so it failed), or failed before it could
    record the run's end (the run id is kept: the store holds what came before)."""
    reason = stats.get(REASON) or "nothing was stored: the store pipeline is off or never opened"
    args = spider.settings.getdict("GIGSCAN_RUN_ARGS") if spider is not None else {}
    run_id = int(stats.get("gigscan/run_id") or 0)
    return RunReport(run_id=run_id, spider=getattr(spider, "name", None),
                     marketplace=args.get("marketplace"),
                     status="failed", db=str(db), started_at=str(stats.get("start_time")),
                     finished_at=str(stats.get("finish_time")), counters=counters(stats), reason=reason,
                     run_id_known=bool(run_id))
