"""The evidence store: one SQLite file (WAL) holding runs, sellers, listings and their history.

Writes come in batches, one transaction each (a crawl of thousands of items must not pay one fsync per item,
and a failed batch must leave nothing half-written). Reads serve search, history, export and rescans.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import zstandard
from sqlite_utils import Database

from db.evidence import Chain, log_state, utc_now
from db.records import Record, VerdictRecord, listing_side
from db.schema import check_current, migrate
from db.verify import Anchors, VerifyResult, verify
from db.writer import ZSTD_LEVEL, BatchResult, BatchWriter, Seen, insert_logged, record_event, store_verdict

_COUNTED_TABLES = (
    "runs",
    "sellers",
    "listings",
    "snapshots",
    "sightings",
    "bodies",
    "verdicts",
    "captures",
    "events",
    "reviews",
    "evidence_log",
)
DEFAULT_PATH = "gigscan.db"  # the store's file when none is named (--db, GIGSCAN_DB): the CLI's and the crawl's


def sqlite_files(db: str | Path) -> list[Path]:
    """The files of an SQLite store as SQLite names them: the database, its write-ahead log, shared memory and
    journal (what no output, checkpoint or key may be written over)."""
    return [Path(f"{db}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
REVIEW_STATES = ("new", "confirmed", "dismissed")
_LISTING_SUMMARY = (
    "id, marketplace, external_id, url, title, price, currency, rating, review_count, status, first_seen,"
    " last_seen, removed_at, flagged, score, verdict_id, current_snapshot_id"
)


@dataclass
class ScanChanges:
    """What a rescan changed: listings whose current verdict flipped, and how many verdicts were new."""

    checked: int = 0
    verdicts_new: int = 0
    newly_flagged: list[int] = field(default_factory=list)
    no_longer_flagged: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StoreBusyError(RuntimeError):
    """Another connection held the store's write lock for longer than the busy timeout."""


