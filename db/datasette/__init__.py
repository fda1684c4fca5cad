"""Datasette metadata for browsing an evidence store: labelled tables, useful facets and canned queries.

Why Datasette: investigators browse, filter and facet the store in a browser without writing SQL, and share a
link to a query. The store is served read-only (``gigscan serve``); these queries only read.
"""

from __future__ import annotations

from typing import Any

from db.datasette.buyers import BUYER_QUERIES, BUYER_TABLES
from db.review import DECIDING_REVIEW_JOIN

FLAGGED_SELLERS_SQL = f"""
SELECT s.id AS seller_id, s.marketplace, s.username, s.profile_url, count(*) AS flagged_listings,
       max(l.score) AS top_score, sum(l.status = 'removed') AS removed_listings,
       sum(COALESCE(r.state, 'new') = 'confirmed') AS confirmed, s.first_seen, s.last_seen
FROM listings l
JOIN sellers s ON s.id = l.seller_id
JOIN verdicts v ON v.id = l.verdict_id
{DECIDING_REVIEW_JOIN}
WHERE l.flagged = 1 AND COALESCE(r.state, 'new') != 'dismissed'
GROUP BY s.id
ORDER BY top_score DESC, flagged_listings DESC, s.username
"""

REMOVED_AFTER_FLAG_SQL = """
SELECT * FROM (
  SELECT l.id AS listing_id, l.marketplace, s.username, l.title, l.url, l.score,
         (SELECT min(f.created_at) FROM verdicts f WHERE f.listing_id = l.id AND f.flagged = 1) AS first_flagged,
         l.removed_at
  FROM listings l JOIN sellers s ON s.id = l.seller_id
  WHERE l.status = 'removed'
)
WHERE first_flagged IS NOT NULL AND removed_at >= first_flagged
ORDER BY removed_at DESC
"""

# Usernames are grouped first (one pass over sellers); flagged listings are counted only for the few groups left.
SEVERAL_MARKETPLACES_SQL = """
WITH groups AS (
  SELECT username COLLATE NOCASE AS username, count(DISTINCT marketplace) AS marketplaces,
         group_concat(marketplace, ', ') AS seen_on, json_group_array(id) AS ids,
         min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM sellers
  GROUP BY username COLLATE NOCASE
  HAVING count(DISTINCT marketplace) > 1
)
SELECT username, marketplaces, seen_on,
       (SELECT count(*) FROM listings l
        WHERE l.flagged = 1 AND l.seller_id IN (SELECT value FROM json_each(groups.ids))) AS flagged_listings,
       first_seen, last_seen
FROM groups
ORDER BY flagged_listings DESC, marketplaces DESC, username
"""

QUERIES: dict[str, dict[str, str]] = {
    "flagged_sellers": {
        "title": "Flagged sellers",
        "description": "Sellers with listings currently flagged (dismissed flags left out), best score first.",
        "sql": FLAGGED_SELLERS_SQL.strip(),
    },
    "listings_removed_after_flag": {
        "title": "Listings removed after they were flagged",
        "description": "Flagged listings that the marketplace (or the seller) took down after gigscan flagged them.",
        "sql": REMOVED_AFTER_FLAG_SQL.strip(),
    },
    "sellers_on_several_marketplaces": {
        "title": "Sellers seen on several marketplaces",
        "description": "The same username (ignoring case) on more than one marketplace.",
        "sql": SEVERAL_MARKETPLACES_SQL.strip(),
    },
}

QUERIES.update(BUYER_QUERIES)

TABLES: dict[str, dict[str, Any]] = {
    "sellers": {
        "description": "One row per seller account (marketplace + username), with when gigscan first and last saw it.",
        "label_column": "username",
        "facets": ["marketplace", "status", "level", "country"],
    },
    "listings": {
        "description": "One row per listing (gig) with its current text, status and current verdict.",
        "label_column": "title",
        "facets": ["marketplace", "flagged", "status"],
    },
    "verdicts": {
        "description": "Each judgement of a listing snapshot by a ruleset version, with the analyst's review.",
        "facets": ["review_state", "ruleset_version", "flagged"],
        "sort_desc": "id",
    },
    "snapshots": {
        "description": "A listing's extracted fields each time they changed (its history).",
        "facets": ["source"],
    },
    "sightings": {"description": "Every time a listing or seller page was seen, by which run.", "facets": ["source"]},
    "runs": {
        "description": "Crawls and scans: arguments, times, status and statistics.",
        "label_column": "kind",
        "facets": ["kind", "status"],
    },
    "reviews": {"description": "Analysts' decisions on flags, in order.", "facets": ["state", "reviewed_by"]},
    "events": {"description": "Listings and sellers removed or reappearing.", "facets": ["kind"]},
    "evidence_log": {"description": "The append-only hash chain over stored evidence.", "facets": ["kind"]},
    "captures": {"description": "HTTP exchanges as captured (the bodies are in the WARC export)."},
    "bodies": {"description": "Raw response bodies, zstd-compressed, keyed by SHA-256.", "hidden": True},
}

TABLES.update(BUYER_TABLES)

def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for a store served under the name ``database`` (its file name without suffix)."""
    return {
        "title": "gigscan evidence store",
        "description": "Sellers, listings and their history as crawled by gigscan. Read-only.",
        "databases": {database: {"tables": TABLES, "queries": QUERIES}},
    }
