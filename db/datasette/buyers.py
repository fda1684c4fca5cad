"""Datasette canned queries and table labels for buyers and seller networks (issue 18).

Kept apart from the store-wide queries so each stays short. Read-only SQL; the network queries read the latest
stored computation (``gigscan networks`` computes one).
"""

from __future__ import annotations

from typing import Any

REPEAT_BUYERS_SQL = """
WITH flagged AS (SELECT DISTINCT seller_id FROM listings WHERE flagged = 1),
bought AS (
  SELECT r.marketplace, lower(r.buyer) AS buyer, r.seller_id, min(r.created_at) AS first, max(r.created_at) AS last
  FROM buyer_reviews r WHERE r.scope != 'as_buyer' GROUP BY 1, 2, 3
)
SELECT b.marketplace, b.buyer, count(*) AS sellers, sum(b.seller_id IN flagged) AS review_sellers,
       group_concat(s.username, ', ') AS bought_from, min(b.first) AS first, max(b.last) AS last
FROM bought b JOIN sellers s ON s.id = b.seller_id
GROUP BY b.marketplace, b.buyer
HAVING review_sellers >= 2
ORDER BY review_sellers DESC, sellers DESC, b.buyer
"""

BUYERS_OF_SELLER_SQL = """
SELECT r.buyer, r.country_code, r.created_at, r.stars, r.price_range, r.repeat_buyer, r.is_business, r.comment,
       r.reply, l.external_id AS listing, r.capture_id
FROM buyer_reviews r JOIN sellers s ON s.id = r.seller_id LEFT JOIN listings l ON l.id = r.listing_id
WHERE s.username = :username AND r.scope != 'as_buyer'
ORDER BY r.created_at DESC
"""

NETWORKS_SQL = """
WITH latest AS (SELECT max(id) AS id FROM network_runs)
SELECT m.network, count(*) AS accounts, group_concat(s.marketplace || ':' || s.username, ', ') AS members,
       (SELECT group_concat(kind || ' ' || n, ', ') FROM (SELECT kind, count(*) AS n FROM network_links k
         WHERE k.run_id = m.run_id AND k.a_id IN (SELECT seller_id FROM network_members x
           WHERE x.run_id = m.run_id AND x.network = m.network) GROUP BY kind)) AS links
FROM network_members m JOIN sellers s ON s.id = m.seller_id
WHERE m.run_id = (SELECT id FROM latest)
GROUP BY m.network
ORDER BY accounts DESC, m.network
"""

NETWORK_LINKS_SQL = """
SELECT sa.marketplace || ':' || sa.username AS a, sb.marketplace || ':' || sb.username AS b, k.kind, k.strength,
       k.reason, k.evidence
FROM network_links k JOIN sellers sa ON sa.id = k.a_id JOIN sellers sb ON sb.id = k.b_id
WHERE k.run_id = (SELECT max(id) FROM network_runs) AND (sa.username = :username OR sb.username = :username)
ORDER BY k.strength DESC
"""

BUYER_QUERIES: dict[str, dict[str, str]] = {
    "repeat_buyers": {
        "title": "Repeat buyers of review sellers",
        "description": "Buyers who reviewed two or more sellers of flagged listings, most review sellers first.",
        "sql": REPEAT_BUYERS_SQL.strip(),
    },
    "buyers_of_seller": {
        "title": "Buyers of a seller",
        "description": "Every stored buyer review of one seller (by username), newest first.",
        "sql": BUYERS_OF_SELLER_SQL.strip(),
    },
    "seller_networks": {
        "title": "Seller networks",
        "description": "Accounts that are one operation (latest computation of `gigscan networks`), largest first.",
        "sql": NETWORKS_SQL.strip(),
    },
    "network_links_of_account": {
        "title": "Links of an account",
        "description": "Every link of one account (by username) with its kind, strength, reason and evidence.",
        "sql": NETWORK_LINKS_SQL.strip(),
    },
}

BUYER_TABLES: dict[str, dict[str, Any]] = {
    "buyer_reviews": {
        "description": "Buyers' reviews as pages showed them, one row per version, tied to their capture.",
        "label_column": "buyer",
        "facets": ["marketplace", "scope", "repeat_buyer", "is_business", "country_code"],
    },
    "review_pages": {"description": "Review blocks seen, with the totals each page stated.", "facets": ["scope"]},
    "network_links": {"description": "Links between accounts, per network computation.", "facets": ["kind"]},
}
