"""The crawl library: plan, run, summarise. What ``gigscan crawl``, a scheduled crawl and any other caller use
to crawl into a store; ``scrapy crawl`` and scrapyd run the same spiders, pipelines and monitors (the monitors
are a Scrapy extension, ``crawler.extensions.RunMonitors``), only without this module's planning.

- :func:`plan`: which crawls one request means (``all``: every marketplace the spiders declare, see
  ``MarketplaceSpider.marketplaces``), each with its spider arguments.
- :func:`run`: check what can be checked before Scrapy starts (the store opens, the ruleset loads, each
  ``--set`` value has its setting's type), take the crawl locks, crawl, close re-checks and job directories.
  A crawl that cannot start is recorded as a ``failed`` run with its reason (where the store is writable) and
  notified, then raised as :class:`CrawlError`.
- :func:`summarise`: one :class:`CrawlSummary` per crawl, with one meaning per count.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.unattended import (
    REASON,
    Locked,
    RunReport,
    close_job_dir,
    data_dir,
    hold_crawl_locks,
    job_dir,
    notify,
    open_job_dir,
    record_failed_run,
)
from db.checkpoint import checkpoint_after_crawl
from db.recheck import MISSING_AFTER

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from db.recheck import RecheckTarget

logger = logging.getLogger(__name__)
RECHECK_KINDS = ("flagged", "all")


class CrawlError(Exception):
    """A crawl that could not run as asked. ``reason`` is one line; ``code`` is the exit status it deserves
    (2: bad input such as a broken store, ruleset or setting; 1: the crawl was refused, e.g. locked)."""

    def __init__(self, reason: str, code: int = 2) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl and how, as the crawl command's options say it (any caller builds one)."""

    spider: str
    db: Path
    queries: tuple[str, ...] = ()
    max_pages: int = 3
    base_url: str | None = None  # this spider's host (with ``all``: a mirror, as ``mirror``)
    mirror: str | None = None  # one host serving every marketplace as the testbed does (GIGSCAN_MIRROR)
    rules: Path | None = None
    profile: Path | None = None
    ignore_robots: bool = False
    delay: float | None = None
    concurrency: int | None = None
    follow_sellers: bool = True
    settings: Mapping[str, str] = field(default_factory=dict)  # NAME=VALUE, as ``--set`` gives them
    log_level: str = "INFO"
    log_file: Path | None = None  # None: Scrapy logs to stderr
    resume: bool = False
    recheck: str | None = None  # "flagged" or "all": visit known listings again instead of searching
    missing_after: int = MISSING_AFTER
    notify: str | None = None

    def run_args(self) -> dict[str, Any]:
        """What the run record keeps of the request (and what makes two runs comparable)."""
        return {"spider": self.spider, "queries": list(self.queries), "max_pages": self.max_pages,
                "base_url": self.base_url or self.mirror, "ignore_robots": self.ignore_robots,
                "delay": self.delay, "follow_sellers": self.follow_sellers, "recheck": self.recheck}


@dataclass(frozen=True)
class PlannedCrawl:
    """One crawl of a request: the marketplace it is labelled with, the spider, its own spider arguments."""

    label: str
    spider: str
    args: dict[str, Any]


@dataclass
class CrawlSummary:
    """A finished crawl in figures. ``flagged`` counts listings (the run saw them, their current verdict is
    flagged, a dismissed flag included): what ``gigscan stats`` counts, never verdict rows or repeated items."""

    label: str
    run_id: int | None
    status: str
    reason: str | None
    pages_fetched: int = 0
    pages_parsed: int = 0
    items_scraped: int = 0
    items_stored: int = 0
    new_listings: int = 0
    new_snapshots: int = 0
    flagged: int = 0
    sellers_followed: int = 0
    blocked_pages: int = 0
    blocked_gave_up: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def healthy(self) -> bool:
        return self.status == "finished" and not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "stats"}


# -- plan ---------------------------------------------------------------------------------------------------


def spider_classes(settings: Settings) -> dict[str, Any]:
    """{name: spider class} of the project's spiders, as Scrapy finds them."""
    from scrapy.spiderloader import SpiderLoader

    loader = SpiderLoader.from_settings(settings)
    return {name: loader.load(name) for name in loader.list()}


