"""What a new user meets in the first hour: ``--version``, ``-h``, completion, help that shows choices and
defaults, usage errors and bad stores as ONE line with exit 2 from every command, busy ports, real ports
announced, one scale for scores, ``--json`` where a command prints a result, progress when not on a terminal,
and output that does not depend on the checkout's path or the terminal's width."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from crawler.pages.profile import shipped_profiles
from db import Store
from db.testing import listing_record, verdict
from gigscan.cli import app
from gigscan.progress import CrawlProgress
from helpers import run_gigscan
from testbed.server import TestbedServer

ROOT = Path(__file__).parent.parent


def one_line_exit_2(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr


def test_version_and_short_help() -> None:
    from gigscan import __version__

    assert run_gigscan("--version").stdout.strip() == f"gigscan {__version__}"
    assert "Usage: gigscan crawl" in run_gigscan("crawl", "-h").stdout


def test_shell_completion_is_offered() -> None:
    """Typer guesses the shell from the parent process unless told not to (a test run from ``sh`` would get
    "Shell sh not supported"): the variable makes it take the shell named on the command line."""
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run([sys.executable, "-m", "gigscan", "--show-completion", "bash"], capture_output=True,
                            text=True, timeout=60, env=env, cwd=ROOT, check=True).stdout
    assert "_gigscan_completion" in script and "complete" in script


def command_paths(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):
            yield from command_paths(command, (*prefix, name))


def test_help_shows_choices_and_defaults_never_type_names() -> None:
    runner = CliRunner()
    root = typer.main.get_command(app)
    paths = list(command_paths(root))
    assert ("crawl",) in paths and ("review", "confirm") in paths
    for path in paths:
        result = runner.invoke(app, [*path, "-h"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        assert not re.search(r"<(bool|str|int|float|list\[[^]]*\]|path)>", result.output), (path, result.output)
    crawl_help = runner.invoke(app, ["crawl", "-h"], env={"COLUMNS": "200"}).output
    assert "[DEBUG|INFO|WARNING|ERROR]" in crawl_help and "[default: 3]" in crawl_help


@pytest.mark.parametrize("args", [["crawl"], ["crawl", "fiverr", "--bogus"], ["search", "x", "--limit", "many"],
                                  ["nosuchcommand"], ["export", "--format"]])
def test_usage_errors_are_one_line(args: list[str]) -> None:
    proc = run_gigscan(*args, check=False)
    one_line_exit_2(proc)
    assert "-h)" in proc.stderr or "No such command" in proc.stderr


STORE_COMMANDS = [
    ["search", "someone"], ["history", "someone"], ["export", "--format", "csv", "--output", "OUT/x.csv"],
    ["verify"], ["stats"], ["runs"], ["review"], ["warc", "--output", "OUT"], ["scan"], ["serve", "--port", "0"],
    ["crawl", "fiverr", "--base-url", "http://127.0.0.1:9", "--no-progress"],
]


BAD_STORES = [(command, kind) for command in STORE_COMMANDS for kind in ("not-sqlite", "missing", "directory")
              if (command[0], kind) != ("crawl", "missing")]  # a crawl creates its store


@pytest.mark.parametrize(("command", "kind"), BAD_STORES, ids=[f"{c[0]}-{k}" for c, k in BAD_STORES])
def test_every_command_on_a_bad_store_is_one_line_exit_2(tmp_path: Path, command: list[str], kind: str) -> None:
    db = tmp_path / "store.db"
    if kind == "not-sqlite":
        db.write_bytes(b"PK\x03\x04 a zip file, not a database")
    elif kind == "directory":
        db.mkdir()
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    one_line_exit_2(run_gigscan(*args, "--db", str(db), check=False, timeout=120))
    assert kind != "missing" or not db.exists()  # reading never creates a store


@contextmanager
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", [["serve"], ["testbed", "serve"]])
def test_a_busy_port_is_one_line_exit_2(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "s.db"
    Store(db).close()
    extra = ["--db", str(db)] if command == ["serve"] else []
    with busy_port() as port:
        proc = run_gigscan(*command, "--port", str(port), *extra, check=False)
    one_line_exit_2(proc)
    assert "Address already in use" in proc.stderr


@contextmanager
def serving(*args: str) -> Iterator[str]:
    """Start a server command with --port 0; yield the URL its first line announces."""
    proc = subprocess.Popen([sys.executable, "-m", "gigscan", *args, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/?", line)
        assert found and found[1] != "0", line
        yield found[0].rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_port_0_announces_the_port_it_listens_on(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    Store(db).close()
    with serving("serve", "--db", str(db)) as url, urllib.request.urlopen(url + "/", timeout=30) as response:
        assert response.status == 200


def test_testbed_serve_prints_its_address() -> None:
    with serving("testbed", "serve") as url, urllib.request.urlopen(url + "/robots.txt", timeout=30) as response:
        assert response.status == 200


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    db = tmp_path / "gigscan.db"
    with Store(db) as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(seller="bess98", verdict=verdict())])
    return db


def test_search_scores_run_0_to_1_and_an_empty_name_is_bad_input(small_store: Path) -> None:
    one_line_exit_2(run_gigscan("search", "", "--db", str(small_store), check=False))
    one_line_exit_2(run_gigscan("search", "bess98", "--min-score", "80", "--db", str(small_store), check=False))
    hits = json.loads(run_gigscan("search", "bess99", "--fuzzy", "--min-score", "0.8", "--json",
                                  "--db", str(small_store)).stdout)
    assert hits and all(0 < hit["score"] <= 1 for hit in hits)


def test_json_from_review_decisions_warc_and_rules_check(small_store: Path, tmp_path: Path) -> None:
    pending = json.loads(run_gigscan("review", "--json", "--db", str(small_store)).stdout)["pending"]
    verdict_id = str(pending[0]["verdict_id"])
    decided = json.loads(run_gigscan("review", "confirm", verdict_id, "--note", "sells reviews", "--by", "alice",
                                     "--json", "--db", str(small_store)).stdout)
    assert decided["state"] == "confirmed" and decided["reviewed_by"] == "alice"
    warc = json.loads(run_gigscan("warc", "--output", str(tmp_path / "w"), "--json", "--db", str(small_store)).stdout)
    assert warc["pairs"] >= 1 and Path(warc["path"]).is_file()
    checked = json.loads(run_gigscan("rules", "check", "--json").stdout)
    assert checked["ok"] and checked["rules"] > 0
    broken = tmp_path / "broken.toml"
    broken.write_text("version = [\n")
    proc = run_gigscan("rules", "check", str(broken), "--json", check=False)
    assert proc.returncode == 2 and json.loads(proc.stdout)["problems"][0]["severity"] == "error"


def test_output_does_not_depend_on_the_path_or_the_terminal_width(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-folder-name-to-catch-path-bugs"] * 4)
    deep.mkdir(parents=True)
    profile = deep / "seoclerks.toml"
    shutil.copy(next(p for p in shipped_profiles() if p.stem == "seoclerks"), profile)
    result = CliRunner().invoke(app, ["profile", "check", str(profile)], env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    assert "12 of 12 selectors not confirmed" in result.output  # one line, not wrapped mid-sentence
    checked = json.loads(CliRunner().invoke(app, ["profile", "check", str(profile), "--json"]).output)
    assert checked["marketplace"] == "seoclerks" and len(checked["unconfirmed"]) == checked["selectors"] == 12


def test_progress_counts_listings_and_shows_totals_rate_and_elapsed() -> None:
    progress = CrawlProgress()
    progress.scheduled, progress.pages, progress.items = 10, 4, 7
    item = type("Item", (), {"marketplace": "fiverr", "external_id": "1"})()
    progress.on_flagged(item=item)
    progress.on_flagged(item=item)  # the same listing flagged twice (card and gig page) is one flagged listing
    line = progress.line()
    assert "pages 4/10" in line and "items 7" in line and "flagged listings 1" in line
    assert re.search(r"\d+\.\d pages/s", line) and re.search(r"elapsed \d+:\d\d", line)


@pytest.mark.slow
def test_progress_lines_when_not_on_a_terminal_and_counts_agree(tmp_path: Path) -> None:
    """Piped, a crawl prints a progress line every --progress-every seconds; its summary's "flagged" is what
    `stats` counts; a history shows which of a listing's verdicts is current."""
    db = tmp_path / "p.db"
    with TestbedServer(seed=7, listings=80) as server:
        proc = run_gigscan("crawl", "fiverr", "--base-url", server.url, "--db", str(db), "--delay", "0.05",
                           "--max-pages", "1", "-q", "amazon reviews", "-q", "google reviews",
                           "--progress-every", "0.2", "--json")
    assert re.search(r"^progress: pages \d+/\d+ .* pages/s +elapsed \d+:\d\d$", proc.stderr, re.M), proc.stderr
    [summary] = json.loads(proc.stdout)["runs"]
    stats = json.loads(run_gigscan("stats", "--json", "--db", str(db)).stdout)
    assert summary["flagged"] == sum(m["flagged"] for m in stats) > 0
    [run] = json.loads(run_gigscan("runs", "--json", "--db", str(db)).stdout)
    assert run["flagged"] == summary["flagged"] and run["flag_events"] >= run["flagged"]
    assert summary["flagged"] < summary["items_scraped"]
    exported = run_gigscan("export", "--format", "jsonl", "--state", "any", "--db", str(db)).stdout
    assert len(exported.splitlines()) == summary["flagged"]
    first = json.loads(exported.splitlines()[0])
    timeline = json.loads(run_gigscan("history", first["listing_url"], "--json", "--db", str(db)).stdout)
    verdicts = [e for t in timeline["listings"] for e in t["events"] if e["kind"] == "verdict"]
    assert sum(e["current"] for e in verdicts) == 1 and all(e["source"] for e in verdicts)


