"""Writes one batch of crawled records: bodies, captures, sellers, listings, snapshots, sightings, verdicts,
removal events and their evidence_log entries.

The records are the typed dicts of :mod:`db.records` (listing, seller, gone), so the store never imports the
crawler. The caller wraps a :class:`BatchWriter` in one write transaction; the writer itself never commits,
which is what makes a batch all-or-nothing.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import zstandard

from db.evidence import (
    LOGGED_ROWS,
    SELLER_PROFILE_COLUMNS,
    SIGHTINGS_KIND,
    SNAPSHOT_FIELDS,
    SNAPSHOT_KIND,
    Chain,
    canonical_json,
    fields_hash,
    log_states,
    normalise_ts,
    read_sightings,
    row_digest,
    sha256_hex,
    sightings_digest,
)
from db.records import (
    GONE_KINDS,
    REQUIRED,
    CaptureRecord,
    GoneRecord,
    ListingRecord,
    Record,
    SellerRecord,
    VerdictRecord,
)

ZSTD_LEVEL = 3
# The listing row keeps the latest value of every snapshot field but the seller, which is its seller_id.
CURRENT_COLUMNS = tuple(key for key in SNAPSHOT_FIELDS if key != "seller")
_SELLER_COLUMNS = SELLER_PROFILE_COLUMNS

LIVE_STATUSES = ("active", "reappeared")


@dataclass
class BatchResult:
    """What a batch changed. listings_seen counts every listing record (new ones included)."""

    listings_new: int = 0
    listings_seen: int = 0
    snapshots_new: int = 0
    bodies_new: int = 0
    captures_new: int = 0
    sellers_new: int = 0
    sellers_seen: int = 0
    verdicts_new: int = 0
    flagged: int = 0  # distinct listings in the batch whose attached verdict is flagged
    sightings: int = 0
    gone_seen: int = 0  # "gone" answers for known listings or sellers
    gone_unknown: int = 0  # "gone" answers naming nothing the store knows (ignored)
    removed: int = 0  # listings or sellers newly marked removed
    reappeared: int = 0  # removed listings or sellers seen live again

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Seen:
    """Where and when a record was observed (its capture, if any)."""

    at: str
    url: str | None
    status: int | None
    headers: str | None
    fetched_at: str | None
    body_sha256: str | None
    capture_id: int | None


def insert_logged(
    conn: sqlite3.Connection, chain: Chain, kind: str, row: dict[str, Any], now: str, *, on_conflict: str = ""
) -> int | None:
    """Insert an evidence row and append its log entry; returns (and sets ``row["id"]`` to) the new id. With
    ``on_conflict`` (``ON CONFLICT (...) DO NOTHING``) returns None when the row was already there."""
    table, columns = LOGGED_ROWS[kind]
    cursor = conn.execute(
        f"INSERT INTO [{table}] ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) {on_conflict}",
        tuple(row.values()),
    )
    if cursor.rowcount == 0:
        return None
    row["id"] = cursor.lastrowid
    chain.append(kind, row["id"], row_digest(row, columns), now)
    return row["id"]


@dataclass
class BatchWriter:
    """Applies records one by one inside the caller's transaction; counts what changed in ``result``.

    A search page's body is shared by every card on it: what is derived from a capture alone (body hash,
    capture row, header JSON) is computed once per batch, keyed by the body object's identity (the records,
    which hold the bodies, live as long as the batch).
    """

    conn: sqlite3.Connection
    run_id: int
    now: str
    chain: Chain
    compressor: zstandard.ZstdCompressor
    default_ruleset: str | None = None
    result: BatchResult = field(default_factory=BatchResult)
    _flagged_ids: set[int] = field(default_factory=set)
    _seen: dict[tuple[Any, ...], Seen] = field(default_factory=dict)
    # (marketplace, username as written) -> id, and id -> [id, status, removed_at, {column: value}]: a search page
    # names each seller twice, and the same seller may be written in another case (the column is NOCASE)
    _sellers: dict[tuple[str, str], int] = field(default_factory=dict)
    _seller_rows: dict[int, list[Any]] = field(default_factory=dict)
    # listings and sellers whose state changed: logged once each when the batch finishes (a gig page and its
    # card in one batch change a listing twice; one query reads them all)
    _changed: dict[str, set[int]] = field(default_factory=lambda: {"listing": set(), "seller": set()})
    _sightings: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, index: int, record: Record) -> None:
        kind = record.get("type")
        if kind not in REQUIRED:
            raise ValueError(f"record #{index}: type must be 'listing', 'seller' or 'gone', not {kind!r}")
        fields: Mapping[str, Any] = record
        missing = [name for name in REQUIRED[kind] if fields.get(name) in (None, "")]
        if missing:
            raise ValueError(f"record #{index} ({kind}): missing field(s) {', '.join(missing)}")
        if record["type"] == "listing":
            self._listing(record)
        elif record["type"] == "seller":
            self._seller(record)
        else:
            if record["kind"] not in GONE_KINDS:
                raise ValueError(f"record #{index} (gone): kind must be 'listing' or 'seller'")
            self._gone(record)

    # -- captures and bodies ------------------------------------------------------------------------------

    def _capture(self, record: Record) -> Seen:
        capture = record.get("capture")
        if not capture:
            url = record["profile_url"] if record["type"] == "seller" else record["url"]
            return Seen(self.now, url, None, None, None, None, None)
        key = (id(capture.get("body")), capture.get("url"), capture.get("fetched_at"), capture.get("status"))
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = self._store_capture(capture)
        return seen

    def _store_capture(self, capture: CaptureRecord) -> Seen:
        """The body (once per SHA-256) and the HTTP exchange (once per identical exchange), logged."""
        fetched_at = normalise_ts(capture.get("fetched_at"))
        headers = canonical_json(capture.get("headers") or {})
        body_sha256 = self._body(capture.get("body"))
        exchange = {
            "url": capture.get("url") or "",
            "method": capture.get("method") or "GET",
            "request_url": capture.get("request_url"),
            "request_headers": canonical_json(capture.get("request_headers") or {}),
            "status": capture.get("status"),
            "headers": headers,
            "fetched_at": fetched_at or self.now,
            "body_sha256": body_sha256,
        }
        exchange_sha256 = sha256_hex(canonical_json(exchange))
        row = {"exchange_sha256": exchange_sha256, "run_id": self.run_id, **exchange, "created_at": self.now}
        capture_id = insert_logged(
            self.conn, self.chain, "capture", row, self.now, on_conflict="ON CONFLICT (exchange_sha256) DO NOTHING"
        )
        if capture_id is None:  # the same exchange stored before (a batch retried, a re-recorded crawl)
            capture_id = self.conn.execute(
                "SELECT id FROM captures WHERE exchange_sha256 = ?", (exchange_sha256,)
            ).fetchone()[0]
        else:
            self.result.captures_new += 1
        return Seen(fetched_at or self.now, capture.get("url"), capture.get("status"), headers, fetched_at,
                    body_sha256, capture_id)  # fmt: skip

    def _body(self, body: bytes | str | None) -> str | None:
        """Store a raw body once, compressed, under the SHA-256 of its raw bytes."""
        if body is None:
            return None
        if isinstance(body, str):
            body = body.encode("utf-8")
        sha = hashlib.sha256(body).hexdigest()
        if self.conn.execute("SELECT 1 FROM bodies WHERE sha256 = ?", (sha,)).fetchone():
            return sha
        data = self.compressor.compress(body)
        self.conn.execute(
            "INSERT INTO bodies (sha256, codec, size, stored_size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (sha, "zstd", len(body), len(data), data, self.now),
        )
        self.chain.append("body", sha, sha, self.now)
        self.result.bodies_new += 1
        return sha

    # -- sellers ------------------------------------------------------------------------------------------

    def _upsert_seller(
        self,
        marketplace: str,
        username: str,
        values: Mapping[str, Any],
        seen: Seen,
        *,
        fill_only: bool = False,
    ) -> int:
        """Insert a seller, or refresh it: first_seen kept, last_seen advanced, and only non-null values
        replace stored ones (a search card knows less about a seller than the profile page did). With
        ``fill_only`` (what a listing knows of its seller) values only fill columns still empty. A removed
        seller seen live after its removal has reappeared."""
        state = self._seller_state(marketplace, username)
        columns = [c for c in _SELLER_COLUMNS if values.get(c) is not None]
        params = [values[c] for c in columns]
        if state is None:
            names = ", ".join(["marketplace", "username", *columns, "first_seen", "last_seen"])
            marks = ", ".join("?" * (len(columns) + 4))
            cursor = self.conn.execute(
                f"INSERT INTO sellers ({names}) VALUES ({marks})",
                (marketplace, username, *params, seen.at, seen.at),
            )
            self.result.sellers_new += 1
            stored = dict.fromkeys(_SELLER_COLUMNS) | dict(zip(columns, params, strict=True))
            self._sellers[(marketplace, username)] = cursor.lastrowid
            self._seller_rows[cursor.lastrowid] = [cursor.lastrowid, "active", None, stored]
            self._changed["seller"].add(cursor.lastrowid)
            return cursor.lastrowid
        seller_id, status, removed_at, stored = state
        # only what changes is written, and only a change is logged (a search page names its sellers again
        # and again, with less than their profile page said)
        changed = {c: v for c, v in zip(columns, params, strict=True)
                   if (stored[c] is None if fill_only else stored[c] != v)}  # fmt: skip
        sets = "".join(f", {c} = ?" for c in changed)
        if status == "removed" and seen.at > (removed_at or ""):
            sets += ", status = 'reappeared', removed_at = NULL"
            state[1:3] = ["reappeared", None]
            self._event(None, seller_id, "reappeared", "seen live again", seen)
        self.conn.execute(
            f"UPDATE sellers SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?){sets} WHERE id = ?",
            (seen.at, seen.at, *changed.values(), seller_id),
        )
        if sets:
            stored.update(changed)
            self._changed["seller"].add(seller_id)
        return seller_id

    def _seller_state(self, marketplace: str, username: str) -> list[Any] | None:
        """[id, status, removed_at, {column: value}] of a stored seller (cached for the batch), or None."""
        key = (marketplace, username)
        seller_id = self._sellers.get(key)
        if seller_id is not None:
            return self._seller_rows[seller_id]
        row = self.conn.execute(
            f"SELECT id, status, removed_at, {', '.join(_SELLER_COLUMNS)} FROM sellers"
            " WHERE marketplace = ? AND username = ?",
            key,
        ).fetchone()
        if row is None:
            return None
        self._sellers[key] = row[0]
        state = self._seller_rows.setdefault(row[0], [*row[:3], dict(zip(_SELLER_COLUMNS, row[3:], strict=True))])
        return state

    def _seller(self, record: SellerRecord) -> None:
        seen = self._capture(record)
        values = dict(record)
        values["member_since"] = normalise_ts(record.get("member_since"))
        seller_id = self._upsert_seller(record["marketplace"], record["username"], values, seen)
        self.result.sellers_seen += 1
        self._sighting(None, seller_id, None, seen, "seller")

    # -- listings -----------------------------------------------------------------------------------------

    def _listing(self, record: ListingRecord) -> None:
        """Upsert the listing, its snapshot, verdict and sighting; the listing row is written once at the end."""
        marketplace, external_id = record["marketplace"], str(record["external_id"])
        detail = int(record.get("detail") or 0)
        source = record.get("source") or "search"
        seen = self._capture(record)
        seller_id = self._upsert_seller(
            marketplace, record["seller"], {"profile_url": record.get("seller_profile_url")}, seen, fill_only=True
        )
        current = self._current_values(record)
        row = self.conn.execute(
            "SELECT id, current_detail, current_snapshot_id, status, removed_at, verdict_id FROM listings"
            " WHERE marketplace = ? AND external_id = ?",
            (marketplace, external_id),
        ).fetchone()
        sets: dict[str, Any] = {}
        if row is None:
            listing_id = self._insert_listing(marketplace, external_id, seller_id, current, detail, seen.at)
            stored_detail, current_snapshot, status, removed_at, verdict_id = detail, None, "active", None, None
            self.result.listings_new += 1
        else:
            listing_id, stored_detail, current_snapshot, status, removed_at, verdict_id = row
        self.result.listings_seen += 1
        snapshot_id, fresh = self._snapshot(listing_id, record, source, detail, seen, new_listing=row is None)
        takes_over = detail >= stored_detail
        if row is None:
            sets["current_snapshot_id"] = snapshot_id
        elif takes_over and snapshot_id != current_snapshot:
            sets.update(current, seller_id=seller_id, current_detail=detail, current_snapshot_id=snapshot_id)
        verdict = record.get("verdict")
        if verdict is not None:
            stored = self._verdict(listing_id, snapshot_id, verdict, fresh)
            if takes_over and stored.id != verdict_id:
                sets.update(flagged=stored.flagged, score=stored.score, verdict_id=stored.id)
        if status == "removed" and seen.at > (removed_at or ""):
            self._event(listing_id, None, "reappeared", "seen live again", seen)
            sets.update(status="reappeared", removed_at=None)
        self._update_listing(listing_id, sets, None if row is None else seen.at)
        self._sighting(listing_id, seller_id, snapshot_id, seen, source)

    def _update_listing(self, listing_id: int, sets: Mapping[str, Any], seen_at: str | None) -> None:
        """One UPDATE per listing record: seen times (for a listing that existed) and whatever changed; a change
        of state (a new listing, anything in ``sets``) is logged."""
        clauses = [f"{name} = ?" for name in sets]
        params = list(sets.values())
        if seen_at is not None:
            clauses[:0] = [
                "first_seen = MIN(first_seen, ?)",
                "last_seen = MAX(last_seen, ?)",
                "missed_rechecks = 0",
                "missing_since = NULL",
            ]
            params[:0] = [seen_at, seen_at]
        if clauses:
            self.conn.execute(f"UPDATE listings SET {', '.join(clauses)} WHERE id = ?", (*params, listing_id))
        if sets:
            self._changed["listing"].add(listing_id)

    @staticmethod
    def _current_values(record: ListingRecord) -> dict[str, Any]:
        values = {c: record.get(c) for c in CURRENT_COLUMNS}
        values["tags"] = json.dumps(list(values["tags"] or []), ensure_ascii=False)
        return values

    def _insert_listing(
        self,
        marketplace: str,
        external_id: str,
        seller_id: int,
        current: dict[str, Any],
        detail: int,
        at: str,
    ) -> int:
        names = ", ".join(
            ["marketplace", "external_id", "seller_id", *current, "current_detail", "first_seen", "last_seen"]
        )
        marks = ", ".join("?" * (len(current) + 6))
        cursor = self.conn.execute(
            f"INSERT INTO listings ({names}) VALUES ({marks})",
            (marketplace, external_id, seller_id, *current.values(), detail, at, at),
        )
        return cursor.lastrowid

    def _snapshot(
        self, listing_id: int, record: ListingRecord, source: str, detail: int, seen: Seen, *, new_listing: bool
    ) -> tuple[int, bool]:
        """(snapshot id, whether it is new) for this view of the listing: the latest one of the same source if
        the extracted fields are unchanged, else a new row (a search card and the gig page are different views,
        compared apart)."""
        fields = {key: record.get(key) for key in SNAPSHOT_FIELDS}
        fields["tags"] = list(fields["tags"] or [])
        content_hash = fields_hash(fields)
        latest = None if new_listing else self.conn.execute(
            "SELECT id, content_hash FROM snapshots WHERE listing_id = ? AND source = ? ORDER BY id DESC LIMIT 1",
            (listing_id, source),
        ).fetchone()
        if latest is not None and latest[1] == content_hash:
            return latest[0], False
        row = {
            "listing_id": listing_id,
            "run_id": self.run_id,
            "source": source,
            "detail": detail,
            "fields": canonical_json(fields),
            "extra": canonical_json(record.get("extra") or {}),
            "content_hash": content_hash,
            "fetched_at": seen.fetched_at,
            "url": seen.url or record.get("url"),
            "http_status": seen.status,
            "headers": seen.headers,
            "body_sha256": seen.body_sha256,
            "created_at": self.now,
        }
        self.result.snapshots_new += 1
        snapshot_id = insert_logged(self.conn, self.chain, SNAPSHOT_KIND, row, self.now)
        assert snapshot_id is not None
        return snapshot_id, True

    # -- removals -----------------------------------------------------------------------------------------

    def _gone(self, record: GoneRecord) -> None:
        """A known listing or seller answered "gone": keep the answer, mark it removed unless it already is.

        ``removed_at`` is the first time it was seen gone; later gone answers only add sightings. A gone
        answer older than the last live sighting (records can arrive out of order) is kept but changes nothing.
        """
        marketplace = record["marketplace"]
        if record["kind"] == "seller":
            self._sellers.clear()  # its status may change here (cache keys are usernames as written)
            self._seller_rows.clear()
            row = self.conn.execute(
                "SELECT id, id, status, last_seen FROM sellers WHERE marketplace = ? AND username = ?",
                (marketplace, record.get("username") or ""),
            ).fetchone()
        elif record.get("external_id") not in (None, ""):
            row = self.conn.execute(
                "SELECT id, seller_id, status, last_seen FROM listings WHERE marketplace = ? AND external_id = ?",
                (marketplace, str(record["external_id"])),
            ).fetchone()
        else:
            row = self.conn.execute(
                "SELECT id, seller_id, status, last_seen FROM listings WHERE marketplace = ? AND url = ?"
                " ORDER BY id LIMIT 1",
                (marketplace, record["url"]),
            ).fetchone()
        if row is None:
            self.result.gone_unknown += 1
            return
        target_id, seller_id, status, last_seen = row
        seen = self._capture(record)
        self.result.gone_seen += 1
        is_listing = record["kind"] == "listing"
        self._sighting(target_id if is_listing else None, seller_id, None, seen, "gone")
        if status == "removed" or seen.at < last_seen:
            return
        table = "listings" if is_listing else "sellers"
        extra = ", missed_rechecks = 0, missing_since = NULL" if is_listing else ""
        self.conn.execute(
            f"UPDATE {table} SET status = 'removed', removed_at = ?{extra} WHERE id = ?", (seen.at, target_id)
        )
        self._changed[record["kind"]].add(target_id)
        self._event(target_id if is_listing else None, None if is_listing else target_id, "removed",
                    record["reason"], seen)  # fmt: skip

    def _event(self, listing_id: int | None, seller_id: int | None, kind: str, reason: str, seen: Seen) -> None:
        record_event(self.conn, self.chain, listing_id, seller_id, kind, reason, seen, self.run_id, self.now)
        self.result.removed += kind == "removed"
        self.result.reappeared += kind == "reappeared"

    # -- verdicts and sightings ---------------------------------------------------------------------------

    def _verdict(self, listing_id: int, snapshot_id: int, verdict: VerdictRecord, fresh: bool) -> StoredVerdict:
        ruleset = verdict.get("ruleset_version") or self.default_ruleset or ""
        stored = store_verdict(
            self.conn, self.chain, listing_id, snapshot_id, ruleset, verdict, self.run_id, self.now, fresh=fresh
        )
        self.result.verdicts_new += stored.new
        if stored.flagged and listing_id not in self._flagged_ids:
            self._flagged_ids.add(listing_id)
            self.result.flagged += 1
        return stored

    def _sighting(
        self, listing_id: int | None, seller_id: int | None, snapshot_id: int | None, seen: Seen, source: str
    ) -> None:
        """Queue a sighting: nothing in a batch reads them back, so ``finish`` inserts them all at once."""
        self._sightings.append(
            (None, self.run_id, listing_id, seller_id, snapshot_id, seen.at, seen.url, seen.status, source,
             seen.body_sha256, seen.capture_id)
        )
        self.result.sightings += 1

    def finish(self) -> None:
        """Write what the batch queued (sightings, log entries); the caller's transaction commits it."""
        if self._sightings:
            insert_sightings(self.conn, self.chain, self._sightings, self.now)
            self._sightings.clear()
        for kind, ids in self._changed.items():
            log_states(self.conn, self.chain, kind, sorted(ids), self.now)
            ids.clear()
        self.chain.flush()