def plan(options: CrawlOptions, classes: Mapping[str, Any]) -> list[PlannedCrawl]:
    """The crawls ``options`` asks for: one, or with ``all`` one per marketplace the spiders declare."""
    if options.spider == "all":
        if options.profile is not None:
            raise CrawlError("--profile goes with the generic spider: gigscan crawl generic --profile FILE.toml")
        mirror = options.mirror or options.base_url
        return [PlannedCrawl(label, name, args)
                for name, cls in classes.items() for label, args in cls.marketplaces(mirror)]
    cls = classes.get(options.spider)
    if cls is None:
        raise CrawlError(f"unknown spider {options.spider!r}; known: {', '.join(classes)}, all")
    takes_profile = getattr(cls, "takes_profile", False)
    if options.profile is not None and not takes_profile:
        raise CrawlError("--profile goes with the generic spider: gigscan crawl generic --profile FILE.toml")
    if takes_profile and options.profile is None:
        raise CrawlError(f"the {options.spider} spider needs --profile FILE.toml (shipped: crawler/profiles/*.toml)")
    label, args = cls.marketplace, {}
    if options.profile is not None:
        label, args = checked_profile_name(options.profile), {"profile": str(options.profile)}
    args["base_url"] = options.base_url or cls.mirror_url(options.mirror, label)
    return [PlannedCrawl(label, options.spider, args)]


def checked_profile_name(path: Path) -> str:
    from crawler.pages.profile import ProfileError, load_profile

    try:
        return load_profile(path).name
    except ProfileError as exc:
        raise CrawlError(exc.message()) from None


def check_recheck(options: CrawlOptions, classes: Mapping[str, Any]) -> None:
    if options.recheck is None:
        return
    able = [name for name, cls in classes.items() if getattr(cls, "can_recheck", False)]
    if options.spider not in able:
        raise CrawlError(f"--recheck works with the {', '.join(able)} spider(s), not {options.spider!r}")


# -- settings -----------------------------------------------------------------------------------------------


def base_settings() -> Settings:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings


def known_setting(name: str, settings: Settings) -> None:
    """A setting Scrapy, scrapy-redis or gigscan declares (crawler/settings.py is where gigscan's defaults live):
    Scrapy ignores a name nobody reads, so ``--set DOWNLOAD_DELAY_S=5`` would crawl at the default pace in
    silence."""
    import scrapy_redis.defaults
    from rapidfuzz import process

    known = set(settings.keys()) | {n for n in dir(scrapy_redis.defaults) if n.isupper()}
    if name in known:
        return
    near = process.extractOne(name, sorted(known), score_cutoff=80)
    hint = f" (did you mean {near[0]}?)" if near else ""
    raise CrawlError(f"--set {name}: no such setting{hint}")


def checked_overrides(values: Mapping[str, str], settings: Settings) -> dict[str, Any]:
    """``--set`` values checked against the setting they change: its name is one a component reads, its value of
    its type (a bad one is a :class:`CrawlError` now, not a traceback from inside Scrapy later or a setting
    ignored)."""
    from scrapy.settings import Settings

    for name in values:
        known_setting(name, settings)
    getters = ((bool, "getbool", "true or false"), (int, "getint", "an integer"), (float, "getfloat", "a number"),
               (dict, "getdict", "a JSON object"), (list, "getlist", "a list"))
    for name, value in values.items():
        current, probe = settings.get(name), Settings({name: value})
        for kind, getter, words in getters:
            if isinstance(current, kind) or (kind is dict and hasattr(current, "copy_to_dict")):
                try:
                    getattr(probe, getter)(name)
                except (ValueError, TypeError):
                    raise CrawlError(f"--set {name}={value!r}: {name} takes {words}") from None
                break
    return dict(values)


