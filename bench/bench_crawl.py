"""Crawl benchmark: the full pipeline (validate, scan, store) against the same spider with no pipelines.

Both crawls run in this one invocation against the same testbed, each in a fresh process (Twisted's reactor
starts once per process), with politeness off (no delay, no AutoThrottle: the testbed is on 127.0.0.1 and
AutoThrottle's pacing would hide the pipeline's cost) and seller-following off so both fetch the same pages. Reports pages/s of each and their ratio; seconds alone mean little on a shared
machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from testbed.server import TestbedServer

QUERIES = ["amazon reviews", "google reviews", "logo design", "website development", "seo backlinks"]


def crawl_once(base_url: str, workdir: Path, label: str, pipelines: bool, max_pages: int) -> dict[str, Any]:
    stats_file = workdir / f"{label}.json"
    cmd = [
        sys.executable,
        "-m",
        "gigscan",
        "crawl",
        "fiverr",
        "--base-url",
        base_url,
        "--db",
        str(workdir / f"{label}.db"),
        "--delay",
        "0",
        "--concurrency",
        "16",
        "--max-pages",
        str(max_pages),
        "--no-follow-sellers",
        "--no-progress",
        "--stats-file",
        str(stats_file),
        "--set",
        "CONCURRENT_REQUESTS=32",
    ]
    for query in QUERIES:
        cmd += ["--query", query]
    if not pipelines:
        cmd += ["--set", "ITEM_PIPELINES={}"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    stats = json.loads(stats_file.read_text())
    pages = stats.get("response_received_count", 0)
    seconds = float(stats.get("elapsed_time_seconds", 0.0)) or 1e-9
    return {
        "pages": pages,
        "items": stats.get("item_scraped_count", 0),
        "seconds": seconds,
        "pages_per_s": pages / seconds,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=3000)
    parser.add_argument("--max-pages", type=int, default=4)
    args = parser.parse_args(argv)
    with TestbedServer(seed=3, listings=args.listings) as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Warm-up: the testbed renders each page once and caches it, so neither measured crawl pays for that.
        crawl_once(server.url, work, "warmup", pipelines=False, max_pages=args.max_pages)
        bare = crawl_once(server.url, work, "bare", pipelines=False, max_pages=args.max_pages)
        full = crawl_once(server.url, work, "full", pipelines=True, max_pages=args.max_pages)
    result = {"bare": bare, "full": full, "ratio_full_to_bare": full["pages_per_s"] / bare["pages_per_s"]}
    print(f"no pipelines : {bare['pages']} pages in {bare['seconds']:.2f}s = {bare['pages_per_s']:.0f} pages/s")
    print(f"full pipeline: {full['pages']} pages in {full['seconds']:.2f}s = {full['pages_per_s']:.0f} pages/s")
    print(f"ratio full/bare: {result['ratio_full_to_bare']:.2f}")
    return result


if __name__ == "__main__":
    main()
