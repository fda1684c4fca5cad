"""Failures are loud and recorded: a crawl that cannot reach its site, gets a 404 for its start page, stays
blocked, cannot store, or cannot even start (a store that is not one, a broken ruleset, a bad setting) exits
non-zero with the first cause in one line, keeps Scrapy's tracebacks in its log file, records the run as
failed with that reason where the store is writable, and fires ``--notify``."""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from twisted.python.failure import Failure

from crawler.monitors import failure_reason
from crawler.spiders.base import describe_failure
from db.store import Store
from helpers import run_gigscan
from testbed.server import TestbedServer

ROOT = Path(__file__).parent.parent


def notifier(path: Path) -> str:
    return f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.stdin.read())\" {path}"


def crawl(db: Path, base_url: str, *extra: str, spider: str = "fiverr", notified: Path | None = None,
          **kwargs: Any) -> subprocess.CompletedProcess[str]:
    args = ["crawl", spider, "--base-url", base_url, "--db", str(db), "--delay", "0", "--no-progress",
            "--max-pages", "1", *extra]
    if notified is not None:
        args += ["--notify", notifier(notified)]
    return run_gigscan(*args, check=False, **kwargs)


def run_status(db: Path, run_id: int) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
    finally:
        conn.close()


def last_run(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        status, stats = conn.execute("SELECT status, stats FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return {"status": status, "stats": json.loads(stats or "{}")}


def assert_loud(proc: subprocess.CompletedProcess[str], code: int, reason: str) -> None:
    """Exit ``code``, no traceback anywhere, the reason on one stderr line."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert any(reason in line for line in proc.stderr.splitlines()), proc.stderr


def make_store(db: Path) -> None:
    """An existing gigscan store (what a nightly crawl writes into)."""
    from db.store import Store

    Store(db).close()


@pytest.mark.slow
def test_connection_refused_is_one_line_recorded_and_notified(tmp_path: Path) -> None:
    db, notified = tmp_path / "refused.db", tmp_path / "notified.json"
    proc = crawl(db, "http://127.0.0.1:9", "-q", "amazon reviews", "--set", "RETRY_TIMES=0", notified=notified)
    assert_loud(proc, 1, "ended failed: connection refused: http://127.0.0.1:9/search/gigs?query=amazon+reviews")
    run = last_run(db)
    assert run["status"] == "failed" and run["stats"]["gigscan/reason"].startswith("connection refused")
    [report] = json.loads(notified.read_text())["runs"]
    assert report["status"] == "failed" and report["reason"] == run["stats"]["gigscan/reason"]
    log = (tmp_path / ".gigscan" / "logs" / "crawl.log").read_text()
    assert "ConnectionRefused" in log  # the details are in the log, not on the terminal


@pytest.mark.slow
def test_404_on_the_start_page_says_so(tmp_path: Path) -> None:
    db, notified = tmp_path / "404.db", tmp_path / "notified.json"
    with TestbedServer(seed=3, listings=30) as server:
        proc = crawl(db, f"{server.url}/no-such-marketplace", "-q", "amazon reviews", spider="freelancer",
                     notified=notified)
    assert_loud(proc, 1, "HTTP 404 on the start page")
    assert last_run(db)["stats"]["gigscan/reason"].startswith("HTTP 404 on the start page")
    assert json.loads(notified.read_text())["runs"][0]["status"] == "failed"


@pytest.mark.slow
@pytest.mark.parametrize(("block_rate", "setting", "status", "reason"), [
    (1.0, "RETRY_TIMES=1", "blocked", "ended blocked: blocked: 1 page(s) stayed blocked after every retry"),
    (0.0, "ITEM_PIPELINES={}", "failed", "nothing was stored"),  # a crawl that stores nothing fails
])
def test_blocked_or_storing_nothing_says_so_and_notifies(
    tmp_path: Path, block_rate: float, setting: str, status: str, reason: str
) -> None:
    db, notified = tmp_path / "run.db", tmp_path / "notified.json"
    with TestbedServer(seed=3, listings=30, block_rate=block_rate) as server:
        proc = crawl(db, server.url, "-q", "amazon reviews", "--set", setting, notified=notified)
    assert_loud(proc, 1, reason)
    assert json.loads(notified.read_text())["runs"][0]["status"] == status


@pytest.mark.slow
@pytest.mark.parametrize("limit", [560_000, 600_000, 651_000, 707_000, 749_000])
def test_a_full_disk_ends_the_run_failed_with_the_store_error(tmp_path: Path, limit: int) -> None:
    """The crawl's files may not grow past ``limit`` bytes (RLIMIT_FSIZE, as a full disk would refuse them).

    Several limits, because where the disk fills decides how little room the failed batch left the run's end
    (before the store checkpointed its log on failure, 1 limit in 8 left the run "running"). The crawl always
    reports the failure. Its end is written when a page or two is left anywhere (``Store.finish_run``); when
    neither the database file nor its log can take one more page, the next crawl into the store ends the run
    ``interrupted``: it never stays "running"."""
    db, notified = tmp_path / "full.db", tmp_path / "notified.json"
    make_store(db)

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with TestbedServer(seed=3, listings=200) as server:
        args = ["crawl", "fiverr", "--base-url", server.url, "--db", str(db), "--delay", "0", "--no-progress",
                "--max-pages", "1", "--notify", notifier(notified)]
        proc = subprocess.run([sys.executable, "-m", "gigscan", *args], capture_output=True, text=True,
                              timeout=300, cwd=ROOT, preexec_fn=small_disk)
    assert_loud(proc, 1, "store failure:")
    [report] = json.loads(notified.read_text())["runs"]
    assert report["status"] == "failed" and report["reason"].startswith("store failure:")
    if last_run(db)["status"] == "running":  # no page left in either file: the next crawl ends it
        with Store(db) as store:
            store.start_run("crawl", "fiverr", {}, None, "next")
        assert run_status(db, report["run_id"]) == "interrupted"
    else:
        assert last_run(db)["status"] == "failed"


@pytest.mark.parametrize(("setup", "extra", "reason"), [
    ("junk", (), "is not a gigscan store: corrupt or not SQLite"),
    ("truncated", (), "is not a gigscan store"),
    ("directory", (), "is a directory, not a gigscan store"),
    ("foreign", (), "is an SQLite file of another program"),
    ("store", ("--rules", "RULES"), "cannot load the ruleset:"),
    ("store", ("--set", "CONCURRENT_REQUESTS=many"), "CONCURRENT_REQUESTS takes an integer"),
    ("store", ("--set", "RETRY_ENABLED=perhaps"), "RETRY_ENABLED takes true or false"),
    ("store", ("--set", "DOWNLOAD_DELAY_S=5"), "no such setting (did you mean DOWNLOAD_DELAY?)"),
])
def test_a_crawl_that_cannot_start_is_exit_2_recorded_and_notified(
    tmp_path: Path, setup: str, extra: tuple[str, ...], reason: str
) -> None:
    db, notified, rules = tmp_path / "store.db", tmp_path / "notified.json", tmp_path / "rules.toml"
    rules.write_text('version = "x"\n[rules\n')
    if setup == "junk":
        db.write_bytes(b"this is not a database")
    elif setup == "truncated":
        make_store(db)
        db.write_bytes(db.read_bytes()[:1000])
    elif setup == "directory":
        db.mkdir()
    elif setup == "foreign":
        sqlite3.connect(db).execute("CREATE TABLE invoices (id INTEGER)").connection.commit()
    else:
        make_store(db)
    before = db.read_bytes() if db.is_file() and setup != "store" else None
    args = [a.replace("RULES", str(rules)) for a in extra]
    proc = crawl(db, "http://127.0.0.1:9", *args, notified=notified, timeout=120)
    assert_loud(proc, 2, reason)
    assert len(proc.stderr.strip().splitlines()) == 1
    [report] = json.loads(notified.read_text())["runs"]  # a crawl that crashed before it started notifies too
    assert report["status"] == "failed" and reason in report["reason"]
    if setup == "store":  # the store is writable: the run is on record with its reason
        run = last_run(db)
        assert run["status"] == "failed" and reason in run["stats"]["gigscan/reason"]
    if before is not None:
        assert db.read_bytes() == before  # a file that is not a store is never changed


def test_failures_are_described_in_one_line() -> None:
    """The causes a run's reason names, as Scrapy 2.19 raises them (no network needed to build them)."""
    from scrapy import Request
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
    from scrapy.http import Response
    from scrapy.spidermiddlewares.httperror import HttpError

    def failure(error: Exception) -> Failure:
        made = Failure(error)
        made.request = Request("http://example.invalid/search")  # type: ignore[attr-defined]
        return made

    assert describe_failure(failure(CannotResolveHostError("x"))) == "DNS lookup failed: http://example.invalid/search"
    assert describe_failure(failure(DownloadConnectionRefusedError("x"))).startswith("connection refused: ")
    gone = HttpError(Response("http://example.invalid/jobs", status=404), "Ignoring non-200 response")
    assert describe_failure(failure(gone)) == "HTTP 404 on http://example.invalid/jobs"
    assert failure_reason("failed", {"gigscan/first_error": "DNS lookup failed: x"}) == "DNS lookup failed: x"
    assert failure_reason("failed", {"gigscan/store/error": "disk full", "gigscan/first_error": "x"}) == (
        "store failure: disk full")
    assert failure_reason("finished", {"gigscan/first_error": "x"}) is None
