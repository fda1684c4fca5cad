"""Re-checks the evidence: the log's hash chain, every logged row's digest, every body's bytes, the latest state
of every listing, seller and run, every sighting, the seller networks the commands would show (a cache, held to
a fresh computation), and (given anchors kept outside the store) the log's length.

Why: a report built on this store may be challenged; ``gigscan verify`` must be able to say "nothing stored
has changed since it was logged", or name the first entry that no longer holds and what no longer matches.
A chain alone cannot tell a log cut short or rebuilt from scratch from an honest one: that takes a head
recorded elsewhere (:class:`Anchors`, from ``--expect-head`` or a checkpoint file, see :mod:`db.checkpoint`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import zstandard

from db.evidence import (
    GENESIS,
    LOGGED_ROWS,
    SIGHTINGS_KIND,
    STATE_ROWS,
    canonical_json,
    entry_hash,
    fields_hash,
    read_sightings,
    row_digest,
    sha256_hex,
    sightings_digest,
)
from db.network_runs import check_current_run

#: Older log kinds still verified where they appear, but no longer required of every row.
_LEGACY_KINDS = frozenset({"snapshot"})


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int  # log entries checked (up to and including a broken one)
    head: str  # entry_hash of the last good entry: record it elsewhere to detect a truncated log later
    broken_seq: int | None = None  # first broken entry; None with ok=False: a problem found after the walk
    kind: str | None = None
    ref: str | None = None
    problem: str | None = None
    anchors_checked: int = 0  # heads recorded outside the store (checkpoints, --expect-head) found in the log

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: How far an entry's time may lag behind a checkpoint made before it: a write takes its time before it gets
#: the write lock, and clocks step. Anything older than this after a checkpoint was backdated.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass
class Anchors:
    """Heads recorded outside the store. ``at``: entry count -> the head the log had then (a checkpoint);
    ``times``: entry count -> when that checkpoint was made (entries after it cannot be older);
    ``heads``: hashes that must appear somewhere in the log (``--expect-head``)."""

    at: dict[int, str] = field(default_factory=dict)
    times: dict[int, str] = field(default_factory=dict)
    heads: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.at or self.heads)


@dataclass
class _Walk:
    """What the walk collects for the checks after it."""

    checked: int = 0
    head: str = GENESIS
    sighting_ranges: list[tuple[int, int]] = field(default_factory=list)
    sightings: int = 0
    anchored: int = 0
    found: set[str] = field(default_factory=set)
    not_before: str = ""  # entries from here on were written after a checkpoint made at this time (less slack)


def verify(conn: sqlite3.Connection, anchors: Anchors | None = None) -> VerifyResult:
    """Walk the whole log in order (whatever its sequence numbers); stop at the first entry whose link, own hash
    or referenced evidence is wrong; then check what only the whole log can show."""
    anchors = anchors or Anchors()
    walk = _Walk()
    decompressor = zstandard.ZstdDecompressor()
    for seq, kind, ref, content, prev_hash, stored_hash, created_at in _entries(conn):
        walk.checked += 1
        if prev_hash != walk.head:
            problem = f"prev_hash does not link to the entry before it (expected {walk.head[:16]}…)"
        elif entry_hash(prev_hash, kind, ref, content, created_at) != stored_hash:
            problem = "entry_hash does not match the entry's own fields"
        else:
            problem = _check_evidence(conn, decompressor, kind, ref, content, walk)
        if problem is None:
            problem = _check_anchor(anchors, walk.checked, stored_hash, created_at, walk)
        if problem:
            return VerifyResult(False, walk.checked, walk.head, seq, kind, ref, problem, walk.anchored)
        walk.head = stored_hash
    for check in (_missing_anchors, _unlogged, _unlogged_sightings, _state_rows, _seen_times, _network_cache):
        found = check(conn, anchors, walk)
        if found:
            kind, ref, problem = found
            return VerifyResult(False, walk.checked, walk.head, None, kind, ref, problem, walk.anchored)
    return VerifyResult(True, walk.checked, walk.head, anchors_checked=walk.anchored)


def _entries(conn: sqlite3.Connection, page: int = 2000) -> Iterator[tuple]:
    """Every log entry by seq, read in pages so a long verify holds no read cursor across the whole table.
    Starts below any seq SQLite can store: an entry slipped in at seq 0 or -5 is walked like any other."""
    last = -(2**63)
    while True:
        rows = conn.execute(
            "SELECT seq, kind, ref, content_sha256, prev_hash, entry_hash, created_at FROM evidence_log"
            " WHERE seq > ? ORDER BY seq LIMIT ?",
            (last, page),
        ).fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _check_anchor(anchors: Anchors, position: int, stored_hash: str, created_at: str, walk: _Walk) -> str | None:
    if created_at < walk.not_before:
        return (f"entry written after a checkpoint says it was made at {created_at}, before that checkpoint"
                " (backdated)")  # fmt: skip
    if position in anchors.times:
        moment = datetime.fromisoformat(anchors.times[position].replace("Z", "+00:00")) - CLOCK_SLACK
        walk.not_before = max(walk.not_before, moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    expected = anchors.at.get(position)
    if expected is not None:
        if expected != stored_hash:
            return (f"a checkpoint recorded head {expected[:16]}… after {position} entries; the log has"
                    f" {stored_hash[:16]}… there (rewritten or re-chained)")  # fmt: skip
        walk.anchored += 1
    if stored_hash in anchors.heads and stored_hash not in walk.found:
        walk.found.add(stored_hash)
        walk.anchored += 1
    return None


def _missing_anchors(conn: sqlite3.Connection, anchors: Anchors, walk: _Walk) -> tuple[str, str, str] | None:
    beyond = [count for count in anchors.at if count > walk.checked]
    if beyond:
        count = max(beyond)
        return ("checkpoint", str(count), f"a checkpoint recorded {count} log entries; the log has {walk.checked}"
                " (cut short or wiped)")  # fmt: skip
    missing = sorted(anchors.heads - walk.found)
    if missing:
        return ("head", missing[0], f"expected head {missing[0]} is not in the log (cut short or rewritten)")
    return None


def _check_evidence(
    conn: sqlite3.Connection,
    decompressor: zstandard.ZstdDecompressor,
    kind: str,
    ref: str,
    content: str,
    walk: _Walk,
) -> str | None:
    if kind == "body":
        return _check_body(conn, decompressor, ref, content)
    if kind in LOGGED_ROWS:
        return _check_row(conn, kind, ref, content)
    if kind == SIGHTINGS_KIND:
        return _check_sightings(conn, ref, content, walk)
    if kind in STATE_ROWS:  # a state as it was; the latest one is compared with the row after the walk
        return None if ref.isdigit() else f"{kind} entry names no row id ({ref!r})"
    return f"unknown log entry kind {kind!r}"


def _check_body(
    conn: sqlite3.Connection, decompressor: zstandard.ZstdDecompressor, sha: str, content: str
) -> str | None:
    row = conn.execute("SELECT codec, data, size FROM bodies WHERE sha256 = ?", (sha,)).fetchone()
    if row is None:
        return f"body {sha} is missing"
    codec, data, size = row
    if codec != "zstd":
        return f"body {sha} has unknown codec {codec!r}"
    try:
        raw = decompressor.decompress(data)
    except zstandard.ZstdError as exc:
        return f"body {sha} no longer decompresses ({exc})"
    actual = sha256_hex(raw)
    if actual != sha or actual != content:
        return f"body {sha} bytes now hash to {actual}"
    if size != len(raw):
        return f"body {sha} says it is {size} bytes; it is {len(raw)}"
    return None


def _check_row(conn: sqlite3.Connection, kind: str, ref: str, content: str) -> str | None:
    table, columns = LOGGED_ROWS[kind]
    cursor = conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", (ref,))
    values = cursor.fetchone()
    if values is None:
        return f"{kind} {ref} is missing"
    row = dict(zip((d[0] for d in cursor.description), values, strict=True))
    if table == "snapshots":
        try:
            recomputed = fields_hash(json.loads(row["fields"]))
        except (TypeError, ValueError) as exc:
            return f"snapshot {ref} fields are no longer valid JSON ({exc})"
        if recomputed != row["content_hash"]:
            return f"snapshot {ref} fields no longer match its content_hash"
    if row_digest(row, columns) != content:
        return f"{kind} {ref} row differs from what was logged"
    return None


def _check_sightings(conn: sqlite3.Connection, ref: str, content: str, walk: _Walk) -> str | None:
    first, _, last = ref.partition("-")
    if not (first.isdigit() and last.isdigit()) or int(first) > int(last):
        return f"sightings entry names no id range ({ref!r})"
    rows = read_sightings(conn, int(first), int(last))
    if sightings_digest(rows) != content:
        return f"sightings {ref} differ from what was logged (edited, deleted or added)"
    walk.sighting_ranges.append((int(first), int(last)))
    walk.sightings += len(rows)
    return None


def _unlogged(conn: sqlite3.Connection, anchors: Anchors, walk: _Walk) -> tuple[str, str, str] | None:
    """Evidence rows with no log entry: added behind the store's back, or their entries cut off the end."""
    checks = [
        (
            "body",
            "SELECT sha256 FROM bodies b WHERE NOT EXISTS"
            " (SELECT 1 FROM evidence_log e WHERE e.kind = 'body' AND e.ref = b.sha256) LIMIT 1",
        )
    ]
    tables = {table: kind for kind, (table, _columns) in LOGGED_ROWS.items() if kind not in _LEGACY_KINDS}
    tables.update({table: kind for kind, (table, _columns) in STATE_ROWS.items()})
    for table, kind in tables.items():
        checks.append(
            (
                kind,
                f"SELECT id FROM [{table}] t WHERE NOT EXISTS (SELECT 1 FROM evidence_log e"
                f" WHERE e.kind = '{kind}' AND e.ref = CAST(t.id AS TEXT)) LIMIT 1",
            )
        )
    for kind, sql in checks:
        row = conn.execute(sql).fetchone()
        if row:
            return kind, str(row[0]), f"{kind} {row[0]} has no evidence_log entry"
    return None


