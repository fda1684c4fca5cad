"""Seller search: exact and case-insensitive first, then variants and fuzzy look-alikes on request."""

from __future__ import annotations

import pytest

from db import Store
from db.search import search_sellers, skeleton
from db.testing import listing_record, seller_record, verdict

SELLERS = [
    ("fiverr", "vpross"),
    ("freelancer", "VPross"),
    ("fiverr", "vp_ross"),
    ("fiverr", "vpross99"),
    ("fiverr", "vprosss"),
    ("fiverr", "alice"),
    ("fiverr", "x' OR 1=1 --"),
]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        records = [seller_record(marketplace=m, username=u, profile_url=f"https://{m}.example/{u}") for m, u in SELLERS]
        records.append(listing_record(verdict=verdict()))
        records.append(listing_record(external_id="1002", verdict=verdict(flagged=False, score=0.0)))
        opened.record_batch(run, records)
        yield opened


def summary(hits) -> list[tuple[str, str, str]]:
    return [(hit.seller["marketplace"], hit.seller["username"], hit.match) for hit in hits]


def test_exact_then_case_insensitive(store):
    hits = search_sellers(store, "vpross")
    assert summary(hits) == [("fiverr", "vpross", "exact"), ("freelancer", "VPross", "case")]
    assert summary(search_sellers(store, "VPROSS", marketplace="fiverr")) == [("fiverr", "vpross", "case")]


def test_hit_lists_listings_with_flagged_state(store):
    (hit,) = search_sellers(store, "vpross", marketplace="fiverr")
    assert hit.score == 100.0
    assert [(row["external_id"], row["flagged"]) for row in hit.listings] == [("1001", 1), ("1002", 0)]
    assert all(row["status"] == "active" and row["first_seen"] and row["last_seen"] for row in hit.listings)
    assert hit.to_dict()["listings"][0]["external_id"] == "1001"


def test_fuzzy_adds_variants_then_look_alikes(store):
    hits = search_sellers(store, "vpross", fuzzy=True, marketplace="fiverr")
    assert summary(hits) == [
        ("fiverr", "vpross", "exact"),
        ("fiverr", "vp_ross", "variant"),
        ("fiverr", "vpross99", "variant"),
        ("fiverr", "vprosss", "fuzzy"),
    ]
    assert [hit.score for hit in hits] == [100.0, 92.3, 85.7, 92.3]


def test_without_fuzzy_no_look_alikes(store):
    assert search_sellers(store, "vpros") == []
    assert summary(search_sellers(store, "vpros", fuzzy=True, limit=1)) == [("fiverr", "vpross", "fuzzy")]


def test_injection_like_names_are_bound(store):
    assert summary(search_sellers(store, "x' OR 1=1 --")) == [("fiverr", "x' OR 1=1 --", "exact")]
    assert search_sellers(store, "' OR '1'='1") == []
    assert search_sellers(store, "%") == [] and search_sellers(store, "  ") == []


def test_new_sellers_reach_the_cached_index(store):
    assert search_sellers(store, "bobby", fuzzy=True) == []
    run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
    store.record_batch(run, [seller_record(username="bobby_2")])
    assert summary(search_sellers(store, "bobby", fuzzy=True)) == [("fiverr", "bobby_2", "variant")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Top_Seller-22", "topseller"), ("top.seller7", "topseller"), ("12345", "12345"), ("a b", "ab")],
)
def test_skeleton(name, expected):
    assert skeleton(name) == expected
