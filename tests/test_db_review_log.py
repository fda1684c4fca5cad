"""Analyst decisions: Store.review_verdict keeps each decision as logged history; tampering with one is caught."""

from __future__ import annotations

import sqlite3

import pytest

from db import Store
from db.review import decisions
from db.testing import listing_record, verdict


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        opened.record_batch(run, [listing_record(verdict=verdict())])
        yield opened


def verdict_id(store: Store) -> int:
    return store.get_listing("fiverr", "1001")["verdict_id"]


def test_review_sets_current_state_and_keeps_every_decision(store):
    vid = verdict_id(store)
    first = store.review_verdict(vid, "confirmed", "sells Amazon reviews", "ana")
    store.review_verdict(vid, "dismissed", "seller proved it is a resume service", "bo")
    decided = decisions(store)[store.get_listing("fiverr", "1001")["id"]]
    assert (decided["review_state"], decided["reviewed_by"]) == ("dismissed", "bo")
    assert decided["review_note"] == "seller proved it is a resume service"
    assert decided["reviewed_at"] >= first["reviewed_at"]
    history = store.conn.execute("SELECT state, reviewed_by FROM reviews WHERE verdict_id = ? ORDER BY id", (vid,))
    assert history.fetchall() == [("confirmed", "ana"), ("dismissed", "bo")]
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM evidence_log ORDER BY seq")]
    assert kinds[-2:] == ["review", "review"]
    assert store.verify().ok


def test_review_refuses_unknown_state_verdict_or_reviewer(store):
    vid = verdict_id(store)
    with pytest.raises(ValueError, match="new, confirmed, dismissed"):
        store.review_verdict(vid, "maybe", None, "ana")
    with pytest.raises(ValueError, match="who"):
        store.review_verdict(vid, "confirmed", None, "  ")
    with pytest.raises(KeyError, match="no verdict"):
        store.review_verdict(vid + 100, "confirmed", None, "ana")
    assert store.counts()["reviews"] == 0


def test_review_cannot_rewrite_the_verdict_itself(store):
    store.review_verdict(verdict_id(store), "new", None, "ana")
    conn = sqlite3.connect(store.path, isolation_level=None)
    for sql in ("UPDATE verdicts SET flagged = 0", "UPDATE reviews SET state = 'dismissed'", "DELETE FROM reviews"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()


def test_tampered_review_is_named_by_verify(store):
    store.review_verdict(verdict_id(store), "confirmed", "clear case", "ana")
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("DROP TRIGGER reviews_no_update")
        conn.execute("UPDATE reviews SET state = 'dismissed'")
    conn.close()
    result = store.verify()
    assert not result.ok
    assert (result.kind, result.ref) == ("review", "1")
    assert "differs from what was logged" in result.problem


def test_review_added_behind_the_stores_back_is_unlogged(store):
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute(
            "INSERT INTO reviews (verdict_id, state, reviewed_by, reviewed_at) VALUES (?, 'dismissed', 'x', 'now')",
            (verdict_id(store),),
        )
    conn.close()
    result = store.verify()
    assert (result.ok, result.kind, result.broken_seq) == (False, "review", None)
    assert "no evidence_log entry" in result.problem