def _unlogged_sightings(conn: sqlite3.Connection, anchors: Anchors, walk: _Walk) -> tuple[str, str, str] | None:
    ranges = sorted(walk.sighting_ranges)
    for (_a, last), (first, _b) in zip(ranges, ranges[1:], strict=False):
        if first <= last:
            return SIGHTINGS_KIND, f"{first}", f"sightings entries overlap at id {first} (a range logged twice)"
    total = conn.execute("SELECT count(*) FROM sightings").fetchone()[0]
    if total != walk.sightings:
        return (SIGHTINGS_KIND, "", f"{total - walk.sightings} sighting(s) are outside every logged range"
                " (added behind the store's back)")  # fmt: skip
    return None


def _state_rows(conn: sqlite3.Connection, anchors: Anchors, walk: _Walk) -> tuple[str, str, str] | None:
    """Each listing, seller and run must match the latest state logged for it; a logged one must still exist."""
    for kind, (table, columns) in STATE_ROWS.items():
        cursor = conn.execute(
            f"SELECT {', '.join(columns)}, (SELECT e.content_sha256 FROM evidence_log e WHERE e.kind = ?"
            f" AND e.ref = CAST(t.id AS TEXT) ORDER BY e.seq DESC LIMIT 1) FROM [{table}] t ORDER BY t.id",
            (kind,),
        )
        for *values, logged in cursor:
            if sha256_hex(canonical_json(values)) != logged:
                cursor.close()
                return kind, str(values[0]), f"{kind} {values[0]} differs from its latest logged state"
        gone = conn.execute(
            f"SELECT ref FROM evidence_log e WHERE e.kind = ? AND NOT EXISTS"
            f" (SELECT 1 FROM [{table}] t WHERE CAST(t.id AS TEXT) = e.ref) LIMIT 1",
            (kind,),
        ).fetchone()
        if gone:
            return kind, gone[0], f"{kind} {gone[0]} was logged but is missing"
    return None


