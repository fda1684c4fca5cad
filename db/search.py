"""Find sellers by username: exactly (case-insensitive) first, then, on request, renamed look-alikes.

Why variants and fuzzy matching: a seller banned for selling reviews tends to come back as ``name_2``,
``name.official``, ``n4me`` or ``nname``; an analyst searching for the old name should see the new accounts too.

Match kinds, best first:

- ``exact``: the same username; ``case``: the same but for letter case (SQL, through an index);
- ``variant``: the same name once separators, trailing digits and digit-for-letter swaps are undone
  (``john_doe`` / ``johndoe`` / ``john.doe``, ``bess98`` / ``bess_99``, ``b3ss``);
- ``fuzzy``: a similar spelling (rapidfuzz ``ratio`` at least ``min_score``), or the same name with doubled
  letters (``vpross`` / ``vprosss``), which is found whatever its score.

``how`` names what differs, so a person can judge the hit without comparing the spellings letter by letter.
"""

from __future__ import annotations

import json
import operator
import re
from collections import defaultdict
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

if TYPE_CHECKING:  # the store imports verify, which reads the networks that read names from here
    from db.store import Store

MATCH_ORDER = ("exact", "case", "variant", "fuzzy")
HIT_LIMIT = 20  # hits per name, unless asked otherwise (the library's and the CLI's default)
MIN_SCORE = 75.0  # least rapidfuzz ratio (0-100) of a fuzzy hit, unless asked otherwise
_SEPARATORS = re.compile(r"[\s._\-]+")
_TRAILING_DIGITS = re.compile(r"\d+$")
_RUNS = re.compile(r"(.)\1+")
_FIRST_GROUP = operator.itemgetter(1)
# The same over names joined by NUL (no separator, digit or run crosses a NUL): digits ending a name, unless
# they are all of it (as `_TRAILING_DIGITS.sub("", bare) or bare`), and runs within a name.
_JOINED_TRAILING_DIGITS = re.compile(r"(?<=[^\d\x00])\d+(?=\x00|\Z)")
_JOINED_RUNS = re.compile(r"([^\x00])\1+")
# Characters sellers swap for look-alike letters; letters that look alike map to one of them.
_LOOKALIKES = str.maketrans(
    {"0": "o", "1": "i", "l": "i", "!": "i", "|": "i", "2": "z", "3": "e", "4": "a", "@": "a", "5": "s",
     "$": "s", "6": "g", "9": "g", "7": "t", "8": "b"}
)  # fmt: skip
# What a hit shows of each of the seller's listings.
HIT_LISTING_COLUMNS = (
    "id, marketplace, external_id, url, title, price, status, first_seen, last_seen, removed_at, flagged, score,"
    " verdict_id"
)
_LOAD_CHUNK = 5000  # seller ids per query when loading hits
# Query rows per rapidfuzz cdist call: bounds the score matrix (rows x sellers bytes) to a few tens of MB.
_CDIST_ROWS = 128
_CDIST_WORKERS = -1  # every core: on two, cdist over a 1,000-name list takes about a quarter less time
_SCAN_FROM = 32  # names from which rename keys are looked up by a scan rather than a dict (see _Names)


@dataclass
class SellerHit:
    """A seller found for a query: how it matched, how well (0-100), what differs, and its listings."""

    seller: dict[str, Any]
    match: str  # exact | case | variant | fuzzy
    score: float  # 0-100; 100 for exact and case matches
    listings: list[dict[str, Any]] = field(default_factory=list)
    how: list[str] = field(default_factory=list)

    @property
    def flagged_listings(self) -> int:
        return sum(1 for listing in self.listings if listing.get("flagged") == 1)

    @property
    def live_listings(self) -> int:
        return sum(1 for listing in self.listings if listing.get("status") == "active")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "flagged_listings": self.flagged_listings, "live_listings": self.live_listings}


