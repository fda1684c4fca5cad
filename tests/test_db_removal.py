"""Takedown tracking in the store: gone answers, reappearance, missed re-checks, re-check targets, stats."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from db import Store
from db.recheck import recheck_targets, write_targets
from db.stats import human_duration, takedown_stats
from db.testing import capture, gone_record, listing_record, seller_record, verdict


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        yield opened


def new_run(store: Store) -> int:
    return store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")


def at(hour: int) -> str:
    return f"2024-05-01T{hour:02d}:00:00+00:00"


def live(hour: int, **overrides) -> dict:
    return listing_record(capture=capture(fetched_at=at(hour), body=f"<html>live {hour}</html>".encode()), **overrides)


def gone(hour: int, **overrides) -> dict:
    overrides.setdefault("capture", capture(status=404, fetched_at=at(hour), body=b"<html>gone</html>"))
    return gone_record(**overrides)


def events(store: Store) -> list[tuple]:
    return store.conn.execute("SELECT kind, at, reason, http_status FROM events ORDER BY id").fetchall()


def test_gone_answer_marks_removed_once_at_first_sight(store):
    store.record_batch(new_run(store), [live(10, verdict=verdict())])
    first = store.record_batch(new_run(store), [gone(11)])
    second = store.record_batch(new_run(store), [gone(12)])
    listing = store.get_listing("fiverr", "1001")
    assert (listing["status"], listing["removed_at"]) == ("removed", "2024-05-01T11:00:00.000Z")
    assert listing["last_seen"] == "2024-05-01T10:00:00.000Z"  # last seen live, not last answered
    assert (first.removed, first.gone_seen, second.removed, second.gone_seen) == (1, 1, 0, 1)
    assert events(store) == [("removed", "2024-05-01T11:00:00.000Z", "http 404", 404)]
    gone_sightings = store.conn.execute(
        "SELECT http_status, snapshot_id, capture_id IS NOT NULL FROM sightings WHERE source = 'gone'"
    ).fetchall()
    assert gone_sightings == [(404, None, 1), (404, None, 1)]
    assert store.verify().ok


def test_removed_listing_seen_again_reappears_with_both_events_kept(store):
    store.record_batch(new_run(store), [live(10)])
    store.record_batch(new_run(store), [gone(11)])
    result = store.record_batch(new_run(store), [live(12)])
    listing = store.get_listing("fiverr", "1001")
    assert (listing["status"], listing["removed_at"], result.reappeared) == ("reappeared", None, 1)
    assert [e[:2] for e in events(store)] == [
        ("removed", "2024-05-01T11:00:00.000Z"),
        ("reappeared", "2024-05-01T12:00:00.000Z"),
    ]
    store.record_batch(new_run(store), [gone(13, reason="redirected to https://www.fiverr.com/")])
    assert store.get_listing("fiverr", "1001")["removed_at"] == "2024-05-01T13:00:00.000Z"
    assert [e[0] for e in events(store)] == ["removed", "reappeared", "removed"]
    assert events(store)[-1][2] == "redirected to https://www.fiverr.com/"
    assert store.verify().ok


def test_a_live_sighting_older_than_the_removal_does_not_bring_it_back(store):
    store.record_batch(new_run(store), [live(10)])
    store.record_batch(new_run(store), [gone(12)])
    store.record_batch(new_run(store), [live(11)])  # fetched before the gone answer, written after it
    assert store.get_listing("fiverr", "1001")["status"] == "removed"
    assert [e[0] for e in events(store)] == ["removed"]


def test_gone_for_unknown_listing_is_counted_not_stored(store):
    result = store.record_batch(new_run(store), [gone(11, external_id="999")])
    assert (result.gone_unknown, result.sightings, store.counts()["bodies"]) == (1, 0, 0)


def test_gone_by_url_and_gone_seller(store):
    store.record_batch(new_run(store), [live(10), seller_record(capture=capture(fetched_at=at(10)))])
    url = "https://www.fiverr.com/vpross/create-a-logo"
    store.record_batch(
        new_run(store),
        [gone(11, external_id=None, url=url), gone(11, kind="seller", username="VPROSS", url="https://www.fiverr.com/vpross")],
    )
    seller = store.get_seller("fiverr", "vpross")
    assert (seller["status"], seller["removed_at"]) == ("removed", "2024-05-01T11:00:00.000Z")
    assert store.get_listing("fiverr", "1001")["status"] == "removed"
    rows = store.conn.execute("SELECT listing_id IS NULL, seller_id IS NULL, kind FROM events ORDER BY id").fetchall()
    assert rows == [(0, 1, "removed"), (1, 0, "removed")]
    store.record_batch(new_run(store), [seller_record(capture=capture(fetched_at=at(12)))])
    assert store.get_seller("fiverr", "vpross")["status"] == "reappeared"


def test_malformed_gone_record_fails_the_whole_batch(store):
    run = new_run(store)
    with pytest.raises(ValueError, match="kind must be"):
        store.record_batch(run, [live(10), gone(11, kind="gig")])
    assert store.counts()["listings"] == 0


def test_missing_from_n_consecutive_rechecks_removes_as_of_first_miss(store):
    store.record_batch(new_run(store), [live(10), live(10, external_id="1002", url="https://www.fiverr.com/v/2")])
    ids = [store.get_listing("fiverr", x)["id"] for x in ("1001", "1002")]
    first_misses = []
    for attempt in range(3):
        run = new_run(store)
        store.record_batch(run, [live(11 + attempt, external_id="1002", url="https://www.fiverr.com/v/2")])
        result = store.close_recheck(run, ids, missing_after=3)
        first_misses.append(result.removed)
        if attempt == 0:
            since = store.get_listing("fiverr", "1001")["missing_since"]
    assert first_misses == [0, 0, 1]
    gone_listing, seen_listing = (store.get_listing("fiverr", x) for x in ("1001", "1002"))
    assert (gone_listing["status"], gone_listing["removed_at"]) == ("removed", since)
    assert (seen_listing["status"], seen_listing["missed_rechecks"]) == ("active", 0)
    assert events(store)[0][2] == "missing from 3 consecutive re-checks"
    assert store.verify().ok


def test_a_sighting_resets_the_miss_count(store):
    store.record_batch(new_run(store), [live(10)])
    listing_id = store.get_listing("fiverr", "1001")["id"]
    for hour in (11, 12):
        run = new_run(store)
        store.close_recheck(run, [listing_id], missing_after=3)
        store.record_batch(new_run(store), [live(hour)])
    listing = store.get_listing("fiverr", "1001")
    assert (listing["status"], listing["missed_rechecks"], listing["missing_since"]) == ("active", 0, None)


def test_recheck_targets_are_flagged_listings_and_their_sellers_or_everything(store, tmp_path):
    store.record_batch(
        new_run(store),
        [
            live(10, verdict=verdict()),
            live(10, external_id="2", url="https://www.fiverr.com/ann/logo", seller="ann",
                 seller_profile_url="https://www.fiverr.com/ann", verdict=verdict(flagged=False, score=0.0)),
        ],
    )  # fmt: skip
    flagged = recheck_targets(store, "fiverr")
    assert [(t.kind, t.url, t.external_id, t.username) for t in flagged] == [
        ("listing", "https://www.fiverr.com/vpross/create-a-logo", "1001", None),
        ("seller", "https://www.fiverr.com/vpross", None, "vpross"),
    ]
    everything = recheck_targets(store, "fiverr", everything=True)
    assert {t.url for t in everything} >= {"https://www.fiverr.com/ann/logo", "https://www.fiverr.com/ann"}
    assert recheck_targets(store, "freelancer") == []
    path = tmp_path / "targets.jsonl"
    assert write_targets(flagged, path) == 2
    assert json.loads(path.read_text().splitlines()[0])["external_id"] == "1001"


def test_stats_count_flagged_live_removed_and_median_time_to_removal(store):
    records = [
        live(10, external_id=str(n), url=f"https://www.fiverr.com/vpross/g{n}", verdict=verdict(flagged=n < 3))
        for n in range(4)
    ]
    store.record_batch(new_run(store), records)
    flagged_at = dt.datetime.fromisoformat(store.conn.execute("SELECT min(created_at) FROM verdicts").fetchone()[0])
    for gig, delay in {"0": 1, "1": 3}.items():
        moment = (flagged_at + dt.timedelta(hours=delay)).isoformat()
        store.record_batch(new_run(store), [gone(0, external_id=gig, capture=capture(status=410, fetched_at=moment))])
    store.record_batch(new_run(store), [gone(0, external_id="3", capture=capture(status=404))])
    [fiverr] = takedown_stats(store)
    assert (fiverr.marketplace, fiverr.listings, fiverr.flagged) == ("fiverr", 4, 3)
    assert (fiverr.still_live, fiverr.removed, fiverr.removed_after_flag) == (1, 2, 2)
    assert fiverr.median_seconds_to_removal == pytest.approx(2 * 3600, abs=1)
    assert human_duration(fiverr.median_seconds_to_removal) == "2h 0m"
    assert human_duration(None) == "-"
    assert human_duration(3 * 86400 + 7200) == "3d 2h"
