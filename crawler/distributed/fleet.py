"""Runs of a distributed crawl: their spec in Redis, seeding, the worker loop, and the queue's figures.

A run is born when ``gigscan crawl SPIDER --redis-url`` seeds it: its spec (spider, arguments, settings,
ruleset version) goes into the run's hash, a ``start`` entry onto the stream (the ingester opens the run record),
and the spider's start requests into the run's queue, through the same scheduler the workers use. A worker
(``gigscan worker``) joins every open run of its spiders with a Scrapy crawler of its own, and leaves when the
run is over. Key names: ``db.stream``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import redis
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor
from twisted.internet.task import LoopingCall

from crawler import settings as project_settings
from db import stream

logger = logging.getLogger(__name__)
# scrapy-redis 0.9 still calls Scrapy APIs that Scrapy 2.19 deprecates (spider= arguments, Spider.log): harmless,
# and a warning per worker start would only bury the crawl's own warnings.
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
HEARTBEAT_S = 2.0
ALIVE_S = 15.0  # a worker not heard from for this long is not counted alive
OPEN_STATES = ("seeding", "running")


def fleet_settings(url: str, run: str, role: str, lease_s: float = 30.0) -> dict[str, Any]:
    """The Scrapy settings that make a crawler part of run ``run``: scrapy-redis' scheduler and duplicate filter
    on the run's keys, records to the stream instead of the store, the fleet-wide limiter."""
    pipelines = {k: v for k, v in project_settings.ITEM_PIPELINES.items() if not k.endswith(".StorePipeline")}
    pipelines["crawler.distributed.pipeline.StreamPipeline"] = 300
    return {
        "SCHEDULER": "crawler.distributed.scheduler.LeasedScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.scheduler.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": stream.run_queue(run),
        "SCHEDULER_DUPEFILTER_KEY": stream.run_seen(run),
        "DUPEFILTER_CLASS": "crawler.distributed.scheduler.RunDupeFilter",
        "SCHEDULER_SERIALIZER": "crawler.distributed.serializer",
        "SCHEDULER_PERSIST": True,  # the frontier belongs to the run, not to one worker's crawler
        "REDIS_URL": url,
        "REDIS_PARAMS": stream.client_options(),
        "GIGSCAN_FLEET_ROLE": role,
        "GIGSCAN_RUN_KEY": run,
        "GIGSCAN_LEASE_SECONDS": lease_s,
        "ITEM_PIPELINES": pipelines,
        "DOWNLOADER_MIDDLEWARES": {
            **project_settings.DOWNLOADER_MIDDLEWARES, "crawler.distributed.limiter.FleetPacingMiddleware": 580
        },
        "SPIDER_MIDDLEWARES": {
            **project_settings.SPIDER_MIDDLEWARES, "crawler.distributed.scheduler.RoleMiddleware": 10
        },
        # The ingester judges the run once it is over (monitors, notification), not each worker's crawler.
        "EXTENSIONS": {**getattr(project_settings, "EXTENSIONS", {}), "crawler.extensions.RunMonitors": None,
                       "crawler.distributed.pipeline.StatsSync": 600},
        # The fleet limiter spaces requests exactly; a random local delay on top would make one worker slower
        # than its share, not the fleet more polite.
        "DOWNLOAD_DELAY_JITTER": 0.0,
        "JOBDIR": None,
    }


