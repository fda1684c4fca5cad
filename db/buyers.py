"""The buyer map: who bought from a seller or a listing (``buyers``) and whom a buyer bought from (``buyer``).

Read from ``buyer_reviews`` (each review's latest version: a reply added later makes a new row, the review is
counted once). Buyers who bought from several sellers with flagged listings come first: a buyer of fake reviews
is usually a repeat buyer, and the people behind one review seller's orders lead to the next review seller.
Every review carries the id of the capture it was read from, so each line of the map has its evidence.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from db.mentions import mentions

_CHUNK = 500  # names per IN (...) list
_REVIEW_COLUMNS = (
    "r.id, r.marketplace, r.review_id, r.buyer, r.created_at, r.stars, r.country_code, r.price_range, r.price_low,"
    " r.price_high, r.repeat_buyer, r.is_business, r.comment, r.reply, r.reply_at, r.scope, r.capture_id,"
    " r.first_seen, r.seller_id, s.username AS seller, l.external_id AS listing, l.title AS listing_title,"
    " l.url AS listing_url"
)
_FROM = " FROM buyer_reviews r JOIN sellers s ON s.id = r.seller_id LEFT JOIN listings l ON l.id = r.listing_id"


class TargetNotFound(LookupError):
    """No stored seller or listing answers to the name given."""


def _rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _latest(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per review (its latest stored version), oldest review first."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["marketplace"], row["review_id"])
        if key not in latest or row["id"] > latest[key]["id"]:
            latest[key] = row
    return sorted(latest.values(), key=lambda r: (r["created_at"] or "", r["id"]))


def _review_out(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("review_id", "created_at", "stars", "country_code", "price_range", "price_low",
                               "price_high", "comment", "reply", "reply_at", "scope", "capture_id", "seller",
                               "listing", "listing_title", "listing_url")}  # fmt: skip
    out["repeat_buyer"] = None if row["repeat_buyer"] is None else bool(row["repeat_buyer"])
    out["is_business"] = None if row["is_business"] is None else bool(row["is_business"])
    out["mentions"] = [m.to_dict() for m in mentions(row["comment"])]
    return out


def resolve_target(conn: sqlite3.Connection, target: str) -> dict[str, Any]:
    """A listing (by URL or external id) or a seller (by username, any marketplace) to map the buyers of."""
    text = target.strip()
    if not text:
        raise TargetNotFound("give a username, a listing URL or a listing id")
    if "://" in text:
        path = urlsplit(text).path.rstrip("/")
        rows = _rows(conn, "SELECT id, marketplace, external_id, seller_id, url, title FROM listings"
                           " WHERE url = ? OR url LIKE ? ESCAPE '\\' LIMIT 2",
                     (text.split("?")[0], "%" + _like(path)))  # fmt: skip
        if rows:
            return {"kind": "listing", **rows[0]}
        text = path.rsplit("/", 1)[-1]
    sellers = _rows(conn, "SELECT id, marketplace, username FROM sellers WHERE username = ? ORDER BY id", (text,))
    if sellers:
        return {"kind": "seller", "ids": [s["id"] for s in sellers], "username": sellers[0]["username"],
                "marketplaces": [s["marketplace"] for s in sellers]}  # fmt: skip
    rows = _rows(conn, "SELECT id, marketplace, external_id, seller_id, url, title FROM listings"
                       " WHERE external_id = ? ORDER BY id LIMIT 1", (text,))  # fmt: skip
    if rows:
        return {"kind": "listing", **rows[0]}
    raise TargetNotFound(f"no stored seller or listing named {target!r}")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def buyer_reach(conn: sqlite3.Connection, marketplace: str, buyers: Sequence[str]) -> dict[str, tuple[int, int]]:
    """For each buyer (case-folded): (sellers bought from, of which sellers with a flagged listing)."""
    reach: dict[str, tuple[int, int]] = {}
    for start in range(0, len(buyers), _CHUNK):
        chunk = list(buyers[start : start + _CHUNK])
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            "WITH bought AS (SELECT DISTINCT lower(buyer) AS buyer, seller_id FROM buyer_reviews"
            f" WHERE marketplace = ? AND buyer IN ({marks}) AND scope != 'as_buyer')"
            " SELECT buyer, COUNT(*), SUM(EXISTS (SELECT 1 FROM listings l WHERE l.seller_id = bought.seller_id"
            " AND l.flagged = 1)) FROM bought GROUP BY buyer",
            (marketplace, *chunk),
        ).fetchall()
        reach.update({row[0]: (row[1], row[2] or 0) for row in rows})
    return reach


def _target_reviews(conn: sqlite3.Connection, target: dict[str, Any]) -> list[dict[str, Any]]:
    if target["kind"] == "listing":
        sql = f"SELECT {_REVIEW_COLUMNS}{_FROM} WHERE r.listing_id = ? AND r.scope != 'as_buyer'"
        return _latest(_rows(conn, sql, (target["id"],)))
    marks = ", ".join("?" * len(target["ids"]))
    sql = f"SELECT {_REVIEW_COLUMNS}{_FROM} WHERE r.seller_id IN ({marks}) AND r.scope != 'as_buyer'"
    return _latest(_rows(conn, sql, target["ids"]))


def _stated_totals(conn: sqlite3.Connection, target: dict[str, Any]) -> dict[str, Any]:
    """What the latest pages said exists in all (reviews beyond those embedded are not fetched): a listing's
    latest gig page; a seller's latest profile, else the sum of their gig pages' latest totals."""
    latest = "SELECT total_count, has_next, capture_id FROM review_pages WHERE {} ORDER BY id DESC LIMIT 1"
    if target["kind"] == "listing":
        row = conn.execute(latest.format("listing_id = ? AND scope = 'gig'"), (target["id"],)).fetchone()
        return {"total_count": row[0], "has_next": bool(row[1]), "capture_id": row[2]} if row else {}
    marks = ", ".join("?" * len(target["ids"]))
    row = conn.execute(latest.format(f"seller_id IN ({marks}) AND scope = 'seller'"), target["ids"]).fetchone()
    if row is not None:
        return {"total_count": row[0], "has_next": bool(row[1]), "capture_id": row[2]}
    gigs = conn.execute(
        "SELECT p.total_count FROM review_pages p WHERE p.id IN (SELECT MAX(id) FROM review_pages"
        f" WHERE seller_id IN ({marks}) AND scope = 'gig' GROUP BY listing_id)", target["ids"]
    ).fetchall()
    return {"total_count": sum(r[0] or 0 for r in gigs), "gig_pages": len(gigs)} if gigs else {}


def buyers_of(conn: sqlite3.Connection, target_name: str) -> dict[str, Any]:
    """Every stored buyer of a seller or listing with their reviews; repeat buyers of review sellers first."""
    target = resolve_target(conn, target_name)
    reviews = _target_reviews(conn, target)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in reviews:
        grouped[(row["marketplace"], row["buyer"].lower())].append(row)
    reach: dict[tuple[str, str], tuple[int, int]] = {}
    by_market: dict[str, list[str]] = defaultdict(list)
    for marketplace, buyer in grouped:
        by_market[marketplace].append(buyer)
    for marketplace, names in by_market.items():
        for name, counts in buyer_reach(conn, marketplace, names).items():
            reach[(marketplace, name)] = counts
    buyers = [_buyer_entry(key, rows, reach.get(key, (1, 0))) for key, rows in grouped.items()]
    buyers.sort(key=lambda b: (-b["review_sellers"], -b["sellers"], -len(b["reviews"]), b["buyer"].lower()))
    return {"target": _target_out(target), "reviews": len(reviews), "buyers": buyers,
            "stated": _stated_totals(conn, target)}  # fmt: skip


def _buyer_entry(key: tuple[str, str], rows: list[dict[str, Any]], counts: tuple[int, int]) -> dict[str, Any]:
    return {
        "marketplace": key[0],
        "buyer": rows[-1]["buyer"],
        "sellers": counts[0],
        "review_sellers": counts[1],
        "first": rows[0]["created_at"],
        "last": rows[-1]["created_at"],
        "repeat_buyer": any(r["repeat_buyer"] for r in rows) or counts[0] > 1,
        "country_code": rows[-1]["country_code"],
        "reviews": [_review_out(r) for r in rows],
    }


def _target_out(target: dict[str, Any]) -> dict[str, Any]:
    if target["kind"] == "listing":
        return {k: target[k] for k in ("kind", "marketplace", "external_id", "url", "title")}
    return {"kind": "seller", "username": target["username"], "marketplaces": target["marketplaces"]}


def bought_by(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    """Every seller a buyer bought from (per marketplace), with dates, and whether the seller is flagged."""
    markets = [row[0] for row in conn.execute("SELECT DISTINCT marketplace FROM sellers").fetchall()]
    rows: list[dict[str, Any]] = []
    where = " WHERE r.marketplace = ? AND r.buyer = ? AND r.scope != 'as_buyer'"
    sql = f"SELECT {_REVIEW_COLUMNS}{_FROM}{where}"
    for marketplace in markets:
        rows.extend(_rows(conn, sql, (marketplace, name)))
    as_buyer = _rows(conn, f"SELECT {_REVIEW_COLUMNS}{_FROM} WHERE s.username = ? AND r.scope = 'as_buyer'", (name,))
    if not rows and not as_buyer:
        raise TargetNotFound(f"no stored review by a buyer named {name!r}")
    latest = _latest(rows)
    by_seller: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in latest:
        by_seller[row["seller_id"]].append(row)
    flagged = _flagged_sellers(conn, list(by_seller))
    sellers = [{
        "marketplace": group[0]["marketplace"], "seller": group[0]["seller"], "flagged": sid in flagged,
        "first": group[0]["created_at"], "last": group[-1]["created_at"], "reviews": [_review_out(r) for r in group],
    } for sid, group in by_seller.items()]  # fmt: skip
    sellers.sort(key=lambda s: (not s["flagged"], s["first"] or ""))
    # A profile's reviews *as a buyer* name, in ``buyer``, the seller who wrote them: whom this account bought from.
    as_seen = [{"marketplace": r["marketplace"], "seller": r["buyer"], "created_at": r["created_at"],
                "comment": r["comment"], "stars": r["stars"], "capture_id": r["capture_id"]} for r in _latest(as_buyer)]
    return {"buyer": latest[-1]["buyer"] if latest else name, "sellers": sellers, "review_sellers": len(flagged),
            "reviews": len(latest), "reviews_received_as_buyer": as_seen}  # fmt: skip


def _flagged_sellers(conn: sqlite3.Connection, seller_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(seller_ids), _CHUNK):
        chunk = seller_ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        found.update(row[0] for row in conn.execute(
            f"SELECT DISTINCT seller_id FROM listings WHERE flagged = 1 AND seller_id IN ({marks})", chunk))
    return found
