"""End to end beyond Fiverr: the real CLI crawls each flavour of the testbed and the store holds the truth.

Every flavour has planted review sellers (or, on the job board, review buyers) and planted look-alikes whose
listings use review words honestly; the assertions are on the testbed's ground truth, not on crawl counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

from helpers import run_gigscan
from testbed.server import TestbedServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
QUERIES = ["amazon reviews", "google reviews", "trustpilot reviews", "yelp reviews", "app reviews"]


@pytest.fixture(scope="module")
def testbed() -> TestbedServer:
    with TestbedServer(seed=11, listings=500) as server:
        yield server


def crawl(spider: str, base_url: str, db: Path, *extra: str, queries: list[str] = QUERIES) -> None:
    args = ["crawl", spider, "--base-url", base_url, "--db", str(db), "--delay", "0", "--no-progress"]
    for query in queries:
        args += ["--query", query]
    run_gigscan(*args, *extra, timeout=60)


def sellers(db: Path, marketplace: str, flagged_only: bool) -> set[str]:
    where = "and l.flagged = 1" if flagged_only else ""
    rows = sqlite_utils.Database(db).query(
        f"select distinct s.username from listings l join sellers s on s.id = l.seller_id "
        f"where l.marketplace = ? {where}",
        [marketplace],
    )
    return {r["username"] for r in rows}


def last_run(db: Path) -> dict:
    run = list(sqlite_utils.Database(db).query("select * from runs order by id desc limit 1"))[0]
    return {**run, "stats": json.loads(run["stats"])}


@pytest.mark.parametrize("name", ["seoclerks", "legiit", "peopleperhour"])
def test_profile_crawl_flags_review_sellers_not_lookalikes(testbed: TestbedServer, tmp_path: Path, name: str) -> None:
    db = tmp_path / f"{name}.db"
    profile = ROOT / "crawler" / "profiles" / f"{name}.toml"
    crawl("generic", f"{testbed.url}/{name}", db, "--profile", str(profile), "--max-pages", "2")
    market = testbed.flavours.markets[name]
    seen, flagged = sellers(db, name, False), sellers(db, name, True)
    review_seen = market.review_sellers() & seen
    assert len(review_seen) >= 3, "the review queries found too few of the planted review sellers"
    assert review_seen <= flagged
    assert not flagged & market.lookalike_sellers(), "a look-alike was flagged"
    assert flagged <= market.review_sellers()
    run = last_run(db)
    assert run["status"] == "finished" and run["spider"] == "generic"
    assert json.loads(run["args"])["profile"] == str(profile)
    assert run["stats"]["gigscan/sellers_followed"] >= len(review_seen)


def test_freelancer_crawl_finds_review_buyers(testbed: TestbedServer, tmp_path: Path) -> None:
    db = tmp_path / "freelancer.db"
    crawl("freelancer", f"{testbed.url}/freelancer", db, "--max-pages", "2")
    board = testbed.flavours.job_board
    store = sqlite_utils.Database(db)
    jobs = {int(r["external_id"]): r for r in store.query("select * from listings where marketplace = 'freelancer'")}
    flagged_jobs = {i for i, r in jobs.items() if r["flagged"]}
    assert board.review_projects() <= set(jobs), "a planted review-buying job was not crawled"
    assert flagged_jobs == board.review_projects()
    assert not flagged_jobs & board.lookalike_projects()
    assert sellers(db, "freelancer", True) == board.review_buyers()
    # a job is stored with its budget and the bids its search card showed
    project = board.projects[min(board.review_projects())]
    row = jobs[project.project_id]
    assert row["price"] == project.budget_min and row["currency"] == project.currency
    stats = last_run(db)["stats"]
    assert stats["gigscan/pages_parsed/project"] == len(jobs)


def test_freelancer_api_crawl_follows_flagged_clients(testbed: TestbedServer, tmp_path: Path) -> None:
    db = tmp_path / "freelancer_api.db"
    crawl("freelancer", f"{testbed.url}/freelancer", db, "--max-pages", "1", "--set", "GIGSCAN_FREELANCER_API=1",
          queries=["amazon reviews"])
    board = testbed.flavours.job_board
    flagged = sellers(db, "freelancer", True)
    assert flagged and flagged <= board.review_buyers()
    assert not flagged & board.lookalike_clients()
    stats = last_run(db)["stats"]
    assert stats["gigscan/sellers_followed"] == len(flagged)
    assert stats["gigscan/pages_parsed/api"] == 1 + len(flagged)  # the search, then each buyer's projects


def test_crawl_all_covers_every_marketplace_and_links_people(testbed: TestbedServer, tmp_path: Path) -> None:
    db = tmp_path / "all.db"
    stats_file = tmp_path / "stats.json"
    crawl("all", testbed.url, db, "--max-pages", "1", "--stats-file", str(stats_file),
          queries=["amazon reviews", "google reviews"])
    stats = json.loads(stats_file.read_text())
    assert set(stats) == {"fiverr", "freelancer", "seoclerks", "legiit", "peopleperhour"}
    store = sqlite_utils.Database(db)
    counts = {r["marketplace"]: r["flagged"] for r in store.query(
        "select marketplace, sum(flagged) as flagged from listings group by marketplace")}
    assert set(counts) == set(stats) and all(counts.values())
    runs = {json.loads(r["args"])["marketplace"]: r["status"] for r in store.query("select * from runs")}
    assert runs == dict.fromkeys(stats, "finished")
    # one person, several marketplaces: a flagged Fiverr seller found again under a similar name
    flagged_fiverr = sellers(db, "fiverr", True)
    market = testbed.flavours.markets["seoclerks"]
    pairs = [(here, there) for here, there in market.same_people().items()
             if here != there and there in flagged_fiverr and here in sellers(db, "seoclerks", True)]
    assert pairs, "no renamed review seller was crawled on both fiverr and seoclerks"
    here, there = pairs[0]
    found = json.loads(run_gigscan("search", there, "--fuzzy", "--json", "--db", str(db)).stdout)
    assert ("seoclerks", here) in {(hit["seller"]["marketplace"], hit["seller"]["username"]) for hit in found}


def test_flavour_block_pages_are_retried_not_stored(tmp_path: Path) -> None:
    db = tmp_path / "blocked.db"
    profile = ROOT / "crawler" / "profiles" / "peopleperhour.toml"
    with TestbedServer(seed=5, listings=200, block_rate=1.0) as server:
        proc = run_gigscan("crawl", "generic", "--profile", str(profile), "--base-url", f"{server.url}/peopleperhour",
                           "--db", str(db), "--delay", "0", "--no-progress", "--query", "amazon reviews", check=False)
    assert proc.returncode == 1
    run = last_run(db)
    assert run["status"] == "blocked"
    assert run["stats"]["gigscan/blocked"] >= 2
    assert sqlite_utils.Database(db)["listings"].count == 0


JOB_POST_RULES = """
version = "sides-1"
threshold = 0.5
[classes.word]
anchor = true
label = "a common word"
terms = ["the", "a", "an", "and", "for", "to", "of", "with", "in", "on", "my", "our", "need", "reviews"]
[classes.buyer_post]
label = "a buyer's post"
sides = ["buyer"]
[[rules]]
id = "job-post"
kind = "keyword"
classes = ["buyer_post", "word"]
weight = 1.0
explain = "A buyer's post"
"""


def test_a_crawled_job_post_reaches_the_scanner_as_a_buyers_post(testbed: TestbedServer, tmp_path: Path) -> None:
    """Freelancer.com's projects are buyers' posts (``kind`` job): the scanner gets ``listing_side`` "buyer", which
    a ruleset's side class reads; the same ruleset on a crawl of sellers' gigs flags nothing."""
    rules = tmp_path / "sides.toml"
    rules.write_text(JOB_POST_RULES, encoding="utf-8")
    db = tmp_path / "sides.db"
    crawl("freelancer", f"{testbed.url}/freelancer", db, "--max-pages", "1", "--rules", str(rules),
          queries=["amazon reviews"])
    crawl("generic", f"{testbed.url}/seoclerks", db, "--max-pages", "1", "--rules", str(rules),
          "--profile", str(ROOT / "crawler" / "profiles" / "seoclerks.toml"), queries=["amazon reviews"])
    store = sqlite_utils.Database(db)
    rows = list(store.query("select l.marketplace, l.kind, l.flagged, v.reasons from listings l "
                            "join verdicts v on v.listing_id = l.id"))
    jobs = [r for r in rows if r["marketplace"] == "freelancer"]
    gigs = [r for r in rows if r["marketplace"] == "seoclerks"]
    assert jobs and gigs
    assert all(r["kind"] == "job" and r["flagged"] for r in jobs)
    assert all("job-post" in {x["rule_id"] for x in json.loads(r["reasons"])} for r in jobs)
    assert not any(r["flagged"] for r in gigs)
