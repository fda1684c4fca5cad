"""The buyers' reviews a gig page and a profile embed, in the shape of the real pages (STRUCTURE.md 1.4, 1.5).

A gig page embeds its latest five reviews with ``total_count`` and ``has_next``; a profile embeds five of the
seller's reviews (with ``gig_slug``) under ``reviewsData.buying_reviews``. Who the buyers are comes from the
planted truth (``testbed.operations``): an operation's loyal customers and repeat buyers first, then buyers of
their own. Pure functions of the catalogue, like every page.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from testbed import catalogue as cat
from testbed import operations as ops
from testbed import vocabulary as vocab
from testbed.dice import Dice

SHOWN = 5  # reviews a real gig page or profile embeds
PLANTED_PER_GIG = 4
PRICE_RANGES = (("Up to $50", 0, 50), ("$50-$100", 50, 100), ("$100-$200", 100, 200))
Json = dict[str, Any]


@lru_cache(maxsize=4096)
def _planted_by_gig(seed: int, listings: int, username: str) -> dict[int, tuple[str, ...]]:
    """The planted buyers of one seller, spread over their gigs that have reviews, four to a gig."""
    plan = ops.plan_for(seed, listings)
    buyers = list(dict.fromkeys(plan.planted_buyers.get(username, ())))
    sellers, gigs = cat._base(seed, listings)
    with_reviews = [g.gig_id for g in gigs if g.seller == username and g.reviews_count > 0]
    spread: dict[int, tuple[str, ...]] = {}
    for n, gig_id in enumerate(with_reviews):
        chunk = buyers[n * PLANTED_PER_GIG : (n + 1) * PLANTED_PER_GIG]
        if chunk:
            spread[gig_id] = tuple(chunk)
    return spread


def _review(rng: Dice, gig: cat.Gig, index: int, buyer: str, planted: bool) -> Json:
    country = rng.pick(vocab.COUNTRY_CODES)
    label, low, high = rng.pick(PRICE_RANGES)
    comment = ops.product_comment(rng) if planted and gig.truth == cat.REVIEW_SELLER else rng.pick(
        vocab.BUYER_COMMENTS[gig.truth])
    item: Json = {
        "order_duration_in_days": rng.between(1, 8), "order_price_range": label, "order_price_range_usd": label,
        "id": f"{gig.gig_id:x}{index:02d}".rjust(24, "0"), "comment": comment, "comment_language": "en",
        "username": buyer, "reviewer_country_code": country, "reviewer_country": vocab.COUNTRIES[country],
        "created_at": f"2025-{rng.between(1, 10):02d}-{rng.between(10, 29)}T{rng.between(10, 24)}:00:00",
        "value": rng.pick((4, 5, 5, 5)), "repeat_buyer": planted or rng.chance(0.1),
        "is_business": rng.chance(0.15), "gig_id": gig.gig_id, "price_range_start": low, "price_range_end": high,
        "reviews_count_as_buyer": rng.between(4, 30) if planted else rng.between(1, 4),
        "is_cancelled_order": False,
    }  # fmt: skip
    if rng.chance(0.5):
        item["seller_response"] = {"comment": f"Thank you {buyer}!", "comment_language": "en",
                                   "created_at": item["created_at"][:14] + "30:00"}
    return item


def gig_reviews(catalogue: cat.Catalogue, gig: cat.Gig) -> list[Json]:
    """The reviews a gig page embeds: planted buyers first, then one-off buyers."""
    if gig.reviews_count == 0:
        return []
    rng = Dice(f"reviews:{catalogue.seed}:{gig.gig_id}")
    planted = _planted_by_gig(catalogue.seed, catalogue.listings, gig.seller).get(gig.gig_id, ())
    shown = min(SHOWN, max(gig.reviews_count, len(planted)))
    buyers = [*planted, *(ops.random_buyer(rng) for _ in range(shown - len(planted)))]
    return [_review(rng, gig, i, buyer, i < len(planted)) for i, buyer in enumerate(buyers[:shown])]


def gig_block(catalogue: cat.Catalogue, gig: cat.Gig, seller: cat.Seller) -> Json:
    """The gig page's ``reviews`` object."""
    reviews = gig_reviews(catalogue, gig)
    total = max(gig.reviews_count, len(reviews))
    return {"has_next": total > len(reviews), "gig_id": gig.gig_id, "average_valuation": gig.rating,
            "total_count": total, "reviews": reviews, "reviews_snippet": [], "seller_username": seller.username}


def profile_block(catalogue: cat.Catalogue, seller: cat.Seller) -> Json:
    """The profile's ``reviewsData``: five reviews across the seller's gigs, and the seller's totals."""
    shown: list[Json] = []
    gigs = catalogue.seller_gigs(seller.username)
    for gig in gigs:
        shown.extend(r | {"gig_slug": gig.slug} for r in gig_reviews(catalogue, gig)[:2])
    shown = shown[:SHOWN]
    total = max(seller.rating_count, len(shown))
    return {
        "buying_reviews": {"reviews": shown, "has_next": total > len(shown), "total_count": total,
                           "reviews_as_seller": True, "average_valuation": seller.rating_score,
                           "user_id": seller.seller_id, "seller_username": seller.username},
        "selling_reviews": {"user_id": seller.seller_id, "reviews": [], "total_count": None,
                            "average_valuation": None, "reviews_as_seller": False, "has_next": False},
    }
