"""``gigscan crawl SPIDER``: parse the options, call the crawl library (``crawler.run``), print its summary.

Scrapy's own log (tracebacks included) goes to a log file beside the store, never the terminal: a failed crawl
says why in one line and names the log.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from db.recheck import MISSING_AFTER
from gigscan import __version__
from gigscan.app import DEFAULT_DB, DbOption, app, console, err_console, fail, not_utf8

if TYPE_CHECKING:
    from crawler.run import CrawlOptions, CrawlSummary

# Scrapy and the crawler are imported inside the functions that use them: importing Scrapy costs about a
# second, which every other command (classify, search, export...) would pay at start-up otherwise.

SPIDERS_HELP = "fiverr, freelancer, generic (with --profile), or all (every marketplace the spiders declare)."


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Recheck(StrEnum):
    flagged = "flagged"
    all = "all"


def parse_set_options(values: list[str]) -> dict[str, str]:
    """``--set NAME=VALUE`` options as a dict (the values are checked against their settings by the library)."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.strip():
            fail(f"--set takes NAME=VALUE, got {value!r}")
        out[name.strip()] = setting
    return out


def check_url(option: str, url: str | None) -> str | None:
    if url is not None and not url.startswith(("http://", "https://")):
        fail(f"{option} must be an http(s) URL, got {url!r}")
    return url


# The crawl command's longer options, named so that its signature stays readable.
QueryOption = Annotated[list[str], typer.Option(
    "--query", "-q", help="Search query; repeatable. Default: the ruleset's seed queries.", show_default=False,
)]

MirrorOption = Annotated[str | None, typer.Option(
    envvar="GIGSCAN_MIRROR",
    help="A host serving every marketplace as the testbed does (Fiverr at /, others at /NAME). "
    "Env: GIGSCAN_MIRROR.")]

IgnoreRobotsOption = Annotated[bool, typer.Option(
    "--ignore-robots", help="Do not obey robots.txt (recorded in the run).")]

DelayOption = Annotated[float | None, typer.Option(
    min=0.0, envvar="GIGSCAN_DELAY",
    help="Least delay between requests to a site, seconds. Default: 1 (and robots.txt's). Env: GIGSCAN_DELAY.")]

SetOption = Annotated[list[str], typer.Option(
    "--set", "-s", help="Any Scrapy setting, NAME=VALUE; repeatable.", show_default=False)]

LogFileOption = Annotated[Path | None, typer.Option(
    help="Scrapy's log (tracebacks included); - for stderr. Default: .gigscan/logs/crawl.log beside the store.",
    show_default=False)]

ProgressOption = Annotated[bool, typer.Option(
    help="Show progress: a live line on a terminal, else a line every --progress-every seconds.")]

ProgressEveryOption = Annotated[float, typer.Option(
    min=0.0, help="Seconds between progress lines when not on a terminal (0: none).")]

ProfileOption = Annotated[Path | None, typer.Option(
    help="Site profile TOML for the generic spider (see `gigscan profile check`).")]

ResumeOption = Annotated[bool, typer.Option(
    "--resume", help="Keep crawl state in the data directory; continue a paused crawl.")]

def check_notify(target: str | None) -> str | None:
    """``--notify`` checked as the command starts (also inside ``schedule add -- crawl ...``): a malformed URL, a
    scheme other than http(s), a port that is not a number, a command not found are one line and exit 2, before
    any crawling, not a failed notification after a run went wrong."""
    from crawler.unattended import notify_problem

    problem = None if target is None else notify_problem(target)
    if problem is not None:
        raise typer.BadParameter(problem.removeprefix("--notify "))
    return target


NotifyOption = Annotated[str | None, typer.Option(
    help="When a run fails, is blocked or degraded (or cannot start): POST JSON to this http(s) URL, or run this "
    "command with the JSON on stdin.", callback=check_notify)]

RecheckOption = Annotated[bool, typer.Option(
    "--recheck", help="Visit again every known flagged listing and its seller (takedowns).")]

