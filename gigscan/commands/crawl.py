"""``gigscan crawl SPIDER``: run a Scrapy crawl in this process, with a live progress line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape as markup_escape
from rich.table import Table

from gigscan import __version__
from gigscan.app import DEFAULT_DB, DbOption, app, console, err_console, fail

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from db.recheck import RecheckTarget

# Scrapy, the crawler and the store are imported inside the functions that use them: importing Scrapy costs
# about a second, which every other command (classify, search, export...) would pay at start-up otherwise.


def crawler_settings(overrides: dict[str, Any]) -> Settings:
    """crawler.settings plus the command line's overrides (at the highest priority, like ``scrapy -s``)."""
    from scrapy.settings import Settings

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
        self.crawlers: list[Any] = []

    def connect(self, crawler: Any) -> None:
        from scrapy import signals

        from crawler import signals as gigscan_signals

        crawler.signals.connect(self.on_response, signal=signals.response_received)
        crawler.signals.connect(self.on_item, signal=signals.item_scraped)
        crawler.signals.connect(self.on_flagged, signal=gigscan_signals.listing_flagged)
        self.crawlers.append(crawler)  # stats exist only once the crawl starts: read them when rendering

    def on_response(self, **_: Any) -> None:
        self.pages += 1

    def on_item(self, **_: Any) -> None:
        self.items += 1

    def on_flagged(self, **_: Any) -> None:
        self.flagged += 1

    def __rich__(self) -> str:
        blocked = sum(c.stats.get_value("gigscan/blocked", 0) for c in self.crawlers if c.crawling)
        return (
            f"[bold]crawling[/] pages [cyan]{self.pages}[/]  items [cyan]{self.items}[/]  "
            f"flagged [red]{self.flagged}[/]  blocked [yellow]{blocked}[/]"
        )


