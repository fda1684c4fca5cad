"""Builders for the records :meth:`db.store.Store.record_batch` takes, for tests and benchmarks.

They mirror ``{"type": ..., **dataclasses.asdict(item)}`` of ``crawler.items`` (a test checks the keys match),
so store tests need no crawl and db/ still imports nothing of the crawler.
"""

from __future__ import annotations

from typing import Any


def capture(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "url": "https://www.fiverr.com/vpross/create-a-logo",
        "status": 200,
        "headers": {"Content-Type": "text/html; charset=utf-8"},
        "body": b"<html><body>gig page</body></html>",
        "fetched_at": "2024-05-01T10:00:00+00:00",
        "request_url": None,
        "request_headers": {},
        "method": "GET",
    }
    values.update(overrides)
    return values


def verdict(flagged: bool = True, score: float = 0.9, ruleset_version: str = "r1", **extra: Any) -> dict[str, Any]:
    reasons = [{"rule_id": "buy-reviews", "field": "title", "matched": "reviews", "start": 4, "end": 11}]
    return {
        "flagged": flagged,
        "score": score,
        "reasons": reasons if flagged else [],
        "ruleset_version": ruleset_version,
        **extra,
    }


def listing_record(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "type": "listing",
        "marketplace": "fiverr",
        "external_id": "1001",
        "url": "https://www.fiverr.com/vpross/create-a-logo",
        "seller": "vpross",
        "title": "I will write 5 star reviews",
        "description": "Honest looking reviews for your product.",
        "tags": ["reviews", "amazon"],
        "category": "Digital Marketing",
        "price": 5.0,
        "currency": "USD",
        "rating": 4.9,
        "review_count": 120,
        "kind": "gig",
        "detail": 2,
        "source": "gig",
        "seller_profile_url": "https://www.fiverr.com/vpross",
        "extra": {},
        "capture": capture(),
        "verdict": None,
    }
    values.update(overrides)
    return values


def seller_record(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "type": "seller",
        "marketplace": "fiverr",
        "username": "vpross",
        "profile_url": "https://www.fiverr.com/vpross",
        "display_name": None,
        "country": None,
        "level": None,
        "member_since": None,
        "rating": None,
        "review_count": None,
        "description": None,
        "capture": None,
    }
    values.update(overrides)
    return values


def gone_record(**overrides: Any) -> dict[str, Any]:
    """A known listing's page answered 404 on a re-check (see the "gone" record in db.writer)."""
    values: dict[str, Any] = {
        "type": "gone",
        "kind": "listing",
        "marketplace": "fiverr",
        "url": "https://www.fiverr.com/vpross/create-a-logo",
        "external_id": "1001",
        "username": None,
        "reason": "http 404",
        "capture": capture(status=404, body=b"<html>not found</html>"),
    }
    values.update(overrides)
    return values
