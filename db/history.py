"""A listing's or seller's timeline, from the store: first seen, each change of the extracted fields (old ->
new), each verdict with its ruleset version, analyst reviews, removals and reappearances, last seen live.

Why a timeline rather than the rows: an investigator has to say, in order, what was offered when and what
happened to it; the rows are spread over snapshots, verdicts, reviews and events.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from db.evidence import normalised_fields
from db.store import Store

_LISTING_COLUMNS = (
    "id, marketplace, external_id, url, seller_id, title, status, first_seen, last_seen, removed_at, flagged, score,"
    " verdict_id"
)
# Same-time entries keep a readable order: first seen, then what changed, judged, reviewed, removed.
_ORDER = {"first_seen": 0, "changed": 1, "verdict": 2, "review": 3, "removed": 4, "reappeared": 5, "last_seen": 6}


@dataclass
class Timeline:
    """One listing (or the seller's own page) and its events, oldest first."""

    subject: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class History:
    target: str
    seller: Timeline | None
    listings: list[Timeline]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def history(store: Store, target: str) -> History | None:
    """The history of ``target``: a username (any marketplace; the seller and all their listings) or a listing
    URL (tracking query and fragment ignored). None when the store knows neither."""
    target = target.strip()
    if target.startswith(("http://", "https://")):
        listings = listings_by_url(store, target)
        if not listings:
            return None
        return History(target, None, [listing_timeline(store, row) for row in listings])
    sellers = list(store.db.query("SELECT * FROM sellers WHERE username = ? ORDER BY id", (target,)))
    if not sellers:
        return None
    seller = sellers[0]  # one username per marketplace; the first marketplace's (the CLI names any others)
    listings = list(
        store.db.query(f"SELECT {_LISTING_COLUMNS} FROM listings WHERE seller_id = ? ORDER BY id", (seller["id"],))
    )
    return History(target, seller_timeline(store, seller), [listing_timeline(store, row) for row in listings])


def _bare_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def listings_by_url(store: Store, url: str) -> list[dict[str, Any]]:
    """Listings whose URL is ``url``, ignoring query, fragment, a trailing slash and the case of scheme and host."""
    bare = _bare_url(url)
    prefix = bare.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = store.db.query(
        f"SELECT {_LISTING_COLUMNS} FROM listings WHERE url = ? OR url LIKE ? ESCAPE '\\' ORDER BY id",
        (url, prefix + "%"),
    )
    return [row for row in rows if _bare_url(row["url"]) == bare]


def seller_timeline(store: Store, seller: dict[str, Any]) -> Timeline:
    events: list[dict[str, Any]] = [{"at": seller["first_seen"], "kind": "first_seen"}]
    events += _events(store, "seller_id", seller["id"])
    if seller.get("status") != "removed":
        events.append({"at": seller["last_seen"], "kind": "last_seen"})
    return Timeline(seller, _sorted(events))


def listing_timeline(store: Store, listing: dict[str, Any]) -> Timeline:
    listing_id = listing["id"]
    events: list[dict[str, Any]] = [
        {"at": listing["first_seen"], "kind": "first_seen", "url": listing["url"]},
        *_changes(store, listing_id),
        *_verdicts(store, listing_id, listing.get("verdict_id")),
        *_events(store, "listing_id", listing_id),
    ]
    if listing["status"] != "removed":
        events.append({"at": listing["last_seen"], "kind": "last_seen"})
    return Timeline(listing, _sorted(events))


def _sorted(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda event: (event["at"] or "", _ORDER[event["kind"]]))


def _changes(store: Store, listing_id: int) -> list[dict[str, Any]]:
    """Each snapshot after the first of its source (search card, gig page, ...), with the fields that
    changed as ``{field: [old, new]}``."""
    out = []
    previous: dict[str, dict[str, Any]] = {}
    for snap in store.db.query(
        "SELECT id, source, fields, fetched_at, created_at, url, body_sha256 FROM snapshots"
        " WHERE listing_id = ? ORDER BY id",
        (listing_id,),
    ):
        fields = json.loads(snap["fields"])
        before = previous.get(snap["source"])
        previous[snap["source"]] = fields
        if before is None:
            continue
        old, new = normalised_fields(before), normalised_fields(fields)
        changed = {name: [before.get(name), fields.get(name)] for name in fields if old.get(name) != new.get(name)}
        out.append(
            {
                "at": snap["fetched_at"] or snap["created_at"],
                "kind": "changed",
                "source": snap["source"],
                "snapshot_id": snap["id"],
                "changes": changed,
                "body_sha256": snap["body_sha256"],
            }
        )
    return out


def _verdicts(store: Store, listing_id: int, current_id: int | None) -> list[dict[str, Any]]:
    """Every verdict, with the view of the listing it judged (``source``: a search card, a gig page...) and
    whether it is the listing's ``current`` one: a card and a gig page are two snapshots, each with its own
    verdict, and the listing follows the richest view (see ARCHITECTURE.md)."""
    out = []
    for verdict in store.db.query(
        "SELECT v.id, v.snapshot_id, v.ruleset_version, v.flagged, v.score, v.reasons, v.created_at, s.source"
        " FROM verdicts v LEFT JOIN snapshots s ON s.id = v.snapshot_id WHERE v.listing_id = ? ORDER BY v.id",
        (listing_id,),
    ):
        out.append(
            {
                "at": verdict["created_at"],
                "kind": "verdict",
                "verdict_id": verdict["id"],
                "snapshot_id": verdict["snapshot_id"],
                "source": verdict["source"],
                "current": verdict["id"] == current_id,
                "ruleset_version": verdict["ruleset_version"],
                "flagged": bool(verdict["flagged"]),
                "score": verdict["score"],
                "reasons": json.loads(verdict["reasons"]),
            }
        )
        out += [
            {"kind": "review", **review}
            for review in store.db.query(
                "SELECT reviewed_at AS at, verdict_id, state, note, reviewed_by FROM reviews"
                " WHERE verdict_id = ? ORDER BY id",
                (verdict["id"],),
            )
        ]
    return out


def _events(store: Store, column: str, subject_id: int) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in store.db.query(
            f"SELECT at, kind, reason, url, http_status, run_id FROM events WHERE {column} = ? ORDER BY id",
            (subject_id,),
        )
    ]
