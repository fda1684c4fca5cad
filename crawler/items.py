"""Items the spiders yield: plain dataclasses (Scrapy handles them through itemadapter).

Page objects build them from a page; pipelines validate, scan and store them. They carry no Scrapy types,
so page objects stay testable on saved pages without a crawl. The store takes each as the record of the same
name in :mod:`db.records` (``crawler.pipelines.as_record``); a test keeps their fields and the records' keys
the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from db.records import VerdictRecord

# How much of a listing a page shows: a gig page beats a card on a search or seller page, so the store only
# lets richer sources replace the "current" text of a listing (see db.store).
DETAIL_CARD = 1
DETAIL_PAGE = 2


@dataclass
class Capture:
    """The HTTP exchange an item was extracted from: the evidence, byte-exact."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: str  # UTC ISO-8601
    request_url: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"


@dataclass
class Seller:
    marketplace: str
    username: str
    profile_url: str
    display_name: str | None = None
    country: str | None = None
    level: str | None = None
    member_since: str | None = None  # UTC ISO-8601 date-time
    rating: float | None = None
    review_count: int | None = None
    description: str | None = None
    capture: Capture | None = None


@dataclass
class Listing:
    marketplace: str
    external_id: str
    url: str
    seller: str  # the seller's username on this marketplace
    title: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    category: str | None = None
    price: float | None = None  # starting price in whole currency units (dollars, not cents)
    currency: str | None = "USD"
    rating: float | None = None
    review_count: int | None = None
    kind: str = "gig"  # gig | job
    detail: int = DETAIL_CARD
    source: str = "search"  # search | gig | seller | ...: the page type it came from
    seller_profile_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # page-specific fields kept as evidence
    capture: Capture | None = None
    verdict: VerdictRecord | None = None  # set by the scan pipeline: matchers.Verdict.to_dict()


@dataclass
class Gone:
    """A known listing or seller page that answered 404/410 or redirected away on a re-check: evidence of a
    takedown (the store marks it removed; see ``db.records.GoneRecord``)."""

    marketplace: str
    kind: str  # listing | seller
    url: str  # the URL asked for
    reason: str  # "http 404", "redirected to <url>"
    external_id: str | None = None  # a listing's
    username: str | None = None  # a seller's
    capture: Capture | None = None
