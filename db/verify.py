"""Re-checks the evidence: the log's hash chain, every logged row's digest, every body's bytes.

Why: a report built on this store may be challenged; ``gigscan verify`` must be able to say "nothing stored
has changed since it was logged", or name the first entry that no longer holds and what no longer matches.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import zstandard

from db.evidence import GENESIS, LOGGED_ROWS, entry_hash, fields_hash, row_digest, sha256_hex


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int  # log entries checked (up to and including a broken one)
    head: str  # entry_hash of the last good entry: record it elsewhere to detect a truncated log later
    broken_seq: int | None = None  # first broken entry; None with ok=False means evidence missing from the log
    kind: str | None = None
    ref: str | None = None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(conn: sqlite3.Connection) -> VerifyResult:
    """Walk the log in order; stop at the first entry whose link, own hash or referenced evidence is wrong."""
    prev = GENESIS
    checked = 0
    decompressor = zstandard.ZstdDecompressor()
    for seq, kind, ref, content, prev_hash, stored_hash, created_at in _entries(conn):
        checked += 1
        problem = None
        if prev_hash != prev:
            problem = f"prev_hash does not link to the entry before it (expected {prev[:16]}…)"
        elif entry_hash(prev_hash, kind, ref, content, created_at) != stored_hash:
            problem = "entry_hash does not match the entry's own fields"
        else:
            problem = _check_evidence(conn, decompressor, kind, ref, content)
        if problem:
            return VerifyResult(False, checked, prev, seq, kind, ref, problem)
        prev = stored_hash
    unlogged = _unlogged(conn)
    if unlogged:
        kind, ref = unlogged
        return VerifyResult(False, checked, prev, None, kind, ref, f"{kind} {ref} has no evidence_log entry")
    return VerifyResult(True, checked, prev)


def _entries(conn: sqlite3.Connection, page: int = 2000) -> Iterator[tuple]:
    """Log entries by seq, read in pages so a long verify holds no read cursor across the whole table."""
    last = 0
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


def _check_evidence(
    conn: sqlite3.Connection, decompressor: zstandard.ZstdDecompressor, kind: str, ref: str, content: str
) -> str | None:
    if kind == "body":
        return _check_body(conn, decompressor, ref, content)
    if kind in LOGGED_ROWS:
        return _check_row(conn, kind, ref, content)
    return f"unknown log entry kind {kind!r}"


def _check_body(
    conn: sqlite3.Connection, decompressor: zstandard.ZstdDecompressor, sha: str, content: str
) -> str | None:
    row = conn.execute("SELECT codec, data FROM bodies WHERE sha256 = ?", (sha,)).fetchone()
    if row is None:
        return f"body {sha} is missing"
    codec, data = row
    if codec != "zstd":
        return f"body {sha} has unknown codec {codec!r}"
    try:
        raw = decompressor.decompress(data)
    except zstandard.ZstdError as exc:
        return f"body {sha} no longer decompresses ({exc})"
    actual = sha256_hex(raw)
    if actual != sha or actual != content:
        return f"body {sha} bytes now hash to {actual}"
    return None


def _check_row(conn: sqlite3.Connection, kind: str, ref: str, content: str) -> str | None:
    table, columns = LOGGED_ROWS[kind]
    cursor = conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", (ref,))
    values = cursor.fetchone()
    if values is None:
        return f"{kind} {ref} is missing"
    row = dict(zip((d[0] for d in cursor.description), values, strict=True))
    if kind == "snapshot":
        try:
            recomputed = fields_hash(json.loads(row["fields"]))
        except (TypeError, ValueError) as exc:
            return f"snapshot {ref} fields are no longer valid JSON ({exc})"
        if recomputed != row["content_hash"]:
            return f"snapshot {ref} fields no longer match its content_hash"
    if row_digest(row, columns) != content:
        return f"{kind} {ref} row differs from what was logged"
    return None


def _unlogged(conn: sqlite3.Connection) -> tuple[str, str] | None:
    """Evidence rows with no log entry: added behind the store's back, or their entries cut off the end."""
    checks = [
        (
            "body",
            "SELECT sha256 FROM bodies b WHERE NOT EXISTS"
            " (SELECT 1 FROM evidence_log e WHERE e.kind = 'body' AND e.ref = b.sha256) LIMIT 1",
        )
    ]
    for kind, (table, _columns) in LOGGED_ROWS.items():
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
            return kind, str(row[0])
    return None