def skeleton(username: str) -> str:
    """What survives a cosmetic rename: lower case, separators dropped, trailing digits dropped
    (``Top_Seller-22`` and ``topseller7`` share ``topseller``)."""
    bare = _SEPARATORS.sub("", username.casefold())
    return _TRAILING_DIGITS.sub("", bare) or bare


def lookalike_key(username: str) -> str:
    """The skeleton with look-alike characters unified (``b3ss_98`` -> ``bess``)."""
    return _lookalike_folded(username.casefold())


def _lookalike_folded(folded: str) -> str:
    bare = _SEPARATORS.sub("", folded)
    return (_TRAILING_DIGITS.sub("", bare) or bare).translate(_LOOKALIKES)


def squashed_key(username: str) -> str:
    """The look-alike key with doubled letters single (``vprosss`` -> ``vpros``)."""
    return _single(lookalike_key(username))


def differences(query: str, username: str) -> list[str]:
    """What a rename changed, in words: separators, digits, digit-for-letter, doubled letters."""
    return _described(_Shape.of(query), _Shape.of(username))


class _Shape(NamedTuple):
    """What :func:`differences` compares of one name; worked out once per name, not once per pair."""

    separators: list[str]
    digits: str  # trailing digits, once separators are dropped
    single: str  # separators and trailing digits dropped, runs single
    lookalike: str  # separators and trailing digits dropped, look-alikes unified
    single_lookalike: str

    @classmethod
    def of(cls, name: str) -> _Shape:
        folded = name.casefold()
        bare = _SEPARATORS.sub("", folded)
        core = _TRAILING_DIGITS.sub("", bare) or bare
        lookalike = core.translate(_LOOKALIKES)
        return cls(_SEPARATORS.findall(folded), _trailing_digits(bare), _single(core), lookalike, _single(lookalike))


def _described(a: _Shape, b: _Shape) -> list[str]:
    how: list[str] = []
    if a.separators != b.separators:
        how.append("separators")
    if a.digits != b.digits:
        how.append("digits")
    if a.single != b.single and a.single_lookalike == b.single_lookalike:
        how.append("digit-for-letter")
    if a.lookalike != b.lookalike and a.single_lookalike == b.single_lookalike:
        how.append("doubled letters")
    return how


def _single(text: str) -> str:
    """Runs of one character made single (``vprosss`` -> ``vpros``)."""
    return _RUNS.sub(_FIRST_GROUP, text)  # a callable: a template ("\\1") is re-expanded on every match


def _trailing_digits(text: str) -> str:
    found = _TRAILING_DIGITS.search(text)
    return found.group() if found else ""


@dataclass
class _Names:
    """Usernames of one marketplace (or all): parallel lists for rapidfuzz, and the rename keys."""

    ids: list[int]
    folded: list[str]
    lookalike: list[str]
    squashed: list[str]
    _grouped: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    @classmethod
    def build(cls, ids: list[int], folded: list[str], lookalike: list[str], squashed: list[str]) -> _Names:
        return cls(ids, _packed(folded), lookalike, squashed)

    def sellers_by(self, key: Literal["lookalike", "squashed"], wanted: Collection[str]) -> Mapping[str, list[int]]:
        """Seller ids by rename key, for (at least) the ``wanted`` keys. A list of names is looked up in one
        pass over the keys (tens of ms); a few names go through a dict of every key, built on first use (a few
        hundred ms) and kept, so that a session searching name after name pays for it once."""
        grouped = self._grouped.get(key)
        if grouped is not None:
            return grouped
        if len(wanted) >= _SCAN_FROM:
            return _group(getattr(self, key), self.ids, wanted)
        grouped = self._grouped[key] = _group(getattr(self, key), self.ids)
        return grouped


