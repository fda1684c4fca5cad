"""End to end: the real CLI crawls pages served on 127.0.0.1 and the store holds what was on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

from conftest import read_page, read_page_bytes
from helpers import run_gigscan, serve_pages
from testbed.server import TestbedServer

pytestmark = pytest.mark.slow

REVIEW_QUERIES = ["amazon reviews", "google reviews", "trustpilot reviews", "5 star reviews", "app reviews"]


def crawl_args(base_url: str, db: Path, *queries: str, extra: tuple[str, ...] = ()) -> list[str]:
    args = ["crawl", "fiverr", "--base-url", base_url, "--db", str(db), "--delay", "0", "--no-progress"]
    for query in queries:
        args += ["--query", query]
    return [*args, *extra]


def test_real_search_page_served_locally_stores_every_unique_gig(tmp_path: Path) -> None:
    html = read_page_bytes("fiverr/search_custom-website-development_ssr.html")
    props = json.loads(read_page("fiverr/search_custom-website-development_perseus-initial-props.json"))
    expected = {}
    for gig in props["listings"][0]["gigs"]:
        expected.setdefault(str(gig["gig_id"]), gig)
    db = tmp_path / "real.db"
    with serve_pages({"/search/gigs?query=custom+website+development": html}) as base:
        run_gigscan(*crawl_args(base, db, "custom website development", extra=("--max-pages", "1")))
    store = sqlite_utils.Database(db)
    rows = {r["external_id"]: r for r in store.query("select * from listings where marketplace = 'fiverr'")}
    assert set(rows) == set(expected)
    assert len(rows) < len(props["listings"][0]["gigs"])  # the page repeats promoted gigs
    sellers = {r["id"]: r["username"] for r in store.query("select id, username from sellers")}
    for gig_id, gig in expected.items():
        row = rows[gig_id]
        assert row["title"] == gig["title"]
        assert row["price"] == pytest.approx(float(gig["price_i"]))
        assert sellers[row["seller_id"]] == gig["seller_name"]
        assert row["url"] == f"{base}{gig['gig_url']}"
    # The search page itself is kept byte-exact as the evidence of every card on it.
    assert store.execute("select count(*) from bodies").fetchone()[0] >= 1


@pytest.fixture(scope="module")
def testbed() -> TestbedServer:
    with TestbedServer(seed=11, listings=500) as server:
        yield server


def flagged_sellers(db: Path) -> set[str]:
    rows = sqlite_utils.Database(db).query(
        "select distinct s.username from listings l join sellers s on s.id = l.seller_id where l.flagged = 1"
    )
    return {r["username"] for r in rows}


def crawled_sellers(db: Path) -> set[str]:
    return {r["username"] for r in sqlite_utils.Database(db).query("select username from sellers")}


def table_counts(db: Path) -> dict[str, int]:
    store = sqlite_utils.Database(db)
    return {t: store[t].count for t in ("listings", "sellers", "snapshots", "sightings", "bodies", "verdicts")}


def test_testbed_crawl_flags_review_sellers_not_lookalikes_and_rerun_adds_only_sightings(
    testbed: TestbedServer, tmp_path: Path
) -> None:
    db = tmp_path / "testbed.db"
    run_gigscan(*crawl_args(testbed.url, db, *REVIEW_QUERIES, extra=("--max-pages", "2")))
    catalogue = testbed.catalogue
    seen = crawled_sellers(db)
    flagged = flagged_sellers(db)
    review_seen = catalogue.review_sellers() & seen
    assert review_seen, "the review queries found no review seller"
    assert flagged >= review_seen
    assert not flagged & catalogue.lookalike_sellers()
    assert not flagged - catalogue.review_sellers()
    # Sellers of flagged gigs were followed to their profiles, so their other gigs were crawled too.
    runs = list(sqlite_utils.Database(db).query("select * from runs"))
    assert runs[-1]["status"] == "finished"
    stats = json.loads(runs[-1]["stats"])
    assert stats["gigscan/sellers_followed"] >= len(review_seen)

    before = table_counts(db)
    run_gigscan(*crawl_args(testbed.url, db, *REVIEW_QUERIES, extra=("--max-pages", "2")))
    after = table_counts(db)
    for table in ("listings", "sellers", "snapshots", "verdicts"):
        assert after[table] == before[table], table
    assert after["sightings"] >= 2 * before["sightings"] * 0.95


def test_block_pages_are_retried_and_counted_not_stored_as_empty(tmp_path: Path) -> None:
    db = tmp_path / "blocked.db"
    with TestbedServer(seed=5, listings=200, block_rate=1.0) as server:
        proc = run_gigscan(*crawl_args(server.url, db, "amazon reviews"), check=False)
    assert proc.returncode == 1
    run = list(sqlite_utils.Database(db).query("select * from runs"))[-1]
    stats = json.loads(run["stats"])
    assert run["status"] == "blocked"
    assert stats["gigscan/blocked"] >= 2
    assert stats["gigscan/blocked_gave_up"] >= 1
    assert sqlite_utils.Database(db)["listings"].count == 0
