"""``gigscan crawl SPIDER``: run a Scrapy crawl in this process, with a live progress line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawler.pipelines import run_status
from gigscan import __version__
from gigscan.app import DEFAULT_DB, DbOption, app, console, err_console, fail
from gigscan.commands.store import print_flagged_sellers


def crawler_settings(overrides: dict[str, Any]) -> Settings:
    """crawler.settings plus the command line's overrides (at the highest priority, like ``scrapy -s``)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(overrides, priority="cmdline")
    return settings


def parse_set_options(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.strip():
            fail(f"--set takes NAME=VALUE, got {value!r}")
        out[name.strip()] = setting
    return out


class Progress:
    """Counts pages, items, flags and blocks from Scrapy signals and renders one live line."""

    def __init__(self) -> None:
        self.pages = self.items = self.flagged = self.blocked = 0

    def connect(self, crawler: Any) -> None:
        from crawler import signals as gigscan_signals

        crawler.signals.connect(self.on_response, signal=signals.response_received)
        crawler.signals.connect(self.on_item, signal=signals.item_scraped)
        crawler.signals.connect(self.on_flagged, signal=gigscan_signals.listing_flagged)
        self.stats = crawler.stats

    def on_response(self, **_: Any) -> None:
        self.pages += 1

    def on_item(self, **_: Any) -> None:
        self.items += 1

    def on_flagged(self, **_: Any) -> None:
        self.flagged += 1

    def __rich__(self) -> str:
        blocked = self.stats.get_value("gigscan/blocked", 0) if hasattr(self, "stats") else 0
        return (
            f"[bold]crawling[/] pages [cyan]{self.pages}[/]  items [cyan]{self.items}[/]  "
            f"flagged [red]{self.flagged}[/]  blocked [yellow]{blocked}[/]"
        )


@app.command()
def crawl(
    spider: Annotated[str, typer.Argument(help="Spider name: fiverr (see `scrapy list`).")],
    query: Annotated[
        list[str], typer.Option("--query", "-q", help="Search query; repeatable. Default: the ruleset's seed queries.")
    ] = [],  # noqa: B006
    max_pages: Annotated[int, typer.Option(min=1, help="Search result pages per query.")] = 3,
    base_url: Annotated[
        str | None, typer.Option(help="Crawl this host instead of the marketplace (testbed, mirror).")
    ] = None,
    db: DbOption = Path(DEFAULT_DB),
    rules: Annotated[Path | None, typer.Option(help="Ruleset TOML file (default: the bundled one).")] = None,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Do not obey robots.txt (recorded in the run).")
    ] = False,
    delay: Annotated[
        float | None, typer.Option(min=0.0, help="Minimum delay between requests to a site, seconds.")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Concurrent requests per site.")] = None,
    follow_sellers: Annotated[bool, typer.Option(help="Crawl profiles and other gigs of flagged sellers.")] = True,
    set_: Annotated[list[str], typer.Option("--set", "-s", help="Any Scrapy setting, NAME=VALUE; repeatable.")] = [],  # noqa: B006
    log_level: Annotated[
        str, typer.Option(help="Scrapy log level (the progress line replaces INFO logs).")
    ] = "WARNING",
    progress: Annotated[bool, typer.Option(help="Show a live progress line.")] = True,
    stats_file: Annotated[Path | None, typer.Option(help="Also write the final Scrapy stats here as JSON.")] = None,
) -> None:
    """Crawl a marketplace: flag listings that sell reviews and store everything seen as evidence."""
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        fail(f"--base-url must be an http(s) URL, got {base_url!r}")
    if rules is not None and not rules.is_file():
        fail(f"ruleset file not found: {rules}")
    run_args = {
        "spider": spider,
        "queries": query,
        "max_pages": max_pages,
        "base_url": base_url,
        "ignore_robots": ignore_robots,
        "delay": delay,
        "follow_sellers": follow_sellers,
    }
    overrides: dict[str, Any] = {
        "GIGSCAN_DB": str(db),
        "GIGSCAN_RULES": str(rules) if rules else None,
        "GIGSCAN_RUN_ARGS": run_args,
        "LOG_LEVEL": log_level.upper(),
    }
    if ignore_robots:
        overrides["ROBOTSTXT_OBEY"] = False
    if delay is not None:
        overrides["DOWNLOAD_DELAY"] = delay
        overrides["AUTOTHROTTLE_START_DELAY"] = delay
    if concurrency is not None:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    overrides.update(parse_set_options(set_))
    settings = crawler_settings(overrides)
    if spider not in SpiderLoader.from_settings(settings).list():
        fail(f"unknown spider {spider!r}; known: {', '.join(SpiderLoader.from_settings(settings).list())}")

    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(spider)
    bar = Progress()
    bar.connect(crawler)
    spider_args: dict[str, Any] = {"max_pages": max_pages, "follow_sellers": follow_sellers}
    if query:
        spider_args["query"] = query
    if base_url:
        spider_args["base_url"] = base_url
    process.crawl(crawler, **spider_args)
    show = progress and sys.stderr.isatty()
    if show:
        with Live(bar, console=err_console, refresh_per_second=4, transient=True):
            process.start()
    else:
        process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats_file is not None:
        stats_file.write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")
    report_crawl(stats, Path(db))


def report_crawl(stats: dict[str, Any], db: Path) -> None:
    table = Table(title="crawl summary", show_header=False, box=None)
    for label, key in (
        ("pages fetched", "response_received_count"),
        ("pages parsed", "gigscan/pages_parsed"),
        ("items stored", "item_scraped_count"),
        ("new listings", "gigscan/store/listings_new"),
        ("new snapshots", "gigscan/store/snapshots_new"),
        ("flagged listings", "gigscan/flagged_items"),
        ("sellers followed", "gigscan/sellers_followed"),
        ("blocked pages", "gigscan/blocked"),
        ("blocked, gave up", "gigscan/blocked_gave_up"),
    ):
        table.add_row(label, str(stats.get(key, 0)))
    console.print(table)
    run_id = stats.get("gigscan/run_id")
    if run_id is None:
        console.print("the store pipeline was off: nothing was stored")
        return
    print_flagged_sellers(db, run_id=run_id)
    if stats.get("gigscan/blocked_gave_up"):
        err_console.print(
            f"[yellow]warning:[/] {stats['gigscan/blocked_gave_up']} page(s) stayed blocked; "
            "results are incomplete, not empty."
        )
    console.print(f"store: [bold]{db}[/] (run {run_id}, gigscan {__version__})")
    status = run_status(str(stats.get("finish_reason", "finished")), stats)
    if status != "finished":
        err_console.print(f"[red]run {run_id} ended {status}[/]: do not read its results as complete")
        raise typer.Exit(1)
