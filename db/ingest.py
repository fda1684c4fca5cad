"""The single writer of a distributed crawl: reads the workers' records from the Redis stream and commits them to
the evidence store in batches, with the plain :class:`~db.store.Store` API, one chain, as a local crawl does.

Nothing lost, nothing twice:

- entries are read through a consumer group (XREADGROUP) and acknowledged (XACK, then XDEL to keep the stream
  short) only after the transaction holding them has committed;
- an ingester that died mid-batch left its entries pending in the group: the next one claims them first
  (XAUTOCLAIM) and commits them;
- each records entry carries a unique ``rid`` kept in ``ingest_receipts`` in the same transaction as its
  records, so an entry committed but not acknowledged before a crash is skipped, not stored again.

Only one ingester runs per Redis (a lock key it refreshes); the store is SQLite, which has one writer anyway.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from db import stream
from db.recheck import close_recheck_run
from db.store import BatchResult, Store, StoreBusyError

logger = logging.getLogger(__name__)
LOCK_TTL_S = 10
DEAD_LETTERS = f"{stream.STREAM}:dead"  # entries that can never be stored, kept for a human to look at
# Compare-and-refresh: only the holder extends the lock.
_REFRESH = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end return 0"

RunClosed = Callable[[int, Mapping[str, Any], str], Mapping[str, Any]]


class IngesterBusyError(RuntimeError):
    """Another ingester holds this Redis' lock."""


@dataclass
class IngestCounts:
    entries: int = 0
    records: int = 0
    duplicates: int = 0  # entries already committed before (redelivered): skipped
    dead: int = 0  # entries that could not be stored, moved to DEAD_LETTERS
    runs_closed: int = 0


