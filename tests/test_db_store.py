"""Store writes: idempotent re-runs, change detection, detail precedence, sellers, verdicts, transactions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3

import pytest

from crawler.items import DETAIL_CARD, DETAIL_PAGE, Capture, Gone, Listing, Seller
from db import Store, records
from db.testing import capture, gone_record, listing_record, seller_record, verdict
from matchers.verdict import Reason, Verdict

CARD = {"detail": DETAIL_CARD, "source": "search"}


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        yield opened


def new_run(store: Store, ruleset: str | None = "r1") -> int:
    return store.start_run("crawl", "fiverr", {"query": "reviews"}, ruleset, "0.1.0")


def a_crawl() -> list[dict]:
    return [
        seller_record(display_name="V Pross", country="PK"),
        listing_record(verdict=verdict()),
        listing_record(title="Buy reviews", description="", **CARD, verdict=verdict()),
        listing_record(
            external_id="1002",
            url="https://www.fiverr.com/vpross/other",
            title="Logo design",
            capture=capture(body=b"<html>other</html>"),
            verdict=verdict(flagged=False, score=0.1),
        ),
    ]


def test_records_builders_and_crawler_items_have_one_shape():
    """db.records is the contract: the crawler's items, the matchers' verdict and the test builders fill it."""
    shapes = [
        (records.ListingRecord, Listing, listing_record()),
        (records.SellerRecord, Seller, seller_record()),
        (records.GoneRecord, Gone, gone_record()),
        (records.CaptureRecord, Capture, capture()),
    ]
    for record, item, built in shapes:
        keys = set(record.__annotations__)
        assert keys - {"type"} == {f.name for f in dataclasses.fields(item)}, record.__name__
        assert set(built) == keys, record.__name__
    assert set(records.ReasonRecord.__annotations__) == {f.name for f in dataclasses.fields(Reason)}
    assert set(records.VerdictRecord.__annotations__) == {f.name for f in dataclasses.fields(Verdict)}
    assert set(verdict()) == set(records.VerdictRecord.__annotations__)
    assert set(verdict()["reasons"][0]) == set(records.ReasonRecord.__annotations__)


def test_records_from_real_item_dataclasses(store):
    cap = Capture(
        url="https://www.fiverr.com/s/g",
        status=200,
        headers={"a": "b"},
        body=b"<html/>",
        fetched_at="2024-05-01T10:00:00Z",
    )
    item = Listing(
        marketplace="fiverr",
        external_id="77",
        url="https://www.fiverr.com/s/g",
        seller="s",
        title="t",
        capture=cap,
        verdict={"flagged": True, "score": 1, "reasons": [], "ruleset_version": "r"},
    )
    result = store.record_batch(new_run(store), [{"type": "listing", **dataclasses.asdict(item)}])
    assert (result.listings_new, result.snapshots_new, result.bodies_new, result.verdicts_new) == (1, 1, 1, 1)
    assert store.get_listing("fiverr", "77")["first_seen"] == "2024-05-01T10:00:00.000Z"


def test_rerun_adds_sightings_only(store):
    first = store.record_batch(new_run(store), a_crawl())
    before = store.counts()
    second = store.record_batch(new_run(store), a_crawl())
    after = store.counts()
    assert (
        first.listings_new,
        first.sellers_new,
        first.snapshots_new,
        first.bodies_new,
        first.verdicts_new,
    ) == (2, 1, 3, 2, 3)
    assert (second.listings_new, second.sellers_new, second.snapshots_new, second.bodies_new) == (0, 0, 0, 0)
    assert second.verdicts_new == 0 and second.listings_seen == 3 and second.flagged == 1
    assert after["sightings"] == 2 * before["sightings"] == 8
    for table in ("listings", "sellers", "snapshots", "bodies", "verdicts"):
        assert after[table] == before[table], table
    new_kinds = [kind for (kind,) in store.conn.execute("SELECT kind FROM evidence_log WHERE seq > ?",
                                                         (before["evidence_log"],))]
    assert new_kinds == ["run", "sightings"]  # the new run's record and the batch's sightings, nothing else


def test_changed_title_makes_new_snapshot(store):
    run = new_run(store)
    store.record_batch(run, [listing_record()])
    result = store.record_batch(run, [listing_record(title="I will write 10 star reviews")])
    assert result.snapshots_new == 1
    history = store.listing_history(store.get_listing("fiverr", "1001")["id"])
    assert [s["fields"]["title"] for s in history["snapshots"]] == [
        "I will write 5 star reviews",
        "I will write 10 star reviews",
    ]
    assert store.get_listing("fiverr", "1001")["title"] == "I will write 10 star reviews"


def test_capture_noise_stores_body_but_no_snapshot(store):
    run = new_run(store)
    store.record_batch(run, [listing_record(capture=capture(body=b"<html>csrf=aaa</html>"))])
    noisy = capture(
        body=b"<html>csrf=bbb</html>",
        headers={"Set-Cookie": "x=2"},
        url="https://www.fiverr.com/vpross/create-a-logo?context=impression-9",
        fetched_at="2024-05-02T10:00:00Z",
    )
    result = store.record_batch(run, [listing_record(capture=noisy, title="  I will write 5 star\nreviews ")])
    assert (result.snapshots_new, result.bodies_new) == (0, 1)
    listing = store.get_listing("fiverr", "1001")
    sightings = store.listing_history(listing["id"])["sightings"]
    assert len({s["body_sha256"] for s in sightings}) == 2
    assert {s["snapshot_id"] for s in sightings} == {listing["current_snapshot_id"]}
    assert listing["last_seen"] == "2024-05-02T10:00:00.000Z"


def test_card_after_gig_page_keeps_gig_text(store):
    run = new_run(store)
    store.record_batch(run, [listing_record()])
    result = store.record_batch(run, [listing_record(description="", title="I will write 5 star reviews for…", **CARD)])
    listing = store.get_listing("fiverr", "1001")
    assert result.snapshots_new == 1  # the card is its own view
    assert listing["description"] == "Honest looking reviews for your product."
    assert listing["title"] == "I will write 5 star reviews"
    assert listing["current_detail"] == DETAIL_PAGE
    gig_snapshot = store.listing_history(listing["id"])["snapshots"][0]
    assert listing["current_snapshot_id"] == gig_snapshot["id"] and gig_snapshot["source"] == "gig"


def test_gig_page_after_card_replaces_card_text(store):
    run = new_run(store)
    store.record_batch(run, [listing_record(description="", **CARD)])
    store.record_batch(run, [listing_record()])
    listing = store.get_listing("fiverr", "1001")
    assert listing["description"] == "Honest looking reviews for your product."
    assert listing["current_detail"] == DETAIL_PAGE


def test_usernames_are_case_insensitive(store):
    run = new_run(store)
    result = store.record_batch(
        run,
        [
            seller_record(username="VPross"),
            listing_record(seller="vpross"),
            listing_record(seller="VPROSS", external_id="2"),
        ],
    )
    assert result.sellers_new == 1 and store.counts()["sellers"] == 1
    seller = store.get_seller("fiverr", "vPrOsS")
    assert seller["username"] == "VPross"
    assert [row["external_id"] for row in store.seller_listings(seller["id"])] == ["1001", "2"]
    assert store.get_seller("freelancer", "vpross") is None


def test_seller_update_keeps_known_values_and_first_seen(store):
    run = new_run(store)
    first = capture(fetched_at="2024-05-01T00:00:00Z")
    later = capture(fetched_at="2024-06-01T00:00:00Z")
    store.record_batch(run, [seller_record(display_name="V", country="PK", capture=first)])
    store.record_batch(
        run,
        [
            seller_record(display_name=None, level="level_two", capture=later),
            listing_record(seller_profile_url="https://elsewhere.example/vp"),
        ],
    )
    seller = store.get_seller("fiverr", "vpross")
    assert (seller["display_name"], seller["country"], seller["level"]) == ("V", "PK", "level_two")
    assert seller["profile_url"] == "https://www.fiverr.com/vpross"  # a listing only fills missing values
    assert seller["first_seen"] == "2024-05-01T00:00:00.000Z"
    assert seller["last_seen"] == "2024-06-01T00:00:00.000Z"


def test_verdicts_dedupe_and_follow_detail(store):
    run = new_run(store)
    store.record_batch(run, [listing_record(verdict=verdict(score=0.8))])
    again = store.record_batch(run, [listing_record(verdict=verdict(score=0.8))])
    card = store.record_batch(run, [listing_record(**CARD, verdict=verdict(flagged=False, score=0.0))])
    assert again.verdicts_new == 0 and card.verdicts_new == 1
    listing = store.get_listing("fiverr", "1001")
    assert (listing["flagged"], listing["score"]) == (1, 0.8)  # the card's verdict does not override
    newer_rules = store.record_batch(
        run, [listing_record(verdict=verdict(flagged=False, score=0.2, ruleset_version="r2"))]
    )
    assert newer_rules.verdicts_new == 1
    listing = store.get_listing("fiverr", "1001")
    assert (listing["flagged"], listing["score"]) == (0, 0.2)
    assert store.counts()["verdicts"] == 3


def test_rescan_reports_flips_and_keeps_old_verdicts(store):
    run = new_run(store)
    store.record_batch(
        run,
        [
            listing_record(verdict=verdict()),
            listing_record(external_id="2", verdict=verdict(flagged=False, score=0.0)),
            listing_record(external_id="3", verdict=verdict(flagged=False, score=0.0)),
        ],
    )
    scan_run = store.start_run("scan", None, {}, "r2", "0.1.0")
    rows = {row["external_id"]: row for row in store.iter_listings_for_scan(page=2)}
    assert sorted(rows) == ["1001", "2", "3"] and rows["2"]["tags"] == ["reviews", "amazon"]
    assert {row["listing_side"] for row in rows.values()} == {"seller"}  # gigs: the rescan scans them as sellers'
    flips = {"1001": verdict(flagged=False, score=0.1), "2": verdict(score=0.7), "3": verdict(flagged=False)}
    changes = store.record_verdicts(scan_run, "r2", ((r["id"], r["snapshot_id"], flips[k]) for k, r in rows.items()))
    assert changes.newly_flagged == [rows["2"]["id"]]
    assert changes.no_longer_flagged == [rows["1001"]["id"]]
    assert (changes.checked, changes.verdicts_new) == (3, 3)
    assert store.counts()["verdicts"] == 6
    repeat = store.record_verdicts(scan_run, "r2", [(rows["2"]["id"], rows["2"]["snapshot_id"], verdict())])
    assert (repeat.verdicts_new, repeat.newly_flagged) == (0, [])


def test_runs_record_stats_with_datetimes(store):
    run = new_run(store)
    store.finish_run(run, "finished", {"start_time": dt.datetime(2024, 5, 1, tzinfo=dt.UTC), "item_scraped_count": 3})
    row = store.get_run(run)
    assert row["status"] == "finished" and row["finished_at"]
    assert json.loads(row["stats"]) == {"item_scraped_count": 3, "start_time": "2024-05-01 00:00:00+00:00"}
    assert json.loads(row["args"]) == {"query": "reviews"} and row["ruleset_version"] == "r1"


def test_wal_and_connection_settings(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_batch_is_one_transaction(store):
    run = new_run(store)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    store.record_batch(run, [listing_record(external_id=str(i)) for i in range(20)])
    store.conn.set_trace_callback(None)
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]


def test_failing_record_leaves_nothing_of_its_batch(store):
    run = new_run(store)
    before = store.counts()
    broken = listing_record(external_id="2")
    del broken["title"]
    with pytest.raises(ValueError, match=r"record #2 .*title"):
        store.record_batch(run, [seller_record(), listing_record(verdict=verdict()), broken])
    assert store.counts() == before
    with pytest.raises(ValueError, match="type must be"):
        store.record_batch(run, [listing_record(), {"type": "review"}])
    assert store.counts() == before
    assert store.record_batch(run, [listing_record()]).listings_new == 1  # the store is usable afterwards


def test_injection_like_usernames_are_plain_data(store):
    run = new_run(store)
    hostile = "x' OR 1=1 --"
    store.record_batch(run, [seller_record(username="alice"), listing_record(seller=hostile)])
    assert store.get_seller("fiverr", hostile)["username"] == hostile
    assert store.get_seller("fiverr", "x") is None
    assert store.get_seller("fiverr", "alice' --") is None
    assert store.counts()["sellers"] == 2


def test_bodies_are_compressed_and_stored_once(store):
    run = new_run(store)
    page = b"<html>" + b"<div class='gig'>five star reviews</div>" * 500 + b"</html>"
    result = store.record_batch(
        run,
        [
            listing_record(capture=capture(body=page)),
            listing_record(external_id="2", capture=capture(body=page)),
        ],
    )
    assert result.bodies_new == 1
    size, stored = store.conn.execute("SELECT size, stored_size FROM bodies").fetchone()
    assert size == len(page) and stored < size / 10
    listing = store.get_listing("fiverr", "2")
    body_sha = store.listing_history(listing["id"])["snapshots"][0]["body_sha256"]
    assert store.get_body(body_sha) == page


def test_evidence_tables_refuse_update_and_delete(store):
    store.record_batch(new_run(store), [listing_record(verdict=verdict())])
    for sql in (
        "UPDATE snapshots SET url = 'x'",
        "DELETE FROM bodies",
        "DELETE FROM sightings",
        "UPDATE evidence_log SET kind = 'x'",
        "UPDATE verdicts SET flagged = 0",
        "UPDATE verdicts SET review_state = 'dismissed'",  # decisions live in reviews alone
        "UPDATE sellers SET username = 'someone_else'",
        "UPDATE listings SET external_id = '666'",
        "DELETE FROM listings",
        "DELETE FROM sellers",
        "DELETE FROM runs",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql)


def test_full_text_index_follows_current_text(store):
    run = new_run(store)
    store.record_batch(run, [listing_record()])

    def matches(word: str) -> list[int]:
        return [r[0] for r in store.conn.execute("SELECT rowid FROM listings_fts WHERE listings_fts MATCH ?", (word,))]

    assert matches("honest") == [1]
    store.record_batch(run, [listing_record(description="Verified buyers only")])
    assert matches("honest") == [] and matches("verified") == [1]
    seller_hits = store.conn.execute("SELECT rowid FROM sellers_fts WHERE sellers_fts MATCH 'vpross'").fetchall()
    assert seller_hits == [(1,)]


def test_two_stores_on_one_file_keep_one_chain(tmp_path):
    path = tmp_path / "shared.db"
    with Store(path) as crawler_side, Store(path) as scan_side:
        run_a = new_run(crawler_side)
        run_b = new_run(scan_side)
        crawler_side.record_batch(run_a, [listing_record(external_id="1", verdict=verdict())])
        scan_side.record_batch(run_b, [listing_record(external_id="2", verdict=verdict())])
        crawler_side.record_batch(run_a, [listing_record(external_id="3", verdict=verdict())])
        links = crawler_side.conn.execute("SELECT prev_hash, entry_hash FROM evidence_log ORDER BY seq").fetchall()
        assert all(prev == links[i - 1][1] for i, (prev, _) in enumerate(links) if i)
        assert scan_side.verify().ok and crawler_side.counts()["listings"] == 3


def test_the_end_of_a_run_on_a_full_disk_is_written_in_the_fewest_pages(store, monkeypatch):
    """No room for the whole stats even after the log is checkpointed (the database file cannot grow either):
    the run still ends, with gigscan's own figures, marked as cut, rather than staying "running"."""
    run_id = store.start_run("crawl", "fiverr", {}, "r1", "0.1")
    stats = {"finish_reason": "store_failed", "gigscan/store/error": "disk I/O error", "item_scraped_count": 3,
             **{f"downloader/response_status_count/{n}": n for n in range(300)}}  # fmt: skip
    write = Store._finish_run

    def full_disk(self, run_id, status, stats):
        if len(json.dumps(stats)) > 400:
            raise sqlite3.OperationalError("disk I/O error")
        write(self, run_id, status, stats)

    monkeypatch.setattr(Store, "_finish_run", full_disk)
    store.finish_run(run_id, "failed", stats)
    row = store.get_run(run_id)
    kept = json.loads(row["stats"])
    assert row["status"] == "failed" and row["finished_at"]
    assert kept == {"finish_reason": "store_failed", "gigscan/store/error": "disk I/O error",
                    "item_scraped_count": 3, "gigscan/stats_cut": True}  # fmt: skip
    assert store.verify().ok
