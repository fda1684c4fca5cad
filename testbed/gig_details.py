"""A gig's packages and embedded buyer reviews, drawn on first use from the gig's own seed.

These are the bulkiest parts of a gig and most tests never look at them, so the catalogue stores only a seed per
gig and this module derives the details when a page needs them (cached, so they are drawn once per process).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from testbed import vocabulary as vocab
from testbed.dice import Dice

PACKAGE_QUANTITIES = (5, 20, 50)
PACKAGE_PROMISES = ("verified purchase", "non-drop", "lifetime refill")


@dataclass(frozen=True, slots=True)
class Package:
    id: int
    title: str
    description: str
    price_cents: int
    duration_hours: int
    revisions: int  # -1 = unlimited
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BuyerReview:
    username: str
    country_code: str
    comment: str
    value: int
    created_at: str


@lru_cache(maxsize=65536)
def packages(detail_seed: int, service_key: str | None, unit: str, edits: int) -> tuple[Package, ...]:
    """1-3 packages. Prices are whole dollars in cents; each edit adds 10 % of the original price."""
    rng = Dice(detail_seed)
    service = vocab.SERVICES_BY_KEY.get(service_key or "")
    low, high = service.price if service else (5, 40)
    count = rng.weighted((1, 2, 3), (15, 10, 75))
    base = max(5, round(rng.between(low, high + 1) / 5) * 5)
    factors = (1, rng.pick((2, 2.5, 3)), rng.pick((4, 5, 6)))
    titles = rng.pick((("Basic", "Standard", "Premium"), ("BASIC Package - Popular", "STANDARD", "PREMIUM")))
    days = sorted(rng.sample(range(1, 15), 3))
    result = []
    for i in range(count):
        if service:
            features = service.features[: i + 2]
            description = " + ".join(features)
        else:
            features = (f"{PACKAGE_QUANTITIES[i]} {unit}",)
            description = f"{PACKAGE_QUANTITIES[i]} {unit}, {PACKAGE_PROMISES[i]}"
        dollars = max(5, round(base * factors[i] / 5) * 5)
        result.append(Package(
            id=i + 1, title=titles[i], description=description,
            price_cents=round(dollars * (1 + 0.1 * edits)) * 100, duration_hours=days[i] * 24,
            revisions=rng.pick((0, 1, 2, 3, -1)), features=features,
        ))
    return tuple(result)


@lru_cache(maxsize=65536)
def buyer_reviews(detail_seed: int, truth: str, count: int) -> tuple[BuyerReview, ...]:
    """Up to three buyer reviews as embedded in the first batch of a gig page."""
    rng = Dice(detail_seed + 1)
    comments = vocab.BUYER_COMMENTS[truth]
    return tuple(
        BuyerReview(rng.pick(vocab.REVIEWER_NAMES), rng.pick(vocab.COUNTRY_CODES), rng.pick(comments),
                    rng.pick((4, 5, 5, 5)), f"2025-0{rng.between(1, 9)}-{rng.between(10, 28)}T12:00:00")
        for _ in range(min(3, count))
    )
