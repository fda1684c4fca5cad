"""Builders for the records :meth:`db.store.Store.record_batch` takes (:mod:`db.records`), for tests and
benchmarks: a store test needs no crawl, and db/ still imports nothing of the crawler.

Each builder fills every field of its record with a plausible value; keyword arguments replace them.
"""

from __future__ import annotations

from typing import Any, cast

from db.records import CaptureRecord, GoneRecord, ListingRecord, ReasonRecord, SellerRecord, VerdictRecord


def capture(**overrides: Any) -> CaptureRecord:
    values = CaptureRecord(
        url="https://www.fiverr.com/vpross/create-a-logo",
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=b"<html><body>gig page</body></html>",
        fetched_at="2024-05-01T10:00:00+00:00",
        request_url=None,
        request_headers={},
        method="GET",
    )
    return cast(CaptureRecord, {**values, **overrides})


def reason(**overrides: Any) -> ReasonRecord:
    """The reason a rule gives, in the one shape crawls and rescans store (``matchers.Reason``)."""
    values = ReasonRecord(
        rule_id="buy-reviews",
        field="title",
        text="reviews",
        start=4,
        end=11,
        kind="keyword",
        weight=0.9,
        explanation="offers reviews for sale",
    )
    return cast(ReasonRecord, {**values, **overrides})


def verdict(flagged: bool = True, score: float = 0.9, ruleset_version: str = "r1", **extra: Any) -> VerdictRecord:
    values = VerdictRecord(
        flagged=flagged,
        grade="flagged" if flagged else "clear",
        score=score,
        reasons=[reason()] if flagged else [],
        ruleset_version=ruleset_version,
    )
    return cast(VerdictRecord, {**values, **extra})


def listing_record(**overrides: Any) -> ListingRecord:
    values = ListingRecord(
        type="listing",
        marketplace="fiverr",
        external_id="1001",
        url="https://www.fiverr.com/vpross/create-a-logo",
        seller="vpross",
        title="I will write 5 star reviews",
        description="Honest looking reviews for your product.",
        tags=["reviews", "amazon"],
        category="Digital Marketing",
        price=5.0,
        currency="USD",
        rating=4.9,
        review_count=120,
        kind="gig",
        detail=2,
        source="gig",
        seller_profile_url="https://www.fiverr.com/vpross",
        extra={},
        capture=capture(),
        verdict=None,
    )
    return cast(ListingRecord, {**values, **overrides})


def seller_record(**overrides: Any) -> SellerRecord:
    values = SellerRecord(
        type="seller",
        marketplace="fiverr",
        username="vpross",
        profile_url="https://www.fiverr.com/vpross",
        display_name=None,
        country=None,
        level=None,
        member_since=None,
        rating=None,
        review_count=None,
        description=None,
        capture=None,
    )
    return cast(SellerRecord, {**values, **overrides})


def gone_record(**overrides: Any) -> GoneRecord:
    """A known listing's page answered 404 on a re-check."""
    values = GoneRecord(
        type="gone",
        kind="listing",
        marketplace="fiverr",
        url="https://www.fiverr.com/vpross/create-a-logo",
        external_id="1001",
        username=None,
        reason="http 404",
        capture=capture(status=404, body=b"<html>not found</html>"),
    )
    return cast(GoneRecord, {**values, **overrides})
