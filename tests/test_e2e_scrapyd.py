"""Scrapyd: the project deploys with ``scrapyd-deploy`` to a real scrapyd on 127.0.0.1, and a crawl scheduled
there writes to the evidence store like ``gigscan crawl`` does."""

from __future__ import annotations

import configparser
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from testbed.server import TestbedServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# scrapyd-deploy builds an egg with setup.py (writing one, and build/ and *.egg-info, into the project when there
# is none); so the test deploys from a copy. The ruleset and profiles are package data the egg must carry.
SETUP_PY = """from setuptools import find_packages, setup
setup(name="gigscan-crawler", version="1.0", packages=find_packages(),
      package_data={"matchers": ["rules/*.toml"], "crawler": ["profiles/*.toml"]},
      entry_points={"scrapy": ["settings = crawler.settings"]})
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, data: dict[str, Any] | list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\nitems_dir =\npoll_interval = 0.5\n"
    )
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert call(url + "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "scrapyd did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def deployable_copy(tmp_path: Path, url: str) -> Path:
    """The crawler's packages and scrapy.cfg, with the cfg's deploy target pointed at ``url``."""
    config = configparser.ConfigParser()
    config.read(ROOT / "scrapy.cfg")
    assert config["settings"]["default"] == "crawler.settings"
    assert config["deploy"]["project"] == "gigscan" and config["deploy"]["url"].startswith("http://127.0.0.1:")
    project = tmp_path / "project"
    for package in ("crawler", "db", "matchers"):
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    config["deploy"]["url"] = url
    with (project / "scrapy.cfg").open("w") as cfg:
        config.write(cfg)
    (project / "setup.py").write_text(SETUP_PY)
    return project


def test_deploy_to_scrapyd_and_crawl_into_the_store(tmp_path: Path, scrapyd: str) -> None:
    project = deployable_copy(tmp_path, scrapyd)
    deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "-v", "1"], cwd=project, capture_output=True, text=True,
                            timeout=120)
    assert deploy.returncode == 0, deploy.stderr
    answer = json.loads(deploy.stdout)
    assert answer["status"] == "ok" and answer["project"] == "gigscan" and answer["spiders"] >= 3
    assert "fiverr" in call(scrapyd + "listspiders.json?project=gigscan")["spiders"]
    db = tmp_path / "scrapyd.db"
    with TestbedServer(seed=3, listings=100) as server:
        job = call(scrapyd + "schedule.json", [
            ("project", "gigscan"), ("spider", "fiverr"), ("setting", f"GIGSCAN_DB={db}"),
            ("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_START_DELAY=0"),
            ("base_url", server.url), ("query", "logo design"), ("max_pages", "1"), ("follow_sellers", "0"),
        ])
        assert job["status"] == "ok"
        deadline = time.monotonic() + 40
        while not any(j["id"] == job["jobid"] for j in call(scrapyd + "listjobs.json?project=gigscan")["finished"]):
            assert time.monotonic() < deadline, "the scrapyd job did not finish"
            time.sleep(0.5)
        gig_hits = server.hits["gig"]
    store = sqlite_utils.Database(db)
    [run] = list(store.query("select * from runs"))
    assert (run["spider"], run["status"]) == ("fiverr", "finished")
    stats = json.loads(run["stats"])
    assert stats["gigscan/query_results/logo design"] == store["listings"].count > 0
    assert gig_hits >= 1 and stats["gigscan/pages_parsed/gig"] == gig_hits
