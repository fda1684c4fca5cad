"""Fault benchmark: the full crawl pipeline against the testbed answering 10% of page requests with faults
(429s, 5xx, hangs, truncated bodies, gzip bombs, redirect loops, giant pages, block pages...), versus the same
crawl against the clean testbed, in one run.

Reports pages/s of each, their ratio, and whether the faulty crawl finished with every listing the testbed
answered correctly at least once stored (the aim). Politeness is off as in bench_crawl (127.0.0.1); short
timeouts stand in for a hanging server, since a real crawl's 60 s would measure only the waiting.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from bench.bench_crawl import crawl_command, read_stats
from testbed.faults import Faults
from testbed.server import TestbedServer


def crawl(base_url: str, workdir: Path, label: str, max_pages: int) -> dict[str, Any]:
    started = time.monotonic()
    proc = subprocess.run(crawl_command(base_url, workdir, label, max_pages, "DOWNLOAD_TIMEOUT=2"),
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    stats, pages, seconds = read_stats(workdir / f"{label}.json")
    db = sqlite_utils.Database(workdir / f"{label}.db")
    stored = {urlsplit(r["url"]).path for r in db.query("select url from listings")}
    return {"exit": proc.returncode, "finish_reason": stats.get("finish_reason"), "pages": pages,
            "items": stats.get("item_scraped_count", 0), "seconds": seconds, "wall_s": wall,
            "pages_per_s": pages / seconds, "retries": stats.get("retry/count", 0), "stored": stored}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=3000)
    parser.add_argument("--max-pages", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.10)
    args = parser.parse_args(argv)
    faults = Faults(rate=args.rate, seed=7, slow_s=3, hang_s=20, giant_bytes=9 * 1024 * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with TestbedServer(seed=3, listings=args.listings) as server:
            crawl(server.url, work, "warmup", args.max_pages)  # the testbed renders and caches each page once
            clean = crawl(server.url, work, "clean", args.max_pages)
        with TestbedServer(seed=3, listings=args.listings, faults=faults) as server:
            crawl(server.url, work, "warmup-faulty", 1)
            faults.injected.clear()
            faults.answered.clear()
            faulty = crawl(server.url, work, "faulty", args.max_pages)
    answered = {urlsplit(t).path for t in faults.answered.get("gig", ())}
    missing = sorted(answered - faulty.pop("stored"))
    clean.pop("stored")
    result = {
        "clean": clean,
        "faulty": faulty,
        "fault_rate": args.rate,
        "faults_injected": dict(faults.injected),
        "answered_gig_pages": len(answered),
        "answered_but_not_stored": len(missing),
        "every_answered_listing_stored": not missing,
        "ratio_faulty_to_clean": faulty["pages_per_s"] / clean["pages_per_s"],
    }
    print(f"clean : {clean['pages']} pages in {clean['seconds']:.2f}s = {clean['pages_per_s']:.0f} pages/s")
    print(f"faulty: {faulty['pages']} pages in {faulty['seconds']:.2f}s = {faulty['pages_per_s']:.0f} pages/s "
          f"({sum(faults.injected.values())} faults, {faulty['retries']} retries, {faulty['finish_reason']})")
    print(f"ratio faulty/clean: {result['ratio_faulty_to_clean']:.2f}; every answered listing stored: "
          f"{result['every_answered_listing_stored']} ({len(answered)} answered, {len(missing)} missing)")
    return result


if __name__ == "__main__":
    main()
