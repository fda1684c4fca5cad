"""Crawls without ``--query`` search the ruleset's seed queries, from every entry point: the CLI crawl of each
spider, ``crawl all``, ``scrapy crawl``, and the command line a schedule writes into the crontab. Each stores
listings, records a run and has it judged by the monitors (the Scrapy extension), whoever started it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.pages.profile import shipped_profiles
from helpers import run_gigscan
from matchers import load_ruleset
from testbed.server import TestbedServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parent.parent
SEEDS = set(load_ruleset().seed_queries)
SCRAPY_ENV = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}  # scrapy.cfg decides


@pytest.fixture(scope="module")
def testbed() -> Any:
    with TestbedServer(seed=5, listings=60) as server:
        yield server


def crawl_runs(db: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT spider, args, status, stats FROM runs ORDER BY id")]
    finally:
        conn.close()


def listings(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM listings").fetchone()[0]
    finally:
        conn.close()


def searched(run: dict[str, Any]) -> set[str]:
    """The queries a run searched (``gigscan/query_results/<query>``, counted for the zero-results monitor)."""
    prefix = "gigscan/query_results/"
    return {key[len(prefix):] for key in json.loads(run["stats"]) if key.startswith(prefix)}


def assert_seeded(db: Path, expected_runs: int) -> list[dict[str, Any]]:
    runs = crawl_runs(db)
    assert len(runs) == expected_runs, runs
    for run in runs:
        assert run["status"] == "finished", run
        assert not json.loads(run["args"]).get("queries")
        assert "gigscan/monitors" in json.loads(run["stats"])  # judged by the extension
    assert listings(db) > 0
    return runs


@pytest.mark.parametrize("spider", ["fiverr", "freelancer", "generic"])
def test_cli_crawl_of_each_spider_without_a_query(testbed: Any, tmp_path: Path, spider: str) -> None:
    db = tmp_path / "seed.db"
    extra = ["--profile", str(shipped_profiles()[-1])] if spider == "generic" else []
    run_gigscan("crawl", spider, "--mirror", testbed.url, "--db", str(db), "--delay", "0", "--max-pages", "1",
                "--no-progress", *extra)
    [run] = assert_seeded(db, 1)
    if spider == "fiverr":  # Fiverr's search answers every query: each seed query was searched
        assert searched(run) == SEEDS


def test_crawl_all_without_a_query(testbed: Any, tmp_path: Path) -> None:
    db = tmp_path / "all.db"
    proc = run_gigscan("crawl", "all", "--base-url", testbed.url, "--db", str(db), "--delay", "0",
                       "--max-pages", "1", "--no-progress", "--json")
    summary = json.loads(proc.stdout)
    labels = [run["label"] for run in summary["runs"]]
    assert labels[:2] == ["fiverr", "freelancer"] and len(labels) == 2 + len(shipped_profiles())
    assert_seeded(db, len(labels))


def test_scrapy_crawl_without_a_query_is_stored_and_judged(testbed: Any, tmp_path: Path) -> None:
    db = tmp_path / "scrapy.db"
    scrapy = Path(sys.executable).with_name("scrapy")
    proc = subprocess.run(
        [str(scrapy), "crawl", "fiverr", "-a", f"base_url={testbed.url}", "-a", "max_pages=1",
         "-s", f"GIGSCAN_DB={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=SCRAPY_ENV,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    [run] = assert_seeded(db, 1)
    assert searched(run) == SEEDS


def test_scrapy_crawl_that_fails_notifies(tmp_path: Path) -> None:
    """The monitors extension notifies whoever started the crawl: here ``scrapy crawl`` against a closed port; and
    ``scrapy crawl`` exits 1 on the failed run, as ``gigscan crawl`` does (Scrapy alone would exit 0)."""
    db = tmp_path / "scrapy-fail.db"
    notified = tmp_path / "notified.json"
    notifier = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.stdin.read())\" {notified}"
    scrapy = Path(sys.executable).with_name("scrapy")
    proc = subprocess.run(
        [str(scrapy), "crawl", "fiverr", "-a", "base_url=http://127.0.0.1:9", "-a", "query=x",
         "-s", f"GIGSCAN_DB={db}", "-s", f"GIGSCAN_NOTIFY={notifier}", "-s", "RETRY_TIMES=0",
         "-s", "LOG_LEVEL=ERROR"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=SCRAPY_ENV,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    [report] = json.loads(notified.read_text())["runs"]
    assert report["status"] == "failed" and report["reason"].startswith("connection refused: http://127.0.0.1:9/")
    [run] = crawl_runs(db)
    assert run["status"] == "failed" and json.loads(run["stats"])["gigscan/reason"] == report["reason"]


def test_the_command_line_a_schedule_writes(testbed: Any, tmp_path: Path) -> None:
    db, crontab = tmp_path / "nightly.db", tmp_path / "crontab"
    run_gigscan("schedule", "add", "nightly", "--every", "1d", "--crontab-file", str(crontab), "--",
                "crawl", "fiverr", "--base-url", testbed.url, "--db", str(db), "--delay", "0", "--max-pages", "1")
    [entry] = json.loads(run_gigscan("schedule", "list", "--json", "--crontab-file", str(crontab)).stdout)
    proc = subprocess.run(["/bin/sh", "-c", entry["command"]], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, Path(entry["log"]).read_text()[-2000:]
    [run] = assert_seeded(db, 1)
    assert searched(run) == SEEDS
    log = Path(entry["log"]).read_text()
    assert "crawl summary" in log and "Traceback" not in log
