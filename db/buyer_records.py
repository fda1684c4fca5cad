"""Typed records of buyer reviews, shared by the crawler (page objects build them) and the store (writes them).

Defined here, in ``db``, because ``db`` may import nothing of the crawler, while the crawler may import ``db``:
one definition serves both sides without the store importing Scrapy. They are plain dataclasses; the store
pipeline passes them to the store's process as they are (they pickle), and the writer reads them by attribute.

Scopes of a review set (whose reviews a page shows):

- ``gig``: a gig page's ``reviews`` block (buyers' reviews of that gig);
- ``seller``: a profile's ``reviewsData.buying_reviews`` (buyers' reviews of any of the seller's gigs);
- ``as_buyer``: a profile's ``reviewsData.selling_reviews`` (reviews the profile's owner got *as a buyer*, written
  by the sellers they bought from; shape unconfirmed on a real page, which had none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCOPES = ("gig", "seller", "as_buyer")


@dataclass(frozen=True)
class BuyerReview:
    """One review as the page shows it. ``buyer`` is the reviewing username (on an ``as_buyer`` set, the
    counterpart who wrote it); prices are the page's range text and its bounds in US dollars."""

    review_id: str
    buyer: str
    created_at: str | None = None  # UTC ISO-8601 as the page gives it
    stars: float | None = None
    country_code: str | None = None
    country: str | None = None
    price_range: str | None = None
    price_low: float | None = None
    price_high: float | None = None
    repeat_buyer: bool | None = None
    is_business: bool | None = None
    comment: str | None = None
    comment_language: str | None = None
    reply: str | None = None  # the seller's response
    reply_at: str | None = None
    gig_id: str | None = None
    gig_slug: str | None = None
    buyer_review_count: int | None = None  # reviews_count_as_buyer: how many reviews the buyer left in all

    def content(self) -> dict[str, Any]:
        """The facts of the review, for its content hash (a reply added later makes a new version)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class ReviewSet:
    """The reviews one page shows for one seller (and gig), with the totals the page states.

    ``total_count`` and ``has_next`` are what the page says exists beyond the reviews it embeds: the store keeps
    them per capture, so "5 of 838 shown" stays provable even when no further page was fetched."""

    marketplace: str
    seller: str  # the reviewed seller's username (for ``as_buyer``: the profile's owner)
    scope: str  # one of SCOPES
    url: str
    listing_external_id: str | None = None
    total_count: int | None = None
    has_next: bool | None = None
    average: float | None = None
    reviews: list[BuyerReview] = field(default_factory=list)
    capture: Any = None  # crawler.items.Capture (or its dict form); typed loosely so db needs no crawler import