@dataclass
class RunSpec:
    """What a worker needs to join a run, and what the ingester records."""

    key: str
    spider: str
    label: str
    spider_args: dict[str, Any]
    settings: dict[str, Any]
    run_args: dict[str, Any]
    ruleset_version: str
    gigscan_version: str
    notify: str | None = None
    #: a re-check run: the targeted listing ids etc. for the ingester to close it (``db.recheck.recheck_plan``)
    recheck: dict[str, Any] | None = None

    @classmethod
    def load(cls, raw: bytes | str) -> RunSpec:
        """The spec as seeded; fields this version does not know (a newer seeder's) are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(raw).items() if k in known})


def open_run(client: redis.Redis, spec: RunSpec) -> None:
    """Record a new run (state ``seeding``) and tell the ingester (a ``start`` entry)."""
    data = asdict(spec)
    pipe = client.pipeline(transaction=True)
    pipe.hset(stream.run_hash(spec.key), mapping={"state": "seeding", "spec": json.dumps(data), "pushed": 0,
                                                   "stored": 0, "created": time.time()})  # fmt: skip
    pipe.sadd(stream.RUNS, spec.key)
    pipe.xadd(stream.STREAM, stream.start_entry(spec.key, data))
    pipe.execute()


def new_run_key(client: redis.Redis, label: str) -> str:
    return f"{label}-{client.incr(stream.RUN_SEQUENCE)}"


def mark_seeded(client: redis.Redis, run: str) -> None:
    """All start requests are queued: from now on the run may end when drained."""
    if client.hget(stream.run_hash(run), "state") == b"seeding":
        client.hset(stream.run_hash(run), "state", "running")


def run_state(client: redis.Redis, run: str) -> dict[str, Any]:
    """A run's state, counters and outcome as Python values."""
    raw = {k.decode(): v for k, v in client.hgetall(stream.run_hash(run)).items()}
    spec = json.loads(raw["spec"]) if "spec" in raw else {}
    pushed, stored = int(raw.get("pushed", 0)), int(raw.get("stored", 0))
    return {
        "run": run,
        "spider": spec.get("spider"),
        "label": spec.get("label"),
        "state": raw.get("state", b"gone").decode(),
        "run_id": int(raw["run_id"]) if "run_id" in raw else None,
        "queued": int(client.zcard(stream.run_queue(run))),
        "in_flight": int(client.zcard(stream.run_inflight(run))),
        "seen": int(client.scard(stream.run_seen(run))),
        "records_pushed": pushed,
        "records_waiting": max(0, pushed - stored),
        "outcome": json.loads(raw["outcome"]) if "outcome" in raw else None,
    }


def queue_figures(client: redis.Redis) -> dict[str, Any]:
    """Per spider: queued, in flight, seen, workers alive, records waiting to be stored; and the open runs."""
    runs = [run_state(client, r.decode()) for r in sorted(client.smembers(stream.RUNS))]
    workers = alive_workers(client)
    spiders: dict[str, dict[str, int]] = {}
    for run in runs:
        row = spiders.setdefault(run["spider"] or "?", {"runs": 0, "queued": 0, "in_flight": 0, "seen": 0,
                                                         "workers": 0, "records_waiting": 0})  # fmt: skip
        row["runs"] += 1
        for name in ("queued", "in_flight", "seen", "records_waiting"):
            row[name] += run[name]
    for name, row in spiders.items():
        row["workers"] = sum(1 for w in workers if not w["spiders"] or name in w["spiders"])
    return {"spiders": spiders, "runs": runs, "workers": workers,
            "stream_entries": int(client.xlen(stream.STREAM)) if client.exists(stream.STREAM) else 0}


def alive_workers(client: redis.Redis) -> list[dict[str, Any]]:
    now = time.time()
    out = []
    for ident, raw in client.hgetall(stream.WORKERS).items():
        info = json.loads(raw)
        if now - info.get("seen", 0) <= ALIVE_S:
            out.append({"id": ident.decode(), **info})
    return sorted(out, key=lambda w: w["id"])


