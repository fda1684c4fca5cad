"""Takedown figures per marketplace: how many flagged listings are still live, how many were removed, and how
long removal took after gigscan first flagged them (what a trust team's response time looks like from outside).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from db.store import Store

_FLAGGED_LISTINGS = """
WITH first_flag AS (
    SELECT listing_id, MIN(created_at) AS flagged_at FROM verdicts WHERE flagged = 1 GROUP BY listing_id
)
SELECT l.marketplace, l.status, f.flagged_at,
       (SELECT MIN(e.at) FROM events e
         WHERE e.listing_id = l.id AND e.kind = 'removed' AND e.at >= f.flagged_at) AS removed_at
FROM listings l JOIN first_flag f ON f.listing_id = l.id
"""


@dataclass
class MarketplaceStats:
    marketplace: str
    listings: int = 0  # known listings
    flagged: int = 0  # listings flagged by any verdict, ever
    still_live: int = 0  # flagged and live at the last look (active or reappeared)
    removed: int = 0  # flagged and removed at the last look
    reappeared: int = 0  # flagged, removed once and live again
    removed_after_flag: int = 0  # flagged listings with a removal after their first flag
    median_seconds_to_removal: float | None = None  # from first flag to first removal after it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def takedown_stats(store: Store) -> list[MarketplaceStats]:
    """One entry per marketplace with listings, alphabetically."""
    out = {
        market: MarketplaceStats(market, listings=count)
        for market, count in store.conn.execute(
            "SELECT marketplace, count(*) FROM listings GROUP BY marketplace ORDER BY marketplace"
        )
    }
    delays: dict[str, list[float]] = {market: [] for market in out}
    for market, status, flagged_at, removed_at in store.conn.execute(_FLAGGED_LISTINGS):
        stats = out[market]
        stats.flagged += 1
        stats.still_live += status in ("active", "reappeared")
        stats.removed += status == "removed"
        stats.reappeared += status == "reappeared"
        if removed_at is not None:
            stats.removed_after_flag += 1
            delays[market].append(_seconds_between(flagged_at, removed_at))
    for market, values in delays.items():
        if values:
            out[market].median_seconds_to_removal = statistics.median(values)
    return list(out.values())


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def human_duration(seconds: float | None) -> str:
    """``3d 4h``, ``5h 12m``, ``40s``: how long, for a table."""
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
