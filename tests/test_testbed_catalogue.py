"""The testbed catalogue: determinism, realistic mix with ground truth, disguises, search and steps."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testbed import catalogue as catalogue_module
from testbed.catalogue import LEGIT, LOOKALIKE, REVIEW_SELLER, Catalogue
from testbed.search import terms

ROOT = Path(__file__).resolve().parents[1]
REVIEW_QUERIES = ["amazon reviews", "google reviews", "trustpilot reviews", "5 star reviews", "app reviews", "yelp"]
USERNAME = re.compile(r"[a-z0-9_]+")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return Catalogue(seed=7, listings=600)


@pytest.fixture(scope="module")
def big() -> Catalogue:
    return Catalogue(seed=3, listings=2000)


def test_same_seed_gives_same_bytes_even_rebuilt_in_another_process() -> None:
    first = Catalogue(seed=5, listings=300).to_json()
    catalogue_module._base.cache_clear()  # force a real rebuild, not the cached objects
    assert Catalogue(seed=5, listings=300).to_json() == first
    assert Catalogue(seed=6, listings=300).to_json() != first
    code = ("import hashlib; from testbed.catalogue import Catalogue; "
            "print(hashlib.sha256(Catalogue(seed=5, listings=300).to_json().encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == hashlib.sha256(first.encode()).hexdigest()


def test_listing_count_ids_usernames_and_slugs(cat: Catalogue) -> None:
    assert len(cat.gigs) == 600
    assert len({g.gig_id for g in cat.gigs.values()}) == 600
    assert len({s.seller_id for s in cat.sellers.values()}) == len(cat.sellers)
    for seller in cat.sellers.values():
        assert USERNAME.fullmatch(seller.username), seller.username
        assert 1 <= len(seller.gig_ids) <= 5
        slugs = [cat.gigs[i].slug for i in seller.gig_ids]
        assert len(set(slugs)) == len(slugs)
        assert all(SLUG.fullmatch(s) for s in slugs), slugs
        assert len(seller.country) == 2 and seller.country.isupper()
        assert seller.level in {"level_one_seller", "level_two_seller", "top_rated_seller"}
    for gig in cat.gigs.values():
        assert not gig.title.lower().startswith("i will")
        assert 1 <= len(gig.packages) <= 3
        assert all(p.price_cents % 100 == 0 and p.price_cents >= 500 for p in gig.packages)


def test_review_sellers_are_a_minority_and_sell_reviews_in_most_gigs(big: Catalogue) -> None:
    review = big.review_sellers()
    assert 0.05 <= len(review) / len(big.sellers) <= 0.08
    assert 0.05 <= len(big.lookalike_sellers()) / len(big.sellers) <= 0.15
    for username in review:
        truths = [big.gigs[i].truth for i in big.sellers[username].gig_ids]
        assert truths.count(REVIEW_SELLER) >= max(1, len(truths) - 1)
    side_gigs = [g for u in review for i in big.sellers[u].gig_ids if (g := big.gigs[i]).truth == LEGIT]
    assert side_gigs, "some review sellers also run an ordinary gig"


def test_seller_truth_follows_its_gigs(cat: Catalogue) -> None:
    for seller in cat.sellers.values():
        truths = {cat.gigs[i].truth for i in seller.gig_ids}
        expected = REVIEW_SELLER if REVIEW_SELLER in truths else LOOKALIKE if LOOKALIKE in truths else LEGIT
        assert seller.truth == expected
    assert cat.review_sellers().isdisjoint(cat.lookalike_sellers())


def test_review_gigs_use_every_disguise_language_and_trust_signal(cat: Catalogue) -> None:
    review_text = " ".join(g.title + " " + g.description for g in cat.gigs.values() if g.truth == REVIEW_SELLER)
    for needle in ["rev1ews", "r3vi", "r e v i e w s", "**", "\u200b", "\u2b50", "\u0410", "\u043e",
                   "Bewertungen", "rese\u00f1as", "avis clients", "recensioni", "avalia\u00e7\u00f5es",
                   "\u043e\u0442\u0437\u044b\u0432", "verified purchase", "non-drop", "different IPs",
                   "real USA accounts", "lifetime refill"]:
        assert needle.lower() in review_text.lower(), needle
    platforms = " ".join(" ".join(g.tags) for g in cat.gigs.values() if g.truth == REVIEW_SELLER)
    for platform in ["amazon", "google", "trustpilot", "yelp", "app store", "tripadvisor", "facebook"]:
        assert platform in platforms, platform


def test_lookalikes_cover_the_hard_cases(big: Catalogue) -> None:
    titles = " | ".join(g.title for g in big.gigs.values() if g.truth == LOOKALIKE)
    for phrase in ["review your resume", "amazon listing", "a plus content", "product descriptions",
                   "code review", "reply to your google reviews", "beta read", "review request email",
                   "app ux review", "reputation report"]:
        assert phrase in titles, phrase


def test_hostile_seller_carries_markup_and_formulas_under_a_valid_username(cat: Catalogue) -> None:
    hostile = cat.hostile_seller()
    assert USERNAME.fullmatch(hostile.username)
    assert hostile.truth == REVIEW_SELLER and hostile.username in cat.review_sellers()
    titles = [cat.gigs[i].title for i in hostile.gig_ids]
    descriptions = " ".join(cat.gigs[i].description for i in hostile.gig_ids)
    assert any(t.startswith("=HYPERLINK(") for t in titles)
    assert any(t.startswith("+cmd") for t in titles)
    assert any(t.startswith("@SUM(1)") for t in titles)
    assert "<script>alert(1)</script>" in descriptions and "onerror=" in descriptions
    assert "</script>" in (hostile.display_name or "") + hostile.one_liner


def test_terms_lowercase_strip_one_s_and_drop_short_words() -> None:
    assert terms("5 Star REVIEWS on Amazon, by us") == {"star", "review", "amazon"}
    assert terms("business") == {"busines"}


def test_review_queries_return_review_sellers_and_lookalikes(cat: Catalogue) -> None:
    review, lookalike = cat.review_sellers(), cat.lookalike_sellers()
    for query in REVIEW_QUERIES:
        top = {g.seller for g in cat.search(query)[:96]}
        assert top & review, query
        assert top & lookalike, query


def test_every_review_gig_is_found_by_some_review_query(cat: Catalogue) -> None:
    found = {g.gig_id for q in REVIEW_QUERIES for g in cat.search(q)}
    review_gigs = {g.gig_id for g in cat.gigs.values() if g.truth == REVIEW_SELLER}
    assert review_gigs <= found


def test_legit_queries_return_legit_gigs_first(cat: Catalogue) -> None:
    for query, word in [("logo design", "logo"), ("website development", "website")]:
        top = cat.search(query)[:10]
        assert len(top) == 10
        assert all(g.truth == LEGIT and word in g.title for g in top), [g.title for g in top]


def test_search_ranks_full_matches_before_partial_ones(cat: Catalogue) -> None:
    results = cat.search("trustpilot reviews")
    text = [terms(" ".join([g.title, *g.tags, re.sub("<[^>]+>", " ", g.description)])) for g in results]
    full = [i for i, t in enumerate(text) if {"trustpilot", "review"} <= t]
    partial = [i for i, t in enumerate(text) if not {"trustpilot", "review"} <= t]
    assert full and partial and max(full) < min(partial)
    assert all(t & {"trustpilot", "review"} for t in text)
    assert results == cat.search("Reviews  TRUSTPILOT")


def test_steps_are_deterministic_and_change_only_a_few_gigs() -> None:
    base = Catalogue(seed=9, listings=600)
    step1 = Catalogue(seed=9, listings=600, step=1)
    catalogue_module._base.cache_clear()
    assert Catalogue(seed=9, listings=600, step=1).to_json() == step1.to_json()
    assert base.changes().edited == base.changes().removed == base.changes().restored == frozenset()
    changes = step1.changes()
    assert 0 < len(changes.edited) < 120 and 0 < len(changes.removed) < 60 and not changes.restored
    for gig_id in changes.removed:
        gig = base.gigs[gig_id]
        assert step1.gig(gig_id) is None and step1.gig_at(gig.seller, gig.slug) is None
        assert gig_id not in {g.gig_id for g in step1.seller_gigs(gig.seller)}
    for gig_id in changes.edited:
        before, after = base.gigs[gig_id], step1.gigs[gig_id]
        assert after.title == f"{before.title} in 24 hours"
        assert after.description.startswith(before.description) and after.description != before.description
        assert [p.price_cents for p in after.packages] == [
            round(p.price_cents / 100 * 1.1) * 100 for p in before.packages
        ]
        assert (after.slug, after.tags) == (before.slug, before.tags)
    untouched = set(base.gigs) - changes.edited - changes.removed
    assert all(step1.gigs[i] == base.gigs[i] for i in untouched)


def test_removed_gigs_come_back_at_later_steps() -> None:
    steps = [Catalogue(seed=9, listings=600, step=k) for k in range(6)]
    restored = set().union(*(c.changes().restored for c in steps))
    assert restored
    for before, after in zip(steps, steps[1:], strict=False):
        change = after.changes()
        assert after.removed == (before.removed - change.restored) | change.removed
        assert change.restored <= before.removed
        assert all(i in after.gigs for i in change.restored)
