"""`gigscan history`, `stats` and `warc` on a small store: text and JSON output, exit codes, bad usage."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import Store
from db.testing import capture, gone_record, listing_record, verdict
from gigscan.cli import app

URL = "https://www.fiverr.com/vpross/create-a-logo"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "gigscan.db"
    with Store(path) as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(verdict=verdict())])
        store.record_batch(run, [listing_record(title="I will write <b>[red]5 star[/red]</b> reviews fast",
                                                capture=capture(fetched_at="2024-05-02T10:00:00Z", body=b"v2"))])
        gone = capture(status=410, fetched_at="2024-05-03T10:00:00Z")
        store.record_batch(run, [gone_record(reason="http 410", capture=gone)])
    return path  # fmt: skip


def gigscan(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_history_text_names_changes_verdicts_and_removal(db):
    code, out, _ = gigscan("history", "vpross", "--db", str(db))
    flat = " ".join(out.split())  # the table wraps long cells
    assert code == 0
    assert flat.startswith("vpross on fiverr")
    # scraped text is shown as written, never read as console markup
    assert "title: I will write 5 star reviews -> I will write <b>[red]5 star[/red]</b> reviews fast" in flat
    assert "CURRENT: flagged (buy-reviews), score 0.90, of the gig snapshot 1, ruleset r1" in flat
    assert "http 410 (HTTP 410)" in flat
    assert "status removed" in flat


def test_history_json_and_unknown_target(db):
    code, out, _ = gigscan("history", URL, "--json", "--db", str(db))
    timeline = json.loads(out)
    kinds = [e["kind"] for e in timeline["listings"][0]["events"]]
    assert code == 0 and kinds[:3] == ["first_seen", "changed", "removed"] and "last_seen" not in kinds
    code, out, err = gigscan("history", "nobody", "--db", str(db))
    assert code == 1 and "no seller or listing" in err


def test_stats_table_and_json(db):
    code, out, _ = gigscan("stats", "--db", str(db))
    assert code == 0 and "takedowns" in out and "fiverr" in out
    code, out, _ = gigscan("stats", "--json", "--db", str(db))
    [fiverr] = json.loads(out)
    assert (fiverr["flagged"], fiverr["removed"], fiverr["still_live"]) == (1, 1, 0)


def test_warc_command_writes_and_refuses_bad_usage(db, tmp_path):
    code, out, _ = gigscan("warc", "--output", str(tmp_path / "w"), "--username", "vpross", "--db", str(db))
    assert code == 0 and "3 request/response pair(s)" in out
    assert len(list((tmp_path / "w").glob("gigscan-*.warc.gz"))) == 1
    code, _, err = gigscan("warc", "--output", str(tmp_path / "w"), "--username", "x", "--all", "--db", str(db))
    assert code == 2 and "choose one" in err
    code, _, err = gigscan("warc", "--output", str(tmp_path / "w"), "--username", "nobody", "--db", str(db))
    assert code == 1 and "nothing stored matches" in err


@pytest.mark.parametrize("command", [["verify"], ["search", "alice"], ["review", "confirm", "1", "--note", "x"]])
def test_a_full_disk_is_not_reported_as_a_corrupt_store(db, command):
    """With no room for SQLite's -shm file (a full disk), every command said "not a gigscan store: corrupt or not
    SQLite (disk I/O error)" about an intact store; it now says it cannot open it and asks about the disk."""

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    before = db.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "gigscan", *command, "--db", str(db)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parent.parent, preexec_fn=full_disk)
    assert proc.returncode == 2 and "corrupt" not in proc.stderr, proc.stderr
    assert "is its disk full or failing?" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before