def test_a_group_without_a_command_shows_its_help_not_an_error() -> None:
    proc = run_gigscan("schedule", check=False)
    assert "Usage: gigscan schedule" in proc.stdout and proc.stderr == ""


@pytest.mark.slow
def test_on_a_terminal_the_progress_line_is_live(tmp_path: Path) -> None:
    """Under a pseudo-terminal, the crawl draws its live line: pages done of scheduled, rate, elapsed."""
    import os
    import pty

    main, child = pty.openpty()
    with TestbedServer(seed=7, listings=40) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gigscan", "crawl", "fiverr", "--base-url", server.url, "--db",
             str(tmp_path / "t.db"), "--delay", "0.2", "--max-pages", "1", "-q", "amazon reviews"],
            stdin=child, stdout=child, stderr=child, cwd=ROOT, env={**os.environ, "COLUMNS": "160", "TERM": "xterm"})
        os.close(child)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=120) == 0, seen.decode(errors="replace")[-2000:]
    os.close(main)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))  # colours and cursor moves
    assert re.search(r"crawling.*pages \d+/\d+ .*pages/s +elapsed \d+:\d\d", text), text[-2000:]


@pytest.mark.parametrize("command", [
    ["classify", "MISSING"], ["eval", "MISSING"], ["rules", "check", "MISSING"],
    ["search", "--from-file", "MISSING", "--db", "DB"], ["profile", "check", "MISSING"],
    ["profile", "test", "MISSING", "MISSING"], ["crawl", "fiverr", "--rules", "MISSING", "--db", "DB"],
    ["crawl", "generic", "--profile", "MISSING", "--db", "DB"],
], ids=lambda c: "-".join(c[:2]))
def test_every_command_on_a_missing_input_file_is_one_line_exit_2(small_store: Path, command: list[str]) -> None:
    missing = str(small_store.parent / "no-such-file")
    args = [missing if a == "MISSING" else str(small_store) if a == "DB" else a for a in command]
    proc = run_gigscan(*args, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "no-such-file" in proc.stderr, proc.stderr
