"""Listing and seller timelines: first seen, field changes old -> new, verdicts, reviews, removal, reappearance."""

from __future__ import annotations

import time

import pytest

from db import Store
from db.evidence import utc_now
from db.history import history, listings_by_url
from db.testing import capture, gone_record, listing_record, seller_record, verdict

URL = "https://www.fiverr.com/vpross/create-a-logo"


def crawl(store: Store, *records: dict) -> None:
    store.record_batch(store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"), list(records))
    time.sleep(0.003)  # the next capture is later than this batch's verdicts, as in a real crawl


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        crawl(opened, seller_record(capture=capture(fetched_at=utc_now())))
        crawl(opened, listing_record(capture=capture(fetched_at=utc_now()), verdict=verdict(flagged=False, score=0.1)))
        crawl(opened, listing_record(title="I will write 5 star reviews fast", price=10.0,
                                     capture=capture(fetched_at=utc_now(), body=b"<html>v2</html>"),
                                     verdict=verdict(ruleset_version="r2")))
        crawl(opened, listing_record(title="I will write 5 star reviews fast", price=10.0,
                                     capture=capture(fetched_at=utc_now(), url=f"{URL}?ref=ad", body=b"<v2b/>")))
        crawl(opened, gone_record(capture=capture(status=404, fetched_at=utc_now())))
        crawl(opened, listing_record(title="I will write 5 star reviews fast", price=10.0,
                                     capture=capture(fetched_at=utc_now(), body=b"<html>v3</html>")))
        yield opened  # fmt: skip


def capture_times(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT fetched_at FROM captures ORDER BY id")]


def kinds(timeline) -> list[str]:
    return [event["kind"] for event in timeline.events]


def test_listing_timeline_in_order_with_changes_old_to_new(store):
    found = history(store, URL + "?utm_source=x#top")
    assert found is not None and found.seller is None
    [listing] = found.listings
    assert kinds(listing) == ["first_seen", "verdict", "changed", "verdict", "removed", "reappeared", "last_seen"]
    first, verdict1, changed, verdict2, removed, back, last = listing.events
    seller_seen, first_seen, _edit, _same, gone_at, back_at = capture_times(store)
    assert first["at"] == first_seen
    assert changed["changes"] == {"title": ["I will write 5 star reviews", "I will write 5 star reviews fast"],
                                  "price": [5.0, 10.0]}  # fmt: skip
    assert (verdict1["ruleset_version"], verdict1["flagged"]) == ("r1", False)
    assert (verdict2["ruleset_version"], verdict2["flagged"], verdict2["reasons"][0]["rule_id"]) == (
        "r2", True, "buy-reviews",
    )  # fmt: skip
    assert (removed["at"], removed["http_status"], removed["reason"]) == (gone_at, 404, "http 404")
    assert back["at"] == last["at"] == back_at


def test_seller_history_holds_their_listings_and_reviews(store):
    vid = store.get_listing("fiverr", "1001")["verdict_id"]
    store.review_verdict(vid, "confirmed", "plain case", "ana")
    found = history(store, "VPROSS")
    assert found.seller.subject["username"] == "vpross"
    assert kinds(found.seller) == ["first_seen", "last_seen"]
    assert found.seller.events[0]["at"] == capture_times(store)[0]
    [listing] = found.listings
    review = next(e for e in listing.events if e["kind"] == "review")
    assert (review["state"], review["reviewed_by"], review["note"], review["verdict_id"]) == (
        "confirmed", "ana", "plain case", vid,
    )  # fmt: skip
    as_dict = found.to_dict()
    assert as_dict["listings"][0]["subject"]["external_id"] == "1001"


def test_removed_listing_has_no_last_seen_entry(store):
    crawl(store, gone_record(capture=capture(status=410, fetched_at=utc_now())))
    [listing] = history(store, URL).listings
    assert kinds(listing)[-1] == "removed"
    assert listing.subject["status"] == "removed"


def test_unknown_targets_and_url_lookalikes(store):
    assert history(store, "nobody") is None
    assert history(store, "https://www.fiverr.com/vpross/create-a-logo-2") is None
    assert listings_by_url(store, "HTTPS://WWW.FIVERR.COM/vpross/create-a-logo/")[0]["external_id"] == "1001"
    assert listings_by_url(store, "https://www.fiverr.com/vpross/create_a_logo") == []  # "_" is not a wildcard
