"""What a buyer's comment says the reviews were for: a product, a shop, a platform ("my Amazon listing", an ASIN,
"our Google Maps business"). Found as spans, so a report can highlight them in the comment as written.

Plain regular expressions over the comment (bounded, linear patterns; no nested quantifiers): a buyer of fake
reviews names the thing to be reviewed far more often than an honest buyer of a logo does, and an investigator
wants to follow it to the marketplace where the reviews landed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

_PLATFORMS = (
    r"amazon|etsy|ebay|shopify|walmart|google(?: maps| my business)?|trustpilot|yelp|tripadvisor|app store|"
    r"play store|facebook|booking(?:\.com)?|airbnb|g2|capterra"
)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("asin", re.compile(r"\b(?:ASIN[:\s#]*)?B0[0-9A-Z]{8}\b")),
    (
        "listing",
        re.compile(
            rf"\b(?:my|our|the)\s+(?:new\s+)?(?:{_PLATFORMS})\s+"
            r"(?:listing|store|shop|product|page|business|app|profile|seller account)"
            r"(?:\s+(?!B0[0-9A-Z]{8}\b)[A-Z][\w&'-]{2,30})?",
            re.IGNORECASE,
        ),
    ),
    ("business", re.compile(rf"\b(?:{_PLATFORMS})\s+(?:business|shop|store|page)\s+[\w&'-]{{3,30}}", re.IGNORECASE)),
    ("site", re.compile(r"\b[a-z0-9][a-z0-9-]{1,40}\.(?:com|net|org|shop|store|co\.uk|io)\b", re.IGNORECASE)),
    ("platform", re.compile(rf"\b(?:{_PLATFORMS})\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str  # asin | listing | business | site | platform
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mentions(comment: str | None) -> list[Mention]:
    """Non-overlapping mentions in the comment, in order; a longer, more specific one wins over a part of it."""
    if not comment:
        return []
    found: list[Mention] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(comment):
            start, end = match.span()
            if not any(start < m.end and m.start < end for m in found):
                found.append(Mention(start, end, kind, match.group()))
    return sorted(found, key=lambda m: m.start)
