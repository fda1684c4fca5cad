"""Distributed crawl benchmark: 2 workers + an ingester against 1 plain process, on the same testbed, same run.

- **Throughput, politeness off** (``--delay 0``, AutoThrottle off, robots.txt ignored): pages/s of one plain
  ``gigscan crawl`` and of 2 ``gigscan worker``s with ``gigscan ingest``, each measured by the testbed's own request
  log from the first request to the last (start-up excluded from both: the workers, long-lived, have crawled a
  small warm-up run first), and the ratio. The fleet's rate "until
  stored" (first request to the run closed by the ingester) is given too.
- **Politeness on** (``--delay D``): 2 workers, then 1 worker, crawl the same seed; the testbed's request log gives
  each one's request rate to the (one) host, and the most requests it saw in any one second. The fleet limiter
  must keep the two equal (ratio near 1.0). D is 0.1 s by default so that one worker is not CPU-bound below the
  polite rate on a loaded 2-core machine (it would then look slower than two for the wrong reason).
- **Ingester ceiling**: workers crawl a run with no ingester running, so the records queue up in the stream; then an
  ingester (in this process, the same ``db.ingest.Ingester`` as ``gigscan ingest``) stores the backlog with full
  evidence (bodies, captures, snapshots, verdicts, chain). Records/s; divided by what one polite worker produces
  per second (records per page x pages/s at the polite delay), it says how many polite workers one store serves.

``python -m bench.bench_distributed [--queries N] [--max-pages N] [--polite-delay S]``
"""

from __future__ import annotations

import argparse
import bisect
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from db import stream
from db.ingest import Ingester
from db.store import Store
from testbed.redis_server import RedisServer
from testbed.server import TestbedServer

QUERIES = ("amazon reviews", "logo design", "google reviews", "seo backlinks", "app reviews", "website")
FAST = ("--delay", "0", "--set", "AUTOTHROTTLE_ENABLED=False", "--ignore-robots")
ROOT = Path(__file__).parent.parent


def gigscan(*args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "gigscan", *args], cwd=ROOT, stdout=out, stderr=out)


def crawl_args(site: TestbedServer, queries: tuple[str, ...], max_pages: int, db: Path) -> list[str]:
    args = ["crawl", "fiverr", "--base-url", site.url, "--max-pages", str(max_pages), "--db", str(db), "--no-progress"]
    for query in queries:
        args += ["--query", query]
    return args


def window(site: TestbedServer) -> dict[str, float]:
    """Pages served since the log was last cleared, over the time from the first to the last."""
    times = sorted(t for t, kind, _ in site.request_log if kind != "robots")
    seconds = times[-1] - times[0] if len(times) > 1 else 0.0
    peak = max((bisect.bisect_right(times, t + 1.0) - i for i, t in enumerate(times)), default=0)
    return {"pages": len(times), "seconds": round(seconds, 3),
            "pages_per_s": round((len(times) - 1) / seconds, 1) if seconds else 0.0,
            "peak_in_any_second": peak, "first": times[0] if times else 0.0}


def plain(site: TestbedServer, args: list[str], folder: Path) -> dict[str, Any]:
    site.request_log.clear()
    proc = gigscan(*args, *FAST, log=folder / "plain.log")
    if proc.wait(timeout=900) != 0:
        raise RuntimeError(f"the plain crawl failed; see {folder / 'plain.log'}")
    result = window(site)
    result.pop("first")
    return result


class Fleet:
    """gigscan workers and an ingester on one Redis, as real processes."""

    def __init__(self, server: RedisServer, db: Path, folder: Path) -> None:
        self.url, self.db, self.folder = server.url, db, folder
        self.client = redis.Redis.from_url(server.url)
        self.workers: list[subprocess.Popen[bytes]] = []
        self.ingester: subprocess.Popen[bytes] | None = None

    def start_ingester(self) -> None:
        self.ingester = gigscan("ingest", "--redis-url", self.url, "--db", str(self.db), log=self.folder / "ingest.log")

    def scale(self, count: int) -> None:
        while len(self.workers) < count:
            self.workers.append(gigscan("worker", "--redis-url", self.url, "--log-level", "WARNING",
                                        log=self.folder / f"worker-{len(self.workers) + 1}.log"))  # fmt: skip
        while len(self.workers) > count:
            stop(self.workers.pop())

    def seed(self, args: list[str], *extra: str, until: str = "closed") -> float:
        """Seed a run (detached), wait for it to reach ``until``; returns the monotonic time it did."""
        proc = gigscan(*args, *extra, "--redis-url", self.url, "--detach", log=self.folder / "seed.log")
        if proc.wait(timeout=300) != 0:
            raise RuntimeError(f"seeding failed; see {self.folder / 'seed.log'}")
        run = self.client.get(stream.RUN_SEQUENCE).decode()
        key = next(k for k in self.client.keys(stream.run_hash("*")) if k.decode().endswith(f"-{run}"))
        deadline = time.monotonic() + 900
        while self.client.hget(key, "state") != until.encode():
            if time.monotonic() > deadline:
                raise RuntimeError(f"run {key!r} never reached {until}; logs in {self.folder}")
            time.sleep(0.02)
        return time.monotonic()

    def close(self) -> None:
        for proc in [*self.workers, self.ingester]:
            if proc is not None:
                stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fleet_throughput(site: TestbedServer, fleet: Fleet, args: list[str]) -> dict[str, Any]:
    site.request_log.clear()
    closed = fleet.seed(args, *FAST)
    result = window(site)
    result["pages_per_s_until_stored"] = round((result["pages"] - 1) / (closed - result.pop("first")), 1)
    return result


