"""An analyst's decisions on flags, as queries: which flags await a decision, and a listing's review state.

Why a listing's state is not simply its current verdict's: a dismissal holds for the listing under the ruleset
version it was made under. When the seller edits the listing, the same rules judge the new text in a new
verdict; that is not a new flag for the analyst who already dismissed it. A confirmation holds only for the very
verdict confirmed (changed text needs a fresh look). A later decision always wins, so a dismissal can be undone
by reviewing the listing's current verdict again.

Decisions themselves are written by :meth:`db.store.Store.review_verdict` and read here from ``reviews``
alone: every decision is a logged row of the evidence chain, so what an export shows as reviewed is what
``gigscan verify`` checks (the verdicts' old ``review_*`` columns are neither written nor read).
"""

from __future__ import annotations

from typing import Any

from db.store import REVIEW_STATES, Store

#: The latest decision on verdict ``d``: a verdict's state is its last review's.
_LATEST_OF_D = "x.id = (SELECT max(y.id) FROM reviews y WHERE y.verdict_id = d.id)"
#: Joins ``r``, the review that decides listing ``l``'s state, given ``v``, its current verdict: the latest among
#: the latest decision on ``v`` and the dismissals (still standing) of the listing's verdicts under v's ruleset.
DECIDING_REVIEW_JOIN = (
    "LEFT JOIN reviews r ON r.id = (SELECT x.id FROM reviews x JOIN verdicts d ON d.id = x.verdict_id"
    " WHERE d.listing_id = v.listing_id AND d.ruleset_version = v.ruleset_version AND " + _LATEST_OF_D +
    " AND (d.id = v.id OR x.state = 'dismissed') ORDER BY x.reviewed_at DESC, x.id DESC LIMIT 1)"
)
#: Review columns of a listing, from ``r`` (see :data:`DECIDING_REVIEW_JOIN`).
REVIEW_COLUMNS = (
    "COALESCE(r.state, 'new') AS review_state, r.reviewed_by, r.reviewed_at, r.note AS review_note,"
    " r.verdict_id AS reviewed_verdict_id"
)
#: What ``state`` filters accept beside the stored states: ``open`` (anything not dismissed) and ``any``.
STATE_FILTERS = (*REVIEW_STATES, "open", "any")


def check_state(state: str | None) -> str:
    """``state`` as a filter (None means ``open``), or ValueError naming the choices."""
    state = state or "open"
    if state not in STATE_FILTERS:
        raise ValueError(f"review state must be one of {', '.join(STATE_FILTERS)}, not {state!r}")
    return state


def state_matches(state: str, review_state: str) -> bool:
    return state == "any" or (review_state != "dismissed" if state == "open" else review_state == state)


def decisions(store: Store) -> dict[int, dict[str, Any]]:
    """The review columns of every listing some decision applies to, by listing id (others are ``new``, never reviewed).

    Why a map and not the join per row: reviewed listings are few; resolving the deciding review only for them
    keeps an export of 100,000 flags as fast as the plain query."""
    rows = store.conn.execute(
        f"SELECT l.id, {REVIEW_COLUMNS} FROM listings l JOIN verdicts v ON v.id = l.verdict_id"
        f" {DECIDING_REVIEW_JOIN}"
        " WHERE l.id IN (SELECT d.listing_id FROM reviews x JOIN verdicts d ON d.id = x.verdict_id)"
        " AND r.id IS NOT NULL"
    )
    names = [column[0] for column in rows.description][1:]
    return {listing_id: dict(zip(names, values, strict=True)) for listing_id, *values in rows}


_FLAG_SELECT = (
    "SELECT v.id AS verdict_id, l.id AS listing_id, l.marketplace, s.username, l.external_id, l.url, l.title,"
    " l.status, v.score, CASE WHEN l.flagged = 1 THEN 'flagged' ELSE 'suspect' END AS grade, v.ruleset_version,"
    " v.reasons, v.created_at AS flagged_at, " + REVIEW_COLUMNS +
    " FROM listings l JOIN verdicts v ON v.id = l.verdict_id JOIN sellers s ON s.id = l.seller_id "
    + DECIDING_REVIEW_JOIN
)


def pending(
    store: Store, *, marketplace: str | None = None, limit: int | None = None, suspect_at: float | None = None
) -> list[dict[str, Any]]:
    """Listings awaiting a decision, ``grade`` ``suspect`` first (a score from ``suspect_at`` up, not flagged:
    the ones only an analyst can settle), then ``flagged``, each highest score first. ``verdict_id`` is what
    to review."""
    graded = "l.flagged = 1" if suspect_at is None else "(l.flagged = 1 OR v.score >= ?)"
    where = f"{graded} AND COALESCE(r.state, 'new') = 'new'"
    params: list[Any] = [] if suspect_at is None else [suspect_at]
    if marketplace:
        where += " AND l.marketplace = ?"
        params.append(marketplace)
    sql = f"{_FLAG_SELECT} WHERE {where} ORDER BY l.flagged = 1, v.score DESC, l.id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(store.db.query(sql, params))


def flag(store: Store, verdict_id: int) -> dict[str, Any] | None:
    """A verdict with its listing and seller (whether or not it is the listing's current one)."""
    return next(
        store.db.query(
            "SELECT v.id AS verdict_id, v.flagged, v.listing_id, l.marketplace, s.username, l.external_id, l.url,"
            " l.title, v.score, v.ruleset_version, COALESCE(x.state, 'new') AS review_state, x.reviewed_by,"
            " x.reviewed_at, x.note AS review_note, l.verdict_id = v.id AS is_current"
            " FROM verdicts v JOIN listings l ON l.id = v.listing_id JOIN sellers s ON s.id = l.seller_id"
            " LEFT JOIN reviews x ON x.id = (SELECT max(y.id) FROM reviews y WHERE y.verdict_id = v.id)"
            " WHERE v.id = ?",
            (verdict_id,),
        ),
        None,
    )


def state_counts(store: Store) -> dict[str, int]:
    """Flagged listings per review state (every state present, zero if none)."""
    counts = dict.fromkeys(REVIEW_STATES, 0)
    rows = store.conn.execute(
        "SELECT COALESCE(r.state, 'new'), count(*) FROM listings l JOIN verdicts v ON v.id = l.verdict_id "
        f"{DECIDING_REVIEW_JOIN} WHERE l.flagged = 1 GROUP BY 1"
    )
    counts.update(dict(rows.fetchall()))
    return counts
