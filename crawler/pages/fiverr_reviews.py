"""Buyer reviews on Fiverr gig and profile pages: the ``reviews`` block of a gig page and the two sets of a
profile's ``reviewsData`` (see ``shared/data/pages/STRUCTURE.md`` 1.4 and 1.5), as :class:`ReviewSet` records.

Only what the page embeds is read: a real gig page carries its first batch (5 reviews) plus ``total_count`` and
``has_next``. Fiverr loads further batches client-side through an endpoint whose answer no captured page or
public documentation shows, so gigscan does not call it: the totals are stored instead (an invented request
shape would fetch nothing, or worse, something that is not what it seems).
"""

from __future__ import annotations

import re
from typing import Any

from crawler.pages.common import as_float, as_int, as_list, as_str, dig, first
from db.buyer_records import BuyerReview, ReviewSet

__all__ = ["gig_review_set", "price_bounds", "profile_review_sets", "review_item"]

_DOLLARS = re.compile(r"\$\s?([\d,]+(?:\.\d+)?)")
# reviewsData key -> scope; "buying_reviews" are the reviews buyers left the profile's owner (reviews_as_seller)
PROFILE_SETS = (("buying_reviews", "seller"), ("selling_reviews", "as_buyer"))


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def price_bounds(item: dict[str, Any]) -> tuple[float | None, float | None]:
    """(low, high) dollars of the order's price range: the page's numbers, else read off "Up to $50",
    "$50-$100", "$1,000+" (open ends are None)."""
    low, high = as_float(item.get("price_range_start")), as_float(item.get("price_range_end"))
    if low is not None or high is not None:
        return low, high
    text = as_str(first(item.get("order_price_range_usd"), item.get("order_price_range"))) or ""
    amounts = [float(m.replace(",", "")) for m in _DOLLARS.findall(text)]
    if not amounts:
        return None, None
    if text.lower().startswith("up to"):
        return None, amounts[0]
    if len(amounts) == 1:
        return amounts[0], None if "+" in text else amounts[0]
    return amounts[0], amounts[1]


def review_item(item: Any) -> BuyerReview | None:
    """One review object of the page as a record; None when it has no id or no username (unusable)."""
    if not isinstance(item, dict):
        return None
    review_id, buyer = as_str(item.get("id")), as_str(item.get("username"))
    if review_id is None or buyer is None:
        return None
    low, high = price_bounds(item)
    reply = item.get("seller_response")
    return BuyerReview(
        review_id=review_id,
        buyer=buyer,
        created_at=as_str(item.get("created_at")),
        stars=as_float(item.get("value")),
        country_code=as_str(item.get("reviewer_country_code")),
        country=as_str(item.get("reviewer_country")),
        price_range=as_str(first(item.get("order_price_range_usd"), item.get("order_price_range"))),
        price_low=low,
        price_high=high,
        repeat_buyer=_flag(item.get("repeat_buyer")),
        is_business=_flag(item.get("is_business")),
        comment=as_str(item.get("comment")),
        comment_language=as_str(item.get("comment_language")),
        reply=as_str(dig(reply, "comment")),
        reply_at=as_str(dig(reply, "created_at")),
        gig_id=as_str(item.get("gig_id")),
        gig_slug=as_str(item.get("gig_slug")),
        buyer_review_count=as_int(item.get("reviews_count_as_buyer")),
    )


def _review_set(block: Any, marketplace: str, seller: str, scope: str, url: str, gig_id: str | None,
                capture: Any) -> ReviewSet | None:  # fmt: skip
    """A review block as a set; None when the page has no such block at all."""
    if not isinstance(block, dict):
        return None
    reviews = [r for r in (review_item(item) for item in as_list(block.get("reviews"))) if r is not None]
    has_next = block.get("has_next")
    return ReviewSet(
        marketplace=marketplace,
        seller=seller,
        scope=scope,
        url=url,
        listing_external_id=gig_id,
        total_count=as_int(block.get("total_count")),
        has_next=has_next if isinstance(has_next, bool) else None,
        average=as_float(block.get("average_valuation")),
        reviews=reviews,
        capture=capture,
    )


def gig_review_set(props: dict[str, Any], marketplace: str, seller: str, gig_id: str, url: str,
                   capture: Any) -> ReviewSet | None:  # fmt: skip
    """The gig page's embedded reviews of this gig."""
    return _review_set(props.get("reviews"), marketplace, seller, "gig", url, gig_id, capture)


def profile_review_sets(props: dict[str, Any], marketplace: str, seller: str, url: str,
                        capture: Any) -> list[ReviewSet]:  # fmt: skip
    """A profile's review sets: buyers' reviews of the seller, and the seller's own reviews as a buyer (only
    when the page shows any or states a total: an empty ``selling_reviews`` block is no evidence of anything)."""
    sets = []
    for key, scope in PROFILE_SETS:
        found = _review_set(dig(props, "reviewsData", key), marketplace, seller, scope, url, None, capture)
        if found is not None and (found.reviews or found.total_count):
            sets.append(found)
    return sets
