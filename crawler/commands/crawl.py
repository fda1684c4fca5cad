"""``scrapy crawl``, Scrapy's own command, whose exit status also says how gigscan judged the run.

Scrapy exits 0 once the engine has run, whatever happened inside; a cron job, scrapyd or CI step running
``scrapy crawl`` would then take a failed crawl (nothing stored, connection refused, a full disk) for a good one.
The run monitors (``crawler.extensions.RunMonitors``) judge each run into the stats; this command exits 1 when
that judgement is not ``finished``, as ``gigscan crawl`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.extensions import STATUS

if TYPE_CHECKING:
    import argparse

    from scrapy import Spider
    from scrapy.crawler import Crawler


class Command(ScrapyCrawl):
    crawlers: list[Crawler]

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        self.crawlers = []
        super().run(args, opts)
        judged = [crawler.stats.get_value(STATUS) for crawler in self.crawlers if crawler.stats is not None]
        if any(status not in (None, "finished") for status in judged):
            self.exitcode = 1

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        self.crawlers.append(crawler)
        return crawler
