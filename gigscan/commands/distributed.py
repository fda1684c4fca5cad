"""Distributed crawls: ``gigscan worker``, ``gigscan ingest``, ``gigscan queue``, and the ``--redis-url`` side of
``gigscan crawl`` (seed a run, wait for its end). See README "When one machine is not enough"."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from gigscan import __version__
from gigscan.app import DEFAULT_DB, DbOption, app, console, err_console, fail

if TYPE_CHECKING:
    import redis

    from crawler.distributed.fleet import RunSpec
    from crawler.run import CrawlOptions

RedisOption = Annotated[
    str,
    typer.Option(
        "--redis-url",
        envvar="GIGSCAN_REDIS_URL",
        help="The fleet's Redis: redis://HOST:PORT/DB. Env: GIGSCAN_REDIS_URL."
    ),
]
# Settings of the seeding command that mean nothing on a worker's machine.
_LOCAL_SETTINGS = ("GIGSCAN_DB", "LOG_LEVEL", "LOG_FILE", "GIGSCAN_RUN_ARGS", "GIGSCAN_RULES", "GIGSCAN_NOTIFY")


def redis_client(url: str) -> redis.Redis:
    """A client for ``url`` that rides out Redis restarts, once Redis has answered; otherwise one line and exit."""
    import redis as redis_lib

    from db import stream

    if not url.startswith(("redis://", "rediss://", "unix://")):
        fail(f"--redis-url must be a redis://, rediss:// or unix:// URL, got {url!r}")
    try:
        stream.connect(url, retry=None, retry_on_error=[]).ping()
    except (redis_lib.RedisError, OSError, ValueError) as exc:
        fail(f"cannot reach Redis at {url}: {exc}", code=1)
    return stream.connect(url)


# -- crawl --redis-url: seed a run ----------------------------------------------------------------------------


def crawl_distributed(options: CrawlOptions, url: str, detach: bool) -> None:
    """Seed one run per marketplace that ``options`` plans; unless ``detach``, wait for the runs to end and report
    them (exit 1 when one ended badly or failed its monitors, as a local crawl does)."""
    from scrapy.settings import SETTINGS_PRIORITIES

    from crawler.distributed.fleet import mark_seeded, seed_process
    from crawler.run import CrawlError, check_recheck, crawl_settings, plan, ruleset_version, spider_classes

    if options.resume:
        fail("--resume is for local crawls: a distributed run keeps its frontier in Redis, and it survives a "
             "restart of any worker, of the ingester or of Redis")
    try:
        settings = crawl_settings(options)
        classes = spider_classes(settings)
        crawls = plan(options, classes)
        check_recheck(options, classes)
        ruleset_version(options.rules)
    except CrawlError as exc:
        fail(exc.reason, code=exc.code)
    recheck, targets_file = distributed_recheck(options)
    client = redis_client(url)
    # What the command line set (its options and --set), for the workers to crawl with the same settings.
    portable = {name: value for name, value in settings.items() if name not in _LOCAL_SETTINGS
                and settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and value is not None}
    specs = {spec.key: spec for spec in (run_spec(client, options, planned, portable, recheck)
                                         for planned in crawls)}  # fmt: skip
    if options.log_file is not None:
        options.log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        seed_process(url, specs, settings, {"recheck": targets_file})
    finally:
        if targets_file is not None:
            Path(targets_file).unlink(missing_ok=True)
    for key in specs:
        mark_seeded(client, key)
    err_console.print(f"seeded {', '.join(specs)} on {url}; workers join with: gigscan worker --redis-url URL",
                      highlight=False, markup=False)  # fmt: skip
    if detach:
        return
    states = wait_for_runs(client, list(specs), sys.stderr.isatty())
    if not all(report_run(state, options.db) for state in states):
        raise typer.Exit(1)


def distributed_recheck(options: CrawlOptions) -> tuple[dict[str, Any] | None, str | None]:
    """With ``--recheck``: the plan the run carries (for the ingester to count unreached targets as missed) and
    the targets file the seeding spider reads; both None without it. Needs the store on this machine: the
    targets are read from it. Nothing to re-check ends the command, as a local re-check does."""
    from crawler.run import recheck_targets
    from db.access import StoreUnavailable
    from db.recheck import recheck_plan

    if options.recheck is None:
        return None, None
    try:
        targets, targets_file = recheck_targets(options)
    except StoreUnavailable as exc:
        fail(f"--recheck reads its targets from the store on this machine: {exc}")
    if not targets:
        console.print("nothing to re-check: the store has no "
                      + ("listings" if options.recheck == "all" else "flagged listings"))
        raise typer.Exit(0)
    return recheck_plan(targets, options.missing_after), targets_file


def run_spec(client: redis.Redis, options: CrawlOptions, planned: Any, portable: dict[str, Any],
             recheck: dict[str, Any] | None = None) -> RunSpec:
    """A new run of one planned crawl, recorded in Redis (state ``seeding``) and announced to the ingester."""
    from crawler.distributed.fleet import RunSpec, new_run_key, open_run
    from crawler.run import ruleset_version

    spider_args: dict[str, Any] = {"max_pages": options.max_pages, "follow_sellers": options.follow_sellers,
                                   "query": list(options.queries) or None}  # fmt: skip
    spider_args.update({k: v for k, v in planned.args.items() if v is not None})
    spec = RunSpec(new_run_key(client, planned.label), planned.spider, planned.label, spider_args, portable,
                   {**options.run_args(), **planned.args, "marketplace": planned.label},
                   ruleset_version(options.rules), __version__, options.notify,
                   recheck)
    open_run(client, spec)
    return spec


def wait_for_runs(client: redis.Redis, runs: list[str], show: bool) -> list[dict[str, Any]]:
    """Poll the runs until the ingester has closed them all, with a live line when on a terminal."""
    from rich.live import Live

    from crawler.distributed.fleet import run_state

    def line(states: list[dict[str, Any]]) -> str:
        return "  ".join(f"{s['run']}: {s['state']}, queued {s['queued']}, in flight {s['in_flight']}, "
                         f"stored {s['records_pushed'] - s['records_waiting']}/{s['records_pushed']}" for s in states)

    with Live("", console=err_console, refresh_per_second=2, transient=True) if show else _Quiet() as live:
        while True:
            states = [run_state(client, run) for run in runs]
            if all(s["state"] in ("closed", "gone") for s in states):
                return states
            live.update(line(states))
            time.sleep(1.0)


class _Quiet:
    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, _: str) -> None:
        return None


def report_run(state: dict[str, Any], db: Path) -> bool:
    """Print a closed run's outcome (and its flagged sellers when the store is on this machine); True if healthy."""
    from gigscan.commands.store import print_flagged_sellers

    outcome = state.get("outcome") or {}
    counters = outcome.get("counters") or {}
    table = Table(title=f"run {state['run']} (store run {state.get('run_id')})", show_header=False, box=None)
    for name in ("pages", "items", "flagged", "blocked", "errors"):
        table.add_row(name, str(counters.get(name, 0)))
    table.add_row("records stored", str(state["records_pushed"] - state["records_waiting"]))
    table.add_row("status", str(outcome.get("status", state["state"])))
    console.print(table)
    for failure in outcome.get("failures") or []:
        err_console.print(f"  {failure['monitor']}: {failure['message']}", highlight=False, markup=False)
    recheck = outcome.get("recheck")
    if recheck:
        from gigscan.commands.crawl import recheck_line

        console.print(recheck_line(recheck, recheck["missing_after"]), highlight=False)
    if state.get("run_id") and db.is_file():
        print_flagged_sellers(db, run_id=state["run_id"])
    return outcome.get("status") == "finished" and not outcome.get("failures")


