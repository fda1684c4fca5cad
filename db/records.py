"""The records that cross from the crawler to the store, defined once: what ``Store.record_batch`` takes.

They are ``TypedDict``s, so a record stays a plain dict at run time (cheap to build from an item, to batch and
to send to another machine as JSON) while type checkers hold both sides to one shape. The crawler builds them
from its items (``crawler.pipelines.as_record``: ``{"type": ..., **fields of the item}``, a test keeps the
items' fields and these keys the same); ``db.testing`` builds them for tests; ``db.writer`` stores them. This
module imports nothing, so every layer may import it (``db`` imports no Scrapy, the crawler imports ``db``).

A verdict's reasons have ONE shape, :class:`ReasonRecord` (what ``matchers.verdict.Reason`` holds): it is
stored as JSON in ``verdicts.reasons`` and read back by the exports with the same keys.

To add a record type: a ``TypedDict`` with ``type: Literal["<name>"]``, a member of :data:`Record`, its
required fields in :data:`REQUIRED`, and a branch in ``db.writer.BatchWriter.add``.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


class CaptureRecord(TypedDict):
    """The HTTP exchange a record was extracted from, byte-exact (the evidence)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes | str | None
    fetched_at: str  # UTC ISO-8601
    request_url: str | None
    request_headers: dict[str, str]
    method: str


class ReasonRecord(TypedDict):
    """Why a rule fired: ``text`` as written in ``field`` at ``[start, end)``, and one plain sentence."""

    rule_id: str
    field: str
    text: str
    start: int
    end: int
    kind: str
    weight: float
    explanation: str


class VerdictRecord(TypedDict):
    """The matchers' verdict on a listing's text (``matchers.Verdict.to_dict()``). ``grade`` (flagged, suspect
    or clear) is derived from the score; the store keeps flagged, score and reasons."""

    flagged: bool
    grade: str
    score: float
    reasons: list[ReasonRecord]
    ruleset_version: str


class ListingRecord(TypedDict):
    """A listing seen live: a gig card on a search or seller page, or its own page (``detail`` says which)."""

    type: Literal["listing"]
    marketplace: str
    external_id: str
    url: str
    seller: str  # the seller's username on this marketplace
    title: str
    description: str
    tags: list[str]
    category: str | None
    price: float | None  # starting price in whole currency units
    currency: str | None
    rating: float | None
    review_count: int | None
    kind: str  # gig | job
    detail: int  # 1: a card, 2: the listing's own page (a richer view replaces the "current" text)
    source: str  # search | gig | seller | ...: the page type it came from
    seller_profile_url: str | None
    extra: dict[str, Any]  # page-specific fields kept as evidence
    capture: CaptureRecord | None
    verdict: VerdictRecord | None


#: The side of the market a listing's ``kind`` is on, as the matchers read it (the doc key ``listing_side``): a gig
#: is a seller's offer, a job a buyer's post (Freelancer.com's projects).
LISTING_SIDES = {"gig": "seller", "job": "buyer"}


def listing_side(kind: str | None) -> str:
    """``seller`` for a gig, ``buyer`` for a job post, "" for a kind the store does not know."""
    return LISTING_SIDES.get(kind or "", "")


class SellerRecord(TypedDict):
    """A seller's profile seen live."""

    type: Literal["seller"]
    marketplace: str
    username: str
    profile_url: str
    display_name: str | None
    country: str | None
    level: str | None
    member_since: str | None  # UTC ISO-8601
    rating: float | None
    review_count: int | None
    description: str | None
    capture: CaptureRecord | None


class GoneRecord(TypedDict):
    """A known listing or seller page that answered 404/410 or redirected away on a re-check.

    ``url`` is the URL asked for; ``external_id`` (a listing; without one it is looked up by URL) or
    ``username`` (a seller) names what is gone; ``reason`` says why in words ("http 404", "redirected to
    https://..."); ``capture`` is the answer received, kept as evidence like any other.
    """

    type: Literal["gone"]
    kind: Literal["listing", "seller"]
    marketplace: str
    url: str
    reason: str
    external_id: str | None
    username: str | None
    capture: CaptureRecord | None


class ReviewSetRecord(TypedDict):
    """The buyers' reviews one page shows for one seller (and gig), with the totals the page states: the fields of
    ``db.buyer_records.ReviewSet``, each review a mapping of ``BuyerReview``'s fields (so the record also crosses
    a MessagePack stream). Written by ``db.buyer_store``."""

    type: Literal["reviews"]
    marketplace: str
    seller: str
    scope: str
    url: str
    listing_external_id: str | None
    total_count: int | None
    has_next: bool | None
    average: float | None
    reviews: list[dict[str, Any]]
    capture: CaptureRecord | None


Record = ListingRecord | SellerRecord | GoneRecord | ReviewSetRecord
# The fields a record of each type must have, non-empty (the writer refuses a batch otherwise).
REQUIRED: dict[str, tuple[str, ...]] = {
    "listing": ("marketplace", "external_id", "url", "seller", "title"),
    "seller": ("marketplace", "username"),
    "gone": ("marketplace", "url", "kind", "reason"),
    "reviews": ("marketplace", "seller", "scope", "url"),
}
GONE_KINDS = ("listing", "seller")


def reason_text(reason: ReasonRecord) -> str:
    """One reason as a person reads it: ``rule [field]: "text"``."""
    quoted = f': "{reason["text"]}"' if reason["text"] else ""
    return f"{reason['rule_id']} [{reason['field']}]{quoted}"
