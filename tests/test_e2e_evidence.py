"""End to end on the testbed: history across catalogue steps, takedown tracking by re-check crawls, stats,
history and WARC on the command line; a crawl killed with SIGKILL mid-write, read meanwhile, then re-run."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import Store
from db.exports.flagged import flagged_rows
from db.search import search_sellers
from gigscan.cli import app
from helpers import run_gigscan
from testbed.server import TestbedServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent


def gigscan_here(*args: str) -> str:
    """A reading command, in this process (only crawls need a process of their own)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def crawl_args(base_url: str, db: Path, *extra: str) -> list[str]:
    return ["crawl", "fiverr", "--base-url", base_url, "--db", str(db), "--no-progress", *extra]


def fast_crawl(base_url: str, db: Path, *extra: str) -> list[str]:
    """No politeness: the testbed is on 127.0.0.1."""
    return crawl_args(base_url, db, "--delay", "0", "--concurrency", "8", "--set", "AUTOTHROTTLE_ENABLED=False", *extra)


def search_crawl(base_url: str, db: Path, *extra: str) -> list[str]:
    return fast_crawl(base_url, db, "-q", "amazon reviews", "--max-pages", "1", *extra)


def by_external_id(db: Path) -> dict[str, dict]:
    with Store(db) as store:
        return {row["external_id"]: row for row in store.db.query("SELECT * FROM listings")}


def listing_events(db: Path, external_ids: set[str]) -> dict[str, list[tuple[str, int | None]]]:
    with Store(db) as store:
        rows = store.conn.execute(
            "SELECT l.external_id, e.kind, e.http_status FROM events e JOIN listings l ON l.id = e.listing_id"
            " ORDER BY e.id"
        ).fetchall()
    out: dict[str, list[tuple[str, int | None]]] = {gig: [] for gig in external_ids}
    for gig, kind, status in rows:
        if gig in out:
            out[gig].append((kind, status))
    return out