def _seen_times(conn: sqlite3.Connection, anchors: Anchors, walk: _Walk) -> tuple[str, str, str] | None:
    """``first_seen``/``last_seen`` of listings and sellers are not logged (they move on every sighting): they
    must be the first and last live sighting, which are."""
    for kind, table, key in (("listing", "listings", "listing_id"), ("seller", "sellers", "seller_id")):
        row = conn.execute(
            f"SELECT t.id FROM [{table}] t LEFT JOIN (SELECT {key} AS id, min(seen_at) AS first, max(seen_at) AS"
            f" last FROM sightings WHERE {key} IS NOT NULL AND COALESCE(source, '') != 'gone' GROUP BY {key}) g"
            " ON g.id = t.id WHERE g.first IS NOT t.first_seen OR g.last IS NOT t.last_seen LIMIT 1"
        ).fetchone()
        if row:
            return kind, str(row[0]), f"{kind} {row[0]} first/last seen times differ from its logged sightings"
    return None


def _network_cache(conn: sqlite3.Connection, anchors: Anchors, walk: _Walk) -> tuple[str, str, str] | None:
    """The seller networks ``gigscan networks`` and ``network`` would show now must be those the evidence gives."""
    found = check_current_run(conn)
    if found:
        run_id, problem = found
        return "network", str(run_id), f"network computation {run_id}: {problem}"
    return None
