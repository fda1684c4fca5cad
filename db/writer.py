"""Writes one batch of crawled records: bodies, sellers, listings, snapshots, sightings, verdicts, log.

Records are plain mappings (``{"type": "listing" | "seller", **dataclasses.asdict(item)}``) so the store never
imports the crawler. The caller wraps a :class:`BatchWriter` in one write transaction; the writer itself never
commits, which is what makes a batch all-or-nothing.
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
    SNAPSHOT_DIGEST_COLUMNS,
    SNAPSHOT_FIELDS,
    VERDICT_DIGEST_COLUMNS,
    Chain,
    canonical_json,
    fields_hash,
    normalise_ts,
    row_digest,
)

ZSTD_LEVEL = 3
CURRENT_COLUMNS = (
    "title",
    "description",
    "tags",
    "price",
    "currency",
    "rating",
    "review_count",
    "category",
    "url",
    "kind",
)
_SELLER_COLUMNS = (
    "display_name",
    "profile_url",
    "country",
    "level",
    "member_since",
    "rating",
    "review_count",
    "description",
)

_REQUIRED = {
    "listing": ("marketplace", "external_id", "url", "seller", "title"),
    "seller": ("marketplace", "username"),
}


@dataclass
class BatchResult:
    """What a batch changed. listings_seen counts every listing record (new ones included)."""

    listings_new: int = 0
    listings_seen: int = 0
    snapshots_new: int = 0
    bodies_new: int = 0
    sellers_new: int = 0
    sellers_seen: int = 0
    verdicts_new: int = 0
    flagged: int = 0  # distinct listings in the batch whose attached verdict is flagged
    sightings: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class _Seen:
    """Where and when a record was observed (its capture, if any)."""

    at: str
    url: str | None
    status: int | None
    headers: str | None
    fetched_at: str | None
    body_sha256: str | None


@dataclass
class BatchWriter:
    """Applies records one by one inside the caller's transaction; counts what changed in ``result``."""

    conn: sqlite3.Connection
    run_id: int
    now: str
    chain: Chain
    compressor: zstandard.ZstdCompressor
    default_ruleset: str | None = None
    result: BatchResult = field(default_factory=BatchResult)
    _flagged_ids: set[int] = field(default_factory=set)

    def add(self, index: int, record: Mapping[str, Any]) -> None:
        kind = record.get("type")
        if kind not in _REQUIRED:
            raise ValueError(f"record #{index}: type must be 'listing' or 'seller', not {kind!r}")
        missing = [name for name in _REQUIRED[kind] if record.get(name) in (None, "")]
        if missing:
            raise ValueError(f"record #{index} ({kind}): missing field(s) {', '.join(missing)}")
        if kind == "listing":
            self._listing(record)
        else:
            self._seller(record)

    # -- captures and bodies ------------------------------------------------------------------------------

    def _capture(self, record: Mapping[str, Any]) -> _Seen:
        capture = record.get("capture")
        if not capture:
            return _Seen(self.now, record.get("url") or record.get("profile_url"), None, None, None, None)
        fetched_at = normalise_ts(capture.get("fetched_at"))
        return _Seen(
            at=fetched_at or self.now,
            url=capture.get("url"),
            status=capture.get("status"),
            headers=canonical_json(capture.get("headers") or {}),
            fetched_at=fetched_at,
            body_sha256=self._body(capture.get("body")),
        )

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

    def _seller_id(self, marketplace: str, username: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM sellers WHERE marketplace = ? AND username = ?", (marketplace, username)
        ).fetchone()
        return row[0] if row else None

    def _upsert_seller(
        self,
        marketplace: str,
        username: str,
        values: Mapping[str, Any],
        seen_at: str,
        *,
        fill_only: bool = False,
    ) -> int:
        """Insert a seller, or refresh it: first_seen kept, last_seen advanced, and only non-null values
        replace stored ones (a search card knows less about a seller than the profile page did). With
        ``fill_only`` (what a listing knows of its seller) values only fill columns still empty."""
        seller_id = self._seller_id(marketplace, username)
        columns = [c for c in _SELLER_COLUMNS if values.get(c) is not None]
        params = [values[c] for c in columns]
        if seller_id is None:
            names = ", ".join(["marketplace", "username", *columns, "first_seen", "last_seen"])
            marks = ", ".join("?" * (len(columns) + 4))
            cursor = self.conn.execute(
                f"INSERT INTO sellers ({names}) VALUES ({marks})",
                (marketplace, username, *params, seen_at, seen_at),
            )
            self.result.sellers_new += 1
            return cursor.lastrowid
        sets = "".join(f", {c} = COALESCE({c}, ?)" if fill_only else f", {c} = ?" for c in columns)
        self.conn.execute(
            f"UPDATE sellers SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?){sets} WHERE id = ?",
            (seen_at, seen_at, *params, seller_id),
        )
        return seller_id

    def _seller(self, record: Mapping[str, Any]) -> None:
        seen = self._capture(record)
        values = dict(record)
        values["member_since"] = normalise_ts(record.get("member_since"))
        seller_id = self._upsert_seller(record["marketplace"], record["username"], values, seen.at)
        self.result.sellers_seen += 1
        self._sighting(None, seller_id, None, seen, record.get("source") or "seller")

    # -- listings -----------------------------------------------------------------------------------------

    def _listing(self, record: Mapping[str, Any]) -> None:
        marketplace, external_id = record["marketplace"], str(record["external_id"])
        detail = int(record.get("detail") or 0)
        source = record.get("source") or "search"
        seen = self._capture(record)
        seller_id = self._upsert_seller(
            marketplace,
            record["seller"],
            {"profile_url": record.get("seller_profile_url")},
            seen.at,
            fill_only=True,
        )
        current = self._current_values(record)
        row = self.conn.execute(
            "SELECT id, current_detail, current_snapshot_id FROM listings WHERE marketplace = ? AND external_id = ?",
            (marketplace, external_id),
        ).fetchone()
        if row is None:
            listing_id = self._insert_listing(marketplace, external_id, seller_id, current, detail, seen.at)
            stored_detail, current_snapshot = detail, None
            self.result.listings_new += 1
        else:
            listing_id, stored_detail, current_snapshot = row
            self.conn.execute(
                "UPDATE listings SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?),"
                " status = 'active', removed_at = NULL WHERE id = ?",
                (seen.at, seen.at, listing_id),
            )
        self.result.listings_seen += 1
        snapshot_id = self._snapshot(listing_id, record, source, detail, seen)
        takes_over = detail >= stored_detail
        if row is None:
            self.conn.execute("UPDATE listings SET current_snapshot_id = ? WHERE id = ?", (snapshot_id, listing_id))
        elif takes_over and snapshot_id != current_snapshot:
            sets = ", ".join(f"{c} = ?" for c in current)
            self.conn.execute(
                f"UPDATE listings SET {sets}, seller_id = ?, current_detail = ?, current_snapshot_id = ? WHERE id = ?",
                (*current.values(), seller_id, detail, snapshot_id, listing_id),
            )
        verdict = record.get("verdict")
        if verdict is not None:
            self._verdict(listing_id, snapshot_id, verdict, takes_over)
        self._sighting(listing_id, seller_id, snapshot_id, seen, source)

    @staticmethod
    def _current_values(record: Mapping[str, Any]) -> dict[str, Any]:
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

    def _snapshot(self, listing_id: int, record: Mapping[str, Any], source: str, detail: int, seen: _Seen) -> int:
        """The listing's snapshot for this view: the latest one of the same source if the extracted fields
        are unchanged, else a new row (a search card and the gig page are different views, compared apart)."""
        fields = {key: record.get(key) for key in SNAPSHOT_FIELDS}
        fields["tags"] = list(fields["tags"] or [])
        content_hash = fields_hash(fields)
        latest = self.conn.execute(
            "SELECT id, content_hash FROM snapshots WHERE listing_id = ? AND source = ? ORDER BY id DESC LIMIT 1",
            (listing_id, source),
        ).fetchone()
        if latest is not None and latest[1] == content_hash:
            return latest[0]
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
        }
        cursor = self.conn.execute(
            f"INSERT INTO snapshots ({', '.join(row)}, created_at) VALUES ({', '.join('?' * len(row))}, ?)",
            (*row.values(), self.now),
        )
        row["id"] = cursor.lastrowid
        self.chain.append("snapshot", row["id"], row_digest(row, SNAPSHOT_DIGEST_COLUMNS), self.now)
        self.result.snapshots_new += 1
        return row["id"]

    # -- verdicts and sightings ---------------------------------------------------------------------------

    def _verdict(self, listing_id: int, snapshot_id: int, verdict: Mapping[str, Any], takes_over: bool) -> None:
        ruleset = verdict.get("ruleset_version") or self.default_ruleset or ""
        stored = store_verdict(self.conn, self.chain, listing_id, snapshot_id, ruleset, verdict, self.run_id, self.now)
        self.result.verdicts_new += stored.new
        if stored.flagged and listing_id not in self._flagged_ids:
            self._flagged_ids.add(listing_id)
            self.result.flagged += 1
        if takes_over:
            self.conn.execute(
                "UPDATE listings SET flagged = ?, score = ?, verdict_id = ? WHERE id = ?",
                (stored.flagged, stored.score, stored.id, listing_id),
            )

    def _sighting(
        self, listing_id: int | None, seller_id: int | None, snapshot_id: int | None, seen: _Seen, source: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO sightings (run_id, listing_id, seller_id, snapshot_id, seen_at, url, http_status,"
            " source, body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.run_id,
                listing_id,
                seller_id,
                snapshot_id,
                seen.at,
                seen.url,
                seen.status,
                source,
                seen.body_sha256,
            ),
        )
        self.result.sightings += 1


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
    verdict: Mapping[str, Any],
    run_id: int | None,
    now: str,
) -> StoredVerdict:
    """Insert a verdict unless (listing, snapshot, ruleset) already has one, and return the stored one.

    Shared by crawls and rescans so both dedupe and log verdicts the same way; the first verdict stays.
    """
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
    cursor = conn.execute(
        f"INSERT INTO verdicts ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
        " ON CONFLICT (listing_id, snapshot_id, ruleset_version) DO NOTHING",
        tuple(row.values()),
    )
    if cursor.rowcount == 1:
        row["id"] = cursor.lastrowid
        chain.append("verdict", row["id"], row_digest(row, VERDICT_DIGEST_COLUMNS), now)
        return StoredVerdict(row["id"], row["flagged"], row["score"], True)
    found = conn.execute(
        "SELECT id, flagged, score FROM verdicts WHERE listing_id = ? AND snapshot_id = ? AND ruleset_version = ?",
        (listing_id, snapshot_id, ruleset_version),
    ).fetchone()
    return StoredVerdict(found[0], found[1], found[2], False)