def test_recheck_crawls_track_edits_removals_and_reappearance(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    with TestbedServer(seed=11, listings=300) as server:
        run_gigscan(*search_crawl(server.url, db))
        known = set(by_external_id(db))
        server.set_step(1)
        step1 = server.catalogue.changes()
        started = time.time()
        out = run_gigscan(*fast_crawl(server.url, db, "--recheck", "--all")).stdout
        edited, removed = {str(g) for g in step1.edited} & known, {str(g) for g in step1.removed} & known
        assert edited and removed, "the step changed none of the crawled gigs"
        assert f"{len(removed)} newly removed" in out
        rows = by_external_id(db)
        for gig in removed:
            assert rows[gig]["status"] == "removed"
            assert started - 1 < dt.datetime.fromisoformat(rows[gig]["removed_at"]).timestamp() < time.time()
        assert {g for g, r in rows.items() if r["status"] == "removed"} == removed
        assert listing_events(db, removed) == {gig: [("removed", 404)] for gig in removed}
        gig = sorted(edited)[0]
        timeline = json.loads(gigscan_here("history", rows[gig]["url"], "--json", "--db", str(db)))
        changes = [e for e in timeline["listings"][0]["events"] if e["kind"] == "changed" and e["source"] == "gig"]
        [change] = changes
        old_title, new_title = change["changes"]["title"]
        assert new_title == server.catalogue.gig(int(gig)).title and new_title.startswith(old_title)
        assert change["changes"]["price"][1] > change["changes"]["price"][0]

        server.set_step(2)
        restored = {str(g) for g in server.catalogue.changes().restored} & removed
        assert restored, "step 2 restored none of the removed gigs"
        run_gigscan(*fast_crawl(server.url, db, "--recheck", "--all"))
    rows = by_external_id(db)
    for gig in restored:
        assert (rows[gig]["status"], rows[gig]["removed_at"]) == ("reappeared", None)
    for events in listing_events(db, restored).values():  # back on its seller's page or its own: both are live
        assert [kind for kind, _status in events] == ["removed", "reappeared"] and events[1][1] == 200

    stats = json.loads(gigscan_here("stats", "--json", "--db", str(db)))
    [fiverr] = stats
    flagged_ids = {g for g, r in rows.items() if r["flagged"] == 1}
    assert fiverr["listings"] == len(rows)
    assert fiverr["removed"] == sum(rows[g]["status"] == "removed" for g in flagged_ids)
    assert fiverr["still_live"] + fiverr["removed"] == fiverr["flagged"] >= len(flagged_ids)
    with Store(db) as store:
        assert store.verify().ok
    # every crawl left a signed checkpoint beside the store, and verify holds the log to all three
    checkpoints = (tmp_path / ".gigscan" / "history.db.checkpoints.jsonl").read_text().splitlines()
    assert len(checkpoints) == 3
    verified = json.loads(gigscan_here("verify", "--json", "--db", str(db)))
    assert verified["ok"] and verified["checkpoints"] == 3 and verified["anchors_checked"] == 3
    warc_dir = tmp_path / "warc"
    assert "request/response pair" in gigscan_here("warc", "--output", str(warc_dir), "--db", str(db))
    [warc] = list(warc_dir.glob("*.warc.gz"))
    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", str(warc)], capture_output=True)
    assert check.returncode == 0, check.stdout


def read_count(db: Path, sql: str) -> int:
    """A reader on the file while the crawl writes (a browser, `gigscan search`): never blocked, never torn."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def start_gigscan(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gigscan", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def start_crawl(base_url: str, db: Path) -> subprocess.Popen[bytes]:
    """A slowed-down crawl, so that it can be killed in the middle."""
    return start_gigscan(*crawl_args(base_url, db, "--delay", "0.01", "--concurrency", "2", "-q", "amazon reviews",
                                     "-q", "logo design", "--max-pages", "2"))  # fmt: skip


def wait_for_count(proc: subprocess.Popen[bytes], db: Path, sql: str, at_least: int, reads: list[int]) -> None:
    """Read ``sql``'s count while the crawl runs (appending each read to ``reads``) until it is ``at_least``."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the crawl ended too early"
        if db.exists():
            try:
                count = read_count(db, sql)
            except sqlite3.OperationalError:  # the schema is not there yet
                count = 0
            reads.append(count)
            if count >= at_least:
                return
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the crawl stored too little in 20 s")


def kill_when(proc: subprocess.Popen[bytes], db: Path, sql: str, at_least: int, reads: list[int]) -> None:
    wait_for_count(proc, db, sql, at_least, reads)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def test_sigkill_mid_crawl_leaves_a_store_that_verifies_and_a_rerun_completes(tmp_path: Path) -> None:
    db, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    with TestbedServer(seed=5, listings=600) as server:
        kill_when(start_crawl(server.url, db), db, "SELECT count(*) FROM runs", 1, [])  # early
        reads: list[int] = []
        kill_when(start_crawl(server.url, db), db, "SELECT count(*) FROM listings", 60, reads)  # mid-crawl
        assert reads == sorted(reads) and len(set(reads)) > 1  # read while it grew, never saw a torn write
        with Store(db) as store:
            assert store.verify().ok
            stored = store.counts()
            assert stored["listings"] >= 60
            name = store.conn.execute("SELECT username FROM sellers ORDER BY id LIMIT 1").fetchone()[0]
            assert [hit.seller["username"] for hit in search_sellers(store, name)] == [name]
            assert {row["external_id"] for row in flagged_rows(store)} <= set(by_external_id(db))
        uninterrupted = start_gigscan(*search_crawl(server.url, clean, "-q", "logo design", "--max-pages", "2"))
        run_gigscan(*search_crawl(server.url, db, "-q", "logo design", "--max-pages", "2"))
        assert uninterrupted.wait(60) == 0
    with Store(db) as store:
        assert store.verify().ok
        statuses = [row[0] for row in store.conn.execute("SELECT status FROM runs ORDER BY id")]
        assert statuses == ["interrupted", "interrupted", "finished"]
        listings = store.conn.execute("SELECT marketplace, external_id FROM listings").fetchall()
        assert len(listings) == len(set(listings))
        repeated = store.conn.execute(
            "SELECT count(*) FROM snapshots a JOIN snapshots b ON a.listing_id = b.listing_id AND a.source = b.source"
            " AND b.id = (SELECT min(id) FROM snapshots c WHERE c.listing_id = a.listing_id AND c.source = a.source"
            " AND c.id > a.id) WHERE a.content_hash = b.content_hash"
        ).fetchone()[0]
        assert repeated == 0  # no snapshot repeats the one before it
        rerun_saw = store.conn.execute(
            "SELECT count(DISTINCT listing_id) FROM sightings WHERE run_id = 3 AND listing_id NOT IN"
            " (SELECT id FROM listings)"
        ).fetchone()[0]
        assert rerun_saw == 0  # every listing the re-run saw is stored
        killed_ids = {r[1] for r in listings}
    assert set(by_external_id(clean)) <= killed_ids
    assert len(killed_ids) == len(by_external_id(clean))


def test_ctrl_c_mid_crawl_stores_every_item_it_scraped(tmp_path: Path) -> None:
    """Ctrl-C signals the whole foreground process group: Scrapy shuts down gracefully and the store's writer
    thread must still take everything the crawl scraped, and close the run."""
    db = tmp_path / "interrupted.db"
    with TestbedServer(seed=5, listings=600) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gigscan", *crawl_args(server.url, db, "--delay", "0.01", "--concurrency", "2",
                                                          "-q", "amazon reviews", "--max-pages", "3")],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for_count(proc, db, "SELECT count(*) FROM listings", 20, [])
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(60) is not None
    with Store(db) as store:
        assert store.verify().ok
        run = store.get_run(1)
        assert run is not None and run["status"] == "shutdown"
        stats = json.loads(run["stats"])
        sightings = store.conn.execute("SELECT count(*) FROM sightings WHERE run_id = 1").fetchone()[0]
        assert stats["item_scraped_count"] == stats["gigscan/store/sightings"] == sightings
        assert "gigscan/store/failed_batches" not in stats


def test_a_crawl_whose_store_fails_stops_and_says_so(tmp_path: Path) -> None:
    """The store refuses a write mid-crawl (a full disk, a broken file; here a trigger that fails every
    sighting): the crawl stops as ``store_failed`` and the store keeps what it committed."""
    db = tmp_path / "gigscan.db"
    with TestbedServer(seed=5, listings=600) as server:
        crawl = start_crawl(server.url, db)
        try:
            wait_for_count(crawl, db, "SELECT count(*) FROM listings", 1, [])
            with sqlite3.connect(db, timeout=10) as conn:
                conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON sightings"
                             " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")  # fmt: skip
            assert crawl.wait(60) != 0
        finally:
            crawl.kill()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER refuse")
    with Store(db) as store:
        assert store.verify().ok
        run = store.get_run(1)
        assert run is not None and run["status"] == "failed"
        assert json.loads(run["stats"]).get("gigscan/store/failed_batches", 0) >= 1
