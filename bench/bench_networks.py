"""Buyer maps and seller networks at scale: query times of ``buyers``, ``buyer``, ``network`` and ``networks``, and
the time to cluster the whole store, on a synthetic store of N listings and 5 N buyer reviews.

Baselines, measured in the same run on the same store: for the lookups, the same buyer query with the store's
indexes bypassed (``NOT INDEXED``: what answering would cost without them); for clustering, one pass that reads
every listing's text (the least any whole-store analysis must do). Targets from issue 18: lookups under 200 ms at
1,000,000 listings / 5,000,000 reviews, clustering under 2 minutes.

The store: sellers with five listings each; 7 % of sellers sell reviews (flagged listings); 1 % of sellers run
in operations of three accounts sharing an e-mail address; repeat buyers buy from several review sellers; every
other buyer is one of millions. Rows are inserted with plain ``executemany`` (the store's own writer is measured
by ``bench_store``); the schema, indexes and queries are the real ones.

``python -m bench.bench_networks`` runs a quick 20,000-listing store; ``--listings 1000000`` the full size.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from db import Store
from db.buyers import bought_by, buyers_of
from db.network_runs import compute, list_networks, network_of

VOCABULARY = [f"w{n}" for n in range(3000)]
PER_SELLER = 5
REVIEWS_PER_LISTING = 5
NOW = "2026-01-01T00:00:00.000Z"


def _sellers(rng: random.Random, count: int) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(count):
        about = " ".join(rng.choices(VOCABULARY, k=12))
        if i % 100 < 3:  # operations of three accounts: sellers 0-2, 100-102, ... share one address
            about += f" mail me at ops{i // 100}@gmail.com"
        rows.append((i + 1, "fiverr", f"seller{i}", about, NOW, NOW))
    return rows


def _listings(rng: random.Random, sellers: int) -> list[tuple[Any, ...]]:
    rows = []
    for s in range(sellers):
        flagged = int(s % 100 < 7)
        for n in range(PER_SELLER):
            lid = s * PER_SELLER + n + 1
            text = " ".join(rng.choices(VOCABULARY, k=40))
            rows.append((lid, "fiverr", str(lid), s + 1, f"gig {lid}", text, flagged, NOW, NOW))
    return rows


def _reviews(rng: random.Random, listings: int) -> list[tuple[Any, ...]]:
    repeat = [f"repeat{n}" for n in range(max(50, listings // 200))]
    rows = []
    for lid in range(1, listings + 1):
        seller = (lid - 1) // PER_SELLER + 1
        review_seller = (seller - 1) % 100 < 7
        for n in range(REVIEWS_PER_LISTING):
            buyer = rng.choice(repeat) if review_seller and n < 2 else f"b{rng.randrange(listings * 4)}"
            rows.append((f"{lid}-{n}", f"h{lid}-{n}", seller, lid, "gig", buyer, f"2025-0{1 + n}-10T00:00:00.000Z",
                         5.0, "Up to $50", "great reviews for my Amazon listing B0ABCDEFGH", seller, NOW))  # fmt: skip
    return rows


def build(path: Path, listings: int, seed: int = 18) -> dict[str, float]:
    """A store of ``listings`` listings and 5x as many reviews; returns the seconds each part took."""
    rng = random.Random(seed)
    sellers = listings // PER_SELLER
    took: dict[str, float] = {}
    with Store(path) as store:
        conn = store.conn
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA cache_size = -1000000")  # 1 GB: bulk loading, not what is measured
        # Indexes are built once after loading (the same indexes, far faster than row by row), then ANALYZE.
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('buyer_reviews', 'listings', 'sellers')"
        ).fetchall()
        for name, _sql in indexes:
            conn.execute(f"DROP INDEX [{name}]")
        started = time.perf_counter()
        conn.executemany("INSERT INTO sellers (id, marketplace, username, description, first_seen, last_seen)"
                         " VALUES (?, ?, ?, ?, ?, ?)", _sellers(rng, sellers))  # fmt: skip
        conn.executemany(
            "INSERT INTO listings (id, marketplace, external_id, seller_id, title, description, flagged, first_seen,"
            " last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _listings(rng, sellers))
        conn.executemany("INSERT INTO review_pages (id, marketplace, seller_id, scope, url, shown, created_at)"
                         " VALUES (?, 'fiverr', ?, 'gig', 'https://www.fiverr.com/', 5, ?)",
                         [(s, s, NOW) for s in range(1, sellers + 1)])  # fmt: skip
        conn.commit()
        took["sellers_listings"] = time.perf_counter() - started
        started = time.perf_counter()
        for start in range(1, sellers * PER_SELLER + 1, 200_000):
            chunk = _reviews(random.Random(seed + start), min(200_000, sellers * PER_SELLER - start + 1))
            offset = start - 1
            conn.executemany(
                "INSERT INTO buyer_reviews (marketplace, review_id, content_hash, seller_id, listing_id, scope, buyer,"
                " created_at, stars, price_range, comment, review_page_id, first_seen)"
                " VALUES ('fiverr', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(f"{offset}:{r[0]}", r[1], r[2] + offset // PER_SELLER, r[3] + offset, *r[4:10],
                  r[10] + offset // PER_SELLER, r[11]) for r in chunk],
            )  # fmt: skip
            conn.commit()
        took["reviews"] = time.perf_counter() - started
        started = time.perf_counter()
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
        conn.commit()
        took["indexes"] = time.perf_counter() - started
    return took


CPU_MS: dict[str, float] = {}  # the same lookups in this process's CPU time (the machine may be shared)


def _timed(fn: Any, repeat: int = 5, name: str = "") -> float:
    """Best of ``repeat`` runs, in milliseconds of wall time (and of CPU time, kept in CPU_MS under ``name``)."""
    best = best_cpu = float("inf")
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    CPU_MS[name] = round(best_cpu * 1000, 2)
    return best * 1000


def measure(path: Path) -> dict[str, Any]:
    """Cluster the store once, then time each lookup (best of several) and the baselines."""
    with Store(path) as store:
        conn = store.conn
        started = time.perf_counter()
        total = sum(len(row[0] or "") for row in conn.execute("SELECT description FROM listings"))
        baseline_pass = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        compute(store)
        clustering, clustering_cpu = time.perf_counter() - started, time.process_time() - cpu
        networks = list_networks(store)
        seller = "seller3"  # a review seller with repeat buyers
        seller_id = conn.execute("SELECT id FROM sellers WHERE username = ?", (seller,)).fetchone()[0]
        repeat_buyer = buyers_of(conn, seller)["buyers"][0]["buyer"]
        lookups = {
            "buyers_ms": _timed(lambda: buyers_of(conn, seller), name="buyers"),
            "buyer_ms": _timed(lambda: bought_by(conn, repeat_buyer), name="buyer"),
            "network_ms": _timed(lambda: network_of(store, "seller0"), name="network"),
            "networks_ms": _timed(lambda: list_networks(store), repeat=3, name="networks"),
        }
        unindexed = _timed(lambda: conn.execute(
            "SELECT buyer, created_at, comment FROM buyer_reviews NOT INDEXED WHERE seller_id = ?", (seller_id,)
        ).fetchall(), repeat=2, name="baseline_unindexed_buyers")  # fmt: skip
    return {
        **{k: round(v, 2) for k, v in lookups.items()},
        "lookups_cpu_ms": dict(CPU_MS),
        "baseline_unindexed_buyers_query_ms": round(unindexed, 1),
        "buyers_speedup_vs_unindexed": round(unindexed / lookups["buyers_ms"], 1),
        "clustering_s": round(clustering, 2),
        "clustering_cpu_s": round(clustering_cpu, 2),  # this process's CPU: the machine is shared
        "baseline_text_pass_s": round(baseline_pass, 2),
        "clustering_vs_text_pass": round(clustering / baseline_pass, 1),
        "networks": len(networks),
        "largest_network": networks[0]["size"] if networks else 0,
        "text_chars": total,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--db", type=Path, help="keep the store here (default: a temporary directory)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        built = build(path, args.listings) if not path.exists() else {}
        reviews = args.listings * REVIEWS_PER_LISTING
        result = {"listings": args.listings, "reviews": reviews, "build_s": {k: round(v, 1) for k, v in built.items()},
                  **measure(path), "db_mb": round(path.stat().st_size / 2**20)}  # fmt: skip
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
