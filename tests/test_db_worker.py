"""The store in its own process (what a crawl writes through): same results and errors as in-process, writes in
submission order, survives Ctrl-C's SIGINT, and never outlives a crawl killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db import Store, StoreBusyError
from db.testing import capture, listing_record, verdict
from db.worker import StoreProcess

ROOT = Path(__file__).resolve().parent.parent


def records(n: int, start: int = 0) -> list[dict]:
    return [
        listing_record(
            external_id=str(1000 + i),
            url=f"https://www.fiverr.com/seller{i % 3}/gig-{i}",
            seller=f"seller{i % 3}",
            title=f"Gig number {i}",
            capture=capture(url=f"https://www.fiverr.com/seller{i % 3}/gig-{i}", body=f"<html>{i}</html>".encode()),
            verdict=verdict(flagged=i % 2 == 0),
        )
        for i in range(start, start + n)
    ]


def process_alive(pid: int) -> bool:
    """A zombie (dead, not yet reaped by whoever adopted it) counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_batches_are_written_in_order_and_match_an_in_process_store(tmp_path: Path) -> None:
    worker = StoreProcess(tmp_path / "worker.db")
    try:
        run_id = worker.call("start_run", "crawl", "fiverr", {}, "r1", "0.1.0", 4242)
        futures = [worker.submit("record_batch", run_id, records(5, start)) for start in (0, 5, 0)]
        results = [future.result(timeout=30) for future in futures]
        worker.call("finish_run", run_id, "finished", {"item_scraped_count": 15})
    finally:
        worker.close()
    assert [r.listings_new for r in results] == [5, 5, 0]  # the third batch repeats the first: nothing new
    with Store(tmp_path / "direct.db") as direct:
        direct_id = direct.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        expected = [direct.record_batch(direct_id, records(5, start)) for start in (0, 5, 0)]
        direct_ids = [r[0] for r in direct.conn.execute("SELECT external_id FROM listings ORDER BY id")]
    assert results == expected
    with Store(tmp_path / "worker.db") as store:
        assert store.verify().ok
        assert [r[0] for r in store.conn.execute("SELECT external_id FROM listings ORDER BY id")] == direct_ids
        run = store.get_run(run_id)
        assert run is not None
        assert (run["status"], run["pid"]) == ("finished", 4242)  # the crawl's pid, not the writer's


def test_errors_come_back_as_the_store_raised_them(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_bytes(b"this is not an SQLite file, it is long enough to have a header page" * 100)
    broken = StoreProcess(not_a_db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            broken.call("start_run", "crawl", "fiverr", {}, "r1", "0.1.0")
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):  # not "no open store"
            broken.submit("record_batch", 1, records(1)).result(timeout=30)
    finally:
        broken.close()

    db = tmp_path / "busy.db"
    Store(db).close()
    worker = StoreProcess(db, busy_timeout=0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        run_id = worker.call("start_run", "crawl", "fiverr", {}, "r1", "0.1.0")
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with pytest.raises(StoreBusyError, match="being written by another process"):
            worker.submit("record_batch", run_id, records(2)).result(timeout=30)
        holder.execute("ROLLBACK")
        assert worker.submit("record_batch", run_id, records(2)).result(timeout=30).listings_new == 2
        with pytest.raises(AttributeError):
            worker.call("no_such_method")
    finally:
        holder.close()
        worker.close()


def test_the_writer_ignores_sigint_so_a_graceful_shutdown_can_still_write(tmp_path: Path) -> None:
    worker = StoreProcess(tmp_path / "gigscan.db")
    try:
        run_id = worker.call("start_run", "crawl", "fiverr", {}, "r1", "0.1.0")
        pid = worker.pid()
        assert pid != os.getpid()
        os.kill(pid, signal.SIGINT)  # what Ctrl-C sends to the whole foreground process group
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.2)
        assert worker.submit("record_batch", run_id, records(3)).result(timeout=30).listings_new == 3
    finally:
        worker.close()
    assert not process_alive(pid)  # close() stops it


CRAWL_STAND_IN = """
import sys, time
from db.worker import StoreProcess
from db.testing import listing_record
worker = StoreProcess(sys.argv[1])
run_id = worker.call("start_run", "crawl", "fiverr", {}, "r1", "0.1.0")
worker.submit("record_batch", run_id, [listing_record()]).result()
print(worker.pid(), flush=True)
time.sleep(60)
"""


def test_the_writer_exits_when_the_crawl_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "gigscan.db"
    crawl = subprocess.Popen([sys.executable, "-c", CRAWL_STAND_IN, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)  # fmt: skip
    try:
        assert crawl.stdout is not None
        writer_pid = int(crawl.stdout.readline())
        assert process_alive(writer_pid)
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(10)
        deadline = time.monotonic() + 10
        while process_alive(writer_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(writer_pid)
    finally:
        crawl.kill()
        crawl.wait(10)
    with Store(db) as store:
        assert store.verify().ok
        assert store.counts()["listings"] == 1