def _group(keys: list[str], ids: list[int], only: Container[str] | None = None) -> dict[str, list[int]]:
    """Ids by key (of the ``only`` keys, if given)."""
    grouped: dict[str, list[int]] = defaultdict(list)
    pairs = zip(keys, ids, strict=True)
    for key, seller_id in pairs if only is None else [(key, seller_id) for key, seller_id in pairs if key in only]:
        grouped[key].append(seller_id)
    return grouped


def _packed(texts: list[str]) -> list[str]:
    """The same strings, re-allocated one after another. rapidfuzz reads every choice on every call; strings
    scattered over the heap (as an index build leaves them) make a 200,000-name scan several times slower."""
    packed = "\x00".join(texts).split("\x00")
    return packed if len(packed) == len(texts) else list(texts)


def _rename_keys(folded: list[str]) -> tuple[list[str], list[str]]:
    """The look-alike and squashed keys of many folded names. The patterns run once over the names joined by
    NUL rather than 200,000 times over one name each (about twice as fast); a name holding a NUL itself can not
    be split back, so then it is one name at a time."""
    joined = "\x00".join(folded)
    if joined.count("\x00") != len(folded) - 1:
        lookalike = [_lookalike_folded(name) for name in folded]
        return lookalike, [_single(key) for key in lookalike]
    keys = _JOINED_TRAILING_DIGITS.sub("", _SEPARATORS.sub("", joined)).translate(_LOOKALIKES)
    return keys.split("\x00"), _JOINED_RUNS.sub(_FIRST_GROUP, keys).split("\x00")


class _UsernameIndex:
    """In-memory usernames of a store, grown incrementally: sellers are never deleted or renamed, so rows
    with an id above the last one loaded are exactly what is new. Views per marketplace are built on use."""

    def __init__(self) -> None:
        self.last_id = 0
        self.ids: list[int] = []
        self.markets: list[str] = []
        self.folded: list[str] = []
        self.lookalike: list[str] = []
        self.squashed: list[str] = []
        self.folded_by_id: dict[int, str] = {}
        self._views: dict[str | None, _Names] = {}

    def refresh(self, store: Store) -> None:
        rows = store.conn.execute(
            "SELECT id, marketplace, username FROM sellers WHERE id > ? ORDER BY id", (self.last_id,)
        ).fetchall()
        if not rows:
            return
        ids = [row[0] for row in rows]
        folded = [row[2].casefold() for row in rows]
        lookalike, squashed = _rename_keys(folded)
        self.ids += ids
        self.markets += [row[1] for row in rows]
        self.folded += folded
        self.lookalike += lookalike
        self.squashed += squashed
        self.folded_by_id.update(zip(ids, folded, strict=True))
        self.last_id = ids[-1]
        self._views.clear()

    def names(self, marketplace: str | None) -> _Names:
        view = self._views.get(marketplace)
        if view is None:
            if marketplace is None:
                columns = (self.ids, self.folded, self.lookalike, self.squashed)
            else:
                keep = [i for i, market in enumerate(self.markets) if market == marketplace]
                columns = tuple([column[i] for i in keep] for column in (self.ids, self.folded, self.lookalike,
                                                                        self.squashed))  # fmt: skip
            view = self._views[marketplace] = _Names.build(*columns)
        return view


def _index(store: Store) -> _UsernameIndex:
    """The store's username index, kept with the store (a session searching name after name builds it once)
    and brought up to date with the sellers added since."""
    index = store.caches.setdefault("usernames", _UsernameIndex())
    index.refresh(store)
    return index


def search_sellers(
    store: Store,
    name: str,
    *,
    fuzzy: bool = False,
    limit: int = HIT_LIMIT,
    marketplace: str | None = None,
    min_score: float = MIN_SCORE,
) -> list[SellerHit]:
    """Sellers named ``name``: exact and case-insensitive matches first; with ``fuzzy``, then variants
    (separators, digits, digit-for-letter swaps), doubled letters and rapidfuzz look-alikes scoring at least
    ``min_score``. Ranked by match kind, then score."""
    return search_many(store, [name], fuzzy=fuzzy, limit=limit, marketplace=marketplace, min_score=min_score)[0][1]