@app.command()
def crawl(
    spider: Annotated[
        str, typer.Argument(help="Spider: fiverr, freelancer, generic (with --profile), or all (every marketplace).")
    ],
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
    profile: Annotated[
        Path | None, typer.Option(help="Site profile TOML for the generic spider (see `gigscan profile check`).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep crawl state in the data directory; continue a paused crawl.")
    ] = False,
    notify: Annotated[
        str | None,
        typer.Option(
            help="When a run fails its monitors: POST JSON to this URL, or run this command with the JSON on stdin."
        ),
    ] = None,
    recheck: Annotated[
        bool, typer.Option("--recheck", help="Visit again every known flagged listing and its seller (takedowns).")
    ] = False,
    recheck_all: Annotated[bool, typer.Option("--all", help="With --recheck: every known listing and seller.")] = False,
    missing_after: Annotated[
        int, typer.Option(min=1, help="With --recheck: a listing missed by this many re-checks in a row is removed.")
    ] = 3,
    redis_url: Annotated[
        str | None,
        typer.Option(
            "--redis-url", envvar="GIGSCAN_REDIS_URL",
            help="Seed a distributed run on this Redis for `gigscan worker`s to crawl and `gigscan ingest` to store.",
        ),
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="With --redis-url: return once seeded instead of waiting for the end.")
    ] = False,
) -> None:
    """Crawl a marketplace: flag listings that sell reviews and store everything seen as evidence."""
    from rich.live import Live
    from scrapy.crawler import CrawlerProcess
    from scrapy.spiderloader import SpiderLoader

    from gigscan.unattended import after_crawl, close_job_dir, lock_or_skip, use_job_dir

    if base_url is not None and not base_url.startswith(("http://", "https://")):
        fail(f"--base-url must be an http(s) URL, got {base_url!r}")
    if rules is not None and not rules.is_file():
        fail(f"ruleset file not found: {rules}")
    plan = crawl_plan(spider, base_url, profile)
    run_args = {
        "spider": spider,
        "queries": query,
        "max_pages": max_pages,
        "base_url": base_url,
        "ignore_robots": ignore_robots,
        "delay": delay,
        "follow_sellers": follow_sellers,
        "recheck": ("all" if recheck_all else "flagged") if recheck else None,
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
    known = SpiderLoader.from_settings(settings).list()
    if spider != "all" and spider not in known:
        fail(f"unknown spider {spider!r}; known: {', '.join(known)}, all")
    if redis_url:
        from gigscan.commands.distributed import crawl_distributed

        if recheck or resume:
            fail("--recheck and --resume are for local crawls (a distributed run keeps its frontier in Redis)")
        spider_args = {"max_pages": max_pages, "follow_sellers": follow_sellers, "query": query or None}
        return crawl_distributed(redis_url, plan, spider_args, overrides, run_args, Path(db), notify, detach)
    locks = lock_or_skip(Path(db), {label: name for label, name, _ in plan}, run_args)  # noqa: F841 (held to exit)

    process = CrawlerProcess(settings)
    bar = Progress()
    spider_args: dict[str, Any] = {"max_pages": max_pages, "follow_sellers": follow_sellers}
    if query:
        spider_args["query"] = query
    targets = recheck_plan(spider, Path(db), recheck, recheck_all, spider_args)
    crawlers: dict[str, Crawler] = {}
    job_dirs: dict[str, Path] = {}
    for label, name, extra in plan:
        crawler = process.create_crawler(name)
        # each run record names its own marketplace, profile and base URL
        crawler.settings.set("GIGSCAN_RUN_ARGS", {**run_args, **extra, "marketplace": label}, priority=50)
        if resume:
            job_dirs[label] = use_job_dir(crawler, Path(db), label, {**run_args, **extra})
        bar.connect(crawler)
        process.crawl(crawler, **spider_args, **{k: v for k, v in extra.items() if v is not None})
        crawlers[label] = crawler
    show = progress and sys.stderr.isatty()
    if show:
        with Live(bar, console=err_console, refresh_per_second=4, transient=True):
            process.start()
    else:
        process.start()
    all_stats = {label: c.stats.get_stats() if c.stats else {} for label, c in crawlers.items()}
    if targets is not None:
        close_recheck(Path(db), targets, next(iter(all_stats.values())), missing_after, spider_args["recheck"])
    for label, path in job_dirs.items():
        close_job_dir(path, all_stats[label].get("finish_reason"))
    if stats_file is not None:  # one spider: its stats; `all`: stats by marketplace
        written = all_stats if spider == "all" else next(iter(all_stats.values()))
        stats_file.write_text(json.dumps(written, default=str, indent=1), encoding="utf-8")
    failed = False
    for label, stats in all_stats.items():
        if len(all_stats) > 1:
            console.rule(label)
        try:
            report_crawl(stats, Path(db))
        except typer.Exit:
            failed = True
    if after_crawl(Path(db), all_stats, notify) or failed:  # monitors: a degraded run exits 1 too
        raise typer.Exit(1)


def crawl_plan(spider: str, base_url: str | None, profile: Path | None) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, spider name, spider arguments) of each crawl to run in this process.

    ``all`` is every configured marketplace: fiverr, freelancer, and the generic spider with each shipped profile.
    With ``--base-url`` it points at one host serving every marketplace (the testbed): Fiverr at the root, each
    other marketplace under ``/<marketplace>``.
    """
    from crawler.pages.profile import shipped_profiles

    if profile is not None and spider != "generic":
        fail("--profile goes with the generic spider: gigscan crawl generic --profile FILE.toml")
    if spider == "generic" and profile is None:
        fail("the generic spider needs --profile FILE.toml (shipped: crawler/profiles/*.toml)")
    if spider != "all":
        name = load_checked_profile(profile).name if profile else spider
        return [(name, spider, {"base_url": base_url, "profile": str(profile) if profile else None})]
    root = base_url.rstrip("/") if base_url else None
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("fiverr", "fiverr", {"base_url": base_url}),
        ("freelancer", "freelancer", {"base_url": f"{root}/freelancer" if root else None}),
    ]
    for path in shipped_profiles():
        name = load_checked_profile(path).name
        plan.append((name, "generic", {"base_url": f"{root}/{name}" if root else None, "profile": str(path)}))
    return plan


def load_checked_profile(path: Path) -> Any:
    """The profile at ``path``, or exit 2 with its problems (one per line, with line numbers)."""
    from crawler.pages.profile import ProfileError, load_profile

    try:
        return load_profile(path)
    except ProfileError as exc:
        fail(markup_escape("invalid site profile:\n" + "\n".join(exc.problems)))  # "[site]" is not rich markup


def report_crawl(stats: dict[str, Any], db: Path) -> None:
    from crawler.pipelines import run_status
    from gigscan.commands.store import print_flagged_sellers

    table = Table(title="crawl summary", show_header=False, box=None)
    for label, key in (
        ("pages fetched", "response_received_count"),
        ("pages parsed", "gigscan/pages_parsed"),
        ("items scraped", "item_scraped_count"),
        ("items stored", "gigscan/store/sightings"),  # what committed batches hold (one sighting per record)
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


def recheck_plan(
    spider: str, db: Path, recheck: bool, everything: bool, spider_args: dict[str, Any]
) -> list[RecheckTarget] | None:
    """With --recheck: the known listings and sellers to visit, handed to the spider as a JSON Lines file."""
    from db.recheck import recheck_targets, write_targets
    from gigscan.commands.store import open_existing

    if everything and not recheck:
        fail("--all goes with --recheck")
    if not recheck:
        return None
    if spider != "fiverr":
        fail("--recheck works with the fiverr spider")
    with open_existing(db) as store:
        targets = recheck_targets(store, "fiverr", everything=everything)
    if not targets:
        console.print("nothing to re-check: the store has no " + ("listings" if everything else "flagged listings"))
        raise typer.Exit(0)
    handle, name = tempfile.mkstemp(prefix="gigscan-recheck-", suffix=".jsonl")
    os.close(handle)
    write_targets(targets, Path(name))
    spider_args["recheck"] = name
    return targets


def close_recheck(
    db: Path, targets: list[RecheckTarget], stats: dict[str, Any], missing_after: int, targets_file: str
) -> None:
    """Count the re-check targets the run did not reach as missed (only for a run that finished: a crawl cut
    short or blocked says nothing about what it did not reach), then report what the re-check found."""
    from crawler.pipelines import run_status
    from db.store import Store

    Path(targets_file).unlink(missing_ok=True)
    run_id = stats.get("gigscan/run_id")
    status = run_status(str(stats.get("finish_reason", "finished")), stats)
    listing_ids = [t.id for t in targets if t.kind == "listing"]
    removed_missing = 0
    if run_id is not None and status == "finished":
        with Store(db) as store:
            removed_missing = store.close_recheck(run_id, listing_ids, missing_after).removed
    console.print(
        f"re-checked {len(listing_ids)} listing(s) and {len(targets) - len(listing_ids)} seller(s): "
        f"{stats.get('gigscan/store/removed', 0) + removed_missing} newly removed "
        f"({removed_missing} after {missing_after} missed re-checks), "
        f"{stats.get('gigscan/store/reappeared', 0)} reappeared"
    )
