"""Concurrency: readers work during a write; a second writer waits for the lock or fails clearly, never
half-writes; runs left "running" by a killed process are closed as interrupted."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from db import Store, StoreBusyError
from db.exports.flagged import flagged_rows
from db.search import search_sellers
from db.testing import listing_record, verdict


@pytest.fixture
def path(tmp_path) -> Path:
    db = tmp_path / "gigscan.db"
    with Store(db) as store:
        store.record_batch(store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"), [listing_record(verdict=verdict())])
    return db


class HeldWriteLock:
    """Another process's write transaction, as a thread on its own Store: it takes the write lock, adds a
    listing, and commits when released."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.taken = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with Store(self.path) as store:
            run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
            with store._write() as conn:
                conn.execute("UPDATE runs SET pid = pid WHERE id = ?", (run,))  # holds the lock, changes nothing
                self.taken.set()
                self.release.wait(10)

    def __enter__(self) -> HeldWriteLock:
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(10)


def test_readers_work_while_a_write_transaction_is_open(path):
    with HeldWriteLock(path), Store(path, busy_timeout=0.5) as reader:
        started = time.perf_counter()
        assert reader.counts()["listings"] == 1
        assert [hit.seller["username"] for hit in search_sellers(reader, "vpross")] == ["vpross"]
        assert [row["external_id"] for row in flagged_rows(reader)] == ["1001"]
        assert reader.verify().ok
        assert time.perf_counter() - started < 0.5  # nothing waited for the writer


def test_second_writer_waits_for_the_lock_then_writes(path):
    with Store(path, busy_timeout=10) as second:
        run = second.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        with HeldWriteLock(path) as held:
            timer = threading.Timer(0.3, held.release.set)
            timer.start()
            started = time.perf_counter()
            result = second.record_batch(run, [listing_record(external_id="2", url="https://www.fiverr.com/v/2")])
            waited = time.perf_counter() - started
        assert waited >= 0.25
        assert result.listings_new == 1
        assert second.counts()["listings"] == 2
        assert second.verify().ok


def test_second_writer_that_cannot_wait_fails_clearly_and_writes_nothing(path):
    with Store(path, busy_timeout=0.2) as second:
        run = second.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        before = second.counts()
        with HeldWriteLock(path), pytest.raises(StoreBusyError, match="being written by another process"):
            second.record_batch(run, [listing_record(external_id="2", url="https://www.fiverr.com/v/2")])
        assert not second.conn.in_transaction
        after = second.counts()
        assert after["listings"] == before["listings"] == 1
        assert after["runs"] == before["runs"] + 1  # the lock holder's run
        assert second.verify().ok
        assert second.record_batch(run, [listing_record(external_id="2", url="https://www.fiverr.com/v/2")]).listings_new


def test_runs_of_dead_processes_are_closed_as_interrupted(path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    with Store(path) as store:
        store.conn.execute("UPDATE runs SET pid = ? WHERE id = 1", (dead.pid,))
        store.conn.commit()
        mine = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        rows = dict(store.conn.execute("SELECT id, status FROM runs").fetchall())
    assert rows[1] == "interrupted"
    assert rows[mine] == "running"
