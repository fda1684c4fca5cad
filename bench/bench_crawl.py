"""Crawl benchmark: the full pipeline (validate, scan, store with evidence) against the same spider with no pipelines.

Both variants crawl the same testbed in this one invocation, each in a fresh process (Twisted's reactor starts
once per process), with politeness off (no delay, no AutoThrottle: the testbed is on 127.0.0.1 and AutoThrottle's
pacing would hide the pipeline's cost) and seller-following off, so both fetch the same pages. The variants
alternate over several rounds and the medians are compared, because the machine is shared and noisy. Two
figures: wall-clock pages/s (what a user sees) and CPU seconds per page of the crawl process and any process it
starts (steadier under load; it counts work on the other core, which wall time does not show).

``--polite`` crawls with gigscan's default politeness instead (robots.txt, AutoThrottle, a 1 s delay floor, 4
requests per site), stopped after ``POLITE_PAGES`` pages: the crawl a user runs against a real marketplace; its
wall time is the politeness, its CPU per page is the pipeline's cost. ``--baseline REV`` adds a third variant,
the full pipeline of the code at git revision REV (checked out in a temporary worktree), to compare two
versions of the code in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from testbed.server import TestbedServer

QUERIES = ["amazon reviews", "google reviews", "logo design", "website development", "seo backlinks"]
POLITE_PAGES = 45  # a polite crawl fetches about a page a second: it stops after this many


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl_command(
    base_url: str, workdir: Path, label: str, max_pages: int, *settings: str, polite: bool = False
) -> list[str]:
    """The benchmarks' crawl of QUERIES: no delay (unless ``polite``), no seller-following, the store in
    ``<label>.db`` and the stats in ``<label>.json`` under ``workdir``; ``settings`` are more Scrapy
    ``NAME=VALUE`` settings."""
    cmd = [sys.executable, "-m", "gigscan", "crawl", "fiverr", "--base-url", base_url]
    cmd += ["--db", str(workdir / f"{label}.db"), "--max-pages", str(max_pages), "--no-follow-sellers"]
    cmd += ["--no-progress", "--stats-file", str(workdir / f"{label}.json")]
    if not polite:
        cmd += ["--delay", "0", "--concurrency", "16", "--set", "CONCURRENT_REQUESTS=32"]
    for setting in settings:
        cmd += ["--set", setting]
    for query in QUERIES:
        cmd += ["--query", query]
    return cmd


def read_stats(stats_file: Path) -> tuple[dict[str, Any], int, float]:
    """A crawl's Scrapy stats, its pages received and its seconds (never 0, so rates can divide by it)."""
    stats = json.loads(stats_file.read_text())
    return stats, stats.get("response_received_count", 0), float(stats.get("elapsed_time_seconds", 0.0)) or 1e-9


@contextmanager
def checkout(rev: str | None) -> Iterator[Path | None]:
    """The code at git revision ``rev`` in a temporary worktree (removed afterwards); None without a rev."""
    if rev is None:
        yield None
        return
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(tree), rev], check=True,
                       capture_output=True)  # fmt: skip
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)], check=False)


def crawl_once(
    base_url: str, workdir: Path, label: str, pipelines: bool, max_pages: int, polite: bool, src: Path | None = None
) -> dict[str, Any]:
    """One crawl in a new process; ``src`` runs the code checked out there instead of this one."""
    extra = (f"CLOSESPIDER_PAGECOUNT={POLITE_PAGES}",) if polite else ("AUTOTHROTTLE_ENABLED=False",)
    cmd = crawl_command(base_url, workdir, label, max_pages, *extra, polite=polite)
    if not pipelines:
        cmd += ["--set", "ITEM_PIPELINES={}"]
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    cpu_before = children_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=src, env=env)
    cpu = children_cpu() - cpu_before
    # Exit 1 is a crawl that did not finish well, measured all the same: the bare variant stores nothing on
    # purpose, and a polite crawl is cut short by CLOSESPIDER_PAGECOUNT. Judged by its stats file.
    if done.returncode not in (0, 1) or not (workdir / f"{label}.json").is_file():
        raise RuntimeError(f"the crawl exited {done.returncode}: {done.stderr[-2000:]}")
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
    parser.add_argument("--polite", action="store_true", help="gigscan's default politeness (slow: ~1 page/s)")
    parser.add_argument("--baseline", metavar="REV", help="also crawl with the code at this git revision")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "full": [], "baseline": []}
    with (
        TestbedServer(seed=3, listings=args.listings) as server,
        tempfile.TemporaryDirectory() as tmp,
        checkout(args.baseline) as baseline,
    ):
        work = Path(tmp)
        # Warm-up: the testbed renders each page once and caches it, so no measured crawl pays for that.
        crawl_once(server.url, work, "warmup", False, args.max_pages, args.polite)
        labels = ("bare", "full", "baseline") if baseline else ("bare", "full")
        for round_ in range(args.rounds):
            for label in labels:
                src = baseline if label == "baseline" else None
                name, pipelines = f"{label}{round_}", label != "bare"
                runs[label].append(crawl_once(server.url, work, name, pipelines, args.max_pages, args.polite, src))
    result = summarise(runs, args.rounds, args.polite)
    if runs["baseline"]:
        compare_baseline(result, runs, args.baseline)
    return result


def compare_baseline(result: dict[str, Any], runs: dict[str, list[dict[str, Any]]], rev: str) -> None:
    """Add the baseline's figures and this code's ratios to them (above 1: this code is faster)."""
    rate, cpu = median_of(runs["baseline"], "pages_per_s"), median_of(runs["baseline"], "cpu_ms_per_page")
    result.update(
        baseline=rev,
        baseline_pages_per_s=rate,
        baseline_cpu_ms_per_page=cpu,
        ratio_full_to_baseline=result["full_pages_per_s"] / rate,
        cpu_ratio_baseline_to_full=cpu / result["full_cpu_ms_per_page"],
    )
    print(f"baseline {rev}: {rate:.1f} pages/s, {cpu:.2f} CPU ms/page")
    print(f"ratio this/baseline: {result['ratio_full_to_baseline']:.2f} (wall), "
          f"{result['cpu_ratio_baseline_to_full']:.2f} (CPU)")  # fmt: skip


def summarise(runs: dict[str, list[dict[str, Any]]], rounds: int, polite: bool) -> dict[str, Any]:
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
        "rounds": rounds,
        "polite": polite,
    }
    print(f"{result['pages']} pages per crawl{' (polite)' if polite else ''}, median of {rounds} alternating rounds")
    print(f"no pipelines : {bare_rate:.1f} pages/s, {bare_cpu:.2f} CPU ms/page")
    print(f"full pipeline: {full_rate:.1f} pages/s, {full_cpu:.2f} CPU ms/page")
    print(f"ratio full/bare: {result['ratio_full_to_bare']:.2f} (wall), {result['cpu_ratio_bare_to_full']:.2f} (CPU)")
    return result


if __name__ == "__main__":
    main()
