"""Runs history, degraded status, skipped runs, the crawl lock, job directories and notifications."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crawler.unattended import (
    Locked,
    RunReport,
    close_job_dir,
    data_dir,
    hold_crawl_locks,
    job_dir,
    judge_run,
    lock_path,
    notify,
    notify_problem,
    open_job_dir,
)
from db.runs import earlier_runs, get_run, list_runs, mark_degraded, record_skipped_run
from db.store import Store
from gigscan.app import console
from gigscan.cli import app
from helpers import QuietHandler, serve


def add_run(store: Store, spider: str, args: dict[str, Any], status: str, items: int) -> int:
    run_id = store.start_run("crawl", spider, args, "r1", "0.1.0")
    store.finish_run(run_id, status, {"item_scraped_count": items, "downloader/response_count": 50})
    return run_id


AMAZON = {"queries": ["amazon reviews", "google reviews"], "base_url": None, "marketplace": "fiverr"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "runs.db") as s:
        yield s


def test_earlier_runs_are_same_spider_and_queries_finished_or_degraded_newest_first(store: Store) -> None:
    first = add_run(store, "fiverr", AMAZON, "finished", 100)
    add_run(store, "fiverr", {**AMAZON, "queries": ["logo design"]}, "finished", 5)  # other queries
    add_run(store, "freelancer", AMAZON, "finished", 7)  # other spider
    add_run(store, "fiverr", AMAZON, "blocked", 0)  # incomplete: not a yardstick
    add_run(store, "fiverr", {**AMAZON, "max_pages": 9}, "finished", 900)  # deeper crawl
    add_run(store, "fiverr", {**AMAZON, "recheck": "flagged"}, "finished", 20)  # a re-check, not a search
    second = add_run(store, "fiverr", {**AMAZON, "queries": ["google reviews", "amazon reviews"]}, "degraded", 90)
    current = add_run(store, "fiverr", AMAZON, "finished", 10)
    later = add_run(store, "fiverr", AMAZON, "finished", 95)
    assert [r["id"] for r in earlier_runs(store, current)] == [second, first]
    assert [r["id"] for r in earlier_runs(store, later, limit=1)] == [current]
    assert earlier_runs(store, first) == []


def test_mark_degraded_keeps_failures_in_stats_and_worse_statuses(store: Store) -> None:
    finished = add_run(store, "fiverr", AMAZON, "finished", 10)
    failures = [{"monitor": "zero_results", "message": "query 'x' returned no listings", "value": 0, "limit": 1}]
    assert mark_degraded(store, finished, failures) == "degraded"
    run = get_run(store, finished)
    assert run is not None and run["status"] == "degraded"
    assert run["stats"]["gigscan/monitors"] == failures
    assert run["stats"]["item_scraped_count"] == 10
    blocked = add_run(store, "fiverr", AMAZON, "blocked", 0)
    assert mark_degraded(store, blocked, failures) == "blocked"
    healthy = add_run(store, "fiverr", AMAZON, "finished", 10)
    assert mark_degraded(store, healthy, []) == "finished"


def test_skipped_runs_are_recorded_and_listed_with_durations(store: Store) -> None:
    done = add_run(store, "fiverr", AMAZON, "finished", 10)
    skipped = record_skipped_run(store, "fiverr", AMAZON, "another crawl is running", "0.1.0")
    rows = list_runs(store)
    assert [r["id"] for r in rows] == [skipped, done]
    assert rows[0]["status"] == "skipped" and rows[0]["stats"] == {"gigscan/skipped": "another crawl is running"}
    assert rows[1]["duration_s"] is not None and 0 <= rows[1]["duration_s"] < 5
    assert rows[1]["args"]["queries"] == AMAZON["queries"]


def test_judge_run_degrades_a_run_far_below_its_history(tmp_path: Path) -> None:
    db = tmp_path / "judge.db"
    with Store(db) as store:
        for items in (100, 110, 90):
            add_run(store, "fiverr", AMAZON, "finished", items)
        low = add_run(store, "fiverr", AMAZON, "finished", 20)
        normal = add_run(store, "fiverr", AMAZON, "finished", 105)
    report = judge_run(db, low)
    assert report.status == "degraded" and [f["monitor"] for f in report.failures] == ["items_below_median"]
    assert report.counters["items"] == 20 and not report.healthy
    assert judge_run(db, normal).healthy


def test_runs_command_lists_status_counters_and_monitors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 200)
    db = tmp_path / "cli.db"
    with Store(db) as store:
        run_id = add_run(store, "fiverr", AMAZON, "finished", 10)
        mark_degraded(store, run_id, [{"monitor": "zero_results", "message": "m", "value": 0, "limit": 1}])
    result = CliRunner().invoke(app, ["runs", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["status"], row["items"], row["monitors"]) == ("degraded", 10, ["zero_results"])
    assert row["flagged"] == row["flagged_listings"] == 0  # listings (none stored here), not flag events
    table = CliRunner().invoke(app, ["runs", "--db", str(db)])
    assert "degraded" in table.output and "zero_results" in table.output


def test_runs_stays_whole_at_80_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At a common terminal width no figure or status is cut to an ellipsis; why a run went wrong is a line under
    the table, in full."""
    monkeypatch.setattr(console, "width", 80)
    db = tmp_path / "narrow.db"
    with Store(db) as store:
        run_id = add_run(store, "freelancer", AMAZON, "finished", 123456)
        mark_degraded(store, run_id, [{"monitor": "items_below_median", "message": "m", "value": 0, "limit": 1}])
    result = CliRunner().invoke(app, ["runs", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output and max(map(len, result.output.splitlines())) <= 80
    row = next(line for line in result.output.splitlines() if "freelancer" in line)
    assert "degraded" in row and "123456" in row
    assert f"run {run_id}: items_below_median" in result.output


def test_crawl_lock_is_exclusive_per_database_and_spider_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "lock.db"
    held = hold_crawl_locks(db, ["fiverr"])
    assert lock_path(db, "fiverr").parent == data_dir(db) / "locks"
    probe = (
        "import sys; from pathlib import Path; from crawler.unattended import hold_crawl_locks, Locked\n"
        "try:\n    hold_crawl_locks(Path(sys.argv[1]), sys.argv[2:])\nexcept Locked as e:\n    print(e.name)\n"
        "else:\n    print('acquired')\n"
    )

    def other_process(*names: str) -> str:
        proc = subprocess.run([sys.executable, "-c", probe, str(db), *names], capture_output=True, text=True,
                              check=True)
        return proc.stdout.strip()

    assert other_process("fiverr") == "fiverr"
    assert other_process("freelancer") == "acquired"  # another spider, same database
    assert other_process("freelancer", "fiverr") == "fiverr"  # all or nothing
    with pytest.raises(Locked):
        hold_crawl_locks(db, ["fiverr"])
    for lock in held:
        lock.release()
    assert other_process("fiverr") == "acquired"


def test_a_hard_link_to_the_store_takes_the_same_lock_and_sqlite_does_not_drop_it(tmp_path: Path) -> None:
    """A hard link in another folder resolves to a path (and a lock file) of its own: the store file's own lock
    catches it. Opening and closing the store in the holding process (SQLite closes its descriptors) keeps it."""
    db = tmp_path / "a" / "store.db"
    db.parent.mkdir()
    with Store(db):
        pass
    (tmp_path / "b").mkdir()
    link = tmp_path / "b" / "other-name.db"
    os.link(db, link)
    held = hold_crawl_locks(db, ["fiverr"])
    with Store(db) as store:
        store.conn.execute("SELECT count(*) FROM runs").fetchone()
    probe = ("import sys; from pathlib import Path; from crawler.unattended import hold_crawl_locks, Locked\n"
             "try:\n    hold_crawl_locks(Path(sys.argv[1]), sys.argv[2:])\nexcept Locked as e:\n    print(e.path)\n"
             "else:\n    print('acquired')\n")  # fmt: skip

    def other_process(path: Path, *names: str) -> str:
        return subprocess.run([sys.executable, "-c", probe, str(path), *names], capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip

    assert other_process(link, "fiverr") == str(link.resolve())
    assert other_process(link, "freelancer") == "acquired"
    for lock in held:
        lock.release()
    assert other_process(link, "fiverr") == "acquired"


def test_a_lock_dies_with_its_process(tmp_path: Path) -> None:
    db = tmp_path / "dies.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys,time; from pathlib import Path; from crawler.unattended import "
         "hold_crawl_locks; l = hold_crawl_locks(Path(sys.argv[1]), ['fiverr']); print('held', flush=True); "
         "time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(Locked):
            hold_crawl_locks(db, ["fiverr"])
    finally:
        holder.kill()
        holder.wait()
    assert len(hold_crawl_locks(db, ["fiverr"])) == 1


def test_job_dirs_resume_a_paused_crawl_and_restart_a_killed_one(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    path = job_dir(db, "fiverr", {"queries": ["a"]})
    assert path.parent == data_dir(db) / "jobs"
    assert path != job_dir(db, "fiverr", {"queries": ["b"]})
    assert open_job_dir(path) is False  # a new crawl
    (path / "requests.seen").write_text("fingerprint\n")
    close_job_dir(path, "shutdown")  # paused (Ctrl-C): its state is kept
    assert open_job_dir(path) is True
    # ... and this time the process is killed: it never closes, so the next start begins afresh
    assert open_job_dir(path) is False
    assert not (path / "requests.seen").exists()
    close_job_dir(path, "finished")  # a finished crawl's state is spent
    assert not path.exists()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[Any]]]:
    received: list[Any] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Content-Type"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

    with serve(Handler) as url:
        yield f"{url}/hook", received


REPORT = RunReport(run_id=7, spider="fiverr", marketplace="fiverr", status="degraded", db="x.db",
                   started_at="2024-01-01T00:00:00Z", finished_at="2024-01-01T00:10:00Z",
                   counters={"items": 3}, failures=[{"monitor": "blocked_share", "message": "m"}])


def test_notify_posts_json_to_a_webhook(webhook: tuple[str, list[Any]]) -> None:
    url, received = webhook
    assert notify(url, [REPORT]) is None
    [(content_type, payload)] = received
    assert content_type == "application/json"
    assert payload["runs"][0]["run_id"] == 7 and payload["runs"][0]["failures"][0]["monitor"] == "blocked_share"


def test_notify_posts_to_a_url_the_start_check_took_as_one(webhook: tuple[str, list[Any]]) -> None:
    """notify_problem reads the scheme case-blind and the target stripped: "HTTP://..." passed the check, then
    was run as a command named "HTTP://..." when a run went wrong."""
    url, received = webhook
    for target in (url.replace("http://", "HTTP://", 1), f" {url} "):
        assert notify_problem(target) is None
        assert notify(target, [REPORT]) is None, target
    assert len(received) == 2


def test_notify_runs_a_command_with_the_summary_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    command = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.stdin.read())\" {out}"
    assert notify(command, [REPORT]) is None
    assert json.loads(out.read_text())["runs"][0]["status"] == "degraded"
    assert notify(f"{sys.executable} -c 'raise SystemExit(3)'", [REPORT]) == (
        f"notification command \"{sys.executable} -c 'raise SystemExit(3)'\" exited 3")
    assert "failed" in (notify("/nonexistent/notifier", [REPORT]) or "")


@pytest.fixture
def garbage_hook() -> Iterator[str]:
    """A webhook that answers every request with a line that is no HTTP status line."""
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"garbage\r\n\r\n")

    threading.Thread(target=answer, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    server.close()


@pytest.mark.parametrize("target", ["{hook}", "http://127.0.0.1:abc/", "http://exa mple/", "   "])
def test_a_notification_that_fails_in_any_way_is_a_problem_returned(garbage_hook: str, target: str) -> None:
    """http.client's errors (BadStatusLine, InvalidURL) and a blank command escaped notify() as tracebacks."""
    problem = notify(target.format(hook=garbage_hook), [REPORT])
    assert problem is not None and "failed" in problem


def test_a_crawl_that_cannot_start_says_so_in_one_line_whatever_its_hook_answers(
        garbage_hook: str, tmp_path: Path) -> None:
    """A missing store with --notify pointing at a hook that answers garbage was a BadStatusLine traceback."""
    result = CliRunner().invoke(app, ["crawl", "fiverr", "--db", str(tmp_path / "no" / "x.db"), "--query", "x",
                                      "--notify", garbage_hook])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize(("target", "message"), [
    ("ftp://hooks.example/x", "unsupported scheme 'ftp'"),
    ("mailto:ops@example.org", "unsupported scheme 'mailto'"),
    ("http://127.0.0.1:abc/hook", "port is not a number"),
    ("https:///hook", "no host"),
    ("http://exa mple/", "no spaces"),
    ("ops@example.org", "e-mail address"),
    ("no-such-notifier-program --x", "not found"),
    ("'unbalanced", "does not parse"),
    ("http://[::1/hook", "Invalid IPv6 URL"),
])
def test_a_notify_target_that_cannot_work_is_refused_before_crawling(tmp_path: Path, target: str,
                                                                     message: str) -> None:
    """It was found out only when a run went wrong (the notification failed, a warning in the log): one line and
    exit 2 now, nothing crawled, no store made; `schedule add -- crawl ... --notify` refuses it too."""
    db = tmp_path / "x.db"
    result = CliRunner().invoke(app, ["crawl", "fiverr", "--db", str(db), "--query", "x", "--base-url",
                                      "http://127.0.0.1:1", "--notify", target])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert message in flat and len(result.output.strip().splitlines()) <= 2, result.output
    assert not db.exists()
    scheduled = CliRunner().invoke(app, ["schedule", "add", "n", "--every", "1d", "--crontab-file",
                                         str(tmp_path / "crontab"), "--", "crawl", "fiverr", "--notify", target])
    assert scheduled.exit_code == 2 and message in " ".join(scheduled.output.split()), scheduled.output
    assert not (tmp_path / "crontab").exists()


def test_a_notify_target_that_can_work_is_taken() -> None:
    for target in ("https://hooks.example/gigscan", "http://127.0.0.1:8080/x", f"{sys.executable} -c pass", "cat"):
        assert notify_problem(target) is None, target