def polite(site: TestbedServer, fleet: Fleet, args: list[str], delay: float) -> dict[str, Any]:
    rates = {}
    for workers in (2, 1):
        fleet.scale(workers)
        time.sleep(3.0)  # the workers are up and polling before the run is seeded
        site.request_log.clear()
        fleet.seed(args, "--delay", str(delay))
        measured = window(site)
        measured.pop("first")
        rates[f"{workers}_workers"] = measured
    ratio = rates["2_workers"]["pages_per_s"] / rates["1_workers"]["pages_per_s"]
    return {"delay_s": delay, **rates, "rate_ratio_2_vs_1": round(ratio, 3), "within_1.1": 1 / 1.1 <= ratio <= 1.1}


def ingest_ceiling(fleet: Fleet, args: list[str], folder: Path) -> dict[str, Any]:
    """Records/s of an ingester storing a backlog (the workers crawled with no ingester running)."""
    fleet.scale(2)
    fleet.seed(args, *FAST, until="finishing")
    with Store(folder / "ceiling.db") as store:
        ingester = Ingester(stream.connect(fleet.url), store)
        ingester.acquire(wait_s=30)
        started = time.perf_counter()
        ingester.follow(lambda: False, 200, until_idle=True)
        seconds = time.perf_counter() - started
        ingester.release()
        counts = store.counts()
    records = ingester.counts.records
    return {"records": records, "seconds": round(seconds, 3), "records_per_s": round(records / seconds, 1),
            "bodies": counts["bodies"], "captures": counts["captures"], "snapshots": counts["snapshots"],
            "evidence_log": counts["evidence_log"]}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=6)
    parser.add_argument("--max-pages", type=int, default=5)
    parser.add_argument("--listings", type=int, default=3000)
    parser.add_argument("--polite-delay", type=float, default=0.1)
    options = parser.parse_args(argv)
    queries = QUERIES[: options.queries]
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp, \
            TestbedServer(seed=5, listings=options.listings) as site:  # fmt: skip
        folder = Path(tmp)
        baseline = plain(site, crawl_args(site, queries, options.max_pages, folder / "plain.db"), folder)
        with RedisServer(folder / "redis") as server:
            fleet = Fleet(server, folder / "fleet.db", folder)
            try:
                fleet.start_ingester()
                fleet.scale(2)
                time.sleep(3.0)
                # Workers are long-lived (systemd units): warm them up with a small run, as a plain process has
                # imported Scrapy and built its crawler before its first request too.
                fleet.seed(crawl_args(site, queries[-1:], 1, fleet.db), *FAST)
                args = crawl_args(site, queries, options.max_pages, fleet.db)
                distributed = fleet_throughput(site, fleet, args)
                politeness = polite(site, fleet, crawl_args(site, queries[:1], 1, fleet.db), options.polite_delay)
                stop(fleet.ingester) if fleet.ingester else None
                ceiling = ingest_ceiling(fleet, crawl_args(site, queries, options.max_pages, fleet.db), folder)
            finally:
                fleet.close()
    records_per_page = ceiling["records"] / max(1, distributed["pages"])
    polite_worker = records_per_page / options.polite_delay  # records/s of one worker at the polite delay
    result = {
        "plain_process": baseline,
        "two_workers_and_ingester": distributed,
        "throughput_ratio": round(distributed["pages_per_s"] / baseline["pages_per_s"], 2),
        "throughput_ratio_until_stored": round(distributed["pages_per_s_until_stored"] / baseline["pages_per_s"], 2),
        "politeness": politeness,
        "ingester": ceiling,
        "polite_workers_one_store_serves": int(ceiling["records_per_s"] / polite_worker),
    }
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
