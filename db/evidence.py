"""Hashes that make stored evidence checkable: canonical JSON, content digests and the evidence_log chain.

Why one module: the writer, the migration that backfills the log and :mod:`db.verify` must compute the very
same digests, byte for byte; a second copy of any of these functions would let them drift apart silently.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GENESIS = "0" * 64  # prev_hash of the first entry

# Extracted listing fields that make up a snapshot; capture noise (headers, tracking ids, csrf tokens) is not
# among them, so a re-fetch that differs only in noise matches the previous snapshot.
SNAPSHOT_FIELDS = (
    "title",
    "description",
    "tags",
    "price",
    "currency",
    "rating",
    "review_count",
    "category",
    "seller",
    "url",
    "kind",
)

# Columns covered by a row's log digest: every column that states a fact (review columns of a verdict are an
# analyst's later decision and get their own log entries).
SNAPSHOT_DIGEST_COLUMNS = (
    "id",
    "listing_id",
    "run_id",
    "source",
    "detail",
    "fields",
    "extra",
    "content_hash",
    "fetched_at",
    "url",
    "http_status",
    "headers",
    "body_sha256",
)
# Version 2 of a snapshot's digest (log kind ``snapshot2``) also covers when it was stored; ``snapshot`` entries
# written before it keep their first digest, and the migration that introduced it logged every older snapshot again.
SNAPSHOT2_DIGEST_COLUMNS = (*SNAPSHOT_DIGEST_COLUMNS, "created_at")
VERDICT_DIGEST_COLUMNS = (
    "id",
    "listing_id",
    "snapshot_id",
    "ruleset_version",
    "run_id",
    "flagged",
    "score",
    "reasons",
    "created_at",
)

CAPTURE_DIGEST_COLUMNS = (
    "id",
    "exchange_sha256",
    "run_id",
    "url",
    "method",
    "request_url",
    "request_headers",
    "status",
    "headers",
    "fetched_at",
    "body_sha256",
    "created_at",
)
EVENT_DIGEST_COLUMNS = (
    "id",
    "listing_id",
    "seller_id",
    "kind",
    "at",
    "run_id",
    "reason",
    "url",
    "http_status",
    "capture_id",
    "created_at",
)
REVIEW_DIGEST_COLUMNS = ("id", "verdict_id", "state", "note", "reviewed_by", "reviewed_at")
SIGHTING_DIGEST_COLUMNS = (
    "id",
    "run_id",
    "listing_id",
    "seller_id",
    "snapshot_id",
    "seen_at",
    "url",
    "http_status",
    "source",
    "body_sha256",
    "capture_id",
)
# Buyers' reviews and the review blocks they came in (issue 18; columns in db.schema._BUYER_REVIEWS).
REVIEW_PAGE_DIGEST_COLUMNS = (
    "id", "run_id", "capture_id", "marketplace", "seller_id", "listing_id", "scope", "url", "total_count",
    "has_next", "average", "shown", "fetched_at", "created_at",
)  # fmt: skip
BUYER_REVIEW_DIGEST_COLUMNS = (
    "id", "marketplace", "review_id", "content_hash", "seller_id", "listing_id", "scope", "buyer", "created_at",
    "stars", "country_code", "country", "price_range", "price_low", "price_high", "repeat_buyer", "is_business",
    "comment", "comment_language", "reply", "reply_at", "gig_id", "buyer_review_count", "review_page_id",
    "capture_id", "run_id", "first_seen",
)  # fmt: skip

# Log entry kind -> (table, digest columns) for every evidence row logged by its id (bodies are logged by hash).
LOGGED_ROWS = {
    "snapshot": ("snapshots", SNAPSHOT_DIGEST_COLUMNS),
    "snapshot2": ("snapshots", SNAPSHOT2_DIGEST_COLUMNS),
    "verdict": ("verdicts", VERDICT_DIGEST_COLUMNS),
    "capture": ("captures", CAPTURE_DIGEST_COLUMNS),
    "event": ("events", EVENT_DIGEST_COLUMNS),
    "review": ("reviews", REVIEW_DIGEST_COLUMNS),
    "review_page": ("review_pages", REVIEW_PAGE_DIGEST_COLUMNS),
    "buyer_review": ("buyer_reviews", BUYER_REVIEW_DIGEST_COLUMNS),
}
#: The log kind a new snapshot is logged under (``snapshot`` is the older digest, still verified).
SNAPSHOT_KIND = "snapshot2"
#: Sightings are logged a batch at a time: one entry per id range, ref ``"<first id>-<last id>"``, covering the
#: digest of the range's rows in id order (a crawl sees every listing on every run: an entry each would double
#: the log for no gain in what it proves).
SIGHTINGS_KIND = "sightings"

# Rows whose state changes as history is added (a listing's current text and verdict, a seller's profile, a
# run's status): every change appends an entry with the digest of the row's state columns, and ``verify`` checks
# that each row still matches its latest entry. ``first_seen``/``last_seen`` are left out because they change on
# every sighting; ``verify`` recomputes them from the (logged) sightings instead.
LISTING_STATE_COLUMNS = (
    "id",
    "marketplace",
    "external_id",
    "seller_id",
    "url",
    "kind",
    "title",
    "description",
    "tags",
    "category",
    "price",
    "currency",
    "rating",
    "review_count",
    "current_detail",
    "current_snapshot_id",
    "status",
    "removed_at",
    "flagged",
    "score",
    "verdict_id",
)
#: What a seller's pages say about them (the writer fills and refreshes these).
SELLER_PROFILE_COLUMNS = (
    "display_name",
    "profile_url",
    "country",
    "level",
    "member_since",
    "rating",
    "review_count",
    "description",
)
SELLER_STATE_COLUMNS = ("id", "marketplace", "username", *SELLER_PROFILE_COLUMNS, "status", "removed_at")
RUN_STATE_COLUMNS = (
    "id",
    "kind",
    "spider",
    "args",
    "started_at",
    "finished_at",
    "status",
    "stats",
    "gigscan_version",
    "ruleset_version",
    "pid",
    "host",
)
#: Log entry kind -> (table, state columns) of the rows logged at every change of state.
STATE_ROWS = {
    "listing": ("listings", LISTING_STATE_COLUMNS),
    "seller": ("sellers", SELLER_STATE_COLUMNS),
    "run": ("runs", RUN_STATE_COLUMNS),
}


def utc_now() -> str:
    """Current time as the store writes every timestamp (UTC, ISO-8601, milliseconds, ``Z``)."""
    return _format(datetime.now(UTC))


def normalise_ts(value: str | None) -> str | None:
    """Rewrite an ISO-8601 time in the store's one format, so stored times compare as strings.

    A naive time is taken as UTC; text that is not ISO-8601 is kept as given rather than lost.
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _format(parsed.astimezone(UTC))


