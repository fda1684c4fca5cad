"""End to end, distributed: real redis-server, real `gigscan worker`s and `gigscan ingest` in their own processes,
crawling the simulated marketplace. Each compares the store with a single-process crawl of the same seed, row for
row (ignoring times, ids and run ids), and verifies the evidence chain. No fake Redis anywhere."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlite_utils

from db import stream
from helpers import run_gigscan
from testbed.redis_server import RedisServer
from testbed.server import TestbedServer

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("distributed")]
ROOT = Path(__file__).parent.parent
QUERIES = ("amazon reviews", "logo design")
# Slow enough that a kill lands mid-crawl: one request at a time, 40 ms apart, fleet-wide.
SLOW = ("--set", "AUTOTHROTTLE_ENABLED=False", "--delay", "0.04", "--concurrency", "1")


def crawl_args(base_url: str, db: Path, *extra: str) -> list[str]:
    args = ["crawl", "fiverr", "--base-url", base_url, "--db", str(db), "--max-pages", "1", "--no-progress"]
    for query in QUERIES:
        args += ["--query", query]
    return [*args, *extra]


def stored_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a crawl stored, by natural keys: listings, sellers and snapshots without times, ids or run ids (nor
    body hashes: the testbed, like Fiverr, puts a time-based CSRF token in every page)."""
    store = sqlite_utils.Database(db)
    queries = {
        "listings": "select l.marketplace, l.external_id, s.username, l.url, l.title, l.description, l.tags, l.price,"
                    " l.currency, l.rating, l.review_count, l.category, l.kind, l.status, l.flagged, l.score,"
                    " l.current_detail from listings l join sellers s on s.id = l.seller_id",
        "sellers": "select marketplace, username, display_name, profile_url, country, level, member_since, rating,"
                   " review_count, description, status from sellers",
        "snapshots": "select l.marketplace, l.external_id, n.source, n.detail, n.fields, n.extra, n.content_hash,"
                     " n.url, n.http_status from snapshots n join listings l on l.id = n.listing_id",
    }  # fmt: skip
    return {name: sorted(tuple(row) for row in store.execute(sql).fetchall()) for name, sql in queries.items()}


@pytest.fixture(scope="module")
def testbed() -> Iterator[TestbedServer]:
    with TestbedServer(seed=21, listings=300) as server:
        yield server


