"""A :class:`~db.store.Store` in a process of its own, for a crawl that must not share its GIL with the writer.

A crawl's reactor thread parses pages while the store compresses, hashes and inserts; in one process the two
take turns on the GIL, and every SQLite call the writer makes hands the GIL over twice. In a child process the
writer runs on the other core and the crawl pays only for pickling each batch (bodies are pickled once per
batch, however many cards share them).

Calls run one at a time, in the order submitted, and return futures; exceptions come back as raised. The child
ignores SIGINT and SIGTERM, so a Ctrl-C's graceful shutdown can still flush and close the run through it, and
it exits by itself if the crawl process dies (SIGKILL): a write in progress is then rolled back by SQLite, as
it would be in the crawl process itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from db.store import Store

_store: Store | None = None  # the child's one Store (each child serves one StoreProcess)


def _start_child() -> None:
    """Initializer: leave shutdown to the parent, and do not outlive it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True, name="gigscan-parent").start()


def _exit_with(sentinel: int) -> None:
    wait([sentinel])
    os._exit(1)


def _open(path: str, kwargs: dict[str, Any]) -> None:
    global _store
    _store = Store(path, **kwargs)


def _call(method: str, args: tuple[Any, ...]) -> Any:
    if _store is None:
        raise RuntimeError("the store process has no open store")
    return getattr(_store, method)(*args)


def _close() -> None:
    global _store
    if _store is not None:
        _store.close()
        _store = None


class StoreProcess:
    """``Store(path)`` opened in a child process (spawned: forking a process with threads is unsafe).

    ``submit("record_batch", run_id, records)`` returns a future; ``call`` waits for the result. The child
    starts and opens the store at once (while the crawl starts); if the file is unusable, every call fails with
    the store's own error.
    """

    def __init__(self, path: str | Path, **store_kwargs: Any) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_child
        )
        self._opened = self._executor.submit(_open, str(path), store_kwargs)

    def submit(self, method: str, *args: Any) -> Future[Any]:
        """Queue a call. Never raises: a failed open, or a child that died (BrokenProcessPool), fails the
        future instead."""
        failed_open = self._opened.exception() if self._opened.done() else None
        if failed_open is not None:
            return _failed(failed_open)
        try:
            return self._executor.submit(_call, method, args)
        except BrokenProcessPool as exc:
            return _failed(exc)

    def call(self, method: str, *args: Any) -> Any:
        self._opened.result()
        return self.submit(method, *args).result()

    def pid(self) -> int:
        """The child's process id (for diagnostics and tests)."""
        return self._executor.submit(os.getpid).result()

    def close(self) -> None:
        """Close the store and stop the child (waits for calls already submitted)."""
        try:
            self._executor.submit(_close).result()
        except BrokenProcessPool:
            pass  # the child is gone, and its connection with it (SQLite rolled back what it had not committed)
        finally:
            self._executor.shutdown(wait=True)


def _failed(error: BaseException) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_exception(error)
    return future