def _format(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# One encoder for every digest: json.dumps with any option set builds a new encoder on every call, which costs
# more than encoding a short row (every listing is digested several times as it is stored).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    """One text per value (sorted keys, no spaces), so equal data always hashes equal."""
    return _CANONICAL.encode(value)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _norm_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return " ".join(unicodedata.normalize("NFC", value).split())


def _norm_number(value: Any) -> float | None:
    return None if value is None else float(value)


def _strip_query(url: Any) -> Any:
    if not isinstance(url, str):
        return url
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def normalised_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable form of a snapshot's fields: whitespace collapsed, numbers as floats, the seller
    lower-cased, the URL without query or fragment (tracking parameters are not a change of the listing)."""
    out: dict[str, Any] = {}
    for key in SNAPSHOT_FIELDS:
        value = fields.get(key)
        if key == "tags":
            value = [_norm_text(tag) for tag in value or ()]
        elif key in ("price", "rating"):
            value = _norm_number(value)
        elif key == "review_count":
            value = None if value is None else int(value)
        elif key == "url":
            value = _strip_query(value)
        elif key == "seller":
            value = _norm_text(value).lower() if isinstance(value, str) else value
        else:
            value = _norm_text(value)
        out[key] = value
    return out


def fields_hash(fields: Mapping[str, Any]) -> str:
    """Content hash deciding whether a listing changed (stored as snapshots.content_hash)."""
    return sha256_hex(canonical_json(normalised_fields(fields)))


def row_digest(row: Mapping[str, Any], columns: tuple[str, ...]) -> str:
    """Digest of a stored row's fact columns: the content hash its log entry commits to."""
    return sha256_hex(canonical_json([row[column] for column in columns]))


def entry_hash(prev_hash: str, kind: str, ref: str, content_sha256: str, created_at: str) -> str:
    """Hash of one log entry. Fields are joined with a unit separator (never inside hex, kinds or times) so
    no two different entries concatenate to the same text."""
    return sha256_hex("\x1f".join((prev_hash, kind, ref, content_sha256, created_at)))


def log_state(conn: sqlite3.Connection, chain: Chain, kind: str, row_id: int, now: str) -> str:
    """Append the current state of a listing, seller or run (:data:`STATE_ROWS`) to the log; returns its digest.

    Call it after every write that may change the row's state columns, inside the same transaction."""
    table, columns = STATE_ROWS[kind]
    values = conn.execute(f"SELECT {', '.join(columns)} FROM [{table}] WHERE id = ?", (row_id,)).fetchone()
    if values is None:
        raise KeyError(f"no {kind} with id {row_id}")
    digest = sha256_hex(canonical_json(list(values)))
    chain.append(kind, row_id, digest, now)
    return digest


def log_states(conn: sqlite3.Connection, chain: Chain, kind: str, row_ids: list[int], now: str) -> None:
    """:func:`log_state` for many rows at once (one query per 500), in the order given."""
    table, columns = STATE_ROWS[kind]
    for start in range(0, len(row_ids), 500):
        chunk = row_ids[start : start + 500]
        rows = conn.execute(
            f"SELECT {', '.join(columns)} FROM [{table}] WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(chunk),),
        ).fetchall()
        by_id = {row[0]: row for row in rows}
        for row_id in chunk:
            chain.append(kind, row_id, sha256_hex(canonical_json(list(by_id[row_id]))), now)


def sightings_digest(rows: list[tuple[Any, ...]]) -> str:
    """Digest of a range of sightings, each a tuple in :data:`SIGHTING_DIGEST_COLUMNS` order, in id order."""
    return sha256_hex(canonical_json([list(row) for row in rows]))


def read_sightings(conn: sqlite3.Connection, first: int, last: int) -> list[tuple[Any, ...]]:
    """Sightings ``first``..``last`` as stored (read back: column affinity may have converted a bound value)."""
    return conn.execute(
        f"SELECT {', '.join(SIGHTING_DIGEST_COLUMNS)} FROM sightings WHERE id BETWEEN ? AND ? ORDER BY id",
        (first, last),
    ).fetchall()


class Chain:
    """Appends entries to evidence_log, each linked to the one before.

    Create it inside the write transaction that adds the evidence: the head is read under the write lock, so
    two writers can never both link to the same predecessor. With ``buffered`` the entries are inserted in one
    ``executemany`` by :meth:`flush` (a batch writes four entries per listing); the owner must flush before
    it commits.
    """

    _INSERT = (
        "INSERT INTO evidence_log (kind, ref, content_sha256, prev_hash, entry_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, conn: sqlite3.Connection, *, buffered: bool = False) -> None:
        self._conn = conn
        self._pending: list[tuple[str, str, str, str, str, str]] | None = [] if buffered else None
        row = conn.execute("SELECT entry_hash FROM evidence_log ORDER BY seq DESC LIMIT 1").fetchone()
        self.head: str = row[0] if row else GENESIS

    def append(self, kind: str, ref: str | int, content_sha256: str, created_at: str) -> str:
        ref_text = str(ref)
        new_hash = entry_hash(self.head, kind, ref_text, content_sha256, created_at)
        entry = (kind, ref_text, content_sha256, self.head, new_hash, created_at)
        if self._pending is None:
            self._conn.execute(self._INSERT, entry)
        else:
            self._pending.append(entry)
        self.head = new_hash
        return new_hash

    def flush(self) -> None:
        """Insert buffered entries, in order."""
        if self._pending:
            self._conn.executemany(self._INSERT, self._pending)
            self._pending.clear()