# -- gigscan worker --------------------------------------------------------------------------------------------


@app.command()
def worker(
    redis_url: RedisOption,
    spider: Annotated[
        list[str], typer.Option("--spider", help="Only join runs of this spider; repeatable.")
    ] = [],  # noqa: B006
    rules: Annotated[
        Path | None, typer.Option(help="Ruleset TOML file (must be the one the runs were seeded with).")
    ] = None,
    lease: Annotated[
        float, typer.Option(min=1.0, help="Seconds before a dead worker's requests go back to the queue.")
    ] = 30.0,
    log_level: Annotated[str, typer.Option(help="Scrapy log level.")] = "INFO",
) -> None:
    """Join the fleet: crawl every open distributed run (of --spider) until stopped (SIGTERM/Ctrl-C hand the
    requests in progress back to the queue)."""
    from scrapy.spiderloader import SpiderLoader

    from crawler.distributed.fleet import FleetWorker
    from crawler.run import CrawlError, ruleset_version

    try:
        version = ruleset_version(rules)
    except CrawlError as exc:
        fail(exc.reason, code=exc.code)
    redis_client(redis_url)
    base = worker_settings({"LOG_LEVEL": log_level.upper(), "GIGSCAN_RULES": str(rules) if rules else None})
    known = SpiderLoader.from_settings(base).list()
    unknown = sorted(set(spider) - set(known))
    if unknown:
        fail(f"unknown spider {unknown[0]!r}; known: {', '.join(known)}")

    def settings_for(spec: RunSpec) -> Any:
        return worker_settings({**spec.settings, "LOG_LEVEL": log_level.upper(),
                                "GIGSCAN_RULES": str(rules) if rules else None})  # fmt: skip

    FleetWorker(redis_url, set(spider), settings_for, version, base, lease_s=lease).run()


