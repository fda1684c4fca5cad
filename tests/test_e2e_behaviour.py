"""Behaviour unchanged: a testbed crawl (every marketplace, then a re-check after the site changed) stores exactly
the listings, sellers, snapshots, verdicts, events, sightings and captures frozen in tests/data/behaviour/.

The frozen file was computed from the code before the store moved into the crawl process and the records
became typed; any stored field that changes makes this test fail. Only what differs between two identical
crawls is left out: times, row ids, run ids, the testbed's port (its ``127.0.0.1:<port>`` becomes ``HOST``
in every text) and the csrf token the testbed draws for every response (bodies are compared by the hash of
their bytes with both substituted). The crawl runs one request at a time, so which view of a listing is
written last is the same in every run.

A deliberate change of what is stored (a new field, a new rule) is frozen again with
``python tests/test_e2e_behaviour.py``; review the diff (``zcat``) before committing it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import zstandard

sys.path.insert(0, str(Path(__file__).parent))  # run as a script to freeze: helpers is a sibling module
from helpers import run_gigscan  # noqa: E402
from testbed.server import TestbedServer  # noqa: E402

pytestmark = pytest.mark.slow

FROZEN = Path(__file__).parent / "data" / "behaviour"
EXPECTED = FROZEN / "expected.json.gz"  # gzipped JSON, indented: `zcat` it to read or diff
RULES = FROZEN / "rules.toml"  # the ruleset frozen with the expectation: a rules change is not a store change
QUERIES = ("amazon reviews", "google reviews", "logo design")
# Volatile everywhere: when and in which run something happened, and row ids (replaced by natural keys).
_CSRF = re.compile(rb'"csrfToken":"[^"]*"')  # the testbed's pages carry a fresh token in every response
_VOLATILE = {"id", "run_id", "first_seen", "last_seen", "created_at", "fetched_at", "seen_at", "at", "reviewed_at"}


def crawl_testbed(workdir: Path) -> tuple[Path, str]:
    """Crawl every marketplace of a small testbed, then re-check everything after one step of site history
    (edits, removals). Returns the store and the testbed's base URL."""
    db = workdir / "behaviour.db"
    common = ["--db", str(db), "--rules", str(RULES), "--delay", "0", "--concurrency", "1", "--no-progress"]
    common += ["--set", "CONCURRENT_REQUESTS=1", "--set", "AUTOTHROTTLE_ENABLED=False"]
    with TestbedServer(seed=5, listings=240) as server:
        queries = [arg for query in QUERIES for arg in ("--query", query)]
        run_gigscan("crawl", "all", "--base-url", server.url, "--max-pages", "1", *queries, *common)
        server.set_step(1)
        run_gigscan("crawl", "fiverr", "--base-url", server.url, "--recheck", "--all", *common, check=False)
        return db, server.url


