"""A :class:`~db.store.Store` owned by one writer thread, for a crawl that must not wait on its writes.

The way Datasette writes: one thread holds the write connection and runs the calls queued for it, in order;
callers get futures. A crawl's reactor thread hands each batch over and goes back to parsing while the writer
inserts; SQLite, zstd and hashlib release the GIL while they work, so the two overlap. The store used to run in
a child process; ``bench/bench_crawl.py --baseline REV --polite`` measured both: a polite crawl is as fast with
less CPU per page in one process (figures in ARCHITECTURE.md).

Signals are delivered to the main thread only, so Ctrl-C's graceful shutdown still flushes through the writer;
a crawl killed with SIGKILL takes the writer with it, and SQLite rolls back the batch it was writing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from db.records import Record
from db.store import BatchResult, Store

T = TypeVar("T")


class StoreThread:
    """``Store(path)`` opened, used and closed on one thread of its own.

    :meth:`submit` queues ``fn(store)`` and returns a future; calls run one at a time, in the order submitted.
    The store opens at once (while the crawl starts); if the file is unusable, every call fails with the
    store's own error.
    """

    def __init__(self, path: str | Path, **store_kwargs: Any) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gigscan-store")
        self._store: Store | None = None
        self._opened = self._executor.submit(self._open, Path(path), store_kwargs)

    def _open(self, path: Path, kwargs: dict[str, Any]) -> None:
        self._store = Store(path, **kwargs)

    def _run(self, fn: Callable[[Store], T]) -> T:
        if self._store is None:  # the open failed: report why, on every call
            self._opened.result()
            raise RuntimeError("the store is closed")
        return fn(self._store)

    def submit(self, fn: Callable[[Store], T]) -> Future[T]:
        """Queue ``fn(store)`` on the writer thread."""
        return self._executor.submit(self._run, fn)

    def call(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` on the writer thread and wait for its result."""
        return self.submit(fn).result()

    def record_batch(self, run_id: int, records: Sequence[Record]) -> Future[BatchResult]:
        """Queue one batch (one transaction, see :meth:`Store.record_batch`)."""
        return self.submit(lambda store: store.record_batch(run_id, records))

    def close(self) -> None:
        """Wait for the calls already queued, then close the store and stop the thread."""
        try:
            self._executor.submit(self._close).result()
        finally:
            self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
