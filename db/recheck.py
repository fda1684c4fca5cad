"""What a re-check crawl visits: the known listings and sellers of interest, read from the store.

Why from the store and not from search: a listing taken down no longer shows up in search results, so only a
visit to its own URL can show that it is gone (404/410, a redirect away) or that it came back. The CLI hands
these targets to the spider as a JSON Lines file (spiders hold no SQL), and after the crawl calls
:meth:`db.store.Store.close_recheck` with the listing ids so that targets the crawl never reached count as
missed. A distributed re-check carries the same ids in its run's spec (:func:`recheck_plan`), and the ingester
closes it (:func:`close_recheck_run`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from db.store import Store

MISSING_AFTER = 3  # a listing missed by this many re-checks in a row is removed (the crawl's default)
_EVER_FLAGGED = "EXISTS (SELECT 1 FROM verdicts v WHERE v.listing_id = l.id AND v.flagged = 1)"


@dataclass(frozen=True)
class RecheckTarget:
    """One page to re-visit: a listing (by external id) or a seller profile (by username)."""

    kind: str  # listing | seller
    id: int  # the store's listing or seller id
    marketplace: str
    url: str
    external_id: str | None = None
    username: str | None = None


def recheck_targets(store: Store, marketplace: str, *, everything: bool = False) -> list[RecheckTarget]:
    """Listings ever flagged and sellers with such a listing (removed ones too: they may come back); with
    ``everything``, every known listing and seller of the marketplace."""
    listing_filter = "" if everything else f" AND {_EVER_FLAGGED}"
    seller_filter = (
        "" if everything else f" AND EXISTS (SELECT 1 FROM listings l WHERE l.seller_id = s.id{listing_filter})"
    )
    targets = [
        RecheckTarget("listing", row[0], marketplace, row[1], external_id=row[2])
        for row in store.conn.execute(
            f"SELECT l.id, l.url, l.external_id FROM listings l WHERE l.marketplace = ? AND l.url IS NOT NULL"
            f"{listing_filter} ORDER BY l.id",
            (marketplace,),
        )
    ]
    targets += [
        RecheckTarget("seller", row[0], marketplace, row[1], username=row[2])
        for row in store.conn.execute(
            f"SELECT s.id, s.profile_url, s.username FROM sellers s WHERE s.marketplace = ?"
            f" AND s.profile_url IS NOT NULL{seller_filter} ORDER BY s.id",
            (marketplace,),
        )
    ]
    return targets


def recheck_plan(targets: Iterable[RecheckTarget], missing_after: int) -> dict[str, Any]:
    """What a distributed re-check run carries in its spec for the ingester to close it: the listing ids it
    targets (JSON-ready), how many sellers, and after how many missed re-checks a listing is removed."""
    targets = list(targets)
    listing_ids = [t.id for t in targets if t.kind == "listing"]
    return {"listing_ids": listing_ids, "sellers": len(targets) - len(listing_ids), "missing_after": missing_after}


def close_recheck_run(store: Store, run_id: int, plan: Mapping[str, Any]) -> dict[str, int]:
    """After a finished distributed re-check run: count its unreached targets as missed (as a local re-check
    does, ``Store.close_recheck``) and say what the run found, from the events it recorded."""
    after_misses = store.close_recheck(run_id, plan["listing_ids"], int(plan["missing_after"])).removed
    found = dict(store.conn.execute("SELECT kind, count(*) FROM events WHERE run_id = ? GROUP BY kind", (run_id,)))
    return {"listings": len(plan["listing_ids"]), "sellers": int(plan["sellers"]),
            "removed": int(found.get("removed", 0)), "removed_after_misses": after_misses,
            "reappeared": int(found.get("reappeared", 0)), "missing_after": int(plan["missing_after"])}  # fmt: skip


def write_targets(targets: Iterable[RecheckTarget], path: Path) -> int:
    """Write targets as JSON Lines (the spider's ``recheck`` argument); returns how many."""
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for target in targets:
            fh.write(json.dumps(asdict(target), ensure_ascii=False) + "\n")
            count += 1
    return count