def search_many(
    store: Store,
    names: Iterable[str],
    *,
    fuzzy: bool = False,
    limit: int = HIT_LIMIT,
    marketplace: str | None = None,
    min_score: float = MIN_SCORE,
) -> list[tuple[str, list[SellerHit]]]:
    """:func:`search_sellers` for many names at once (an exhibit list of thousands): the username index is
    built once and fuzzy scores come from one rapidfuzz ``cdist`` per block of names. Returns ``(name, hits)``
    in input order, names stripped."""
    queries = [name.strip() for name in names]
    if limit <= 0:
        return [(query, []) for query in queries]
    markets = _marketplaces(store) if marketplace is None else [marketplace]
    found: list[dict[int, tuple[str, float]]] = []
    for query in queries:
        exact = _exact_ids(store, query, markets) if query else []
        found.append({seller_id: ("exact" if name == query else "case", 100.0) for seller_id, name in exact})
    if fuzzy:
        index = _index(store)
        view = index.names(marketplace)
        _add_renames(found, queries, view, index.folded_by_id)
        wanted = [limit + len(hits) if query else 0 for query, hits in zip(queries, found, strict=True)]
        for hits, close in zip(found, _close_matches(view, queries, min_score, wanted), strict=True):
            for seller_id, score in close:
                hits.setdefault(seller_id, ("fuzzy", score))
    ranked: list[tuple[str, list[tuple[int, str, float]]]] = []
    for query, hits in zip(queries, found, strict=True):
        order = sorted(hits.items(), key=lambda item: (MATCH_ORDER.index(item[1][0]), -item[1][1], item[0]))
        ranked.append((query, [(seller_id, kind, score) for seller_id, (kind, score) in order[:limit]]))
    sellers, listings = _load_sellers(store, {seller_id for _, hits in ranked for seller_id, _, _ in hits})
    out = []
    for query, hits in ranked:
        shape = _Shape.of(query)  # once per query, not once per hit
        out.append((query, [
            SellerHit(sellers[i], kind, round(score, 1), list(listings[i]),
                      _described(shape, _Shape.of(sellers[i]["username"])))
            for i, kind, score in hits
        ]))  # fmt: skip
    return out


def _add_renames(
    found: Sequence[dict[int, tuple[str, float]]], queries: Sequence[str], names: _Names, folded_by_id: dict[int, str]
) -> None:
    """Variants (same look-alike key), then doubled letters (same squashed key), scored with ``ratio``."""
    folded = [query.casefold() if query else "" for query in queries]
    lookalike = [_lookalike_folded(name) for name in folded]
    squashed = [_single(key) for key in lookalike]
    by_lookalike = names.sellers_by("lookalike", {key for key, query in zip(lookalike, queries, strict=True) if query})
    by_squashed = names.sellers_by("squashed", {key for key, query in zip(squashed, queries, strict=True) if query})
    for hits, query, name, look, squash in zip(found, queries, folded, lookalike, squashed, strict=True):
        if not query:
            continue
        for kind, candidates in (("variant", by_lookalike.get(look, ())), ("fuzzy", by_squashed.get(squash, ()))):
            for seller_id in candidates:
                if seller_id not in hits:
                    hits[seller_id] = (kind, fuzz.ratio(name, folded_by_id[seller_id]))