def worker_settings(overrides: dict[str, Any]) -> Any:
    """crawler.settings with a run's command-line settings on top, at command-line priority (as the seeder had)."""
    from crawler.run import base_settings

    settings = base_settings()
    settings.update(overrides, priority="cmdline")
    return settings


# -- gigscan ingest --------------------------------------------------------------------------------------------


@app.command()
def ingest(
    redis_url: RedisOption,
    db: DbOption = Path(DEFAULT_DB),
    batch: Annotated[int, typer.Option(min=1, help="Records per write transaction (at most).")] = 1000,
    once: Annotated[
        bool, typer.Option("--once", help="Store what is waiting, then exit (instead of following).")
    ] = False,
) -> None:
    """The one writer of a distributed crawl: store the workers' records, in batches, into --db (run it beside
    the store; exactly one per Redis)."""
    import sqlite3

    from db.ingest import LOCK_TTL_S, Ingester, IngesterBusyError
    from db.schema import SchemaTooNewError
    from db.store import Store

    client = redis_client(redis_url)
    try:
        opened = Store(db)
    except (sqlite3.DatabaseError, SchemaTooNewError, OSError) as exc:
        fail(f"cannot open the store {db}: {exc}")
    stop = {"now": False}

    def on_signal(signum: int, _: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with opened as store:
        ingester = Ingester(client, store, batch_records=batch, on_closed=lambda *a: judge_closed_run(db, *a))
        try:
            ingester.acquire(wait_s=LOCK_TTL_S + 5)  # a killed ingester's lock expires by then
        except IngesterBusyError as exc:
            fail(str(exc), code=1)
        try:
            err_console.print(f"ingesting {redis_url} into {db}", highlight=False, markup=False)
            ingester.follow(lambda: stop["now"], 200 if once else 1000, until_idle=once)
        finally:
            ingester.release()
    counts = ingester.counts
    console.print(f"stored {counts.records} record(s) from {counts.entries} entr(y/ies); {counts.duplicates} "
                  f"redelivered entr(y/ies) skipped; {counts.runs_closed} run(s) closed; {counts.dead} unstorable")


def judge_closed_run(db: Path, run_id: int, spec: dict[str, Any], status: str) -> dict[str, Any]:
    """A distributed run is over: run the monitors on it, anchor the log's head in the checkpoint file and notify
    if it went wrong, as a local crawl does (a fleet's store had no checkpoint at all, so `verify` could not tell
    it from one cut short or rebuilt)."""
    from crawler.unattended import judge_run, notify
    from db.checkpoint import checkpoint_after_crawl

    report = judge_run(db, run_id)
    checkpoint_after_crawl(db)  # after the judgement: a degraded status is a logged change of the run
    line = f"run {run_id} ({spec.get('label')}) closed: {report.status}"
    err_console.print(line + "".join(f"; {f['monitor']}: {f['message']}" for f in report.failures),
                      highlight=False, markup=False)  # fmt: skip
    if not report.healthy and spec.get("notify"):
        problem = notify(spec["notify"], [report])
        if problem:
            err_console.print(f"warning: {problem}", highlight=False, markup=False)
    return report.to_dict()


# -- gigscan queue ---------------------------------------------------------------------------------------------


@app.command()
def queue(
    redis_url: RedisOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The fleet at a glance: per spider, requests queued, in flight and seen, workers alive, records waiting to
    be stored; and the open runs."""
    import json

    from crawler.distributed.fleet import queue_figures

    figures = queue_figures(redis_client(redis_url))
    if as_json:
        typer.echo(json.dumps(figures, indent=1, default=str))
        return
    table = Table(title="distributed crawl")
    for column in ("spider", "runs", "queued", "in flight", "seen", "workers alive", "records waiting"):
        table.add_column(column, justify="left" if column == "spider" else "right")
    for name, row in sorted(figures["spiders"].items()):
        table.add_row(name, *(str(row[k]) for k in ("runs", "queued", "in_flight", "seen", "workers",
                                                     "records_waiting")))  # fmt: skip
    console.print(table)
    for run in figures["runs"]:
        console.print(f"run {run['run']}: {run['state']} (store run {run['run_id']})", highlight=False, markup=False)
    console.print(f"{len(figures['workers'])} worker(s) alive; {figures['stream_entries']} stream entr(y/ies) "
                  "not yet stored", highlight=False)
