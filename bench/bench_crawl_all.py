"""Crawl benchmark over every marketplace: ``gigscan crawl all`` against the testbed, pages/s per spider.

One invocation, one process, five crawls at once (fiverr, freelancer, and the generic spider with each shipped
profile), full pipeline (validate, scan, store into one SQLite file), politeness delays off (the testbed is on
127.0.0.1) and seller-following off so the page set depends only on the queries. Each spider's figure is its
pages over its own elapsed time; they share the process, so the sum is the figure that compares across runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from testbed.server import TestbedServer

QUERIES = ["amazon reviews", "google reviews", "logo design", "website development", "seo backlinks"]


def crawl_all(base_url: str, workdir: Path, max_pages: int) -> tuple[dict[str, Any], float]:
    stats_file = workdir / "stats.json"
    cmd = [
        sys.executable, "-m", "gigscan", "crawl", "all", "--base-url", base_url, "--db", str(workdir / "all.db"),
        "--delay", "0", "--concurrency", "16", "--max-pages", str(max_pages), "--no-follow-sellers", "--no-progress",
        "--stats-file", str(stats_file), "--set", "CONCURRENT_REQUESTS=64",
    ]
    for query in QUERIES:
        cmd += ["--query", query]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(stats_file.read_text()), time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=3000)
    parser.add_argument("--max-pages", type=int, default=3)
    args = parser.parse_args(argv)
    with TestbedServer(seed=3, listings=args.listings) as server, tempfile.TemporaryDirectory() as tmp:
        stats, wall = crawl_all(server.url, Path(tmp), args.max_pages)
    result: dict[str, Any] = {}
    for spider, numbers in stats.items():
        pages = numbers.get("response_received_count", 0)
        seconds = float(numbers.get("elapsed_time_seconds", 0.0)) or 1e-9
        result[spider] = {"pages": pages, "items": numbers.get("item_scraped_count", 0), "seconds": seconds,
                          "pages_per_s": pages / seconds}
        print(f"{spider:14s}: {pages:5d} pages in {seconds:6.2f}s = {pages / seconds:6.0f} pages/s")
    total = sum(r["pages"] for r in result.values())
    result["all"] = {"pages": total, "wall_seconds": wall, "pages_per_s": total / wall}
    print(f"{'all (wall)':14s}: {total:5d} pages in {wall:6.2f}s = {total / wall:6.0f} pages/s (with start-up)")
    return result


if __name__ == "__main__":
    main()
