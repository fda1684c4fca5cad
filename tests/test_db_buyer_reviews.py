"""Buyers' reviews in the store: tied to their capture, chained, append-only; re-crawls add only what is new."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from crawler.items import Capture
from crawler.pipelines import as_record
from db import Store
from db.buyer_records import BuyerReview, ReviewSet
from db.testing import capture, listing_record, verdict

GIG_URL = "https://www.fiverr.com/vpross/create-a-logo"


def reviews(*buyers: str, start: int = 0) -> list[BuyerReview]:
    return [
        BuyerReview(review_id=f"r{start + i}", buyer=name, created_at=f"2025-01-0{i + 1}T10:00:00", stars=5,
                    country_code="US", price_range="Up to $50", price_high=50.0, repeat_buyer=i == 0,
                    is_business=False, comment=f"great reviews for my Amazon listing {i}", gig_id="1001")
        for i, name in enumerate(buyers)
    ]


def review_record(items: list[BuyerReview], body: bytes = b"<html>gig page</html>", **overrides) -> dict:
    found = ReviewSet(marketplace="fiverr", seller="vpross", scope="gig", url=GIG_URL, listing_external_id="1001",
                      total_count=40, has_next=True, average=4.9, reviews=items,
                      capture=Capture(GIG_URL, 200, {}, body, "2025-02-01T00:00:00Z"))
    for name, value in overrides.items():
        setattr(found, name, value)
    return as_record(found)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        yield opened


def crawl(store: Store, *records: dict):
    run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
    return store.record_batch(run, list(records))


def test_reviews_are_stored_with_their_capture_listing_and_totals(store: Store) -> None:
    listing = listing_record(verdict=verdict(), capture=capture(body=b"<html>gig page</html>"))
    result = crawl(store, listing, review_record(reviews("ann", "bob", "cat")))
    assert (result.review_pages_new, result.buyer_reviews_new) == (1, 3)
    rows = store.db.execute(
        "SELECT r.buyer, r.repeat_buyer, r.price_high, r.created_at, l.external_id, c.url, c.body_sha256"
        " FROM buyer_reviews r JOIN listings l ON l.id = r.listing_id JOIN captures c ON c.id = r.capture_id"
        " ORDER BY r.id"
    ).fetchall()
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("ann", 1, 50.0, "2025-01-01T10:00:00.000Z", "1001", GIG_URL),
        ("bob", 0, 50.0, "2025-01-02T10:00:00.000Z", "1001", GIG_URL),
        ("cat", 0, 50.0, "2025-01-03T10:00:00.000Z", "1001", GIG_URL),
    ]
    page = store.db.execute("SELECT total_count, has_next, shown, scope FROM review_pages").fetchone()
    assert page == (40, 1, 3, "gig")
    assert store.verify().ok
    kinds = dict(store.db.execute("SELECT kind, COUNT(*) FROM evidence_log GROUP BY kind").fetchall())
    assert (kinds["buyer_review"], kinds["review_page"]) == (3, 1)


def test_a_recrawl_adds_only_new_reviews_and_new_versions(store: Store) -> None:
    crawl(store, listing_record(), review_record(reviews("ann", "bob")))
    later = reviews("ann", "bob", "dan")
    later[1] = replace(later[1], reply="thanks Bob")  # the seller replied since: a new version, old one kept
    result = crawl(store, review_record(later, body=b"<html>gig page, later</html>"))
    assert result.buyer_reviews_new == 2  # dan, and bob's review with the reply
    versions = store.db.execute("SELECT review_id, reply FROM buyer_reviews ORDER BY id").fetchall()
    assert versions == [("r0", None), ("r1", None), ("r1", "thanks Bob"), ("r2", None)]
    assert store.db.execute("SELECT COUNT(*) FROM review_pages").fetchone()[0] == 2
    again = crawl(store, review_record(later, body=b"<html>gig page, later</html>"))
    assert again.buyer_reviews_new == 0 and again.review_pages_new == 0  # the same capture again
    assert store.verify().ok


def test_the_same_review_on_gig_page_and_profile_is_stored_once(store: Store) -> None:
    crawl(store, listing_record(), review_record(reviews("ann")))
    profile = review_record([replace(reviews("ann")[0], gig_slug="create-a-logo", buyer_review_count=9)],
                            body=b"<html>profile</html>", scope="seller", listing_external_id=None,
                            url="https://www.fiverr.com/vpross")  # fmt: skip
    assert crawl(store, profile).buyer_reviews_new == 0


def test_review_rows_are_append_only_and_tampering_fails_verify(store: Store) -> None:
    crawl(store, listing_record(), review_record(reviews("ann")))
    for sql in ("UPDATE buyer_reviews SET comment = 'x'", "DELETE FROM buyer_reviews",
                "UPDATE review_pages SET total_count = 1", "DELETE FROM review_pages"):  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    store.db.execute("DROP TRIGGER buyer_reviews_no_update")
    store.db.execute("UPDATE buyer_reviews SET comment = 'edited'")
    result = store.verify()
    assert not result.ok and result.kind == "buyer_review"


def test_a_bad_review_set_fails_the_batch_and_stores_nothing(store: Store) -> None:
    bad = review_record(reviews("ann"), scope="elsewhere")
    with pytest.raises(ValueError, match="scope"):
        crawl(store, listing_record(external_id="9"), bad)
    assert store.db.execute("SELECT COUNT(*) FROM listings").fetchone()[0] == 0


def test_a_review_set_record_is_plain_data_that_crosses_a_msgpack_stream(store: Store) -> None:
    from db.stream import decode_entry, records_entry

    record = review_record(reviews("ann", "bob"))
    assert all(isinstance(r, dict) for r in record["reviews"])
    entry = decode_entry("1-0", {k.encode(): v for k, v in records_entry("run", [listing_record(), record]).items()})
    assert crawl(store, *entry.records).buyer_reviews_new == 2
