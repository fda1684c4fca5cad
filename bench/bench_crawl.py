"""Crawl benchmark: the full pipeline (validate, scan, store with evidence) against the same spider with no pipelines.

Both variants crawl the same testbed in this one invocation, each in a fresh process (Twisted's reactor starts
once per process), with politeness off (no delay, no AutoThrottle: the testbed is on 127.0.0.1 and AutoThrottle's
pacing would hide the pipeline's cost) and seller-following off, so both fetch the same pages. The variants
alternate over several rounds and the medians are compared, because the machine is shared and noisy. Two
figures: wall-clock pages/s (what a user sees) and CPU seconds per page of the crawl process and its store process
(steadier under load; it counts the store's work on the other core, which wall time does not show).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from testbed.server import TestbedServer

QUERIES = ["amazon reviews", "google reviews", "logo design", "website development", "seo backlinks"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl_command(base_url: str, workdir: Path, label: str, max_pages: int, *settings: str) -> list[str]:
    """The benchmarks' crawl of QUERIES: no delay, no seller-following, the store in ``<label>.db`` and the
    stats in ``<label>.json`` under ``workdir``; ``settings`` are more Scrapy ``NAME=VALUE`` settings."""
    cmd = [sys.executable, "-m", "gigscan", "crawl", "fiverr", "--base-url", base_url]
    cmd += ["--db", str(workdir / f"{label}.db"), "--delay", "0", "--concurrency", "16"]
    cmd += ["--max-pages", str(max_pages), "--no-follow-sellers", "--no-progress"]
    cmd += ["--stats-file", str(workdir / f"{label}.json"), "--set", "CONCURRENT_REQUESTS=32"]
    for setting in settings:
        cmd += ["--set", setting]
    for query in QUERIES:
        cmd += ["--query", query]
    return cmd


def read_stats(stats_file: Path) -> tuple[dict[str, Any], int, float]:
    """A crawl's Scrapy stats, its pages received and its seconds (never 0, so rates can divide by it)."""
    stats = json.loads(stats_file.read_text())
    return stats, stats.get("response_received_count", 0), float(stats.get("elapsed_time_seconds", 0.0)) or 1e-9


def crawl_once(base_url: str, workdir: Path, label: str, pipelines: bool, max_pages: int) -> dict[str, Any]:
    cmd = crawl_command(base_url, workdir, label, max_pages, "AUTOTHROTTLE_ENABLED=False")
    if not pipelines:
        cmd += ["--set", "ITEM_PIPELINES={}"]
    cpu_before = children_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    # the bare variant stores nothing on purpose, and a crawl that stores nothing exits 1: judge it by its stats
    if proc.returncode != 0 and (pipelines or not (workdir / f"{label}.json").is_file()):
        raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)
    cpu = children_cpu() - cpu_before
    stats, pages, seconds = read_stats(workdir / f"{label}.json")
    return {
        "pages": pages,
        "items": stats.get("item_scraped_count", 0),
        "seconds": seconds,
        "pages_per_s": pages / seconds,
        "cpu_ms_per_page": 1000 * cpu / max(pages, 1),
    }


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=3000)
    parser.add_argument("--max-pages", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "full": []}
    with TestbedServer(seed=3, listings=args.listings) as server, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Warm-up: the testbed renders each page once and caches it, so no measured crawl pays for that.
        crawl_once(server.url, work, "warmup", pipelines=False, max_pages=args.max_pages)
        for round_ in range(args.rounds):
            for label in ("bare", "full"):
                runs[label].append(crawl_once(server.url, work, f"{label}{round_}", label == "full", args.max_pages))
    bare_rate, full_rate = median_of(runs["bare"], "pages_per_s"), median_of(runs["full"], "pages_per_s")
    bare_cpu, full_cpu = median_of(runs["bare"], "cpu_ms_per_page"), median_of(runs["full"], "cpu_ms_per_page")
    result = {
        "pages": runs["full"][0]["pages"],
        "bare_pages_per_s": bare_rate,
        "full_pages_per_s": full_rate,
        "ratio_full_to_bare": full_rate / bare_rate,
        "bare_cpu_ms_per_page": bare_cpu,
        "full_cpu_ms_per_page": full_cpu,
        "cpu_ratio_bare_to_full": bare_cpu / full_cpu,
        "rounds": args.rounds,
    }
    print(f"{result['pages']} pages per crawl, median of {args.rounds} alternating rounds")
    print(f"no pipelines : {bare_rate:.0f} pages/s, {bare_cpu:.2f} CPU ms/page")
    print(f"full pipeline: {full_rate:.0f} pages/s, {full_cpu:.2f} CPU ms/page")
    print(f"ratio full/bare: {result['ratio_full_to_bare']:.2f} (wall), {result['cpu_ratio_bare_to_full']:.2f} (CPU)")
    return result


if __name__ == "__main__":
    main()
