"""What an unattended crawl needs around it: a lock per database and spider, a job directory for ``--resume``,
the monitors after the crawl, and a notification when a run went wrong (also a run that could not start).

Used by the crawl library (``crawler.run``) and the monitors extension (``crawler.extensions``), so every way
of starting a crawl (the CLI, a schedule, ``scrapy crawl``, scrapyd) gets the same.

Everything lives in gigscan's data directory, ``.gigscan/`` next to the database (locks, jobs, logs), never
under the user's home by surprise.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import re
import shlex
import shutil
import sqlite3
import struct
import subprocess
import unicodedata
import urllib.request
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from filelock import FileLock, Timeout

from crawler.monitors import Failure, Thresholds, check_run, counters
from db.access import StoreUnavailable, open_store
from db.evidence import utc_now
from db.runs import earlier_runs, flagged_listings, get_run, mark_degraded
from db.store import Store

NOTIFY_TIMEOUT_S = 30
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_RUNNING_MARK = "gigscan.running"
REASON = "gigscan/reason"  # a failed run's reason, one line, in its stats


def data_dir(db: Path) -> Path:
    """gigscan's data directory for a database: ``.gigscan/`` beside it."""
    return Path(db).resolve().parent / ".gigscan"


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_") or "_"


# -- one crawl at a time per database and spider ------------------------------------------------------------


class Locked(Exception):
    """Another process is crawling the same spider into the same database."""

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(f"another {name} crawl into this database is running (lock {path})")
        self.name, self.path = name, path


def lock_path(db: Path, name: str) -> Path:
    """The lock of a spider crawling into ``db``, keyed on the file the path resolves to: a symlink or another
    spelling of the same store (``./x.db``, ``sub/../x.db``) takes the same lock."""
    store = Path(db).resolve()
    return data_dir(store) / "locks" / f"{_safe(store.name)}.{_safe(name)}.lock"


class StoreFileLock:
    """A spider's lock on the store file itself, so that every name of the file takes it: a hard link too, which
    resolves to a path (and a lock file) of its own. A Linux open-file-description lock on one byte far beyond
    SQLite's lock bytes: it does not touch SQLite's locking, and (unlike a POSIX record lock) closing another
    descriptor of the file, as SQLite does, does not drop it."""

    def __init__(self, db: Path, name: str) -> None:
        self.offset = (1 << 62) + zlib.crc32(name.encode())
        self.fd: int | None = os.open(db, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))

    def acquire(self) -> None:
        assert self.fd is not None
        try:
            fcntl.fcntl(self.fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, self.offset, 1, 0))
        except OSError:
            self.release()
            raise Timeout(str(self.offset)) from None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # the lock goes with its open file description
            self.fd = None


