"""End to end, unattended: overlapping runs refused, a hostile web survived, a SIGKILL survived, degraded runs
reported, and the server's pacing requests obeyed. Every crawl is the real CLI in a fresh process."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlite_utils

from crawler.unattended import hold_crawl_locks
from helpers import QuietHandler, run_gigscan, serve
from testbed.faults import Faults
from testbed.server import TestbedServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def crawl_args(base_url: str, db: Path, *queries: str, extra: tuple[str, ...] = ()) -> list[str]:
    args = ["crawl", "fiverr", "--base-url", base_url, "--db", str(db), "--delay", "0", "--no-progress"]
    for query in queries:
        args += ["--query", query]
    return [*args, *extra]


def has_table(db: Path, table: str) -> bool:
    """True once a crawl has created the store (tests poll a database that is being made)."""
    return db.exists() and table in sqlite_utils.Database(db).table_names()


def runs(db: Path) -> list[dict[str, Any]]:
    if not has_table(db, "runs"):
        return []
    rows = list(sqlite_utils.Database(db).query("select * from runs order by id"))
    for row in rows:
        row["stats"] = json.loads(row["stats"] or "{}")
    return rows


def test_an_overlapping_run_is_refused_at_once_and_recorded_as_skipped(tmp_path: Path) -> None:
    db = tmp_path / "overlap.db"
    hang = Faults(rate=1.0, seed=1, kinds=("hang",), hang_s=60)  # the first crawl waits on its first page
    with TestbedServer(seed=3, listings=50, faults=hang) as server:
        args = crawl_args(server.url, db, "logo design", extra=("--max-pages", "1", "--set", "DOWNLOAD_TIMEOUT=60"))
        first = subprocess.Popen([sys.executable, "-m", "gigscan", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not any(r["status"] == "running" for r in runs(db)):
                assert time.monotonic() < deadline and first.poll() is None, "the first crawl never started"
                time.sleep(0.1)
            second = run_gigscan(*args, check=False)
            assert first.poll() is None  # refused while the first crawl was still running
        finally:
            first.kill()
            first.wait()
    assert second.returncode == 1
    assert "another fiverr crawl into this database is running" in second.stderr
    assert "skipped" in second.stderr
    first_run, skipped = runs(db)
    assert (skipped["spider"], skipped["status"]) == ("fiverr", "skipped")
    assert "another fiverr crawl" in skipped["stats"]["gigscan/skipped"]
    assert first_run["status"] == "running"  # killed: the next store open marks it interrupted
    assert hang.injected["hang"] == 1  # the second crawl sent no request
    # with the first crawl gone (even by SIGKILL), the lock is free again
    held = hold_crawl_locks(db, ["fiverr"])
    assert len(held) == 2  # the lock file beside the store, and the store file's own


# What each fault leaves in a crawl's stats: the crawl reports its failures, it does not hide them.
FAULT_STATS = {
    "429": ["downloader/response_status_count/429"],
    "500": ["downloader/response_status_count/500", "retry/reason_count/500 Internal Server Error"],
    "502": ["downloader/response_status_count/502", "retry/reason_count/502 Bad Gateway"],
    "503": ["downloader/response_status_count/503"],
    "429_retry_after": ["gigscan/retry_after/429", "retry/reason_count/retry_after_429"],
    "503_retry_after": ["gigscan/retry_after/503", "retry/reason_count/retry_after_503"],
    "slow": ["downloader/exception_type_count/scrapy.exceptions.DownloadTimeoutError"],
    "hang": ["downloader/exception_type_count/scrapy.exceptions.DownloadTimeoutError"],
    "truncated": ["downloader/exception_type_count/scrapy.exceptions.ResponseDataLossError"],
    "gzip_bomb": ["gigscan/oversized/decompressed"],
    "giant": ["downloader/exception_type_count/scrapy.exceptions.DownloadCancelledError"],
    "redirect_loop": ["downloader/response_status_count/302"],
    "block": ["gigscan/blocked"],
}


def test_a_crawl_under_faults_finishes_stores_every_answered_listing_and_reports_failures(tmp_path: Path) -> None:
    db, stats_file = tmp_path / "faults.db", tmp_path / "stats.json"
    faults = Faults(rate=0.12, seed=5, slow_s=3, hang_s=20, giant_bytes=9 * 1024 * 1024,
                    bomb_bytes=16 * 1024 * 1024)
    with TestbedServer(seed=11, listings=300, faults=faults) as server:
        started = time.monotonic()
        proc = run_gigscan(*crawl_args(server.url, db, "amazon reviews", "logo design", extra=(
            "--max-pages", "2", "--stats-file", str(stats_file), "--set", "DOWNLOAD_TIMEOUT=2")), check=False)
        elapsed = time.monotonic() - started
        catalogue = server.catalogue
    stats = json.loads(stats_file.read_text())
    assert stats["finish_reason"] == "finished", proc.stderr
    assert elapsed < 120  # hangs and slow answers cost their 2 s timeouts, not the whole crawl
    injected = set(faults.injected)
    assert len(injected) >= 8, faults.injected  # a real mix of faults was served
    # every gig page answered correctly at least once is stored, with its real title
    rows = {urlsplit(r["url"]).path: r for r in sqlite_utils.Database(db).query("select url, title from listings")}
    answered = {urlsplit(target).path for target in faults.answered["gig"]}
    assert len(answered) >= 100
    assert answered <= set(rows)
    titles = {gig.url: gig.title for gig in catalogue.gigs.values()}
    assert all(rows[path]["title"] == titles[path] for path in answered)
    # ... and every fault served shows in the stats
    for kind in injected & set(FAULT_STATS):
        for key in FAULT_STATS[kind]:
            assert stats.get(key, 0) >= 1, (kind, key)
    if "malformed" in injected:
        assert stats.get("spider_exceptions/count", 0) + stats.get("gigscan/blocked", 0) >= 1
    assert stats["retry/count"] >= 1
    run = runs(db)[-1]
    assert run["status"] in ("finished", "degraded")
    assert (proc.returncode == 1) == (run["status"] != "finished")


def listing_state(db: Path) -> dict[str, Any]:
    store = sqlite_utils.Database(db)
    return {
        "listings": {r["external_id"]: r["title"] for r in store.query("select external_id, title from listings")},
        "sellers": {r["username"] for r in store.query("select username from sellers")},
        "snapshots": sorted(tuple(r.values()) for r in store.query(
            "select l.external_id, s.source, s.content_hash from snapshots s join listings l on l.id = s.listing_id")),
    }


def test_a_sigkilled_crawl_started_again_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    killed_db, clean_db = tmp_path / "killed.db", tmp_path / "clean.db"
    queries = ("amazon reviews", "logo design")
    with TestbedServer(seed=13, listings=300) as server:
        run_gigscan(*crawl_args(server.url, clean_db, *queries, extra=("--max-pages", "2")))
        slow = ("--max-pages", "2", "--resume", "--concurrency", "1", "--set", "AUTOTHROTTLE_ENABLED=False",
                "--set", "DOWNLOAD_DELAY=0.05", "--set", "GIGSCAN_STORE_BATCH=5")
        args = crawl_args(server.url, killed_db, *queries, extra=slow)
        crawl = subprocess.Popen([sys.executable, "-m", "gigscan", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not has_table(killed_db, "sightings") or sqlite_utils.Database(killed_db)["sightings"].count < 150:
            assert crawl.poll() is None and time.monotonic() < deadline, "the crawl ended before it could be killed"
            time.sleep(0.05)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
        before = listing_state(killed_db)
        ids_before = {r["external_id"]: (r["id"], r["first_seen"]) for r in
                      sqlite_utils.Database(killed_db).query("select id, external_id, first_seen from listings")}
        assert 0 < len(before["listings"]) < len(listing_state(clean_db)["listings"]) + 1
        job_dirs = list((tmp_path / ".gigscan" / "jobs").iterdir())
        assert len(job_dirs) == 1 and (job_dirs[0] / "gigscan.running").exists()
        run_gigscan(*crawl_args(server.url, killed_db, *queries, extra=("--max-pages", "2", "--resume")))
    after, clean = listing_state(killed_db), listing_state(clean_db)
    assert after == clean  # the same listings, sellers and snapshots as a crawl never interrupted
    assert len(after["snapshots"]) == len(set(after["snapshots"]))  # nothing stored twice
    ids_after = {r["external_id"]: (r["id"], r["first_seen"]) for r in
                 sqlite_utils.Database(killed_db).query("select id, external_id, first_seen from listings")}
    assert all(ids_after[key] == value for key, value in ids_before.items())  # nothing lost or rewritten
    statuses = [r["status"] for r in runs(killed_db)]
    assert statuses == ["interrupted", "finished"]
    assert not job_dirs[0].exists()  # a finished crawl's job state is spent
    assert run_gigscan("verify", "--db", str(killed_db)).returncode == 0


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[Any]]]:
    received: list[Any] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serve(Handler) as url:
        yield f"{url}/gigscan", received


def test_a_degraded_run_exits_non_zero_and_notifies(tmp_path: Path, webhook: tuple[str, list[Any]]) -> None:
    db, summary = tmp_path / "degraded.db", tmp_path / "summary.json"
    url, received = webhook
    notifier = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.stdin.read())\" {summary}"
    with TestbedServer(seed=11, listings=120) as server:
        healthy = run_gigscan(*crawl_args(server.url, db, "logo design", extra=(
            "--max-pages", "1", "--no-follow-sellers", "--notify", notifier)))
        assert healthy.returncode == 0 and not summary.exists()
        # the search "breaks": every query comes back empty
        degraded = run_gigscan(*crawl_args(server.url, db, "qqqq zzzz nothing", extra=(
            "--max-pages", "1", "--no-follow-sellers", "--notify", notifier)), check=False)
        blocked_server = TestbedServer(seed=11, listings=120, block_rate=1.0).start()
        try:
            blocked = run_gigscan(*crawl_args(blocked_server.url, db, "logo design", extra=(
                "--max-pages", "1", "--no-follow-sellers", "--notify", url, "--set", "RETRY_TIMES=1")), check=False)
        finally:
            blocked_server.stop()
    assert degraded.returncode == 1
    assert "zero_results: query 'qqqq zzzz nothing' returned no listings (no query returned any)" in degraded.stderr
    [report] = json.loads(summary.read_text())["runs"]
    assert report["status"] == "degraded" and report["failures"][0]["monitor"] == "zero_results"
    assert report["counters"]["pages"] >= 1 and report["counters"]["items"] == 0
    assert blocked.returncode == 1
    [payload] = received
    assert payload["runs"][0]["failures"][0]["monitor"] == "blocked_share"
    listed = json.loads(run_gigscan("runs", "--json", "--db", str(db)).stdout)
    assert [(r["status"], r["monitors"]) for r in listed[::-1][:2]] == [
        ("finished", []), ("degraded", ["zero_results"])]
    assert listed[0]["status"] in ("blocked", "degraded") and "blocked_share" in listed[0]["monitors"]


class PacingSite:
    """A proxy to the testbed whose robots.txt sets a Crawl-delay and whose first search answer is a 429 with
    Retry-After; it records when each request came and with which user agent."""

    def __init__(self, upstream: TestbedServer, crawl_delay: float, retry_after: int) -> None:
        self.requests: list[tuple[float, str, str]] = []
        site = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                site.requests.append((time.monotonic(), self.path, self.headers.get("User-Agent", "")))
                if self.path == "/robots.txt":
                    self.reply(200, f"User-agent: *\nCrawl-delay: {crawl_delay}\n".encode())
                elif self.path.startswith("/search") and sum(p == self.path for _, p, _ in site.requests) == 1:
                    self.reply(429, b"slow down", [("Retry-After", str(retry_after))])
                else:
                    conn = http.client.HTTPConnection(upstream.host, upstream.port, timeout=10)
                    conn.request("GET", self.path)
                    response = conn.getresponse()
                    self.reply(response.status, response.read())
                    conn.close()

            def reply(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PacingSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_crawl_delay_and_retry_after_are_obeyed_and_the_agent_names_its_contact(tmp_path: Path) -> None:
    db = tmp_path / "polite.db"
    with TestbedServer(seed=4, listings=20) as upstream, PacingSite(upstream, crawl_delay=0.7, retry_after=2) as site:
        run_gigscan(*crawl_args(site.url, db, "amazon reviews", extra=(
            "--max-pages", "1", "--no-follow-sellers", "--concurrency", "4",
            "--set", "GIGSCAN_CONTACT_URL=https://ops.example.org/crawler")))
    times = [t for t, _, _ in site.requests]
    paths = [p for _, p, _ in site.requests]
    assert paths[0] == "/robots.txt" and paths[1] == paths[2] and paths[1].startswith("/search")
    assert len(paths) >= 6  # robots, the 429, the search page, gig pages
    assert times[2] - times[1] >= 2.0  # Retry-After: 2
    gaps = [b - a for a, b in zip(times[2:], times[3:], strict=False)]
    assert min(gaps) >= 0.65  # Crawl-delay: 0.7, one request at a time, no jitter below it
    agents = {agent for _, _, agent in site.requests}
    assert len(agents) == 1 and next(iter(agents)).endswith("(+https://ops.example.org/crawler)")
    assert runs(db)[-1]["stats"]["gigscan/retry_after/429"] == 1
