"""The simulated marketplace serves buyers' reviews in the real pages' structures, and plants its truth: every
key of a served review exists on the real captured pages, the page objects read them as they read real pages,
and the planted buyers and operations are where ``testbed.operations`` says."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from crawler.pages import FiverrGigPage, FiverrSellerPage
from testbed.catalogue import Catalogue
from testbed.operations import plan_for
from testbed.props import gig_props, seller_props

PAGES = Path(__file__).parent / "data" / "pages" / "fiverr"
SEED, LISTINGS = 7, 600


def real_review_keys() -> set[str]:
    keys: set[str] = set()
    for name in ("gig_vpross_create-a-top-quality-retro-vintage-logo-for-you_browserhtml.html.gz",
                 "seller-profile_tonigdesign_browserhtml.html.gz"):  # fmt: skip
        with gzip.open(PAGES / name, "rt", encoding="utf-8") as fh:
            page = fh.read()
        props = json.loads(re.search(r'id="perseus-initial-props"[^>]*>(.*?)</script>', page, re.S)[1])
        block = props.get("reviews") or props["reviewsData"]["buying_reviews"]
        keys |= {key for item in block["reviews"] for key in item}
    return keys


def test_served_reviews_use_only_the_real_pages_keys_and_read_back() -> None:
    catalogue = Catalogue(SEED, LISTINGS)
    plan = plan_for(SEED, LISTINGS)
    seller = catalogue.sellers[plan.operations[0].accounts[0]]
    gig = next(g for g in catalogue.seller_gigs(seller.username) if g.reviews_count)
    props = gig_props(catalogue, gig)
    items = props["reviews"]["reviews"]
    assert items and {key for item in items for key in item} <= real_review_keys() | {"gig_slug"}
    found = FiverrGigPage("", f"https://www.fiverr.com{gig.url}", props=props).reviews
    assert found is not None and len(found.reviews) == len(items) == min(5, max(gig.reviews_count, len(items)))
    assert found.total_count == max(gig.reviews_count, len(items)) and found.has_next == (found.total_count > 5)
    assert set(plan.operations[0].customers) <= {r.buyer for r in found.reviews}  # loyal customers on the first gig
    profile = FiverrSellerPage("", f"https://www.fiverr.com/{seller.username}", props=seller_props(catalogue, seller))
    assert [s.scope for s in profile.review_sets] == ["seller"]
    assert all(r.gig_slug for r in profile.review_sets[0].reviews)


def test_the_plan_is_a_pure_function_of_seed_and_size_and_separates_lookalikes() -> None:
    plan = plan_for(SEED, LISTINGS)
    again = plan_for.__wrapped__(SEED, LISTINGS)
    assert again.operations == plan.operations and again.repeat_buyers == plan.repeat_buyers
    catalogue = Catalogue(SEED, LISTINGS)
    accounts = [a for op in plan.operations for a in op.accounts]
    assert len(accounts) == len(set(accounts)) and set(accounts) <= catalogue.review_sellers()
    assert all(len(op.accounts) >= 2 for op in plan.operations)
    assert not set(plan.agency) & catalogue.review_sellers()
    assert all(len(sellers) >= 3 for sellers in plan.repeat_buyers.values())
    assert not any(plan.same_operation(a, b) for a, b, _buyer in plan.shared_buyer_pairs)