MissingAfterOption = Annotated[int, typer.Option(
    min=1, help="With --recheck: a listing missed by this many re-checks in a row is removed.")]

RedisUrlOption = Annotated[str | None, typer.Option(
    "--redis-url", envvar="GIGSCAN_REDIS_URL",
    help="Seed a distributed run on this Redis, for `gigscan worker`s to crawl and `gigscan ingest` to store. "
    "Env: GIGSCAN_REDIS_URL.")]

DetachOption = Annotated[bool, typer.Option(
    "--detach", help="With --redis-url: return once the run is seeded instead of waiting for its end.")]


@app.command()
def crawl(  # noqa: PLR0913 (the options are the command's interface; the body only packs them)
    spider: Annotated[str, typer.Argument(help=SPIDERS_HELP, show_default=False)],
    query: QueryOption = [],  # noqa: B006
    max_pages: Annotated[int, typer.Option(min=1, help="Search result pages per query.")] = 3,
    base_url: Annotated[str | None, typer.Option(help="Crawl this host instead of the marketplace.")] = None,
    mirror: MirrorOption = None,
    db: DbOption = Path(DEFAULT_DB),
    rules: Annotated[Path | None, typer.Option(help="Ruleset TOML file. Default: the bundled one.")] = None,
    ignore_robots: IgnoreRobotsOption = False,
    delay: DelayOption = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Concurrent requests per site. Default: 4.")] = None,
    follow_sellers: Annotated[bool, typer.Option(help="Crawl profiles and other gigs of flagged sellers.")] = True,
    set_: SetOption = [],  # noqa: B006
    log_level: Annotated[LogLevel, typer.Option(help="Level of the crawl's log file.")] = LogLevel.INFO,
    log_file: LogFileOption = None,
    progress: ProgressOption = True,
    progress_every: ProgressEveryOption = 30.0,
    stats_file: Annotated[Path | None, typer.Option(help="Also write the final Scrapy stats here as JSON.")] = None,
    profile: ProfileOption = None,
    resume: ResumeOption = False,
    notify: NotifyOption = None,
    recheck: RecheckOption = False,
    recheck_all: Annotated[bool, typer.Option("--all", help="With --recheck: every known listing and seller.")] = False,
    missing_after: MissingAfterOption = MISSING_AFTER,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON (one object per run).")] = False,
    redis_url: RedisUrlOption = None,
    detach: DetachOption = False,
) -> None:
    """Crawl a marketplace: flag listings that sell reviews and store everything seen as evidence.

    Exit 0 when every run finished, 1 when one failed, was blocked or degraded (the reason in one line),
    2 for bad input (store, ruleset, settings, profile)."""
    from crawler.run import CrawlOptions, default_log_file

    if recheck_all and not recheck:
        fail("--all goes with --recheck")
    if any(not q.strip() for q in query):  # the spider drops it, and would crawl every seed query instead
        fail("--query is empty: give the words to search for, or leave --query out for the ruleset's seed queries")
    for q in query:  # the spider failed on it at start ("start_error"), after recording a run
        if any("\udc80" <= c <= "\udcff" for c in q):
            fail(not_utf8(q))
    options = CrawlOptions(
        spider=spider, db=db, queries=tuple(query), max_pages=max_pages,
        base_url=check_url("--base-url", base_url), mirror=check_url("--mirror", mirror), rules=rules,
        profile=profile, ignore_robots=ignore_robots, delay=delay, concurrency=concurrency,
        follow_sellers=follow_sellers, settings=parse_set_options(set_), log_level=log_level.value,
        log_file=None if log_file == Path("-") else (log_file or default_log_file(db)), resume=resume,
        recheck=("all" if recheck_all else "flagged") if recheck else None, missing_after=missing_after,
        notify=notify,
    )
    if redis_url:  # a distributed run: gigscan/commands/distributed.py
        from gigscan.commands.distributed import crawl_distributed

        return crawl_distributed(options, redis_url, detach)
    summaries = run_crawl(options, progress=progress, progress_every=progress_every)
    if stats_file is not None:  # one spider: its stats; `all`: stats by marketplace
        stats = {s.label: s.stats for s in summaries}
        written = stats if spider == "all" else next(iter(stats.values()), {})
        stats_file.write_text(json.dumps(written, default=str, indent=1), encoding="utf-8")
    report(options, summaries, as_json=as_json)