def insert_sightings(conn: sqlite3.Connection, chain: Chain, rows: list[tuple[Any, ...]], now: str) -> None:
    """Insert sightings (tuples in :data:`db.evidence.SIGHTING_DIGEST_COLUMNS` order, the id left None) under
    consecutive ids, and log the range in one entry. Inside the write transaction no one else can take ids."""
    first = conn.execute("SELECT COALESCE(max(id), 0) + 1 FROM sightings").fetchone()[0]
    numbered = [(first + offset, *row[1:]) for offset, row in enumerate(rows)]
    conn.executemany(
        "INSERT INTO sightings (id, run_id, listing_id, seller_id, snapshot_id, seen_at, url, http_status,"
        " source, body_sha256, capture_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        numbered,
    )
    last = first + len(numbered) - 1
    chain.append(SIGHTINGS_KIND, f"{first}-{last}", sightings_digest(read_sightings(conn, first, last)), now)


def record_event(
    conn: sqlite3.Connection,
    chain: Chain,
    listing_id: int | None,
    seller_id: int | None,
    kind: str,
    reason: str,
    seen: Seen,
    run_id: int | None,
    now: str,
) -> int:
    """Append a removal or reappearance event (logged), observed as ``seen`` says."""
    row = {
        "listing_id": listing_id,
        "seller_id": seller_id,
        "kind": kind,
        "at": seen.at,
        "run_id": run_id,
        "reason": reason,
        "url": seen.url,
        "http_status": seen.status,
        "capture_id": seen.capture_id,
        "created_at": now,
    }
    insert_logged(conn, chain, "event", row, now)
    return row["id"]


