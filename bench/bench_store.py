"""Store benchmark: listings/s through ``Store.record_batch`` against bare ``executemany`` of the same rows.

Each listing carries what a crawl stores: a ~30 KB distinct response body (SHA-256, zstd level 3), the HTTP
exchange (capture), a snapshot, a sighting, a verdict and their evidence_log entries. The baseline inserts the
same fields and the raw body into one plain table, batch for batch, with the same pragmas, in the same run; the
ratio says what the evidence costs on this machine, where seconds alone would say little. A second pass
re-records the same crawl (sightings only, as a re-run does). A third scenario stores search-page cards: 48
listings sharing one ~100 KB page body and capture, as a crawl of search results delivers them (the body is
hashed, compressed and logged once).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from db import Store
from db.testing import capture, listing_record, verdict

WORDS = (
    "reviews", "amazon", "five", "star", "rating", "seller", "product", "honest", "buyer", "feedback", "logo",
    "design", "website", "seo", "backlinks", "google", "verified", "trustpilot", "customer", "service", "fast",
    "delivery", "order", "gig", "package", "premium", "basic", "standard",
)  # fmt: skip


ROW_COUNTS = ("listings", "snapshots", "sightings", "bodies", "captures", "verdicts", "evidence_log")


def make_body(rng: random.Random, index: int, size: int) -> bytes:
    """HTML-like text of about ``size`` bytes, distinct per listing (every body is stored, none deduplicated)."""
    parts = [f"<html><head><title>gig {index}</title></head><body>"]
    length = len(parts[0])
    while length < size:
        words = " ".join(rng.choices(WORDS, k=12))
        chunk = f'<div class="gig-card" data-id="{rng.randrange(10**9)}"><p>{words}</p></div>\n'
        parts.append(chunk)
        length += len(chunk)
    return "".join(parts).encode()


def make_records(count: int, body_kb: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for i in range(count):
        description = " ".join(rng.choices(WORDS, k=150))
        records.append(
            listing_record(
                external_id=str(100000 + i),
                url=f"https://www.fiverr.com/seller{i % 500}/gig-{i}",
                seller=f"seller{i % 500}",
                title=" ".join(rng.choices(WORDS, k=8)),
                description=description,
                capture=capture(
                    url=f"https://www.fiverr.com/seller{i % 500}/gig-{i}", body=make_body(rng, i, body_kb * 1024)
                ),
                verdict=verdict(flagged=i % 3 == 0, score=round(rng.random(), 3)),
            )
        )
    return records


def make_search_cards(count: int, page_kb: int, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` card records, 48 per search page; the cards of a page share its body object, as Scrapy items
    turned into records by ``dataclasses.asdict`` do (bytes are not copied)."""
    rng = random.Random(seed)
    records = []
    for page in range((count + 47) // 48):
        body = make_body(rng, 10**6 + page, page_kb * 1024)
        url = f"https://www.fiverr.com/search/gigs?query=reviews&page={page + 1}"
        for card in range(min(48, count - page * 48)):
            i = page * 48 + card
            records.append(
                listing_record(
                    external_id=str(500000 + i),
                    url=f"https://www.fiverr.com/seller{i % 700}/card-{i}",
                    seller=f"seller{i % 700}",
                    title=" ".join(rng.choices(WORDS, k=8)),
                    description="",
                    detail=1,
                    source="search",
                    capture=capture(url=url, body=body),
                    verdict=verdict(flagged=i % 5 == 0, score=round(rng.random(), 3)),
                )
            )
    return records


def batches(records: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


class Timed:
    """Wall and CPU seconds of a block (CPU time is the steadier figure on a shared, busy machine)."""

    def __enter__(self) -> Timed:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def time_store(path: Path, chunks: list[list[dict[str, Any]]]) -> tuple[Timed, Timed, dict[str, int]]:
    with Store(path) as store:
        run = store.start_run("crawl", "bench", {}, "r1", "bench")
        with Timed() as first:
            for chunk in chunks:
                store.record_batch(run, chunk)
        rerun = store.start_run("crawl", "bench", {}, "r1", "bench")
        with Timed() as second:
            for chunk in chunks:
                store.record_batch(rerun, chunk)
        return first, second, store.counts()


def time_cards(path: Path, chunks: list[list[dict[str, Any]]]) -> Timed:
    with Store(path) as store:
        run = store.start_run("crawl", "bench", {}, "r1", "bench")
        with Timed() as timed:
            for chunk in chunks:
                store.record_batch(run, chunk)
        return timed


def time_baseline(path: Path, chunks: list[list[dict[str, Any]]]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE listings (marketplace TEXT, external_id TEXT, url TEXT, seller TEXT, title TEXT,"
        " description TEXT, tags TEXT, price REAL, rating REAL, review_count INTEGER, fetched_at TEXT,"
        " body BLOB, flagged INTEGER, score REAL, reasons TEXT)"
    )
    started = time.perf_counter()
    for chunk in chunks:
        rows = [
            (r["marketplace"], r["external_id"], r["url"], r["seller"], r["title"], r["description"],
             json.dumps(r["tags"]), r["price"], r["rating"], r["review_count"], r["capture"]["fetched_at"],
             r["capture"]["body"], r["verdict"]["flagged"], r["verdict"]["score"], json.dumps(r["verdict"]["reasons"]))
            for r in chunk
        ]  # fmt: skip
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO listings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--body-kb", type=int, default=30)
    args = parser.parse_args(argv)
    records = make_records(args.listings, args.body_kb)
    chunks = batches(records, args.batch)
    cards = make_search_cards(args.listings, 100)
    with tempfile.TemporaryDirectory(prefix="gigscan-bench-") as tmp:
        store_t, rerun_t, counts = time_store(Path(tmp) / "store.db", chunks)
        baseline_s = time_baseline(Path(tmp) / "baseline.db", chunks)
        cards_t = time_cards(Path(tmp) / "cards.db", batches(cards, args.batch))
        store_s, rerun_s, cards_s = store_t.wall, rerun_t.wall, cards_t.wall
        store_bytes = sum(p.stat().st_size for p in Path(tmp).glob("store.db*"))
    n = args.listings
    result = {
        "listings": n,
        "batch": args.batch,
        "body_kb": args.body_kb,
        "store_listings_per_s": round(n / store_s),
        "rerun_listings_per_s": round(n / rerun_s),
        "baseline_listings_per_s": round(n / baseline_s),
        "baseline_over_store": round(baseline_s and store_s / baseline_s, 2),
        "search_cards_per_s": round(n / cards_s),
        "cpu_ms_per_listing": {"store": round(1000 * store_t.cpu / n, 3), "rerun": round(1000 * rerun_t.cpu / n, 3),
                               "search_cards": round(1000 * cards_t.cpu / n, 3)},
        "store_mb": round(store_bytes / 2**20, 1),
        "raw_body_mb": round(sum(len(r["capture"]["body"]) for r in records) / 2**20, 1),
        "rows": {k: counts[k] for k in ROW_COUNTS},
    }
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
