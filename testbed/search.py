"""A crude keyword search over gigs, enough to behave like marketplace search for the crawler.

Terms are lowercased word tokens of at least three characters with one trailing "s" stripped ("reviews" ->
"review"). A gig scores 3 per term in its title, 2 per term in its tags and 1 per term in its description; gigs
that share more distinct terms with the query rank first, then higher scores, then more buyer reviews, then lower
gig id, so the order is total and deterministic.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")
FIELD_WEIGHTS = {"title": 3, "tags": 2, "description": 1}


class Searchable(Protocol):
    gig_id: int
    title: str
    description: str
    tags: tuple[str, ...]
    reviews_count: int


def terms(text: str) -> set[str]:
    """Search terms of a text: lowercase words of 3+ characters, one trailing "s" stripped."""
    return {word[:-1] if word.endswith("s") else word for word in _WORD.findall(text.lower()) if len(word) >= 3}


class SearchIndex:
    """Inverted index term -> {gig_id: weight}, built once per catalogue step."""

    def __init__(self, gigs: Iterable[Searchable]) -> None:
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)
        self._popularity: dict[int, int] = {}
        for gig in gigs:
            self._popularity[gig.gig_id] = gig.reviews_count
            fields = {
                "title": terms(gig.title),
                "tags": terms(" ".join(gig.tags)),
                "description": terms(_TAG.sub(" ", gig.description)),
            }
            for field, found in fields.items():
                for term in found:
                    posting = self._postings[term]
                    posting[gig.gig_id] = posting.get(gig.gig_id, 0) + FIELD_WEIGHTS[field]
        self._cache: dict[frozenset[str], list[int]] = {}

    def search(self, query: str) -> list[int]:
        """Gig ids matching any query term, best first."""
        wanted = frozenset(terms(query))
        cached = self._cache.get(wanted)
        if cached is not None:
            return cached
        matched: dict[int, int] = defaultdict(int)
        score: dict[int, int] = defaultdict(int)
        for term in wanted:
            for gig_id, weight in self._postings.get(term, {}).items():
                matched[gig_id] += 1
                score[gig_id] += weight
        ranked = sorted(matched, key=lambda g: (-matched[g], -score[g], -self._popularity[g], g))
        self._cache[wanted] = ranked
        return ranked