class Store:
    """gigscan's evidence store. ``Store(path)`` opens (creating or upgrading) the file; use as a context
    manager or call :meth:`close`. One Store per thread: it wraps a single sqlite3 connection."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0, upgrade: bool = True) -> None:
        """``upgrade=False`` for a command that only reads: the schema is checked, not migrated
        (``db.schema.SchemaTooOldError``), and the journal mode is left as it is: opening writes nothing."""
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.db = Database(self.path)
        self.conn: sqlite3.Connection = self.db.conn
        try:
            if upgrade:
                self._configure(busy_timeout)
                migrate(self.db)
            else:
                self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                check_current(self.db)
                self.conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            self.db.close()
            raise
        self._compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        self._run_rulesets: dict[int, str | None] = {}
        self.caches: dict[str, Any] = {}  # what readers build once per open store (db.search's username index)

    @classmethod
    def open(cls, path: str | Path, **kwargs: Any) -> Self:
        return cls(path, **kwargs)

    def _configure(self, busy_timeout: float) -> None:
        # busy_timeout first: switching to WAL needs a lock another process may hold.
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        self.db.enable_wal()
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. IMMEDIATE takes the write lock up front, so a concurrent writer waits
        (busy_timeout) instead of failing halfway through a batch when its read lock cannot be upgraded."""
        if self.conn.in_transaction:
            raise RuntimeError("a store write is already in progress on this connection")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise StoreBusyError(
                f"{self.path} is being written by another process; gave up waiting after {self.busy_timeout:g}s"
                " (nothing was written; try again when it is done)"
            ) from exc
        try:
            yield self.conn
            self.conn.execute("COMMIT")  # a full disk can fail the commit itself: roll that back too
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    # -- runs -----------------------------------------------------------------------------------------------

    def start_run(
        self,
        kind: str,
        spider: str | None,
        args: Mapping[str, Any],
        ruleset_version: str | None,
        gigscan_version: str,
        pid: int | None = None,
        host: str | None = None,
    ) -> int:
        """Open a run record. ``pid`` is the crawl's process when the run is recorded from another one (a
        scheduler, a distributed worker): it is what tells a later run whether this one's process died. ``host``
        names where the run lives when that is not this machine (a distributed run: its Redis), so no local
        process closes it."""
        here = socket.gethostname()
        host = host or here
        with self._write() as conn:
            self._close_abandoned_runs(conn, here)
            cursor = conn.execute(
                "INSERT INTO runs (kind, spider, args, started_at, status, gigscan_version, ruleset_version, pid,"
                " host) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    kind,
                    spider,
                    json.dumps(dict(args), default=str),
                    utc_now(),
                    gigscan_version,
                    ruleset_version,
                    pid or os.getpid(),
                    host,
                ),
            )
            log_state(conn, Chain(conn), "run", cursor.lastrowid, utc_now())
        run_id = cursor.lastrowid
        self._run_rulesets[run_id] = ruleset_version
        return run_id

    def finish_run(self, run_id: int, status: str, stats: Mapping[str, Any]) -> None:
        """Close a run; Scrapy stats hold datetimes, hence ``default=str``.

        On a full disk the write-ahead log may have no room left even for this small write (the batch that
        failed used it up): the log is then checkpointed into the database file and started over, and the
        end is written once more; if that still does not fit (the database file cannot grow either), the end is
        written with only gigscan's own figures of the run, a page or two, so a run is not left "running"."""
        try:
            self._finish_run(run_id, status, stats)
        except (sqlite3.Error, OSError):
            self._make_room()
            try:
                self._finish_run(run_id, status, stats)
            except (sqlite3.Error, OSError):  # still no room: the end in the fewest pages it can take
                self._finish_run(run_id, status, _essential(stats))

    def _make_room(self) -> None:
        """Move the write-ahead log into the database file and truncate it (best effort: a reader may hold it)."""
        with suppress(sqlite3.Error, OSError):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _finish_run(self, run_id: int, status: str, stats: Mapping[str, Any]) -> None:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = ?, stats = ?, finished_at = ? WHERE id = ?",
                (status, json.dumps(dict(stats), default=str, sort_keys=True), utc_now(), run_id),
            )
            if cursor.rowcount != 1:
                raise KeyError(f"no run with id {run_id}")
            log_state(conn, Chain(conn), "run", run_id, utc_now())

    @staticmethod
    def _close_abandoned_runs(conn: sqlite3.Connection, host: str) -> None:
        """Mark ``interrupted`` the runs still "running" whose process on this host is gone (a crawl killed
        with SIGKILL never finishes its run); what they stored stays, committed batch by batch."""
        rows = conn.execute("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?", (host,)).fetchall()
        for run_id, pid in rows:
            if pid is not None and pid != os.getpid() and not _process_alive(pid):
                now = utc_now()
                conn.execute("UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ?", (now, run_id))
                log_state(conn, Chain(conn), "run", run_id, now)

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        return next(self.db.query("SELECT * FROM runs WHERE id = ?", (run_id,)), None)

    def _run_ruleset(self, run_id: int) -> str | None:
        if run_id not in self._run_rulesets:
            row = self.conn.execute("SELECT ruleset_version FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise KeyError(f"no run with id {run_id}")
            self._run_rulesets[run_id] = row[0]
        return self._run_rulesets[run_id]

    # -- writes ---------------------------------------------------------------------------------------------

    def record_batch(
        self, run_id: int, records: Sequence[Record], receipts: Sequence[tuple[str, str, int]] = ()
    ) -> BatchResult:
        """Store a batch of crawled records (:mod:`db.records`) in one transaction: all of it, or (on any error)
        none of it.

        ``receipts`` (rid, stream entry id, records) are kept in the same transaction: a distributed crawl's
        ingester stores an entry whose rid is in :meth:`received` never again (see ``db.ingest``)."""
        default_ruleset = self._run_ruleset(run_id)
        with self._write() as conn:
            now = utc_now()
            writer = BatchWriter(conn, run_id, now, Chain(conn, buffered=True), self._compressor, default_ruleset)
            for index, record in enumerate(records):
                writer.add(index, record)
            writer.finish()
            conn.executemany(
                "INSERT INTO ingest_receipts (rid, run_id, entry_id, records, at) VALUES (?, ?, ?, ?, ?)",
                [(rid, run_id, entry_id, count, now) for rid, entry_id, count in receipts],
            )
        return writer.result

    def received(self, rids: Iterable[str]) -> set[str]:
        """Which of these stream entry ids were committed already."""
        wanted = list(rids)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT rid FROM ingest_receipts WHERE rid IN ({marks})", chunk).fetchall()
            found.update(row[0] for row in rows)
        return found

    def review_verdict(self, verdict_id: int, state: str, note: str | None, by: str) -> dict[str, Any]:
        """Record an analyst's decision on a verdict: a new ``reviews`` row, logged, so the decision is in the
        hash chain. Earlier decisions stay; :mod:`db.review` reads the state from ``reviews`` alone (the
        verdict's old ``review_*`` columns are no longer written nor read)."""
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {', '.join(REVIEW_STATES)}, not {state!r}")
        if not by or not by.strip():
            raise ValueError("a review needs the name of who made it")
        now = utc_now()
        row = {"verdict_id": verdict_id, "state": state, "note": note, "reviewed_by": by.strip(), "reviewed_at": now}
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM verdicts WHERE id = ?", (verdict_id,)).fetchone() is None:
                raise KeyError(f"no verdict with id {verdict_id}")
            insert_logged(conn, Chain(conn), "review", row, now)
        return row

    def close_recheck(self, run_id: int, listing_ids: Iterable[int], missing_after: int) -> BatchResult:
        """After a re-check run: each target listing it did not see (live or gone) has missed one more re-check;
        after ``missing_after`` misses in a row it is removed, as of its first miss (``missing_since``)."""
        if missing_after < 1:
            raise ValueError("missing_after must be at least 1")
        result = BatchResult()
        now = utc_now()
        with self._write() as conn:
            chain: Chain | None = None
            for listing_id in listing_ids:
                if conn.execute(
                    "SELECT 1 FROM sightings WHERE run_id = ? AND listing_id = ? LIMIT 1", (run_id, listing_id)
                ).fetchone():
                    continue
                row = conn.execute(
                    "UPDATE listings SET missed_rechecks = missed_rechecks + 1,"
                    " missing_since = COALESCE(missing_since, ?) WHERE id = ?"
                    " RETURNING missed_rechecks, missing_since, status, url",
                    (now, listing_id),
                ).fetchone()
                if row is None or row[0] < missing_after or row[2] == "removed":
                    continue
                missed, since, _status, url = row
                conn.execute("UPDATE listings SET status = 'removed', removed_at = ? WHERE id = ?", (since, listing_id))
                chain = chain or Chain(conn)
                log_state(conn, chain, "listing", listing_id, now)
                seen = Seen(since, url, None, None, None, None, None)
                reason = f"missing from {missed} consecutive re-checks"
                record_event(conn, chain, listing_id, None, "removed", reason, seen, run_id, now)
                result.removed += 1
        return result

    def record_verdicts(
        self,
        run_id: int,
        ruleset_version: str,
        verdicts: Iterable[tuple[int, int, VerdictRecord]],
        *,
        chunk: int = 1000,
    ) -> ScanChanges:
        """Store a rescan's verdicts (old verdicts stay); a listing's current verdict moves to the new one
        when it judges the listing's current snapshot. Commits every ``chunk`` verdicts."""
        changes = ScanChanges()
        pending: list[tuple[int, int, VerdictRecord]] = []
        for item in verdicts:
            pending.append(item)
            if len(pending) >= chunk:
                self._record_verdict_chunk(run_id, ruleset_version, pending, changes)
                pending = []
        if pending:
            self._record_verdict_chunk(run_id, ruleset_version, pending, changes)
        return changes

    def _record_verdict_chunk(
        self,
        run_id: int,
        ruleset_version: str,
        items: list[tuple[int, int, VerdictRecord]],
        changes: ScanChanges,
    ) -> None:
        now = utc_now()
        with self._write() as conn:
            chain = Chain(conn)
            for listing_id, snapshot_id, verdict in items:
                stored = store_verdict(conn, chain, listing_id, snapshot_id, ruleset_version, verdict, run_id, now)
                changes.checked += 1
                changes.verdicts_new += stored.new
                row = conn.execute(
                    "SELECT flagged, current_snapshot_id, verdict_id FROM listings WHERE id = ?", (listing_id,)
                ).fetchone()
                was_flagged, current_snapshot, current_verdict = row
                if current_snapshot not in (None, snapshot_id) or current_verdict == stored.id:
                    continue  # judged an older snapshot (history only) or already current: the listing stays
                conn.execute(
                    "UPDATE listings SET flagged = ?, score = ?, verdict_id = ? WHERE id = ?",
                    (stored.flagged, stored.score, stored.id, listing_id),
                )
                log_state(conn, chain, "listing", listing_id, now)
                if stored.flagged and was_flagged != 1:
                    changes.newly_flagged.append(listing_id)
                elif not stored.flagged and was_flagged == 1:
                    changes.no_longer_flagged.append(listing_id)

    # -- reads ----------------------------------------------------------------------------------------------

    def get_seller(self, marketplace: str, username: str) -> dict[str, Any] | None:
        """A seller by username, case-insensitively (the column is COLLATE NOCASE)."""
        return next(
            self.db.query("SELECT * FROM sellers WHERE marketplace = ? AND username = ?", (marketplace, username)),
            None,
        )

    def seller_listings(self, seller_id: int) -> list[dict[str, Any]]:
        """A seller's listings, flagged first, then most recently seen."""
        return list(
            self.db.query(
                f"SELECT {_LISTING_SUMMARY} FROM listings WHERE seller_id = ?"
                " ORDER BY flagged = 1 DESC, last_seen DESC, id",
                (seller_id,),
            )
        )

    def get_listing(self, marketplace: str, external_id: str) -> dict[str, Any] | None:
        row = next(
            self.db.query(
                "SELECT * FROM listings WHERE marketplace = ? AND external_id = ?",
                (marketplace, str(external_id)),
            ),
            None,
        )
        if row is not None:
            row["tags"] = json.loads(row["tags"] or "[]")
        return row

    def listing_history(self, listing_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything stored about a listing over time: snapshots (with their fields), sightings, verdicts."""
        snapshots = list(self.db.query("SELECT * FROM snapshots WHERE listing_id = ? ORDER BY id", (listing_id,)))
        for snap in snapshots:
            snap["fields"] = json.loads(snap["fields"])
            snap["extra"] = json.loads(snap["extra"])
            snap["headers"] = json.loads(snap["headers"]) if snap["headers"] else None
        verdicts = list(self.db.query("SELECT * FROM verdicts WHERE listing_id = ? ORDER BY id", (listing_id,)))
        for verdict in verdicts:
            verdict["reasons"] = json.loads(verdict["reasons"])
        sightings = list(self.db.query("SELECT * FROM sightings WHERE listing_id = ? ORDER BY id", (listing_id,)))
        return {"snapshots": snapshots, "sightings": sightings, "verdicts": verdicts}

    def get_body(self, sha256: str) -> bytes | None:
        """The raw bytes of a stored response body."""
        row = self.conn.execute("SELECT data FROM bodies WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else zstandard.ZstdDecompressor().decompress(row[0])

    def iter_listings_for_scan(self, *, marketplace: str | None = None, page: int = 1000) -> Iterator[dict[str, Any]]:
        """Current text of every listing with its current snapshot id, for a rescan. Read in pages by id, so
        the caller may write verdicts between pages without an open read cursor."""
        where = "AND marketplace = ?" if marketplace else ""
        last = 0
        while True:
            params: tuple[Any, ...] = (last, marketplace, page) if marketplace else (last, page)
            rows = self.conn.execute(
                "SELECT id, marketplace, external_id, title, description, tags, category, current_snapshot_id, kind"
                f" FROM listings WHERE id > ? {where} ORDER BY id LIMIT ?",
                params,
            ).fetchall()
            for listing_id, market, external_id, title, description, tags, category, snapshot_id, kind in rows:
                yield {
                    "id": listing_id,
                    "marketplace": market,
                    "external_id": external_id,
                    "title": title or "",
                    "description": description or "",
                    "tags": json.loads(tags or "[]"),
                    "category": category,
                    "snapshot_id": snapshot_id,
                    "listing_side": listing_side(kind),  # a job post is a buyer's: the scanner reads it
                }
            if len(rows) < page:
                return
            last = rows[-1][0]

    def counts(self) -> dict[str, int]:
        """Row counts per table, plus listings currently flagged."""
        out = {table: self.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0] for table in _COUNTED_TABLES}
        out["flagged_listings"] = self.conn.execute("SELECT count(*) FROM listings WHERE flagged = 1").fetchone()[0]
        return out

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One read snapshot for several queries (an export's rows and the log head it names agree even while
        a crawl writes). Reentrant: inside a transaction already, it adds nothing."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    def verify(self, anchors: Anchors | None = None) -> VerifyResult:
        """Check the evidence log and everything it covers, in one consistent read snapshot; with ``anchors``
        (heads recorded outside the store) also that the log still holds each of them where it was."""
        if self.conn.in_transaction:
            return verify(self.conn, anchors)
        self.conn.execute("BEGIN")
        try:
            return verify(self.conn, anchors)
        finally:
            self.conn.execute("ROLLBACK")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


__all__ = ["REVIEW_STATES", "BatchResult", "ScanChanges", "Store", "StoreBusyError", "VerifyResult"]


def _essential(stats: Mapping[str, Any]) -> dict[str, Any]:
    """A run's stats cut to what its report and monitors read (gigscan's own figures, the finish reason, the
    item and response counts), marked as cut: what the end of a run on a full disk can still hold."""
    keep = ("finish_reason", "item_scraped_count", "response_received_count", "downloader/response_count")
    cut = {k: v for k, v in stats.items() if k.startswith("gigscan/") or k in keep}
    return {**cut, "gigscan/stats_cut": True}