class Ingester:
    """Commits stream entries to ``store``. ``on_closed(run_id, spec, status)`` runs when a run ends (the CLI's
    monitors and notification) and returns the outcome published in the run's hash."""

    def __init__(
        self,
        client: redis.Redis,
        store: Store,
        *,
        batch_records: int = 1000,
        read_count: int = 200,
        on_closed: RunClosed | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.batch_records = batch_records
        self.read_count = read_count
        self.on_closed = on_closed
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.token = f"{self.consumer}-{os.urandom(4).hex()}"
        self.counts = IngestCounts()
        self._run_ids: dict[str, int] = {}
        self._refresh = client.register_script(_REFRESH)

    # -- lifecycle ------------------------------------------------------------------------------------------

    def acquire(self, wait_s: float = 0.0) -> None:
        """Take the one-ingester lock (waiting up to ``wait_s`` for it: an ingester that was killed leaves it
        behind for at most LOCK_TTL_S) and make sure the consumer group exists."""
        deadline = time.monotonic() + wait_s
        while not self.client.set(stream.INGESTER_LOCK, self.token, nx=True, ex=LOCK_TTL_S):
            if time.monotonic() >= deadline:
                owner = (self.client.get(stream.INGESTER_LOCK) or b"?").decode()
                raise IngesterBusyError(f"another ingester is running on this Redis ({owner}): one store, one writer")
            time.sleep(0.5)
        try:
            self.client.xgroup_create(stream.STREAM, stream.GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def release(self) -> None:
        if self.client.get(stream.INGESTER_LOCK) == self.token.encode():
            self.client.delete(stream.INGESTER_LOCK)

    def keep_lock(self) -> None:
        """Refresh the lock; if it expired (Redis restarted without it) take it again."""
        if not self._refresh(keys=[stream.INGESTER_LOCK], args=[self.token, LOCK_TTL_S]):
            self.client.set(stream.INGESTER_LOCK, self.token, nx=True, ex=LOCK_TTL_S)

    def recover(self) -> int:
        """Claim and commit every entry a previous ingester read but never acknowledged."""
        done = 0
        start = "0-0"
        while True:
            reply = self.client.xautoclaim(stream.STREAM, stream.GROUP, self.consumer, 0, start, count=self.read_count)
            start, entries = reply[0], reply[1]
            live = [(ident, fields) for ident, fields in entries if fields]  # deleted ones come back empty
            if live:
                done += self.process(live)
            if start in (b"0-0", "0-0"):
                return done

    def step(self, block_ms: int = 1000) -> int:
        """Read what is new (waiting up to ``block_ms``) and commit it; returns the entries handled."""
        reply = self.client.xreadgroup(
            stream.GROUP, self.consumer, {stream.STREAM: ">"}, count=self.read_count, block=block_ms
        )
        entries = [entry for _, batch in (reply or []) for entry in batch]
        return self.process(entries) if entries else 0

    def follow(self, should_stop: Callable[[], bool], block_ms: int = 1000, *, until_idle: bool = False) -> None:
        """Commit what a previous ingester left pending, then what comes, until ``should_stop()`` (or, with
        ``until_idle``, until a read finds nothing). A store busy with another writer is waited for: the entries
        stay pending and are claimed again."""
        self.recover()
        while not should_stop():
            self.keep_lock()
            try:
                handled = self.step(block_ms)
            except StoreBusyError as exc:
                logger.warning("%s; retrying", exc)
                time.sleep(1.0)
                self.recover()
                continue
            if until_idle and not handled:
                return

    # -- entries --------------------------------------------------------------------------------------------

    def process(self, raw: Sequence[tuple[Any, Mapping[bytes, bytes]]]) -> int:
        """Handle entries in stream order: records of consecutive entries of one run commit together."""
        pending: list[stream.Entry] = []
        for ident, fields in raw:
            try:
                entry = stream.decode_entry(ident, fields)
            except (ValueError, KeyError, TypeError) as exc:
                self._dead(ident, fields, str(exc))
                continue
            if entry.kind == "records" and (not pending or pending[-1].run == entry.run):
                pending.append(entry)
                continue
            self._commit(pending)
            pending = [entry] if entry.kind == "records" else []
            if entry.kind == "start":
                self.run_id(entry.run, entry.spec)
                self._ack([entry.id])
            elif entry.kind == "finish":
                self._close(entry)
        self._commit(pending)
        self.counts.entries += len(raw)
        return len(raw)

    def _commit(self, entries: list[stream.Entry]) -> None:
        """Commit entries of one run in transactions of at most ``batch_records`` records, then acknowledge."""
        if not entries:
            return
        run_id = self.run_id(entries[0].run)
        done = self.store.received(e.rid for e in entries)
        fresh = [e for e in entries if e.rid not in done]
        self.counts.duplicates += len(entries) - len(fresh)
        chunk: list[stream.Entry] = []
        for entry in fresh:
            if chunk and sum(len(e.records) for e in chunk) + len(entry.records) > self.batch_records:
                self._write(run_id, chunk)
                chunk = []
            chunk.append(entry)
        if chunk:
            self._write(run_id, chunk)
        self._ack([e.id for e in entries if e.rid in done])

    def _write(self, run_id: int, entries: list[stream.Entry]) -> None:
        """One transaction for the entries; if it fails, each entry alone, so one bad entry spoils no other."""
        try:
            result = self.store.record_batch(
                run_id, [r for e in entries for r in e.records], [(e.rid, e.id, len(e.records)) for e in entries]
            )
        except (ValueError, TypeError, KeyError) as exc:
            if len(entries) == 1:
                self._dead(entries[0].id, {}, f"run {entries[0].run}: {exc}", run=entries[0].run)
                self._ack([entries[0].id])
                return
            for entry in entries:
                self._write(run_id, [entry])
            return
        self.counts.records += sum(len(e.records) for e in entries)
        self._stored(entries[0].run, result, sum(len(e.records) for e in entries))
        self._ack([e.id for e in entries])

    def _stored(self, run: str, result: BatchResult, records: int) -> None:
        pipe = self.client.pipeline(transaction=False)
        for name, value in result.to_dict().items():
            if value:
                pipe.hincrby(stream.run_stats(run), f"gigscan/store/{name}", value)
        pipe.hincrby(stream.run_hash(run), "stored", records)
        pipe.execute()

    def _ack(self, ids: list[str]) -> None:
        if ids:
            pipe = self.client.pipeline(transaction=False)
            pipe.xack(stream.STREAM, stream.GROUP, *ids)
            pipe.xdel(stream.STREAM, *ids)
            pipe.execute()

    def _dead(self, ident: Any, fields: Mapping[bytes, bytes], why: str, run: str | None = None) -> None:
        """Keep an entry that cannot be stored aside (never silently dropped) and count it in its run."""
        entry_id = ident.decode() if isinstance(ident, bytes) else str(ident)
        logger.error("stream entry %s cannot be stored: %s (kept in %s)", entry_id, why, DEAD_LETTERS)
        self.counts.dead += 1
        pipe = self.client.pipeline(transaction=False)
        pipe.xadd(DEAD_LETTERS, {**fields, b"entry": entry_id.encode(), b"error": why.encode()})
        if run:
            pipe.hincrby(stream.run_stats(run), "gigscan/store/failed_batches", 1)
        pipe.execute()
        if fields:
            self._ack([entry_id])

    # -- runs -----------------------------------------------------------------------------------------------

    def run_id(self, run: str, spec: Mapping[str, Any] | None = None) -> int:
        """The run record of a distributed run, opened on its first entry (once: looked up after a restart)."""
        if run in self._run_ids:
            return self._run_ids[run]
        row = self.store.conn.execute(
            "SELECT id FROM runs WHERE json_extract(args, '$.distributed_run') = ?", (run,)
        ).fetchone()
        if row is not None:
            self._run_ids[run] = row[0]
            return row[0]
        if spec is None:
            raw = self.client.hget(stream.run_hash(run), "spec")
            spec = json.loads(raw) if raw else {"spider": None, "run_args": {}}
        args = {**spec.get("run_args", {}), "distributed_run": run}
        run_id = self.store.start_run(
            "crawl", spec.get("spider"), args, spec.get("ruleset_version"), spec.get("gigscan_version") or "?",
            host=f"redis {run}",
        )
        self._run_ids[run] = run_id
        self.client.hset(stream.run_hash(run), "run_id", run_id)
        return run_id

    def _close(self, entry: stream.Entry) -> None:
        """The run is drained: close its record with the fleet's merged stats (and a re-check run's unreached
        targets), then let the CLI judge it. A close redelivered after a crash does not close the record twice."""
        run_id = self.run_id(entry.run)
        record = self.store.get_run(run_id)
        first_close = record is None or record["finished_at"] is None
        if first_close:
            stats = merged_stats(self.client.hgetall(stream.run_stats(entry.run)))
            stats.update({"gigscan/run_id": run_id, "finish_reason": "finished"})
            self.store.finish_run(run_id, entry.status, stats)
        raw_spec = self.client.hget(stream.run_hash(entry.run), "spec")
        spec = json.loads(raw_spec) if raw_spec else {}
        # After the record is closed: a crash in between leaves misses uncounted, never counted twice.
        recheck = spec.get("recheck") if first_close and entry.status == "finished" else None
        rechecked = close_recheck_run(self.store, run_id, recheck) if recheck else self._published_recheck(entry.run)
        outcome: dict[str, Any] = {"status": entry.status}
        if self.on_closed is not None:
            try:  # the run is closed either way: a failing judge must not make the ingester stumble on it forever
                outcome = dict(self.on_closed(run_id, spec, entry.status))
            except Exception as exc:
                logger.exception("judging run %s failed", run_id)
                outcome["error"] = f"judging the run failed: {exc}"
        if rechecked is not None:
            outcome["recheck"] = rechecked
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(stream.run_hash(entry.run), mapping={"state": "closed", "outcome": json.dumps(outcome, default=str)})
        pipe.srem(stream.RUNS, entry.run)
        pipe.expire(stream.run_hash(entry.run), stream.CLOSED_RUN_TTL)
        pipe.expire(stream.run_stats(entry.run), stream.CLOSED_RUN_TTL)
        pipe.execute()
        self._ack([entry.id])
        self.counts.runs_closed += 1

    def _published_recheck(self, run: str) -> dict[str, Any] | None:
        """A redelivered close: what the first close found on a re-check run, as it published it."""
        raw = self.client.hget(stream.run_hash(run), "outcome")
        return json.loads(raw).get("recheck") if raw else None


def merged_stats(raw: Mapping[bytes, bytes]) -> dict[str, Any]:
    """A run's stats hash as Python values: integers and floats where they parse, text otherwise."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        text = value.decode("utf-8", "replace")
        name = key.decode("utf-8", "replace")
        try:
            out[name] = int(text)
        except ValueError:
            try:
                out[name] = float(text)
            except ValueError:
                out[name] = text
    return out
