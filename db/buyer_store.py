"""Writes buyers' reviews (``{"type": "reviews", ...}`` records, the fields of :class:`ReviewSet`) inside a batch.

A review block becomes one ``review_pages`` row (what this capture showed and the totals it stated) and one
``buyer_reviews`` row per review version not stored before: a re-crawl adds only reviews that are new, or whose
facts changed (a seller's reply added later makes a new version; the old one stays). Both are logged in the
evidence chain and point at the capture, which the WARC export already writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from db.buyer_records import SCOPES
from db.evidence import canonical_json, normalise_ts, sha256_hex

if TYPE_CHECKING:
    from db.writer import BatchWriter

# The facts that make a review version: not where it was read (gig page or profile show the same review), nor
# the buyer's running count of reviews (it grows with every order they place elsewhere).
VERSION_FIELDS = (
    "buyer", "created_at", "stars", "country_code", "price_range", "repeat_buyer", "is_business", "comment",
    "reply", "reply_at",
)  # fmt: skip
_KEEP_FIRST = "ON CONFLICT DO NOTHING"  # a version already stored stays as it was first logged


def _as_mapping(review: Any) -> Mapping[str, Any]:
    if is_dataclass(review) and not isinstance(review, type):
        return asdict(review)
    if isinstance(review, Mapping):
        return review
    raise ValueError(f"a review must be a BuyerReview or a mapping, not {type(review).__name__}")


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def _real(value: Any) -> float | None:
    """As a REAL column reads back: the logged digest must match the row SQLite returns (5 vs 5.0)."""
    return None if value is None else float(value)


def review_version_hash(review: Mapping[str, Any]) -> str:
    """What makes two sightings of a review the same version (see VERSION_FIELDS)."""
    return sha256_hex(canonical_json({key: review.get(key) for key in VERSION_FIELDS}))


def write_review_set(writer: BatchWriter, record: Mapping[str, Any]) -> None:
    """Store one review block and the review versions in it that the store does not have yet."""
    from db.writer import insert_logged  # the writer imports this module

    if record.get("scope") not in SCOPES:
        raise ValueError(f"review set: scope must be one of {', '.join(SCOPES)}")
    reviews = [_as_mapping(review) for review in record.get("reviews") or ()]
    seen = writer.capture_seen(record)
    marketplace = record["marketplace"]
    seller_id = writer.seller_id(marketplace, record["seller"], seen)
    writer.seller_seen(seller_id, seen, "reviews")
    listing_id = writer.listing_id(marketplace, record.get("listing_external_id"))
    has_next = record.get("has_next")
    page = {
        "run_id": writer.run_id, "capture_id": seen.capture_id, "marketplace": marketplace,
        "seller_id": seller_id, "listing_id": listing_id, "scope": record["scope"], "url": record["url"],
        "total_count": record.get("total_count"), "has_next": _bool(has_next), "average": _real(record.get("average")),
        "shown": len(reviews), "fetched_at": seen.fetched_at, "created_at": writer.now,
    }  # fmt: skip
    page_id = insert_logged(writer.conn, writer.chain, "review_page", page, writer.now, on_conflict=_KEEP_FIRST)
    if page_id is None:  # this very capture's block was stored before (a batch retried)
        return
    writer.result.review_pages_new += 1
    for review in reviews:
        _write_review(writer, review, page, insert_logged)


def _write_review(writer: BatchWriter, review: Mapping[str, Any], page: Mapping[str, Any], insert: Any) -> None:
    gig_id = review.get("gig_id")
    listing_id = page["listing_id"]
    if listing_id is None and gig_id:
        listing_id = writer.listing_id(page["marketplace"], str(gig_id))
    row = {
        "marketplace": page["marketplace"], "review_id": str(review["review_id"]),
        "content_hash": review_version_hash(review), "seller_id": page["seller_id"], "listing_id": listing_id,
        "scope": page["scope"], "buyer": review["buyer"], "created_at": normalise_ts(review.get("created_at")),
        "stars": _real(review.get("stars")), "country_code": review.get("country_code"),
        "country": review.get("country"),
        "price_range": review.get("price_range"), "price_low": _real(review.get("price_low")),
        "price_high": _real(review.get("price_high")), "repeat_buyer": _bool(review.get("repeat_buyer")),
        "is_business": _bool(review.get("is_business")), "comment": review.get("comment"),
        "comment_language": review.get("comment_language"), "reply": review.get("reply"),
        "reply_at": normalise_ts(review.get("reply_at")), "gig_id": None if gig_id is None else str(gig_id),
        "buyer_review_count": review.get("buyer_review_count"), "review_page_id": page["id"],
        "capture_id": page["capture_id"], "run_id": writer.run_id, "first_seen": page["fetched_at"] or writer.now,
    }  # fmt: skip
    if not row["review_id"] or not row["buyer"]:
        raise ValueError("a review needs its review_id and buyer")
    if insert(writer.conn, writer.chain, "buyer_review", row, writer.now, on_conflict=_KEEP_FIRST):
        writer.result.buyer_reviews_new += 1