def crawl_settings(options: CrawlOptions) -> Settings:
    """crawler.settings with the request's options on top (at command-line priority, like ``scrapy -s``)."""
    settings = base_settings()
    overrides: dict[str, Any] = {
        "GIGSCAN_DB": str(options.db), "GIGSCAN_RULES": str(options.rules) if options.rules else None,
        "GIGSCAN_RUN_ARGS": options.run_args(), "GIGSCAN_NOTIFY": options.notify,
        "LOG_LEVEL": options.log_level.upper(),
    }
    if options.log_file is not None:
        overrides["LOG_FILE"] = str(options.log_file)
    if options.ignore_robots:
        overrides["ROBOTSTXT_OBEY"] = False
    if options.delay is not None:
        overrides["DOWNLOAD_DELAY"] = overrides["AUTOTHROTTLE_START_DELAY"] = options.delay
    if options.concurrency is not None:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = options.concurrency
    overrides.update(checked_overrides(options.settings, settings))
    settings.update(overrides, priority="cmdline")
    return settings


def preflight(options: CrawlOptions) -> None:
    """What can fail before Scrapy starts, checked now: the store opens (and is a gigscan store), the ruleset
    loads. Raises :class:`CrawlError` with the first problem in one line."""
    from db.access import StoreUnavailable, open_store

    try:
        open_store(options.db, create=True).close()
    except StoreUnavailable as exc:
        raise CrawlError(str(exc)) from None
    ruleset_version(options.rules)


def ruleset_version(rules: Path | None) -> str:
    """The version of the ruleset at ``rules`` (None: the bundled one), loaded as a crawl will load it; a file that
    is missing or broken is a :class:`CrawlError` with its first problem in one line (the distributed seeder and
    `gigscan worker` printed a RulesetError traceback)."""
    from crawler.scanning import scanner_for
    from matchers.ruleset import RulesetError

    if rules is not None and not rules.is_file():
        raise CrawlError(f"ruleset file not found: {rules}")
    try:
        return scanner_for(str(rules) if rules else None).version
    except (RulesetError, OSError, UnicodeDecodeError) as exc:
        problems = getattr(exc, "problems", None) or [str(exc)]
        more = f" (and {len(problems) - 1} more: gigscan rules check)" if len(problems) > 1 else ""
        raise CrawlError(f"cannot load the ruleset: {problems[0]}{more}") from None


# -- run ----------------------------------------------------------------------------------------------------


def fail_before_start(options: CrawlOptions, error: CrawlError) -> CrawlError:
    """Record a crawl that could not start (where the store is writable), notify, and hand the error back."""
    from crawler.settings import GIGSCAN_VERSION

    args = {**options.run_args(), "marketplace": options.spider}
    report = record_failed_run(options.db, options.spider, args, error.reason, GIGSCAN_VERSION)
    send(options.notify, [report])
    return error


def send(target: str | None, reports: list[RunReport]) -> None:
    if target and reports:
        problem = notify(target, reports)
        if problem:
            logger.warning(problem)


def prepare(options: CrawlOptions) -> tuple[Settings, list[PlannedCrawl]]:
    """Settings and plan, every input checked; a broken input is recorded, notified and raised."""
    try:
        settings = crawl_settings(options)
        classes = spider_classes(settings)
        crawls = plan(options, classes)
        check_recheck(options, classes)
        preflight(options)
    except CrawlError as exc:
        raise fail_before_start(options, exc) from None
    return settings, crawls


@contextmanager
def crawl_locks(options: CrawlOptions, crawls: list[PlannedCrawl]) -> Iterator[None]:
    """Hold the lock of each crawl; a locked one is on record as a ``skipped`` run and raised (exit 1)."""
    from crawler.settings import GIGSCAN_VERSION
    from db.access import open_store
    from db.runs import record_skipped_run

    spiders = {c.label: c.spider for c in crawls}
    try:
        held = hold_crawl_locks(options.db, spiders)
    except Locked as exc:
        with open_store(options.db, create=True) as store:
            args = {**options.run_args(), "marketplace": exc.name}
            run_id = record_skipped_run(store, spiders[exc.name], args, str(exc), GIGSCAN_VERSION)
        raise CrawlError(f"{exc}; this run was skipped (run {run_id})", code=1) from None
    try:
        yield
    finally:
        for lock in held:
            lock.release()