@pytest.fixture(scope="module")
def reference(testbed: TestbedServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One plain process crawling the same seed: what the fleet must store."""
    db = tmp_path_factory.mktemp("single") / "one.db"
    run_gigscan(*crawl_args(testbed.url, db, "--delay", "0"))
    rows = stored_rows(db)
    assert len(rows["listings"]) > 50 and rows["sellers"] and rows["snapshots"]
    return rows


class Fleet:
    """Workers and an ingester as real `gigscan` processes, stopped at the end."""

    def __init__(self, redis_url: str, db: Path, logs: Path) -> None:
        self.url, self.db, self.logs = redis_url, db, logs
        self.workers: list[subprocess.Popen[bytes]] = []
        self.ingester: subprocess.Popen[bytes] | None = None
        self.client = redis.Redis.from_url(redis_url)

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen([sys.executable, "-m", "gigscan", *args], cwd=ROOT, stdout=log, stderr=log)

    def start_ingester(self, *extra: str) -> None:
        self.ingester = self._start("ingest", "ingest", "--redis-url", self.url, "--db", str(self.db), *extra)

    def start_workers(self, count: int, *extra: str) -> None:
        for _ in range(count):
            name = f"worker-{len(self.workers) + 1}"
            self.workers.append(self._start(name, "worker", "--redis-url", self.url, "--log-level", "INFO", *extra))

    def run(self) -> dict[str, Any]:
        keys = [k.decode() for k in self.client.keys(stream.run_hash("*")) if k.count(b":") == 2]
        return {k.decode(): v.decode() for k, v in self.client.hgetall(keys[0]).items()} if keys else {}

    def wait(self, condition: Any, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}; logs in {self.logs}"
            time.sleep(0.1)

    def wait_closed(self, timeout: float = 90) -> dict[str, Any]:
        self.wait(lambda: self.run().get("state") == "closed", "the run to close", timeout)
        return self.run()

    def stop(self) -> None:
        for proc in [*self.workers, self.ingester]:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.workers, self.ingester]:
            if proc is not None:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def fleet(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Fleet, RedisServer]]:
    aof = bool(getattr(request, "param", False))
    with RedisServer(tmp_path / "redis", aof=aof) as server:
        group = Fleet(server.url, tmp_path / "fleet.db", tmp_path)
        try:
            yield group, server
        finally:
            group.stop()


def stored_records(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return sqlite_utils.Database(db).execute("select count(*) from sightings").fetchone()[0]
    except Exception:  # the table does not exist yet
        return 0


def assert_same_as_one_process(db: Path, reference: dict[str, Any]) -> None:
    rows = stored_rows(db)
    for table in ("listings", "sellers", "snapshots"):
        assert rows[table] == reference[table], f"{table} differ from a single-process crawl"
    assert run_gigscan("verify", "--db", str(db)).returncode == 0


def test_two_workers_and_an_ingester_store_what_one_process_stores(
    testbed: TestbedServer, reference: dict[str, Any], fleet: tuple[Fleet, RedisServer]
) -> None:
    group, _ = fleet
    group.start_ingester()
    group.start_workers(2)
    seeded = run_gigscan(*crawl_args(testbed.url, group.db, "--delay", "0", "--redis-url", group.url))
    assert "status" in seeded.stdout and "finished" in seeded.stdout  # the seeder waited for the end
    assert_same_as_one_process(group.db, reference)
    store = sqlite_utils.Database(group.db)
    runs = list(store.query("select * from runs"))
    assert len(runs) == 1 and runs[0]["status"] == "finished"  # one run record for the whole fleet
    stats = json.loads(runs[0]["stats"])
    assert stats["item_scraped_count"] == stats["gigscan/store/sightings"] == store["sightings"].count
    # The run's frontier (queue, seen-set, leases) is gone: a later run starts with a fresh seen-set.
    assert not any(group.client.exists(key) for key in stream.run_keys(json.loads(group.run()["spec"])["key"]))
    figures = json.loads(run_gigscan("queue", "--redis-url", group.url, "--json").stdout)
    assert figures["runs"] == [] and len(figures["workers"]) == 2
    for name in ("worker-1", "worker-2"):  # both took part
        assert "joining run" in (group.logs / f"{name}.log").read_text()


def test_a_sigkilled_workers_requests_go_to_another_worker_after_its_lease(
    testbed: TestbedServer, reference: dict[str, Any], fleet: tuple[Fleet, RedisServer]
) -> None:
    group, _ = fleet
    group.start_ingester()
    group.start_workers(1, "--lease", "3")  # alone, so every lease held when it dies is its own
    run_gigscan(*crawl_args(testbed.url, group.db, *SLOW, "--redis-url", group.url, "--detach"))
    group.wait(lambda: "spec" in group.run(), "the seeded run")
    inflight = stream.run_inflight(json.loads(group.run()["spec"])["key"])
    group.wait(lambda: int(group.run().get("pushed", 0)) >= 40 and group.client.zcard(inflight) >= 1,
               "records from the first worker while it holds a lease")
    group.workers[0].send_signal(signal.SIGKILL)
    group.workers[0].wait()
    held = group.client.zcard(inflight)
    group.start_workers(1, "--lease", "3")  # the survivor takes the dead worker's leases once they expire
    closed = group.wait_closed()
    assert held >= 1
    stats = json.loads(closed["outcome"])
    assert stats["status"] == "finished"
    assert_same_as_one_process(group.db, reference)
    requeued = sqlite_utils.Database(group.db).execute("select stats from runs").fetchone()[0]
    assert json.loads(requeued).get("gigscan/fleet/requeued", 0) >= 1  # the dead worker's leases came back


def test_an_ingester_killed_mid_batch_commits_what_was_not_acknowledged_once(
    testbed: TestbedServer, reference: dict[str, Any], fleet: tuple[Fleet, RedisServer]
) -> None:
    group, _ = fleet
    group.start_workers(2)
    small_entries = ("--set", "GIGSCAN_STREAM_BATCH=2")  # many entries, one transaction each: time to kill
    run_gigscan(*crawl_args(testbed.url, group.db, "--delay", "0", *small_entries, "--redis-url", group.url,
                            "--detach"))
    group.wait(lambda: group.run().get("state") == "finishing", "the workers to drain the run")
    pushed = int(group.run()["pushed"])
    group.start_ingester("--batch", "1")
    deadline = time.monotonic() + 60
    while stored_records(group.db) == 0:  # the first batches are committed...
        assert time.monotonic() < deadline, "the ingester stored nothing"
        time.sleep(0.002)
    lock = sqlite3.connect(group.db, timeout=30)
    lock.execute("BEGIN IMMEDIATE")  # ...the next one waits for the write lock: kill the ingester there
    time.sleep(0.5)
    group.ingester.send_signal(signal.SIGKILL)
    group.ingester.wait()
    lock.rollback()
    lock.close()
    assert 0 < stored_records(group.db) < pushed  # killed mid-way: entries read, not all committed
    assert group.client.xpending(stream.STREAM, stream.GROUP)["pending"] > 0  # ...and not acknowledged
    group.start_ingester()
    group.wait_closed()
    assert_same_as_one_process(group.db, reference)
    store = sqlite_utils.Database(group.db)
    assert store["sightings"].count == pushed  # every record pushed stored exactly once
    assert store.execute("select count(*) from ingest_receipts").fetchone()[0] == store.execute(
        "select count(distinct rid) from ingest_receipts").fetchone()[0]


@pytest.mark.parametrize("fleet", [True], indirect=True)
def test_a_crawl_goes_on_across_a_redis_restart_with_its_append_only_file(
    testbed: TestbedServer, reference: dict[str, Any], fleet: tuple[Fleet, RedisServer]
) -> None:
    group, server = fleet
    group.start_ingester()
    group.start_workers(2)
    run_gigscan(*crawl_args(testbed.url, group.db, *SLOW, "--redis-url", group.url, "--detach"))
    group.wait(lambda: stored_records(group.db) >= 30, "records stored")
    server.restart(down_s=1.5)
    closed = group.wait_closed()
    assert json.loads(closed["outcome"])["status"] == "finished"
    assert_same_as_one_process(group.db, reference)
    assert all(w.poll() is None for w in group.workers) and group.ingester.poll() is None  # nobody died


@pytest.mark.parametrize("fleet", [True], indirect=True)
def test_a_worker_stops_within_seconds_on_sigterm_while_redis_is_down_and_loses_nothing(
    testbed: TestbedServer, reference: dict[str, Any], fleet: tuple[Fleet, RedisServer]
) -> None:
    """systemd gives a worker 90 s (TimeoutStopSec) to stop; it took about 2 minutes while Redis was down, each
    Redis command retrying for a minute. What it held mid-crawl comes back through its leases."""
    group, server = fleet
    group.start_ingester()
    group.start_workers(1, "--lease", "3")
    run_gigscan(*crawl_args(testbed.url, group.db, *SLOW, "--redis-url", group.url, "--detach"))
    group.wait(lambda: int(group.run().get("pushed", 0)) >= 20, "records from the worker")
    server.stop(signal.SIGKILL)
    time.sleep(1.0)  # the worker is in its retries now
    started = time.monotonic()
    group.workers[0].send_signal(signal.SIGTERM)
    try:
        group.workers[0].wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker did not stop within 20 s of SIGTERM with Redis down")
    assert time.monotonic() - started < 10
    server.start()  # its append-only file brings the run back
    group.start_workers(1, "--lease", "3")
    closed = group.wait_closed()
    assert json.loads(closed["outcome"])["status"] == "finished"
    assert_same_as_one_process(group.db, reference)


def test_two_workers_hit_a_host_no_harder_than_the_polite_delay_allows(
    testbed: TestbedServer, fleet: tuple[Fleet, RedisServer]
) -> None:
    """Measured by the site itself (the testbed's request log): with a 0.1 s delay, two workers together stay at
    10 requests a second to the one host, as one worker would (bench_distributed compares 1 and 2 workers)."""
    group, _ = fleet
    group.start_ingester()
    group.start_workers(2)
    group.wait(lambda: len(json.loads(run_gigscan("queue", "--redis-url", group.url, "--json").stdout)["workers"])
               == 2, "both workers")  # fmt: skip
    testbed.request_log.clear()
    args = ["crawl", "fiverr", "--base-url", testbed.url, "--db", str(group.db), "--max-pages", "1", "--query",
            "logo design", "--delay", "0.1", "--set", "AUTOTHROTTLE_ENABLED=False", "--redis-url", group.url]
    run_gigscan(*args)
    times = sorted(t for t, kind, _ in testbed.request_log if kind != "robots")
    assert len(times) > 30
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 10 * 1.1, f"{rate:.1f} requests/s to one host with a 0.1 s delay"
    assert rate >= 10 / 1.5  # and the fleet did crawl at about the polite rate, not far below it


def test_a_distributed_recheck_records_takedowns_as_a_local_one_does(
    fleet: tuple[Fleet, RedisServer], tmp_path: Path
) -> None:
    """`crawl --recheck --redis-url`: the seeder reads the targets from the store, the workers visit them, and the
    ingester records each gig taken down since (404) as removed, with its event, in the one evidence chain."""
    group, _ = fleet
    with TestbedServer(seed=11, listings=120) as server:
        run_gigscan("crawl", "fiverr", "--base-url", server.url, "--db", str(group.db), "--max-pages", "1",
                    "--query", "amazon reviews", "--delay", "0", "--no-progress")  # fmt: skip
        with sqlite3.connect(group.db) as conn:
            known = {row[0] for row in conn.execute("select external_id from listings")}
        server.set_step(1)
        removed = {str(g) for g in server.catalogue.changes().removed} & known
        assert removed, "the step took down none of the crawled gigs"
        group.start_ingester()
        group.start_workers(2)
        out = run_gigscan("crawl", "fiverr", "--base-url", server.url, "--db", str(group.db), "--recheck", "--all",
                          "--delay", "0", "--no-progress", "--redis-url", group.url).stdout  # fmt: skip
    assert f"re-checked {len(known)} listing(s)" in out and f"{len(removed)} newly removed" in out
    with sqlite3.connect(group.db) as conn:
        status = dict(conn.execute("select external_id, status from listings"))
        events = conn.execute("select l.external_id, e.kind, e.http_status, r.host from events e"
                              " join listings l on l.id = e.listing_id join runs r on r.id = e.run_id").fetchall()
    assert {gig for gig, state in status.items() if state == "removed"} == removed
    assert sorted(events) == sorted((gig, "removed", 404, events[0][3]) for gig in removed)
    assert events[0][3].startswith("redis ")  # recorded by the fleet's run
    assert run_gigscan("verify", "--db", str(group.db)).returncode == 0