def _locks_for(db: Path, name: str) -> list[tuple[Path, FileLock | StoreFileLock]]:
    """The locks of a spider crawling into ``db``: the lock file beside it, and the file's own lock where the
    store exists and the OS has open-file-description locks (Linux)."""
    path = lock_path(db, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    locks: list[tuple[Path, FileLock | StoreFileLock]] = [
        (path, FileLock(path, timeout=0, is_singleton=False, thread_local=False))
    ]
    store = Path(db).resolve()
    if hasattr(fcntl, "F_OFD_SETLK") and store.is_file() and os.access(store, os.R_OK | os.W_OK):
        locks.append((store, StoreFileLock(store, name)))
    return locks


def hold_crawl_locks(db: Path, names: Iterable[str]) -> list[FileLock | StoreFileLock]:
    """Take the lock of each spider about to crawl into ``db``, at once or not at all: :class:`Locked` when one is
    held. The OS releases them when this process ends, however it ends (SIGKILL included)."""
    held: list[FileLock | StoreFileLock] = []
    for name in sorted(set(names)):
        for path, lock in _locks_for(db, name):
            try:
                lock.acquire()
            except Timeout:
                for other in held:
                    other.release()
                raise Locked(name, path) from None
            held.append(lock)
    return held


# -- resumable crawls ---------------------------------------------------------------------------------------


def job_dir(db: Path, name: str, args: Mapping[str, Any]) -> Path:
    """The Scrapy JOBDIR of a crawl: one per database, spider and arguments."""
    digest = hashlib.sha256(json.dumps(dict(args), sort_keys=True, default=str).encode()).hexdigest()[:12]
    return data_dir(db) / "jobs" / f"{_safe(Path(db).name)}-{_safe(name)}-{digest}"


def open_job_dir(path: Path) -> bool:
    """Prepare a job directory; True when it resumes a paused crawl.

    A crawl that ended cleanly but early (Ctrl-C, SIGTERM: Scrapy's graceful shutdown) left its queue on disk to
    resume from. One that was killed outright left a half-written queue and seen-requests file, which would skip
    pages that were never crawled: its directory is wiped and the crawl starts over (the store is idempotent,
    so what it stored before stays and nothing is stored twice).
    """
    if (path / _RUNNING_MARK).exists():
        shutil.rmtree(path)
    resuming = path.is_dir() and any(path.iterdir())
    path.mkdir(parents=True, exist_ok=True)
    (path / _RUNNING_MARK).write_text("")
    return resuming


def close_job_dir(path: Path, finish_reason: str | None) -> None:
    """After the crawl: a finished crawl's state is spent (the next --resume starts a new crawl); a paused
    crawl's state is kept; a crawl that never closed leaves the running mark behind."""
    if finish_reason == "finished":
        shutil.rmtree(path, ignore_errors=True)
    elif finish_reason is not None:
        (path / _RUNNING_MARK).unlink(missing_ok=True)


# -- after the crawl ----------------------------------------------------------------------------------------


@dataclass
class RunReport:
    """A run as judged by the monitors: what a notification carries."""

    run_id: int
    spider: str | None
    marketplace: str | None
    status: str
    db: str
    started_at: str | None
    finished_at: str | None
    counters: dict[str, int]
    failures: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None  # why a run failed, in one line (connection refused, blocked, store failure...)
    run_id_known: bool = True  # False: the store could not record the run (run_id is 0)

    @property
    def healthy(self) -> bool:
        return self.status == "finished" and not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def judge_run(db: Path, run_id: int, thresholds: Thresholds | None = None) -> RunReport:
    """Run the monitors on a stored run against its history; a failing monitor makes it ``degraded``."""
    with Store(db) as store:
        run = get_run(store, run_id)
        if run is None:
            raise KeyError(f"no run with id {run_id}")
        history = [r["stats"] for r in earlier_runs(store, run_id)]
        failures: list[Failure] = check_run(run["stats"], history, thresholds)
        status = mark_degraded(store, run_id, [f.to_dict() for f in failures])
        run = get_run(store, run_id) or run
        flagged = flagged_listings(store, run_id)
    return RunReport(
        run_id=run_id, spider=run["spider"], marketplace=run["args"].get("marketplace"), status=status,
        db=str(db), started_at=run["started_at"], finished_at=run["finished_at"],
        counters={**counters(run["stats"]), "flagged": flagged},
        failures=[f.to_dict() for f in failures], reason=run["stats"].get(REASON),
    )


def record_failed_run(db: Path, spider: str | None, args: Mapping[str, Any], reason: str, version: str) -> RunReport:
    """A crawl that could not start (its store, ruleset or settings are broken): a ``failed`` run with its reason
    in the store when it exists and is writable (bad input never creates a store), and in any case the report a
    notification carries."""
    run_id, known = 0, False
    try:
        with open_store(db) as store:
            run_id = store.start_run("crawl", spider, args, None, version)
            store.finish_run(run_id, "failed", {REASON: reason})
            known = True
    except (StoreUnavailable, OSError, sqlite3.Error):
        pass  # nothing can be recorded; the notification and the exit status still say it
    now = utc_now()
    return RunReport(run_id=run_id, spider=spider, marketplace=args.get("marketplace"), status="failed", db=str(db),
                     started_at=now, finished_at=now, counters={}, reason=reason, run_id_known=known)


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL_SCHEMES = ("http", "https")


def notify_problem(target: str) -> str | None:
    """What is wrong with a ``--notify`` target, in one line, or None. Checked when the command starts: a target
    that can never work was only found out when a run went wrong, the one moment it was needed."""
    if not target.strip():
        return "--notify is empty: give an http(s) URL, or a command that reads the report on stdin"
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in target):
        return f"--notify {target!r} holds a control character"
    scheme = _SCHEME.match(target.strip())
    if scheme and (scheme[1].lower() in (*_URL_SCHEMES, "mailto") or target.strip()[scheme.end():].startswith("//")):
        return _url_problem(target.strip(), scheme[1].lower())
    if "@" in target and len(target.split()) == 1 and "/" not in target:
        return (f"--notify {target!r} looks like an e-mail address: give an http(s) URL, or a command that mails the "
                "report from stdin (e.g. \"mail -s gigscan ADDRESS\")")
    try:
        argv = shlex.split(target)
    except ValueError as exc:
        return f"--notify command {target!r} does not parse: {exc}"
    if shutil.which(argv[0]) is None:
        return f"--notify command {argv[0]!r} is not found (no such executable, nor on PATH)"
    return None


def _url_problem(url: str, scheme: str) -> str | None:
    """A webhook URL's problem: a scheme other than http(s), no host, a port that is not a number, a space."""
    if scheme not in _URL_SCHEMES:
        return f"--notify {url!r}: unsupported scheme {scheme!r} (http:// or https:// URLs, or a command)"
    if any(c.isspace() for c in url):
        return f"--notify {url!r}: a URL holds no spaces"
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "http://[::1/x": Invalid IPv6 URL
        return f"--notify {url!r}: {exc}"
    if not parts.hostname:
        return f"--notify {url!r}: no host in the URL"
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number from 0 to 65535)
    except ValueError:
        return f"--notify {url!r}: the port is not a number from 0 to 65535"
    return None


def notify(target: str, reports: list[RunReport]) -> str | None:
    """Send the reports: a JSON POST to an http(s) URL, or a command (no shell) with the JSON on stdin.
    Returns a problem to report, or None. A failing notification never hides the run's own status."""
    payload = json.dumps({"runs": [r.to_dict() for r in reports]}, default=str).encode()
    try:
        if not shlex.split(target):
            return f"notification to {target!r} failed: no URL or command"
        scheme = _SCHEME.match(target.strip())
        if scheme and scheme[1].lower() in _URL_SCHEMES:  # as notify_problem reads it: "HTTP://h/" is a URL too
            headers = {"Content-Type": "application/json"}
            request = urllib.request.Request(target.strip(), data=payload, method="POST", headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_S) as response:  # noqa: S310 (http(s) only)
                response.read()
            return None
        proc = subprocess.run(shlex.split(target), input=payload, capture_output=True, timeout=NOTIFY_TIMEOUT_S)
    # http.client's errors (a hook answering garbage, a port that is not a number) are no OSError: caught too,
    # or they escaped as a traceback from a crawl that could not start
    except (OSError, ValueError, subprocess.TimeoutExpired, http.client.HTTPException) as exc:
        return f"notification to {target!r} failed: {exc}"
    if proc.returncode != 0:
        return f"notification command {target!r} exited {proc.returncode}"
    return None