def recheck_targets(options: CrawlOptions) -> tuple[list[RecheckTarget], str | None]:
    """With ``recheck``: the known listings and sellers to visit, written to a JSON Lines file for the spider."""
    from db.access import open_store
    from db.recheck import recheck_targets as targets_in
    from db.recheck import write_targets

    if options.recheck is None:
        return [], None
    with open_store(options.db) as store:
        targets = targets_in(store, options.spider, everything=options.recheck == "all")
    if not targets:
        return [], None
    handle, name = tempfile.mkstemp(prefix="gigscan-recheck-", suffix=".jsonl")
    os.close(handle)
    write_targets(targets, Path(name))
    return targets, name


def run(options: CrawlOptions, on_crawler: Callable[[str, Crawler], None] | None = None) -> list[CrawlSummary]:
    """Crawl as ``options`` asks, in this process; one summary per crawl. ``on_crawler(label, crawler)`` is
    called for each crawler before it starts (a progress display connects its signals there).

    Raises :class:`CrawlError` when the crawl cannot start (recorded as a failed run and notified)."""
    from scrapy.crawler import CrawlerProcess

    settings, crawls = prepare(options)
    if options.log_file is not None:
        options.log_file.parent.mkdir(parents=True, exist_ok=True)
    with crawl_locks(options, crawls):
        targets, targets_file = recheck_targets(options)
        if options.recheck is not None and not targets:
            return []
        process = CrawlerProcess(settings)
        crawlers, job_dirs, start_errors = {}, {}, {}
        for planned in crawls:
            crawler = process.create_crawler(planned.spider)
            crawler.settings.set("GIGSCAN_RUN_ARGS", {**options.run_args(), **planned.args,
                                                      "marketplace": planned.label}, priority=50)
            if options.resume:
                job_dirs[planned.label] = use_job_dir(crawler, options, planned)
            if on_crawler is not None:
                on_crawler(planned.label, crawler)
            started = process.crawl(crawler, **spider_arguments(options, planned, targets_file))
            started.addErrback(keep_start_error, start_errors, planned.label)
            crawlers[planned.label] = crawler
        process.start()
        all_stats = {label: crawler_stats(c) for label, c in crawlers.items()}
        record_start_errors(options, crawls, start_errors, all_stats)
    for label, path in job_dirs.items():
        close_job_dir(path, all_stats[label].get("finish_reason"))
    if targets_file is not None:
        close_recheck(options, targets, next(iter(all_stats.values())), targets_file)
    checkpoint_after_crawl(options.db)  # the log's head, signed, outside the store (db/checkpoint.py)
    return [summarise(label, stats, options.db) for label, stats in all_stats.items()]


def keep_start_error(failure: Any, errors: dict[str, str], label: str) -> None:
    """A crawl that raised before or while running (a spider that cannot be built...): its traceback to the
    log, its cause in one line for the run record."""
    logger.error("the %s crawl failed: %s", label, failure.getErrorMessage(),
                 exc_info=(failure.type, failure.value, failure.getTracebackObject()))
    errors[label] = f"{failure.type.__name__}: {failure.getErrorMessage()}"


def record_start_errors(options: CrawlOptions, crawls: list[PlannedCrawl], errors: Mapping[str, str],
                        all_stats: dict[str, dict[str, Any]]) -> None:
    """Crawls that crashed: recorded as failed (unless the store pipeline already closed their run), notified."""
    from crawler.settings import GIGSCAN_VERSION

    for planned in crawls:
        reason = errors.get(planned.label)
        stats = all_stats[planned.label]
        if reason is None or stats.get("gigscan/run_id") is not None:
            continue
        args = {**options.run_args(), **planned.args, "marketplace": planned.label}
        report = record_failed_run(options.db, planned.spider, args, reason, GIGSCAN_VERSION)
        send(options.notify, [report])
        all_stats[planned.label] = {**stats, REASON: reason, "gigscan/crashed": True,
                                    **({"gigscan/run_id": report.run_id} if report.run_id_known else {})}


def spider_arguments(options: CrawlOptions, planned: PlannedCrawl, targets_file: str | None) -> dict[str, Any]:
    args: dict[str, Any] = {"max_pages": options.max_pages, "follow_sellers": options.follow_sellers}
    if options.queries:
        args["query"] = list(options.queries)
    if targets_file is not None:
        args["recheck"] = targets_file
    return {**args, **{k: v for k, v in planned.args.items() if v is not None}}


