"""Queries over the ``runs`` table for unattended crawls: a run's history, its listing, later status changes.

A run's arguments and Scrapy stats are JSON columns; what the monitors add (their failures) goes into the
stats under ``gigscan/monitors``, so the schema stays as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from db.evidence import Chain, log_state, utc_now
from db.store import Store

# Runs whose counts describe a whole crawl: the history a new run is compared with.
COMPARABLE_STATUSES = ("finished", "degraded")
MONITORS_KEY = "gigscan/monitors"


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row["args"] = json.loads(row.get("args") or "{}")
    row["stats"] = json.loads(row.get("stats") or "{}")
    return row


def run_key(spider: str | None, args: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes two crawls comparable: the spider, the marketplace (``crawl all``), the queries in any
    order, the host, the site profile, the page depth and the kind of crawl (a re-check is not a search)."""
    queries = tuple(sorted(args.get("queries") or ()))
    return (spider, args.get("marketplace"), queries, args.get("base_url"), args.get("profile"),
            args.get("max_pages"), args.get("recheck"))


def get_run(store: Store, run_id: int) -> dict[str, Any] | None:
    row = store.get_run(run_id)
    return _decode(dict(row)) if row is not None else None


def earlier_runs(store: Store, run_id: int, limit: int = 20, scan: int = 500) -> list[dict[str, Any]]:
    """Up to ``limit`` comparable runs (same :func:`run_key`, finished or degraded) before ``run_id``, most
    recent first. Only the last ``scan`` runs of that spider are looked at."""
    run = get_run(store, run_id)
    if run is None:
        raise KeyError(f"no run with id {run_id}")
    key = run_key(run["spider"], run["args"])
    placeholders = ", ".join("?" for _ in COMPARABLE_STATUSES)
    rows = store.db.query(
        f"SELECT * FROM runs WHERE kind = 'crawl' AND spider IS ? AND id < ? AND status IN ({placeholders})"
        " ORDER BY id DESC LIMIT ?",
        (run["spider"], run_id, *COMPARABLE_STATUSES, scan),
    )
    same = (r for r in map(_decode, rows) if run_key(r["spider"], r["args"]) == key)
    return [r for _, r in zip(range(limit), same, strict=False)]


def mark_degraded(store: Store, run_id: int, failures: Sequence[Mapping[str, Any]]) -> str:
    """Record the monitors' failures in the run's stats; a ``finished`` run becomes ``degraded`` (a run that
    already ended worse, e.g. ``blocked``, keeps its status). Returns the run's status."""
    with store._write() as conn:
        row = conn.execute("SELECT status, stats FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"no run with id {run_id}")
        status, stats = row[0], json.loads(row[1] or "{}")
        stats[MONITORS_KEY] = [dict(f) for f in failures]
        if failures and status == "finished":
            status = "degraded"
        conn.execute("UPDATE runs SET status = ?, stats = ? WHERE id = ?",
                     (status, json.dumps(stats, default=str, sort_keys=True), run_id))
        log_state(conn, Chain(conn), "run", run_id, utc_now())
    return status


def record_skipped_run(store: Store, spider: str, args: Mapping[str, Any], reason: str, gigscan_version: str) -> int:
    """A run that did not crawl (another one held the lock): on record, so a missing night is explained."""
    run_id = store.start_run("crawl", spider, args, None, gigscan_version)
    store.finish_run(run_id, "skipped", {"gigscan/skipped": reason})
    return run_id


def flagged_listings(store: Store, run_id: int) -> int:
    """Listings the run saw whose current verdict is flagged: what a crawl's summary, ``gigscan runs`` and a
    notification call "flagged" (listings, as ``gigscan stats`` counts them; never flag events or verdict rows)."""
    row = store.conn.execute(
        "SELECT count(*) FROM listings WHERE flagged = 1 AND id IN (SELECT listing_id FROM sightings WHERE run_id = ?)",
        (run_id,),
    ).fetchone()
    return int(row[0])


def duration_s(run: Mapping[str, Any]) -> float | None:
    started, finished = run.get("started_at"), run.get("finished_at")
    if not started or not finished:
        return None
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def list_runs(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The most recent runs, newest first, with ``args`` and ``stats`` decoded and ``duration_s`` added."""
    rows = store.db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
    return [{**run, "duration_s": duration_s(run), "flagged_listings": flagged_listings(store, run["id"])}
            for run in map(_decode, rows)]