def canonical_store(db: Path, base_url: str) -> dict[str, Any]:
    """Everything the crawls stored, keyed by natural keys, without times, ids or the testbed's port."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return _Canon(conn, base_url).dump()
    finally:
        conn.close()


class _Canon:
    def __init__(self, conn: sqlite3.Connection, base_url: str) -> None:
        self.conn, self.host = conn, urlsplit(base_url).netloc  # the testbed's 127.0.0.1:<port>
        self.bodies = {row["sha256"]: self._body_hash(row["data"]) for row in self.rows("bodies")}
        self.sellers = {row["id"]: f"{row['marketplace']}/{row['username']}" for row in self.rows("sellers")}
        self.listings = {row["id"]: f"{row['marketplace']}/{row['external_id']}" for row in self.rows("listings")}
        self.runs = self._run_labels()
        self.snapshots = {row["id"]: self._snapshot_ref(row) for row in self.rows("snapshots")}

    def rows(self, table: str) -> list[sqlite3.Row]:
        return self.conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()

    def text(self, value: Any) -> Any:
        return value.replace(self.host, "HOST") if isinstance(value, str) else value

    def _body_hash(self, data: bytes) -> str:
        raw = zstandard.ZstdDecompressor().decompress(data).replace(self.host.encode(), b"HOST")
        return hashlib.sha256(_CSRF.sub(b'"csrfToken":"NOISE"', raw)).hexdigest()[:16]

    def _run_labels(self) -> dict[int, str]:
        """Runs by marketplace and order within it (runs of different marketplaces start in any order)."""
        labels: dict[int, str] = {}
        per_market: Counter[str] = Counter()
        for row in self.rows("runs"):
            market = json.loads(row["args"]).get("marketplace") or row["spider"]
            labels[row["id"]] = f"{market}#{per_market[market]}"
            per_market[market] += 1
        return labels

    def _snapshot_ref(self, row: sqlite3.Row) -> str:
        fields = hashlib.sha256(self.text(row["fields"]).encode()).hexdigest()[:12]
        return f"{self.listings[row['listing_id']]}@{row['source']}:{fields}"

    def headers(self, value: str | None) -> Any:
        if value is None:
            return None
        return {k: self.text(v) for k, v in json.loads(value).items() if k.lower() != "date"}

    def plain(self, row: sqlite3.Row, **replace: Callable[[Any], Any]) -> dict[str, Any]:
        """A row without its volatile columns; ``replace`` maps a column's value to its stable form."""
        out: dict[str, Any] = {}
        for key in row.keys():  # noqa: SIM118 (iterating a sqlite3.Row yields its values)
            if key in replace:
                out[key] = replace[key](row[key])
            elif key not in _VOLATILE:
                out[key] = self.text(row[key])
        return out

    def dump(self) -> dict[str, Any]:
        present: Callable[[Any], bool] = lambda value: value is not None  # noqa: E731
        seller, listing = self.sellers.get, self.listings.get
        snap, run, body = self.snapshots.get, self.runs.get, self.bodies.get
        verdict_of = {row["id"]: (snap(row["snapshot_id"]), row["ruleset_version"]) for row in self.rows("verdicts")}
        return {
            "runs": sorted(
                f"{self.runs[r['id']]} {r['kind']} {r['spider']} {r['status']} {r['ruleset_version']}"
                for r in self.rows("runs")
            ),
            "sellers": _keyed(self.sellers, self.rows("sellers"), lambda r: self.plain(r, removed_at=present)),
            "listings": _keyed(self.listings, self.rows("listings"), lambda r: self.plain(
                r, seller_id=seller, current_snapshot_id=snap, removed_at=present, missing_since=present,
                verdict_id=lambda v: verdict_of.get(v) and list(verdict_of[v]),
            )),
            "snapshots": sorted((self.plain(
                r, listing_id=listing, run_id=run, headers=self.headers, body_sha256=body, content_hash=lambda _: None,
                fields=lambda v: json.loads(self.text(v)), extra=lambda v: json.loads(self.text(v)),
            ) for r in self.rows("snapshots")), key=_sort_key),
            "verdicts": sorted((self.plain(
                r, listing_id=listing, snapshot_id=snap, run_id=run, reasons=lambda v: json.loads(self.text(v)),
            ) for r in self.rows("verdicts")), key=_sort_key),
            "events": sorted((self.plain(r, listing_id=listing, seller_id=seller, run_id=run, capture_id=present)
                              for r in self.rows("events")), key=_sort_key),
            "sightings": _counted(self.plain(
                r, listing_id=listing, seller_id=seller, snapshot_id=snap, run_id=run, body_sha256=body,
                capture_id=present,
            ) for r in self.rows("sightings")),
            "captures": _counted(self.plain(
                r, run_id=run, body_sha256=body, headers=self.headers, request_headers=self.headers,
                exchange_sha256=lambda _: None,
            ) for r in self.rows("captures")),
        }


def _sort_key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _keyed(names: dict[int, str], rows: list[sqlite3.Row], canon: Callable[[sqlite3.Row], Any]) -> dict[str, Any]:
    return {names[row["id"]]: canon(row) for row in rows}


def _counted(rows: Any) -> list[list[Any]]:
    """Rows that may repeat (a page seen twice), as sorted [row, times] pairs."""
    counts = Counter(_sort_key(row) for row in rows)
    return [[json.loads(key), times] for key, times in sorted(counts.items())]


def test_testbed_crawl_stores_exactly_what_was_frozen(tmp_path: Path) -> None:
    db, base_url = crawl_testbed(tmp_path)
    stored = canonical_store(db, base_url)
    expected = json.loads(gzip.decompress(EXPECTED.read_bytes()))
    assert stored["listings"], "the crawl stored nothing"
    for part in expected:  # part by part, so a failure names what changed
        assert stored[part] == expected[part], f"stored {part} differ from {EXPECTED}"
    assert set(stored) == set(expected)
    # and the comparison sees a change of one stored value
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE listings SET price = price + 1 WHERE id = (SELECT min(id) FROM listings)")
    assert canonical_store(db, base_url)["listings"] != expected["listings"]


if __name__ == "__main__":  # freeze: python tests/test_e2e_behaviour.py
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        frozen = canonical_store(*crawl_testbed(Path(work)))
    text = json.dumps(frozen, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    EXPECTED.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    print(f"froze {EXPECTED}: " + ", ".join(f"{len(v)} {k}" for k, v in frozen.items()))
