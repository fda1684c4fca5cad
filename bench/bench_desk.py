"""Desk benchmark: username search and exports on a generated store of 200,000 sellers and 1,000,000 listings.

The store is generated with bulk INSERTs into the real schema (a Store creates it; 10 % of listings are flagged,
each with a snapshot and a verdict) and cached in the temp directory between runs (``--no-cache`` to rebuild).
Each figure comes with a baseline measured in the same run:

- exact search (``search_sellers``, seller + listings) vs a bare indexed SELECT of the seller row; aim < 5 ms;
- fuzzy search (variants + rapidfuzz ``ratio`` with a cutoff over every username, index warm) vs rapidfuzz
  ``extract`` with ``WRatio`` over the same names; aim < 50 ms;
- a 1,000-name file (``search_many``, fuzzy, index built in the run) vs one ``search_sellers`` per name
  (measured on 100 names, scaled to 1,000); aim < 10 s;
- export of 100,000 flagged listings as CSV (``flagged_rows`` + ``write_csv``) vs a bare SELECT of the same
  columns through ``csv.writer``; aim < 5 s; and as XLSX vs that CSV; aim < 60 s.

The names searched are sellers picked by a seeded generator, so runs (and code changes) compare on the same
names. ``--sellers/--listings`` scale it down for a quick check; ``--parts`` runs some of search, file, export.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from db import Store
from db.exports.flagged import flagged_rows, write_csv
from db.exports.xlsx import write_xlsx
from db.schema import SCHEMA_VERSION
from db.search import search_many, search_sellers

GENERATOR_VERSION = 1
PARTS = ("search", "file", "export")
MARKETPLACES = (("fiverr", 0.7), ("freelancer", 0.2), ("legiit", 0.1))
FIRST = (
    "john", "bess", "maria", "ahmed", "li", "sofia", "ivan", "nadia", "omar", "lucas", "emma", "raj", "yuki", "ana",
    "victor", "chen", "sara", "tom", "fatima", "diego", "olga", "kofi", "mei", "paul", "zara", "hugo", "lena", "ali",
)  # fmt: skip
WORDS = (
    "review", "star", "seo", "design", "logo", "web", "dev", "media", "boost", "rank", "pro", "expert", "digital",
    "studio", "market", "growth", "king", "guru", "official", "team", "works", "lab", "craft", "pixel", "buzz",
    "amazon", "google", "trust", "rating", "social", "video", "writer", "content", "app", "store", "fast", "real",
)  # fmt: skip
TITLE_WORDS = (*WORDS, "I", "will", "write", "post", "your", "business", "five", "reviews", "for", "with", "and")


def unique_usernames(rng: random.Random, count: int) -> list[str]:
    """Realistic handles (first name, words, separators, digits); unique, case-insensitively."""
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < count:
        first, word, other = rng.choice(FIRST), rng.choice(WORDS), rng.choice(WORDS)
        name = rng.choice(
            (f"{first}{word}", f"{first}_{word}", f"{word}_{other}", f"{first}.{word}{rng.randint(1, 99)}",
             f"{first}{word}{rng.randint(1, 999)}", f"{word}{other}{first}", f"{first}_{word}_{other}")
        )  # fmt: skip
        if rng.random() < 0.5:
            name += str(rng.randint(0, 9999))
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def generate(path: Path, sellers: int, listings: int, flagged_share: float = 0.1, seed: int = 5) -> None:
    """Fill a fresh store at ``path`` with bulk INSERTs (one transaction per table; FTS rebuilt at the end)."""
    Store(path).close()  # creates the real schema
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    now = "2025-01-01T00:00:00.000Z"
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('sellers_ai', 'listings_ai')"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER [{name}]")
    with conn:
        conn.execute("INSERT INTO runs (kind, started_at, gigscan_version, ruleset_version) VALUES"
                     " ('crawl', ?, 'bench', 'bench-1')", (now,))  # fmt: skip
        names = unique_usernames(rng, sellers)
        markets = rng.choices([m for m, _ in MARKETPLACES], [w for _, w in MARKETPLACES], k=sellers)
        conn.executemany(
            "INSERT INTO sellers (id, marketplace, username, profile_url, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            ((i, m, n, f"https://{m}.example/{n}", now, now) for i, m, n in zip(range(1, sellers + 1), markets, names,
                                                                                  strict=True)),  # fmt: skip
        )
        flagged = set(rng.sample(range(1, listings + 1), int(listings * flagged_share)))
        conn.executemany(
            "INSERT INTO listings (id, marketplace, external_id, seller_id, url, title, description, tags, status,"
            " first_seen, last_seen, flagged, score, verdict_id, current_snapshot_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?, ?)",
            _listing_rows(rng, listings, sellers, markets, flagged, now),
        )
        reasons = json.dumps([{"rule_id": "offer-reviews", "field": "title", "text": "reviews", "start": 0, "end": 7}])
        conn.executemany(
            "INSERT INTO snapshots (id, listing_id, run_id, source, detail, fields, content_hash, created_at)"
            " VALUES (?, ?, 1, 'gig', 2, '{}', ?, ?)",
            ((lid, lid, f"{lid:064x}", now) for lid in sorted(flagged)),
        )
        conn.executemany(
            "INSERT INTO verdicts (id, listing_id, snapshot_id, ruleset_version, run_id, flagged, score, reasons,"
            " created_at) VALUES (?, ?, ?, 'bench-1', 1, 1, ?, ?, ?)",
            ((lid, lid, lid, round(rng.uniform(0.5, 1.0), 3), reasons, now) for lid in sorted(flagged)),
        )
        for _, sql in triggers:
            conn.execute(sql)
        for table in ("sellers", "listings"):
            conn.execute(f"INSERT INTO [{table}_fts] ([{table}_fts]) VALUES ('rebuild')")
    conn.execute("ANALYZE")
    conn.close()


def _listing_rows(
    rng: random.Random, listings: int, sellers: int, markets: list[str], flagged: set[int], now: str
) -> Iterator[tuple[Any, ...]]:
    for lid in range(1, listings + 1):
        seller = rng.randint(1, sellers)
        title = " ".join(rng.choices(TITLE_WORDS, k=8))
        is_flagged = lid in flagged
        yield (
            lid, markets[seller - 1], str(10_000_000 + lid), seller, f"https://x.example/{seller}/{lid}", title,
            title + " " + " ".join(rng.choices(TITLE_WORDS, k=12)), "removed" if rng.random() < 0.03 else "active",
            now, now, int(is_flagged), round(rng.uniform(0.5, 1.0), 3) if is_flagged else 0.0,
            lid if is_flagged else None, lid if is_flagged else None,
        )  # fmt: skip


def cached_store(sellers: int, listings: int, use_cache: bool) -> Path:
    folder = Path(tempfile.gettempdir()) / "gigscan-bench-cache"
    folder.mkdir(exist_ok=True)
    path = folder / f"desk-s{sellers}-l{listings}-g{GENERATOR_VERSION}-v{SCHEMA_VERSION}.db"
    if use_cache and path.is_file():
        return path
    for stale in folder.glob(path.name + "*"):
        stale.unlink()
    partial = path.with_name(path.name + ".partial")
    for stale in folder.glob(partial.name + "*"):
        stale.unlink()
    generate(partial, sellers, listings)
    partial.replace(path)
    return path


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latencies_ms(fn: Callable[[str], Any], names: list[str]) -> dict[str, float]:
    times = [timed(lambda name=name: fn(name)) * 1000 for name in names]
    times.sort()
    return {"median_ms": round(statistics.median(times), 3), "p95_ms": round(times[int(len(times) * 0.95) - 1], 3)}


def typo(rng: random.Random, name: str) -> str:
    """One character changed: what a person mistypes, or a seller changes to come back."""
    i = rng.randrange(len(name))
    return name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") + name[i + 1 :]


def sample_sellers(store: Store, rng: random.Random, count: int = 1000) -> list[tuple[str, str]]:
    """(marketplace, username) of ``count`` sellers drawn by ``rng``: the same sellers on every run."""
    (top,) = store.conn.execute("SELECT max(id) FROM sellers").fetchone()
    ids = rng.sample(range(1, top + 1), min(count, top))
    found = {
        row[0]: (row[1], row[2])
        for row in store.conn.execute(
            "SELECT id, marketplace, username FROM sellers WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
    }
    return [found[i] for i in ids if i in found]


def bench_search(store: Store, rows: list[tuple[str, str]], typos: list[str]) -> dict[str, Any]:
    names = [name.upper() if i % 2 else name for i, (_, name) in enumerate(rows[:200])]
    exact = latencies_ms(lambda name: search_sellers(store, name), names)
    markets = {name: market for market, name in rows}
    exact_base = latencies_ms(
        lambda name: store.conn.execute(
            "SELECT * FROM sellers WHERE marketplace = ? AND username = ?", (markets.get(name.lower(), "fiverr"), name)
        ).fetchall(),
        [name for _, name in rows[:200]],
    )
    build_s = timed(lambda: search_sellers(store, "warm-up", fuzzy=True))
    fuzzy = latencies_ms(lambda name: search_sellers(store, name, fuzzy=True), typos)
    all_names = [name.casefold() for (name,) in store.conn.execute("SELECT username FROM sellers")]
    wratio = latencies_ms(
        lambda name: process.extract(name.casefold(), all_names, scorer=fuzz.WRatio, score_cutoff=75, limit=20),
        typos[:5],
    )
    return {
        "exact": exact,
        "exact_baseline_bare_select": exact_base,
        "exact_over_baseline": round(exact["median_ms"] / max(exact_base["median_ms"], 1e-6), 1),
        "fuzzy_index_build_s": round(build_s, 2),
        "fuzzy": fuzzy,
        "fuzzy_baseline_wratio_extract": wratio,
        "wratio_over_fuzzy": round(wratio["median_ms"] / max(fuzzy["median_ms"], 1e-6), 1),
    }


def bench_file_search(path: Path, names: list[str]) -> dict[str, Any]:
    with Store(path) as store:  # a fresh Store: the index is built in the timed run, as a CLI run would
        start = time.perf_counter()
        results = search_many(store, names, fuzzy=True)
        batch_s = time.perf_counter() - start
    with Store(path) as store:
        search_sellers(store, "warm-up", fuzzy=True)
        sample = names[::10]
        loop_s = timed(lambda: [search_sellers(store, name, fuzzy=True) for name in sample]) * len(names) / len(sample)
    return {
        "names": len(names),
        "matched": sum(1 for _, hits in results if hits),
        "file_search_s": round(batch_s, 2),
        "baseline_one_by_one_s": round(loop_s, 2),
        "one_by_one_over_file": round(loop_s / batch_s, 1),
    }


def bench_exports(store: Store, folder: Path, limit: int) -> dict[str, Any]:
    def rows() -> Iterator[dict[str, Any]]:
        for i, row in enumerate(flagged_rows(store)):
            if i >= limit:
                return
            yield row

    csv_path = folder / "flagged.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        start = time.perf_counter()
        count = write_csv(rows(), fh)
        csv_s = time.perf_counter() - start

    def bare() -> None:
        with (folder / "bare.csv").open("w", encoding="utf-8", newline="") as fh:
            cursor = store.conn.execute(
                "SELECT l.marketplace, s.username, s.profile_url, l.external_id, l.url, l.title, l.score, v.reasons,"
                " v.ruleset_version, v.review_state, v.reviewed_by, v.reviewed_at, v.review_note, l.first_seen,"
                " l.last_seen, l.status, l.removed_at FROM listings l JOIN sellers s ON s.id = l.seller_id"
                " JOIN verdicts v ON v.id = l.verdict_id WHERE l.flagged = 1 ORDER BY l.score DESC LIMIT ?",
                (limit,),
            )
            csv.writer(fh).writerows(cursor)

    bare_s = timed(bare)
    xlsx_s = timed(lambda: write_xlsx(rows(), folder / "flagged.xlsx"))
    return {
        "flagged_listings": count,
        "csv_s": round(csv_s, 2),
        "csv_baseline_bare_select_s": round(bare_s, 2),
        "csv_over_baseline": round(csv_s / bare_s, 2),
        "xlsx_s": round(xlsx_s, 2),
        "xlsx_over_csv": round(xlsx_s / csv_s, 1),
        "csv_mb": round(csv_path.stat().st_size / 2**20, 1),
        "xlsx_mb": round((folder / "flagged.xlsx").stat().st_size / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=200_000)
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--export", type=int, default=100_000, help="Flagged listings to export.")
    parser.add_argument("--no-cache", action="store_true", help="Regenerate the store even if cached.")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"Comma-separated parts to run, of {', '.join(PARTS)} (default: all)."
    )
    args = parser.parse_args(argv)
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if not parts <= set(PARTS):
        parser.error(f"--parts: unknown {', '.join(sorted(parts - set(PARTS)))}")
    rng = random.Random(11)
    start = time.perf_counter()
    path = cached_store(args.sellers, args.listings, not args.no_cache)
    result: dict[str, Any] = {"sellers": args.sellers, "listings": args.listings,
                              "store_ready_s": round(time.perf_counter() - start, 1)}  # fmt: skip
    with Store(path) as store:
        rows = sample_sellers(store, rng)
    typos = [typo(rng, name) for _, name in rows[200:300]]  # drawn first: the file's names do not depend on --parts
    file_names = [name for _, name in rows[300:800]] + [typo(rng, name) for _, name in rows[500:1000]]
    if "search" in parts:
        with Store(path) as store:
            result["search"] = bench_search(store, rows, typos)
    if "file" in parts:
        result["file_search"] = bench_file_search(path, file_names)
    if "export" in parts:
        with Store(path) as store, tempfile.TemporaryDirectory(prefix="gigscan-bench-desk-") as tmp:
            result["export"] = bench_exports(store, Path(tmp), args.export)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