def _close_matches(
    names: _Names, queries: Sequence[str], min_score: float, wanted: Sequence[int]
) -> list[list[tuple[int, float]]]:
    """For each query, the (seller id, ratio) of the ``wanted`` best usernames scoring at least ``min_score``
    (ties at the edge included).

    ``ratio`` (normalised Indel distance) is bit-parallel in rapidfuzz, across queries too (SIMD), so blocks of
    queries go through ``cdist`` together; the cutoff skips names whose length alone rules them out. WRatio
    over every name is several times slower."""
    out: list[list[tuple[int, float]]] = [[] for _ in queries]
    if not names.folded:
        return out
    folded = [query.casefold() for query in queries]
    cutoff = max(1, int(min_score))  # a whole-number cutoff at or below min_score: a superset, rechecked below
    for start in range(0, len(folded), _CDIST_ROWS):
        block = folded[start : start + _CDIST_ROWS]
        workers = _CDIST_WORKERS if len(block) > 1 else 1  # threads only slow a single name down
        scores = process.cdist(
            block, names.folded, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8, workers=workers
        )
        # Cells over the cutoff, row by row: one pass over the block, not one call per row.
        rows, all_columns = np.divmod(np.flatnonzero(scores.reshape(-1) > 0), scores.shape[1])
        bounds = np.searchsorted(rows, np.arange(len(block) + 1)).tolist()
        for row, query in enumerate(block):
            count = wanted[start + row]
            columns = all_columns[bounds[row] : bounds[row + 1]]
            if not (count and query and len(columns)):
                continue
            if len(columns) > count:
                floored = scores[row, columns]
                edge = np.partition(floored, len(floored) - count)[len(floored) - count]
                columns = columns[floored >= edge]  # uint8 floors scores: keep every name that may be in the top
            for column in columns.tolist():
                score = fuzz.ratio(query, names.folded[column])  # the exact score, for ranking and display
                if score >= min_score:
                    out[start + row].append((names.ids[column], score))
    return out


def _marketplaces(store: Store) -> list[str]:
    """Distinct marketplaces by a loose index scan of (marketplace, username): a few seeks, not a table scan."""
    rows = store.conn.execute(
        "WITH RECURSIVE m(name) AS (SELECT min(marketplace) FROM sellers"
        " UNION ALL SELECT (SELECT min(marketplace) FROM sellers WHERE marketplace > m.name) FROM m"
        " WHERE m.name IS NOT NULL) SELECT name FROM m WHERE name IS NOT NULL"
    ).fetchall()
    return [row[0] for row in rows]


def _exact_ids(store: Store, name: str, marketplaces: Sequence[str]) -> list[tuple[int, str]]:
    """Sellers with this username, case-insensitively: one statement, one index seek per marketplace (the
    unique index is on (marketplace, username COLLATE NOCASE); a username alone would scan the table)."""
    if not marketplaces:
        return []
    return sorted(store.conn.execute(
        f"SELECT id, username FROM sellers WHERE marketplace IN ({', '.join('?' * len(marketplaces))})"
        " AND username = ?",
        (*marketplaces, name),
    ).fetchall())  # fmt: skip


def _load_sellers(
    store: Store, seller_ids: set[int]
) -> tuple[dict[int, dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """Sellers and their listings (flagged first, then most recently seen), for many hits in a few queries
    rather than two per hit: a 1,000-name list can have thousands of hits."""
    sellers: dict[int, dict[str, Any]] = {}
    listings: dict[int, list[dict[str, Any]]] = defaultdict(list)
    ordered = sorted(seller_ids)
    for start in range(0, len(ordered), _LOAD_CHUNK):
        ids = json.dumps(ordered[start : start + _LOAD_CHUNK])
        for row in _dicts(store, "SELECT * FROM sellers WHERE id IN (SELECT value FROM json_each(?))", ids):
            sellers[row["id"]] = row
        for row in _dicts(
            store,
            f"SELECT seller_id, {HIT_LISTING_COLUMNS} FROM listings WHERE seller_id IN"
            " (SELECT value FROM json_each(?)) ORDER BY seller_id, flagged = 1 DESC, last_seen DESC, id",
            ids,
        ):
            listings[row.pop("seller_id")].append(row)
    return sellers, listings


def _dicts(store: Store, sql: str, *params: Any) -> Iterator[dict[str, Any]]:
    cursor = store.conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))