class StoredVerdict(NamedTuple):
    id: int
    flagged: int
    score: float | None
    new: bool


def store_verdict(
    conn: sqlite3.Connection,
    chain: Chain,
    listing_id: int,
    snapshot_id: int,
    ruleset_version: str,
    verdict: VerdictRecord,
    run_id: int | None,
    now: str,
    *,
    fresh: bool = False,
) -> StoredVerdict:
    """Insert a verdict unless (listing, snapshot, ruleset) already has one, and return the stored one.

    Shared by crawls and rescans so both dedupe and log verdicts the same way; the first verdict stays.
    ``fresh`` says the snapshot was created in this transaction, so no verdict can exist for it yet.
    """
    if not fresh:
        found = conn.execute(
            "SELECT id, flagged, score FROM verdicts WHERE listing_id = ? AND snapshot_id = ? AND ruleset_version = ?",
            (listing_id, snapshot_id, ruleset_version),
        ).fetchone()
        if found is not None:
            return StoredVerdict(found[0], found[1], found[2], False)
    score = verdict.get("score")
    row = {
        "listing_id": listing_id,
        "snapshot_id": snapshot_id,
        "ruleset_version": ruleset_version,
        "run_id": run_id,
        "flagged": int(bool(verdict.get("flagged"))),
        "score": None if score is None else float(score),
        "reasons": canonical_json(list(verdict.get("reasons") or [])),
        "created_at": now,
    }
    insert_logged(conn, chain, "verdict", row, now)
    return StoredVerdict(row["id"], row["flagged"], row["score"], True)
