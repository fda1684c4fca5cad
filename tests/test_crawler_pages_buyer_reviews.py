"""Buyers' reviews read off the real captured Fiverr gig and profile pages (counts exact, fields spot-checked).

Expected values were read from each page's perseus JSON (``reviews`` on the gig page, ``reviewsData`` on the
profile) and are facts about those saved pages.
"""

from __future__ import annotations

import json

import pytest

from conftest import read_page
from crawler.pages import FiverrGigPage, FiverrSellerPage
from crawler.pages.fiverr_reviews import price_bounds, review_item
from crawler.pipelines import validation_problem
from db.buyer_records import BuyerReview, ReviewSet

GIG = "fiverr/gig_vpross_create-a-top-quality-retro-vintage-logo-for-you_browserhtml.html"
SELLER = "fiverr/seller-profile_tonigdesign_browserhtml.html"
GIG_URL = "https://www.fiverr.com/vpross/create-a-top-quality-retro-vintage-logo-for-you?pos=8"
SELLER_URL = "https://www.fiverr.com/tonigdesign"


@pytest.fixture(scope="module")
def gig_reviews() -> ReviewSet:
    found = FiverrGigPage(read_page(GIG), GIG_URL).reviews
    assert found is not None
    return found


@pytest.fixture(scope="module")
def profile_sets() -> list[ReviewSet]:
    return FiverrSellerPage(read_page(SELLER), SELLER_URL).review_sets


def test_gig_page_yields_its_five_embedded_reviews_and_the_stated_total(gig_reviews: ReviewSet) -> None:
    assert (gig_reviews.scope, gig_reviews.seller, gig_reviews.listing_external_id) == ("gig", "vpross", "299899837")
    assert gig_reviews.url == "https://www.fiverr.com/vpross/create-a-top-quality-retro-vintage-logo-for-you"
    assert (len(gig_reviews.reviews), gig_reviews.total_count, gig_reviews.has_next) == (5, 73, True)
    assert gig_reviews.average == 4.8
    assert [r.buyer for r in gig_reviews.reviews] == [
        "jaydanikole", "desley_knijn", "bosanac2876", "bosanac2876", "bosanac2876",
    ]
    assert len({r.review_id for r in gig_reviews.reviews}) == 5


def test_gig_review_fields(gig_reviews: ReviewSet) -> None:
    first = gig_reviews.reviews[0]
    assert first == BuyerReview(
        review_id="67baa8693fdcc418957e0533", buyer="jaydanikole", created_at="2025-02-23T06:53:23", stars=5.0,
        country_code="US", country="United States", price_range="Up to $50", price_low=None, price_high=50.0,
        repeat_buyer=False, is_business=False,
        comment="Thank you so much for taking your time to accommodate for the revisions. I love the final product!",
        comment_language="en", reply="it's pleasure to working with you. really sorry enjoy with you",
        reply_at="2025-02-23T06:54:31", gig_id="299899837", gig_slug=None, buyer_review_count=1,
    )
    second = gig_reviews.reviews[1]
    assert (second.buyer, second.country_code, second.stars, second.reply) == ("desley_knijn", "NL", 3.0, None)
    third = gig_reviews.reviews[2]
    assert (third.price_range, third.created_at) == ("$50-$100", "2024-11-07T13:36:25")


def test_profile_yields_buyers_reviews_of_the_seller_and_skips_an_empty_as_buyer_block(
    profile_sets: list[ReviewSet],
) -> None:
    assert [s.scope for s in profile_sets] == ["seller"]  # selling_reviews is empty with total_count null
    reviews = profile_sets[0]
    assert (reviews.seller, len(reviews.reviews), reviews.total_count, reviews.has_next) == (
        "tonigdesign", 5, 838, True,
    )
    assert [r.buyer for r in reviews.reviews] == [
        "cjbruin", "akto220", "aaronnealtrout", "radioraccoon204", "markmorris368",
    ]
    assert [r.repeat_buyer for r in reviews.reviews] == [False, False, True, False, True]
    assert [r.price_range for r in reviews.reviews] == ["$50-$100", "$200-$400", "$400-$600", "$400-$600", "$200-$400"]
    first = reviews.reviews[0]
    assert (first.gig_id, first.gig_slug, first.price_low, first.price_high) == (
        "407115949", "provide-services-as-a-graphic-designer", 50.0, 100.0,
    )
    assert first.reply == "Thank you C. for the kind words it was a pleasure working together"
    assert all(r.is_business is False and r.reply for r in reviews.reviews)


def test_review_sets_are_valid_items(gig_reviews: ReviewSet, profile_sets: list[ReviewSet]) -> None:
    assert validation_problem(gig_reviews) is None
    assert validation_problem(ReviewSet("fiverr", "x", "nope", "http://x")) == "unknown review scope 'nope'"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"order_price_range": "Up to $50"}, (None, 50.0)),
        ({"order_price_range_usd": "$1,000-$2,500"}, (1000.0, 2500.0)),
        ({"order_price_range": "$2,500+"}, (2500.0, None)),
        ({"price_range_start": 50, "price_range_end": 100, "order_price_range": "junk"}, (50.0, 100.0)),
        ({"order_price_range": "n/a"}, (None, None)),
    ],
)
def test_price_bounds(item: dict, expected: tuple) -> None:
    assert price_bounds(item) == expected


def test_hostile_review_items_are_skipped_not_fatal() -> None:
    assert review_item("not an object") is None
    assert review_item({"id": "1"}) is None  # no username
    odd = review_item({"id": 7, "username": "<b>x</b>", "value": "5", "repeat_buyer": "yes", "seller_response": []})
    assert odd is not None and (odd.review_id, odd.buyer, odd.stars, odd.repeat_buyer, odd.reply) == (
        "7", "<b>x</b>", 5.0, None, None,
    )


def test_a_gig_page_without_a_reviews_block_has_no_review_set() -> None:
    props = json.loads(json.dumps({"general": {"gigId": 1}, "overview": {"seller": {"username": "a"}}}))
    page = FiverrGigPage("", "https://www.fiverr.com/a/b", props=props)
    assert page.reviews is None
