"""Find sellers by username: exactly (case-insensitive) first, then, on request, renamed look-alikes.

Why variants and fuzzy matching: a seller banned for selling reviews tends to come back as ``name_2``,
``name.official`` or ``nmae``; an analyst searching for the old name should see the new accounts too.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from db.store import Store

MATCH_ORDER = ("exact", "case", "variant", "fuzzy")
_SEPARATORS = re.compile(r"[\s._\-]+")
_TRAILING_DIGITS = re.compile(r"\d+$")


@dataclass
class SellerHit:
    seller: dict[str, Any]
    match: str  # exact | case | variant | fuzzy
    score: float  # 0-100; 100 for exact and case matches
    listings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def skeleton(username: str) -> str:
    """What survives a cosmetic rename: lower case, separators dropped, trailing digits dropped
    (``Top_Seller-22`` and ``topseller7`` share ``topseller``)."""
    bare = _SEPARATORS.sub("", username.casefold())
    return _TRAILING_DIGITS.sub("", bare) or bare


@dataclass
class _Names:
    """Usernames of one marketplace (or all), in parallel lists for rapidfuzz and a skeleton lookup."""

    ids: list[int] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    by_skeleton: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, seller_id: int, username: str) -> None:
        self.ids.append(seller_id)
        self.folded.append(username.casefold())
        self.by_skeleton[skeleton(username)].append(seller_id)


class _UsernameIndex:
    """In-memory usernames of a store, grown incrementally: sellers are never deleted or renamed, so rows
    with an id above the last one loaded are exactly what is new."""

    def __init__(self) -> None:
        self.last_id = 0
        self.names: dict[str | None, _Names] = defaultdict(_Names)

    def refresh(self, store: Store) -> None:
        rows = store.conn.execute(
            "SELECT id, marketplace, username FROM sellers WHERE id > ? ORDER BY id", (self.last_id,)
        ).fetchall()
        for seller_id, marketplace, username in rows:
            self.names[None].add(seller_id, username)
            self.names[marketplace].add(seller_id, username)
            self.last_id = seller_id


_indexes: weakref.WeakKeyDictionary[Store, _UsernameIndex] = weakref.WeakKeyDictionary()


def _index(store: Store) -> _UsernameIndex:
    index = _indexes.get(store)
    if index is None:
        index = _indexes[store] = _UsernameIndex()
    index.refresh(store)
    return index


def search_sellers(
    store: Store,
    name: str,
    *,
    fuzzy: bool = False,
    limit: int = 20,
    marketplace: str | None = None,
    min_score: float = 75.0,
) -> list[SellerHit]:
    """Sellers named ``name``: exact and case-insensitive matches first; with ``fuzzy``, then variants
    (separators, trailing digits) and rapidfuzz look-alikes scoring at least ``min_score``."""
    name = name.strip()
    if not name or limit <= 0:
        return []
    found: dict[int, tuple[str, float]] = {}
    for seller_id, username in _exact_ids(store, name, marketplace):
        found[seller_id] = ("exact" if username == name else "case", 100.0)
    if fuzzy:
        names = _index(store).names[marketplace]
        folded = name.casefold()
        for seller_id in names.by_skeleton.get(skeleton(name), ()):
            found.setdefault(seller_id, ("variant", 0.0))
        for _choice, score, position in process.extract(
            folded, names.folded, scorer=fuzz.ratio, score_cutoff=min_score, limit=limit + len(found)
        ):
            found.setdefault(names.ids[position], ("fuzzy", score))
    ranked = sorted(found.items(), key=lambda item: (MATCH_ORDER.index(item[1][0]), -item[1][1], item[0]))
    return [_hit(store, seller_id, kind, score, name) for seller_id, (kind, score) in ranked[:limit]]


def _exact_ids(store: Store, name: str, marketplace: str | None) -> list[tuple[int, str]]:
    sql = "SELECT id, username FROM sellers WHERE username = ?"  # username is COLLATE NOCASE
    params: tuple[str, ...] = (name,)
    if marketplace:
        sql += " AND marketplace = ?"
        params += (marketplace,)
    return store.conn.execute(sql + " ORDER BY id", params).fetchall()


def _hit(store: Store, seller_id: int, kind: str, score: float, name: str) -> SellerHit:
    seller = next(store.db.query("SELECT * FROM sellers WHERE id = ?", (seller_id,)))
    if kind == "variant":
        score = fuzz.ratio(name.casefold(), seller["username"].casefold())
    return SellerHit(seller, kind, round(score, 1), store.seller_listings(seller_id))
