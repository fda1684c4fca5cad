"""Schema migrations: a store written by the first release upgrades in place without losing anything."""

from __future__ import annotations

import json
import sqlite3

import pytest
import zstandard
from sqlite_utils import Database

from db import Store
from db.evidence import fields_hash, sha256_hex
from db.schema import MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError
from db.testing import listing_record

V1_TABLES = ("runs", "sellers", "listings", "snapshots", "sightings", "bodies", "verdicts")
BODY = b"<html>old gig page</html>"


def make_v1_store(path) -> None:
    """A store as the first release left it: v1 tables, rows written by hand, user_version 1."""
    db = Database(path)
    MIGRATIONS[0](db)
    record = listing_record()
    # v1's snapshot fields, frozen here on purpose: a later change to db.evidence.SNAPSHOT_FIELDS must not
    # change what a store from the first release looks like.
    fields = {
        key: record[key]
        for key in (
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
    }
    sha = sha256_hex(BODY)
    with db.conn:
        db.conn.executescript(
            """
            INSERT INTO runs (id, kind, spider, started_at, status, gigscan_version)
                VALUES (1, 'crawl', 'fiverr', '2024-01-01T00:00:00.000Z', 'finished', '0.0.1');
            INSERT INTO sellers (id, marketplace, username, first_seen, last_seen)
                VALUES (1, 'fiverr', 'VPross', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z');
            INSERT INTO sightings (run_id, listing_id, seller_id, snapshot_id, seen_at, source)
                VALUES (1, 1, 1, 1, '2024-01-01T00:00:00.000Z', 'gig');
            """
        )
        db.conn.execute(
            "INSERT INTO listings (id, marketplace, external_id, seller_id, url, kind, title, description, tags,"
            " current_detail, current_snapshot_id, first_seen, last_seen, flagged, score, verdict_id)"
            " VALUES (1, 'fiverr', '1001', 1, ?, 'gig', ?, ?, '[]', 2, 1, ?, ?, 1, 0.9, 1)",
            (
                record["url"],
                record["title"],
                record["description"],
                "2024-01-01T00:00:00.000Z",
                "2024-01-01T00:00:00.000Z",
            ),
        )
        db.conn.execute(
            "INSERT INTO bodies VALUES (?, 'zstd', ?, 0, ?, '2024-01-01T00:00:00.000Z')",
            (sha, len(BODY), zstandard.ZstdCompressor().compress(BODY)),
        )
        db.conn.execute(
            "INSERT INTO snapshots (id, listing_id, run_id, source, detail, fields, content_hash, fetched_at,"
            " body_sha256, created_at) VALUES (1, 1, 1, 'gig', 2, ?, ?, '2024-01-01T00:00:00.000Z', ?,"
            " '2024-01-01T00:00:00.000Z')",
            (json.dumps(fields), fields_hash(fields), sha),
        )
        db.conn.execute(
            "INSERT INTO verdicts (id, listing_id, snapshot_id, ruleset_version, run_id, flagged, score, created_at)"
            " VALUES (1, 1, 1, 'r0', 1, 1, 0.9, '2024-01-01T00:00:00.000Z')"
        )
        db.conn.execute("PRAGMA user_version = 1")
    db.close()


def v1_columns() -> dict[str, list[str]]:
    """Column names of the v1 tables (later migrations add columns; a dump compares the v1 ones)."""
    db = Database(memory=True)
    MIGRATIONS[0](db)
    return {table: list(db[table].columns_dict) for table in V1_TABLES}


def dump(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    tables = {
        table: conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
        for table, columns in v1_columns().items()
    }
    conn.close()
    return tables


def test_v1_store_upgrades_without_loss(tmp_path):
    path = tmp_path / "old.db"
    make_v1_store(path)
    before = dump(path)
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        hits = store.conn.execute("SELECT rowid FROM listings_fts WHERE listings_fts MATCH 'honest'").fetchall()
        assert hits == [(1,)]
        assert store.conn.execute("SELECT rowid FROM sellers_fts WHERE sellers_fts MATCH 'vpross'").fetchall() == [(1,)]
        kinds = [r[0] for r in store.conn.execute("SELECT kind FROM evidence_log ORDER BY seq")]
        # v3 logged what v1 stored; the chain-everything migration logs again what outputs read
        assert kinds[:3] == ["body", "snapshot", "verdict"]
        assert sorted(kinds[3:]) == ["listing", "run", "seller", "sightings", "snapshot2"]
        assert store.verify().ok
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert dump(path) == before
    with Store(path) as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        result = store.record_batch(run, [listing_record(seller="vpross", capture=None)])
        assert (result.listings_new, result.sellers_new, result.snapshots_new) == (0, 0, 0)
        assert store.counts()["sightings"] == 2
        assert store.verify().ok


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "new.db"
    Store(path).close()
    with Store(path) as store:
        assert store.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'evidence_log'").fetchone()[0] == 1
        assert store.counts()["evidence_log"] == 0


def test_store_from_a_newer_gigscan_is_refused(tmp_path):
    path = tmp_path / "future.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match="newer"):
        Store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()