def crawler_stats(crawler: Crawler) -> dict[str, Any]:
    """A crawler's final stats; empty for one that never started (its stats are never set)."""
    try:
        return dict(crawler.stats.get_stats()) if crawler.stats is not None else {}
    except RuntimeError:  # Scrapy 2.13+: "Crawler.stats is not set yet"
        return {}


def use_job_dir(crawler: Crawler, options: CrawlOptions, planned: PlannedCrawl) -> Path:
    """Give ``crawler`` its JOBDIR (``--resume``): resumed when a paused crawl left one."""
    path = job_dir(options.db, planned.label, {**options.run_args(), **planned.args})
    if open_job_dir(path):
        logger.warning("resuming the paused %s crawl from %s", planned.label, path)
    crawler.settings.set("JOBDIR", str(path), priority="cmdline")
    return path


def close_recheck(options: CrawlOptions, targets: list[RecheckTarget], stats: Mapping[str, Any], path: str) -> None:
    """Count the re-check targets a finished run did not reach as missed (a crawl cut short or blocked says
    nothing about what it did not reach); the counts go into ``stats['gigscan/recheck']``."""
    from crawler.pipelines import run_status
    from db.store import Store

    Path(path).unlink(missing_ok=True)
    run_id = stats.get("gigscan/run_id")
    listing_ids = [t.id for t in targets if t.kind == "listing"]
    removed_missing = 0
    if run_id is not None and run_status(str(stats.get("finish_reason", "finished")), dict(stats)) == "finished":
        with Store(options.db) as store:
            removed_missing = store.close_recheck(run_id, listing_ids, options.missing_after).removed
    recheck = {"listings": len(listing_ids), "sellers": len(targets) - len(listing_ids),
               "removed": int(stats.get("gigscan/store/removed", 0)) + removed_missing,
               "removed_after_misses": removed_missing, "reappeared": int(stats.get("gigscan/store/reappeared", 0))}
    stats["gigscan/recheck"] = recheck  # type: ignore[index]


# -- summarise ----------------------------------------------------------------------------------------------

_COUNTS = {
    "pages_fetched": "response_received_count", "pages_parsed": "gigscan/pages_parsed",
    "items_scraped": "item_scraped_count", "items_stored": "gigscan/store/sightings",
    "new_listings": "gigscan/store/listings_new", "new_snapshots": "gigscan/store/snapshots_new",
    "sellers_followed": "gigscan/sellers_followed", "blocked_pages": "gigscan/blocked",
    "blocked_gave_up": "gigscan/blocked_gave_up",
}


def summarise(label: str, stats: Mapping[str, Any], db: Path) -> CrawlSummary:
    """One crawl's summary from its stats (as the monitors judged it) and the store."""
    from crawler.extensions import REPORT, STATUS
    from crawler.monitors import failure_reason
    from crawler.pipelines import run_status

    run_id = stats.get("gigscan/run_id")
    report = stats.get(REPORT) or {}
    if stats.get("gigscan/crashed"):
        status, reason = "failed", str(stats[REASON])
    elif run_id is None:
        status, reason = "failed", "nothing was stored: the store pipeline is off or never opened"
    else:
        status = stats.get(STATUS) or run_status(str(stats.get("finish_reason", "finished")), dict(stats))
        reason = stats.get(REASON) or failure_reason(status, stats)
    summary = CrawlSummary(label=label, run_id=run_id, status=status, reason=reason,
                           failures=list(report.get("failures") or []), stats=dict(stats),
                           **{name: int(stats.get(key, 0) or 0) for name, key in _COUNTS.items()})
    if run_id is not None:
        summary.flagged = flagged_listings(db, int(run_id))
    return summary


def flagged_listings(db: Path, run_id: int) -> int:
    """Listings the run saw whose current verdict is flagged (``gigscan stats``' meaning of flagged)."""
    from db.runs import flagged_listings as count
    from db.store import Store

    with Store(db) as store:
        return count(store, run_id)


def default_log_file(db: Path) -> Path:
    """Where a crawl's Scrapy log goes: ``.gigscan/logs/crawl.log`` beside the store (tracebacks included)."""
    return data_dir(db) / "logs" / "crawl.log"