class FleetWorker:
    """``gigscan worker``: one Scrapy process that joins every open run of its spiders, until SIGTERM/SIGINT.

    ``settings_for(spec)`` builds a run's Scrapy settings (the CLI's, as for a local crawl) and ``ruleset_version``
    is this machine's: a worker never scans a run's pages with another ruleset than the one it was seeded with.
    """

    def __init__(self, url: str, spiders: set[str], settings_for: Callable[[RunSpec], Settings],
                 ruleset_version: str, base_settings: Settings, lease_s: float = 30.0) -> None:
        self.url, self.spiders, self.settings_for = url, spiders, settings_for
        self.ruleset_version, self.lease_s = ruleset_version, lease_s
        self.client = stream.connect(url)
        self.ident = f"{socket.gethostname()}-{os.getpid()}"
        self.joined: set[str] = set()
        self.refused: set[str] = set()
        self.started = time.time()
        self.stopping = False
        install_reactor(base_settings["TWISTED_REACTOR"], base_settings["ASYNCIO_EVENT_LOOP"])
        self.process = CrawlerProcess(base_settings)

    def run(self) -> None:
        """Crawl until SIGTERM/SIGINT. The signal handlers are the worker's own, not Scrapy's: Scrapy's ask the
        reactor to stop, which waits for whatever Redis command the reactor is in, and with Redis down that is a
        minute of retries per command (two minutes and more in all, past systemd's TimeoutStopSec). Ours first
        end every Redis retry of the process (``stream.stop_retrying``), then stop the crawls as Scrapy would: the
        requests in progress go back to the queue, or, if Redis cannot be told, when their leases expire."""
        poller = LoopingCall(self.poll)
        poller.start(HEARTBEAT_S / 2, now=True).addErrback(lambda f: logger.error("worker loop failed: %s", f))
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        try:
            self.process.start(stop_after_crawl=False, install_signal_handlers=False)
        finally:
            try:
                self.client.hdel(stream.WORKERS, self.ident)
            except redis.RedisError as exc:  # Redis down: the entry stops counting as alive after ALIVE_S anyway
                logger.warning("worker: could not sign off from Redis (%s)", exc)

    def on_signal(self, signum: int, _: object) -> None:
        """First signal: stop gracefully; a second one: stop the reactor now. Only flags and thread-safe calls
        here: the reactor may be in the middle of a Redis command."""
        from twisted.internet import reactor

        stream.stop_retrying()
        if self.stopping:
            reactor.callFromThread(reactor.stop)
            return
        self.stopping = True
        reactor.callFromThread(self.graceful_stop, signum)

    def graceful_stop(self, signum: int) -> None:
        from twisted.internet import reactor

        logger.info("worker: %s received, stopping (leases of unfinished requests go back to the queue)",
                    signal.Signals(signum).name)
        stopped = self.process.stop()
        stopped.addBoth(lambda _: reactor.stop() if reactor.running else None)

    def poll(self) -> None:
        try:
            self.heartbeat()
            for raw in self.client.smembers(stream.RUNS):
                run = raw.decode()
                if run not in self.joined and run not in self.refused:
                    self.consider(run)
        except redis.RedisError as exc:  # Redis restarting: try again next time
            logger.warning("worker: Redis unavailable (%s); retrying", exc)

    def heartbeat(self) -> None:
        info = {"host": socket.gethostname(), "pid": os.getpid(), "spiders": sorted(self.spiders),
                "runs": sorted(self.joined), "started": self.started, "seen": time.time()}  # fmt: skip
        self.client.hset(stream.WORKERS, self.ident, json.dumps(info))

    def consider(self, run: str) -> None:
        state, raw = self.client.hmget(stream.run_hash(run), ["state", "spec"])
        if state is None or raw is None or state.decode() not in OPEN_STATES:
            return
        spec = RunSpec.load(raw)
        if self.spiders and spec.spider not in self.spiders:
            return
        if spec.ruleset_version != self.ruleset_version:
            logger.error("run %s was seeded with ruleset %s; this worker has %s: not joining", run,
                         spec.ruleset_version, self.ruleset_version)
            self.refused.add(run)
            return
        self.join(spec)

    def join(self, spec: RunSpec) -> None:
        settings = self.settings_for(spec)
        settings.setdict(fleet_settings(self.url, spec.key, "worker", self.lease_s), priority="cmdline")
        settings.set("GIGSCAN_RUN_ARGS", {**spec.run_args, "distributed_run": spec.key}, priority="cmdline")
        crawler = Crawler(self.process.spider_loader.load(spec.spider), settings)
        self.joined.add(spec.key)
        logger.info("joining run %s (%s)", spec.key, spec.spider)
        args = {k: v for k, v in spec.spider_args.items() if v is not None}
        if "profile" in args:
            args["profile"] = local_profile(args["profile"])
        done = self.process.crawl(crawler, **args)
        done.addBoth(lambda _: self.joined.discard(spec.key))


def local_profile(path: str) -> str:
    """A site profile named by the seeding machine: the path as given if it exists here, else the shipped profile
    of the same file name (gigscan may be installed elsewhere on this machine)."""
    from crawler.pages.profile import shipped_profiles

    if Path(path).is_file():
        return path
    shipped = {p.name: p for p in shipped_profiles()}
    return str(shipped.get(Path(path).name, path))


def seed_process(url: str, specs: Mapping[str, RunSpec], base_settings: Settings,
                 seed_args: Mapping[str, Any] | None = None) -> None:
    """Queue each run's start requests: Scrapy runs each spider's ``start`` into its run's queue, takes no
    request (role ``seed``) and stops. ``seed_args`` go to the seeding spiders only (a re-check's targets file,
    which is on this machine, not on the workers')."""
    process = CrawlerProcess(base_settings)
    for spec in specs.values():
        crawler = process.create_crawler(spec.spider)
        crawler.settings.setdict(fleet_settings(url, spec.key, "seed"), priority="cmdline")
        crawler.settings.set("GIGSCAN_RUN_ARGS", spec.run_args, priority="cmdline")
        args = {**spec.spider_args, **(seed_args or {})}
        process.crawl(crawler, **{k: v for k, v in args.items() if v is not None})
    process.start()
