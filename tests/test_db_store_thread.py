"""The store on a writer thread (what a crawl writes through): same results and errors as a Store called
directly, writes in submission order, keeps writing through Ctrl-C's SIGINT, and a crawl killed with SIGKILL
loses only the batches it had not written."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from db import Store, StoreBusyError
from db.store_thread import StoreThread
from db.testing import capture, listing_record, verdict

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


def start_run(store: Store) -> int:
    return store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")


def test_batches_are_written_in_order_and_match_a_store_called_directly(tmp_path: Path) -> None:
    writer = StoreThread(tmp_path / "thread.db")
    try:
        run_id = writer.call(lambda store: store.start_run("crawl", "fiverr", {}, "r1", "0.1.0", 4242))
        futures = [writer.record_batch(run_id, records(5, start)) for start in (0, 5, 0)]
        results = [future.result(timeout=30) for future in futures]
        writer.call(lambda store: store.finish_run(run_id, "finished", {"item_scraped_count": 15}))
        thread_names = writer.call(lambda store: threading.current_thread().name)
    finally:
        writer.close()
    assert thread_names.startswith("gigscan-store") and thread_names != threading.current_thread().name
    assert [r.listings_new for r in results] == [5, 5, 0]  # the third batch repeats the first: nothing new
    with Store(tmp_path / "direct.db") as direct:
        direct_id = start_run(direct)
        expected = [direct.record_batch(direct_id, records(5, start)) for start in (0, 5, 0)]
        direct_ids = [r[0] for r in direct.conn.execute("SELECT external_id FROM listings ORDER BY id")]
    assert results == expected
    with Store(tmp_path / "thread.db") as store:
        assert store.verify().ok
        assert [r[0] for r in store.conn.execute("SELECT external_id FROM listings ORDER BY id")] == direct_ids
        run = store.get_run(run_id)
        assert run is not None
        assert (run["status"], run["pid"]) == ("finished", 4242)


def test_errors_come_back_as_the_store_raised_them(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_bytes(b"this is not an SQLite file, it is long enough to have a header page" * 100)
    broken = StoreThread(not_a_db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            broken.call(start_run)
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):  # not "the store is closed"
            broken.record_batch(1, records(1)).result(timeout=30)
    finally:
        broken.close()

    db = tmp_path / "busy.db"
    Store(db).close()
    writer = StoreThread(db, busy_timeout=0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        run_id = writer.call(start_run)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with pytest.raises(StoreBusyError, match="being written by another process"):
            writer.record_batch(run_id, records(2)).result(timeout=30)
        holder.execute("ROLLBACK")
        assert writer.record_batch(run_id, records(2)).result(timeout=30).listings_new == 2
        with pytest.raises(AttributeError):
            writer.call(lambda store: store.no_such_method())  # type: ignore[attr-defined]
    finally:
        holder.close()
        writer.close()


STAND_IN = """
import os, signal, sys, time
from db.store_thread import StoreThread
from db.testing import listing_record
def records(n, start=0):
    return [listing_record(external_id=str(1000 + i), title=f"Gig number {i}") for i in range(start, start + n)]
writer = StoreThread(sys.argv[1])
run_id = writer.call(lambda store: store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"))
"""
# Ctrl-C's default handler, as in a terminal: a process started in the background inherits SIGINT ignored (and
# Python then keeps it ignored), which would make this test depend on how the suite was started.
SIGINT_STAND_IN = STAND_IN + """
signal.signal(signal.SIGINT, signal.default_int_handler)
first = writer.record_batch(run_id, records(300))  # being written when the signal comes
try:
    os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C sends to the whole foreground process group
    time.sleep(5)
except KeyboardInterrupt:
    print("interrupted", flush=True)
print(first.result().listings_new, writer.record_batch(run_id, records(3, 300)).result().listings_new, flush=True)
writer.close()
"""


def test_ctrl_c_interrupts_the_crawl_not_the_writer(tmp_path: Path) -> None:
    db = tmp_path / "gigscan.db"
    done = subprocess.run([sys.executable, "-c", SIGINT_STAND_IN, str(db)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["interrupted", "300 3"]
    with Store(db) as store:
        assert store.verify().ok
        assert store.counts()["listings"] == 303


CRAWL_STAND_IN = STAND_IN + """
print(writer.record_batch(run_id, records(10)).result().listings_new, flush=True)
for n in range(1, 10_000):  # batch after batch, until killed
    writer.record_batch(run_id, records(10, 10 * n)).result()
"""


def test_a_crawl_killed_mid_write_loses_only_unwritten_batches(tmp_path: Path) -> None:
    db = tmp_path / "gigscan.db"
    crawl = subprocess.Popen([sys.executable, "-c", CRAWL_STAND_IN, str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)  # fmt: skip
    try:
        assert crawl.stdout is not None
        assert crawl.stdout.readline().strip() == "10"
        time.sleep(0.3)  # mid-batch, most likely
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(10)
    finally:
        crawl.kill()
        crawl.wait(10)
    with Store(db) as store:
        assert store.verify().ok
        listings = store.counts()["listings"]
        assert listings >= 10 and listings % 10 == 0  # whole batches only
        expected = [str(1000 + i) for i in range(listings)]
        assert [r[0] for r in store.conn.execute("SELECT external_id FROM listings ORDER BY id")] == expected
