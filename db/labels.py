"""Analysts' decisions as labeled data: every confirmed or dismissed verdict as a row in dev.jsonl's format.

Why: a team's own decisions are the labeled texts closest to what it crawls. ``gigscan eval`` measures a ruleset
on them and ``gigscan rules check --examples`` keeps a ruleset from regressing on them.

The text is the snapshot the verdict judged (as stored, not the listing's current text); the label is the
latest decision on that verdict (``confirmed`` -> 1, ``dismissed`` -> 0; a decision set back to ``new`` drops the
row). One row per snapshot: when the same text was decided under several ruleset versions, the latest wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from db.records import listing_side
from db.store import Store

LABELS = {"confirmed": 1, "dismissed": 0}

_DECISIONS = """
SELECT v.id AS verdict_id, v.snapshot_id, v.ruleset_version, v.flagged, v.score, l.marketplace, l.external_id,
       COALESCE(s.url, l.url) AS url, l.kind, s.fields, r.state, r.note, r.reviewed_by, r.reviewed_at
FROM reviews r
JOIN verdicts v ON v.id = r.verdict_id
JOIN listings l ON l.id = v.listing_id
JOIN snapshots s ON s.id = v.snapshot_id
WHERE r.id = (SELECT d.id FROM reviews d JOIN verdicts dv ON dv.id = d.verdict_id
              WHERE dv.snapshot_id = v.snapshot_id ORDER BY d.reviewed_at DESC, d.id DESC LIMIT 1)
ORDER BY r.reviewed_at, r.id
"""


def labeled_rows(store: Store) -> Iterator[dict[str, Any]]:
    """Each decided listing text, oldest decision first, as a labeled row (``label``, ``who``, ``when``...)."""
    cursor = store.conn.execute(_DECISIONS)
    names = [column[0] for column in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        if row["state"] not in LABELS:
            continue
        yield _labeled(row)


def _labeled(row: dict[str, Any]) -> dict[str, Any]:
    fields = json.loads(row["fields"])
    tags = fields.get("tags") or []
    return {
        "id": f"{row['marketplace']}:{row['external_id']}:s{row['snapshot_id']}",
        "marketplace": row["marketplace"],
        "title": fields.get("title") or "",
        "description": fields.get("description") or "",
        "tags": [str(t) for t in tags] if isinstance(tags, list) else [],
        "label": LABELS[row["state"]],
        "category": f"analyst_{row['state']}",
        "source": row["url"] or "",
        "note": row["note"] or "",
        "ambiguous": False,
        "hard_negative": bool(row["flagged"]) and row["state"] == "dismissed",
        "listing_side": listing_side(row["kind"]),  # a job post is a buyer's: the rules read the side
        "source_type": "analyst_decision",
        "fragment": False,
        "who": row["reviewed_by"],
        "when": row["reviewed_at"],
        "verdict_id": row["verdict_id"],
        "ruleset_version": row["ruleset_version"],
        "score": row["score"],
    }
