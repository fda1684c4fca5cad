"""Evidence verification: passes on an untouched store, names the first broken entry after tampering."""

from __future__ import annotations

import sqlite3

import pytest
import zstandard

from db import Store
from db.testing import capture, listing_record, verdict


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        opened.record_batch(run, [listing_record(verdict=verdict())])
        opened.record_batch(
            run,
            [
                listing_record(title="Changed title", capture=capture(body=b"<html>second</html>")),
                listing_record(external_id="2", verdict=verdict(flagged=False, score=0.0)),
            ],
        )
        yield opened


def tamper(store: Store, table: str, sql: str, params: tuple = ()) -> None:
    """Edit the file as a tamperer would: another connection, append-only triggers dropped first."""
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute(f"DROP TRIGGER {table}_no_update")
        conn.execute(f"DROP TRIGGER {table}_no_delete")
        conn.execute(sql, params)
    conn.close()


def log_seq(store: Store, kind: str, ref: str | int) -> int:
    return store.conn.execute("SELECT seq FROM evidence_log WHERE kind = ? AND ref = ?", (kind, str(ref))).fetchone()[0]


def test_untouched_store_verifies(store):
    result = store.verify()
    assert result.ok and result.broken_seq is None
    assert result.entries == store.counts()["evidence_log"] == 16
    kinds = dict(store.conn.execute("SELECT kind, count(*) FROM evidence_log GROUP BY kind").fetchall())
    assert kinds == {
        "body": 2, "capture": 2, "snapshot2": 3, "verdict": 2, "run": 1, "seller": 1, "listing": 3, "sightings": 2
    }
    assert result.head == store.conn.execute("SELECT entry_hash FROM evidence_log ORDER BY seq DESC").fetchone()[0]


def test_tampered_snapshot_fields_are_named(store):
    tamper(store, "snapshots", "UPDATE snapshots SET fields = replace(fields, 'Changed', 'Innocent') WHERE id = 2")
    result = store.verify()
    assert not result.ok
    assert (result.broken_seq, result.kind, result.ref) == (log_seq(store, "snapshot2", 2), "snapshot2", "2")
    assert "content_hash" in result.problem


def test_tampered_snapshot_capture_column_is_named(store):
    tamper(store, "snapshots", "UPDATE snapshots SET http_status = 404 WHERE id = 3")
    result = store.verify()
    assert (result.ok, result.kind, result.ref) == (False, "snapshot2", "3")
    assert result.broken_seq == log_seq(store, "snapshot2", 3)
    assert "differs from what was logged" in result.problem


def test_tampered_body_is_named(store):
    sha = store.conn.execute("SELECT sha256 FROM bodies ORDER BY rowid DESC").fetchone()[0]
    forged = zstandard.ZstdCompressor().compress(b"<html>nothing to see</html>")
    tamper(store, "bodies", "UPDATE bodies SET data = ? WHERE sha256 = ?", (forged, sha))
    result = store.verify()
    assert (result.ok, result.kind, result.ref) == (False, "body", sha)
    assert result.broken_seq == log_seq(store, "body", sha)
    assert "hash to" in result.problem


def test_tampered_log_entry_is_named(store):
    tamper(store, "evidence_log", "UPDATE evidence_log SET created_at = '2020-01-01T00:00:00.000Z' WHERE seq = 4")
    result = store.verify()
    assert (result.ok, result.broken_seq) == (False, 4)
    assert "entry_hash" in result.problem


def test_deleted_log_entry_breaks_the_next_link(store):
    tamper(store, "evidence_log", "DELETE FROM evidence_log WHERE seq = 3")
    result = store.verify()
    assert (result.ok, result.broken_seq) == (False, 4)
    assert "prev_hash" in result.problem


def test_evidence_without_log_entry_is_reported(store):
    tamper(
        store,
        "snapshots",
        "INSERT INTO snapshots (listing_id, source, detail, fields, content_hash, created_at)"
        " VALUES (1, 'gig', 2, '{}', 'x', '2024-01-01')",
    )
    result = store.verify()
    assert (result.ok, result.broken_seq, result.kind) == (False, None, "snapshot2")
    assert "no evidence_log entry" in result.problem


def test_sellers_named_in_two_cases_and_int_ratings_verify(tmp_path):
    """A search page names a seller in another case than their profile; a profile's rating may be an int: the
    logged state is what the row holds, and a card never overwrites what the profile said."""
    from db.testing import seller_record

    with Store(tmp_path / "s.db") as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [
            listing_record(seller="VPross", seller_profile_url="https://www.fiverr.com/VPross"),
            seller_record(username="vpross", profile_url="https://www.fiverr.com/vpross", rating=0, review_count=0,
                          display_name="V. Pross"),
            listing_record(external_id="2", seller="VPross", seller_profile_url="https://card.example/VPross"),
        ])  # fmt: skip
        store.record_batch(run, [listing_record(external_id="3", seller="vPROSS", seller_profile_url="https://x")])
        seller = store.get_seller("fiverr", "vpross")
        assert (seller["profile_url"], seller["display_name"]) == ("https://www.fiverr.com/vpross", "V. Pross")
        assert store.verify().ok, store.verify()
