"""End to end: crawl the simulated marketplace (Fiverr, and SEOClerks and Legiit where the same people sell under
name variants), then score buyer maps and networks against the truth it planted (``testbed.operations``): pairwise
precision >= 0.98 over every pair of crawled accounts and recall >= 0.95 over the pairs of review sellers that are
one person or operation; no look-alike group merged; repeat buyers of review sellers at the top of ``buyers``;
and the reviews' evidence is in the chain and the WARC.
"""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from db import Store
from helpers import run_gigscan
from testbed.operations import Plan, plan_for
from testbed.server import TestbedServer

pytestmark = pytest.mark.slow
QUERIES = ("amazon reviews", "google reviews", "logo design", "trustpilot reviews")
OTHER_MARKETS = ("seoclerks", "legiit")
SEEDS = (7, 19)
LISTINGS = 600
ROOT = Path(__file__).parent.parent


@dataclass
class Crawl:
    db: Path
    plan: Plan
    twins: dict[str, dict[str, str]]  # marketplace -> its username -> the same person's on Fiverr
    review_sellers: set[tuple[str, str]]


def _crawl(server: TestbedServer, db: Path) -> None:
    common = ["--db", str(db), "--delay", "0", "--no-progress", "--max-pages", "2"]
    run_gigscan("crawl", "fiverr", "--base-url", server.url, *common, *(a for q in QUERIES for a in ("--query", q)))
    for market in OTHER_MARKETS:
        run_gigscan("crawl", "generic", "--base-url", f"{server.url}/{market}", "--profile",
                    str(ROOT / "crawler" / "profiles" / f"{market}.toml"), *common,
                    *(a for q in QUERIES[:2] for a in ("--query", q)))  # fmt: skip


@pytest.fixture(scope="module", params=SEEDS)
def crawled(request, tmp_path_factory) -> Crawl:
    db = tmp_path_factory.mktemp(f"seed{request.param}") / "gigscan.db"
    with TestbedServer(seed=request.param, listings=LISTINGS) as server:
        _crawl(server, db)
        markets = {m: server.flavours.markets[m] for m in OTHER_MARKETS}
        review = {("fiverr", u) for u in server.catalogue.review_sellers()}
        review |= {(m, u) for m, market in markets.items() for u in market.review_sellers()}
        twins = {m: market.same_people() for m, market in markets.items()}
    return Crawl(db, plan_for(request.param, LISTINGS), twins, review)


def _networks(db: Path) -> list[dict]:
    return json.loads(run_gigscan("networks", "--json", "--db", str(db)).stdout)


def test_networks_recover_the_planted_operations(crawled: Crawl) -> None:
    member = {(a["marketplace"], a["username"]): n["network"] for n in _networks(crawled.db) for a in n["accounts"]}
    with Store(crawled.db) as store:
        accounts = sorted(tuple(r) for r in store.conn.execute("SELECT marketplace, username FROM sellers"))
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for a, b in itertools.combinations(accounts, 2):
        predicted = a in member and member.get(a) == member.get(b)
        truth = crawled.plan.same_person_or_operation(a, b, crawled.twins)
        if truth and not predicted and not {a, b} <= crawled.review_sellers:
            continue  # an honest seller's accounts on two marketplaces: not an operation to find
        counts[("tn", "fn", "fp", "tp")[2 * predicted + truth]] += 1
    assert counts["tp"] >= 40, counts  # the crawl reached several operations, on several marketplaces
    cross = {n["network"] for n in _networks(crawled.db) if len(n["marketplaces"]) > 1}
    assert len(cross) >= 3
    precision = counts["tp"] / (counts["tp"] + counts["fp"])
    recall = counts["tp"] / (counts["tp"] + counts["fn"])
    assert precision >= 0.98 and recall >= 0.95, counts


def test_no_lookalike_group_is_merged(crawled: Crawl) -> None:
    db, plan = crawled.db, crawled.plan
    member = {a["username"]: n["network"] for n in _networks(db) for a in n["accounts"] if a["marketplace"] == "fiverr"}
    for group in plan.lookalike_groups():
        present = [u for u in group if u in member]
        for a, b in itertools.combinations(present, 2):
            assert member[a] != member[b] or plan.same_operation(a, b), (a, b, group)
    with Store(db) as store:
        crawled_names = {r[0] for r in store.conn.execute("SELECT username FROM sellers")}
    assert len(set(plan.agency) & crawled_names) >= 2, "the agency look-alike was not crawled"


def test_every_link_has_a_kind_a_strength_and_a_reason(crawled: Crawl) -> None:
    networks = _networks(crawled.db)
    assert networks and networks == sorted(networks, key=lambda n: -n["size"])
    for network in networks:
        assert network["size"] == len(network["accounts"]) >= 2
        for link in network["links"]:
            assert link["kind"] in {"contact", "copy", "name", "buyers"} and 0 < link["strength"] <= 1
            assert link["reason"] and link["evidence"]


def test_repeat_buyers_of_review_sellers_rank_first(crawled: Crawl) -> None:
    db, plan = crawled.db, crawled.plan
    planted = set(plan.repeat_buyers) | {c for op in plan.operations for c in op.customers}
    checked = 0
    for seller in {s for sellers in plan.repeat_buyers.values() for s in sellers}:
        out = run_gigscan("buyers", seller, "--json", "--db", str(db), check=False)
        if out.returncode != 0:
            continue  # not crawled
        ranked = [b["buyer"] for b in json.loads(out.stdout)["buyers"]]
        ours = [name for name in ranked if name in planted]
        if ours:
            assert ranked[: len(ours)] == ours, (seller, ranked)
            checked += 1
    assert checked >= 3


def test_review_evidence_is_in_the_chain_and_the_warc(crawled: Crawl, tmp_path: Path) -> None:
    db = crawled.db
    assert run_gigscan("verify", "--db", str(db)).returncode == 0
    with Store(db) as store:
        username, capture_url = store.conn.execute(
            "SELECT s.username, c.url FROM buyer_reviews r JOIN sellers s ON s.id = r.seller_id"
            " JOIN captures c ON c.id = r.capture_id ORDER BY r.id LIMIT 1"
        ).fetchone()
    run_gigscan("warc", "--output", str(tmp_path), "--username", username, "--db", str(db))
    urls = set()
    for path in tmp_path.glob("*.warc*"):
        with path.open("rb") as fh:
            urls |= {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(io.BytesIO(fh.read()))}
    assert capture_url in urls