def run_crawl(options: CrawlOptions, *, progress: bool, progress_every: float) -> list[CrawlSummary]:
    """The library's run with a progress display; a crawl that cannot start is one line and its exit code."""
    from crawler.run import CrawlError, run
    from gigscan.progress import CrawlProgress

    shown = CrawlProgress()
    live = progress and sys.stderr.isatty()
    try:
        with shown.shown(err_console, live=live, every=progress_every if progress else 0):
            summaries = run(options, on_crawler=shown.connect)
    except CrawlError as exc:
        fail(exc.reason, code=exc.code)
    if not summaries and options.recheck is not None:
        console.print("nothing to re-check: the store has no "
                      + ("listings" if options.recheck == "all" else "flagged listings"))
        raise typer.Exit(0)
    return summaries


def report(options: CrawlOptions, summaries: list[CrawlSummary], *, as_json: bool) -> None:
    """Print each run's summary (a table and its flagged sellers, or JSON); exit 1 if any run is unhealthy."""
    if as_json:
        console.print_json(json.dumps({"runs": [s.to_dict() for s in summaries], "db": str(options.db),
                                       "log": str(options.log_file) if options.log_file else None}))
    else:
        for summary in summaries:
            if len(summaries) > 1:
                console.rule(escape(summary.label))
            print_summary(options, summary)
    unhealthy = [s for s in summaries if not s.healthy]
    for summary in unhealthy:
        why = summary.reason or "; ".join(f"{f['monitor']}: {f['message']}" for f in summary.failures)
        err_console.print(f"[red]run {summary.run_id} ({escape(summary.label)}) ended {summary.status}[/]: "
                          f"{escape(why)}", highlight=False)
    if unhealthy and options.log_file is not None:
        err_console.print(f"details: {escape(str(options.log_file))}", highlight=False)
    if unhealthy:
        raise typer.Exit(1)


def print_summary(options: CrawlOptions, summary: CrawlSummary) -> None:
    from gigscan.commands.store import print_flagged_sellers

    table = Table(title="crawl summary", show_header=False, box=None)
    for label, value in (
        ("pages fetched", summary.pages_fetched), ("pages parsed", summary.pages_parsed),
        ("items scraped", summary.items_scraped), ("items stored", summary.items_stored),
        ("new listings", summary.new_listings), ("new snapshots", summary.new_snapshots),
        ("flagged listings", summary.flagged), ("sellers followed", summary.sellers_followed),
        ("blocked pages", summary.blocked_pages), ("blocked, gave up", summary.blocked_gave_up),
    ):
        table.add_row(label, str(value))
    console.print(table)
    recheck = summary.stats.get("gigscan/recheck")
    if recheck:
        console.print(recheck_line(recheck, options.missing_after), highlight=False)
    if summary.run_id is None or summary.stats.get("gigscan/crashed"):
        return
    print_flagged_sellers(options.db, run_id=summary.run_id)
    if summary.blocked_gave_up:
        err_console.print(f"[yellow]warning:[/] {summary.blocked_gave_up} page(s) stayed blocked; "
                          "results are incomplete, not empty.")
    console.print(f"store: [bold]{escape(str(options.db))}[/] (run {summary.run_id}, gigscan {__version__})")


def recheck_line(recheck: Mapping[str, Any], missing_after: int) -> str:
    """What a re-check run found, in one line (a local or a distributed one)."""
    return (f"re-checked {recheck['listings']} listing(s) and {recheck['sellers']} seller(s): "
            f"{recheck['removed']} newly removed ({recheck['removed_after_misses']} after "
            f"{missing_after} missed re-checks), {recheck['reappeared']} reappeared")
