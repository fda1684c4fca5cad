"""``gigscan schedule``: valid crontab entries in a temporary crontab file (never the user's)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from crontab import CronSlices, CronTab
from typer.testing import CliRunner

from gigscan.cli import app


def schedule(*args: str, crontab: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["schedule", *args[:1], "--crontab-file", str(crontab), *args[1:]])
    return result.exit_code, result.output


@pytest.fixture
def crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GIGSCAN_DB", raising=False)
    path = tmp_path / "crontab"
    path.write_text("MAILTO=ops@example.org\n17 4 * * * /usr/bin/backup  # not ours\n")
    return path


def test_add_list_remove_edit_only_gigscan_entries(crontab: Path, tmp_path: Path) -> None:
    code, out = schedule("add", "nightly", "--every", "6h", "--", "crawl", "fiverr", "--query", "100% amazon reviews",
                         "--max-pages", "2", crontab=crontab)
    assert code == 0, out
    code, out = schedule("add", "weekly", "--cron", "15 3 * * 1", "--", "crawl", "all", "--db", "store/w.db",
                         crontab=crontab)
    assert code == 0, out
    cron = CronTab(tabfile=str(crontab))
    jobs = {job.comment: job for job in cron}
    assert set(jobs) == {"gigscan:nightly", "gigscan:weekly", "not ours"}
    assert crontab.read_text().startswith("MAILTO=ops@example.org\n")
    nightly = jobs["gigscan:nightly"]
    assert str(nightly.slices) == "0 */6 * * *" and CronSlices.is_valid(str(nightly.slices))
    assert str(jobs["gigscan:weekly"].slices) == "15 3 * * 1"
    # a fresh process from the scheduling directory, with the database named and a log file beside it
    words = shlex.split(nightly.command)
    assert words[:3] == ["cd", str(tmp_path), "&&"]
    assert words[3:8] == [sys.executable, "-m", "gigscan", "crawl", "fiverr"]
    assert words[words.index("--query") + 1] == "100% amazon reviews"
    assert words[words.index("--db") + 1] == str(tmp_path / "gigscan.db")
    assert words[-3:] == [">>", str(tmp_path / ".gigscan" / "logs" / "nightly.log"), "2>&1"]
    assert (tmp_path / ".gigscan" / "logs").is_dir()
    assert "100\\% amazon" in crontab.read_text()  # cron would read a bare % as a newline
    weekly = shlex.split(jobs["gigscan:weekly"].command)
    assert weekly.count("--db") == 1 and weekly[-2] == str(tmp_path / "store" / ".gigscan" / "logs" / "weekly.log")

    code, out = schedule("list", "--json", crontab=crontab)
    listed = {e["name"]: e for e in json.loads(out)}
    assert set(listed) == {"nightly", "weekly"} and listed["nightly"]["schedule"] == "0 */6 * * *"
    assert listed["nightly"]["log"] == str(tmp_path / ".gigscan" / "logs" / "nightly.log")

    assert schedule("remove", "nightly", crontab=crontab)[0] == 0
    assert {job.comment for job in CronTab(tabfile=str(crontab))} == {"gigscan:weekly", "not ours"}
    code, out = schedule("remove", "nightly", crontab=crontab)
    assert code == 2 and "no schedule named 'nightly'" in out


@pytest.mark.parametrize(("every", "slices"), [("30m", "*/30 * * * *"), ("1h", "0 * * * *"), ("2d", "0 0 */2 * *")])
def test_every_becomes_cron_fields(crontab: Path, every: str, slices: str) -> None:
    code, out = schedule("add", "job", "--every", every, "--dry-run", "--", "crawl", "fiverr", crontab=crontab)
    assert code == 0, out
    entry = CronTab(tab=out)
    [job] = list(entry)
    assert job.is_valid() and job.comment == "gigscan:job"
    assert str(job.slices) == str(CronSlices(slices))  # python-crontab writes 0 * * * * as @hourly
    assert "gigscan:job" not in crontab.read_text()  # a dry run changes nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad name!", "--every", "1h", "--", "crawl", "fiverr"], "schedule names are"),
        (["job", "--every", "90m", "--", "crawl", "fiverr"], "--every takes"),
        (["job", "--cron", "61 * * * *", "--", "crawl", "fiverr"], "not a valid cron expression"),
        (["job", "--every", "1h", "--cron", "* * * * *", "--", "crawl", "fiverr"], "exactly one of"),
        (["job", "--every", "1h", "--", "fiverr"], "schedule what?"),
        (["job", "--every", "1h", "--", "crawl", "fiverr", "--no-such-option"], "do not parse"),
    ],
)
def test_bad_schedules_are_refused_with_one_line(crontab: Path, args: list[str], message: str) -> None:
    before = crontab.read_text()
    code, out = schedule("add", *args, crontab=crontab)
    assert code == 2 and message in out
    assert crontab.read_text() == before


def test_a_name_is_scheduled_once(crontab: Path) -> None:
    assert schedule("add", "job", "--every", "1d", "--", "crawl", "fiverr", crontab=crontab)[0] == 0
    code, out = schedule("add", "job", "--every", "2d", "--", "crawl", "fiverr", crontab=crontab)
    assert code == 2 and "exists" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"at": "2026-12-07T07:12:40Z", "entries": 1458, "head": "c881"}\n', "not a crontab entry"),
        (b"17 4 * * * /usr/bin/backup\nmy notes, not a job\n", "not a crontab entry"),
        (b"SQLite format 3\x00\xff\xfe\x82", "not a crontab (not UTF-8 text)"),
    ],
)
def test_a_file_that_is_not_a_crontab_is_left_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        content: bytes, message: str) -> None:
    """--crontab-file naming the checkpoint file (or a crontab with a line cron's parser cannot read) was rewritten
    with every such line commented out as "# DISABLED LINE"; a binary file was a UnicodeDecodeError traceback."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "gigscan.db.checkpoints.jsonl"
    path.write_bytes(content)
    code, out = schedule("add", "job", "--every", "1d", "--", "crawl", "fiverr", crontab=path)
    assert code == 2 and message in out and len(out.strip().splitlines()) == 1, out
    assert path.read_bytes() == content
    assert schedule("remove", "job", crontab=path)[0] == 2 and path.read_bytes() == content


# Each process reads the crontab, waits a moment before writing it back (the window two `schedule add` at once
# used to race in: the later write dropped the earlier entry), then writes.
_SLOW_SAVE = """
import sys, time
import gigscan.commands.schedule as schedule
from gigscan.cli import app
save = schedule.save_crontab
schedule.save_crontab = lambda cron, path: (time.sleep(0.5), save(cron, path))
app(prog_name="gigscan", args=sys.argv[1:])
"""


def test_schedule_adds_at_once_keep_every_entry(crontab: Path, tmp_path: Path) -> None:
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    names = [f"job{i}" for i in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", _SLOW_SAVE, "schedule", "add", name, "--every", "1h",
                               "--crontab-file", str(crontab), "--", "crawl", "fiverr"],
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in names]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    cron = CronTab(tab=crontab.read_text())
    assert sorted(job.comment for job in cron if job.comment.startswith("gigscan:")) == [f"gigscan:{n}" for n in names]
    assert "/usr/bin/backup" in crontab.read_text()  # the user's own line is still there


def test_a_lock_that_cannot_be_made_is_one_line_at_once(crontab: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """filelock retries a lock file it cannot create as if another process held it: 30 s of waiting, then
    "another gigscan schedule command has been editing the crontab", with no other command running."""
    import gigscan.commands.schedule as schedule

    monkeypatch.setattr(schedule, "crontab_lock_path", lambda path: Path("/proc/gigscan-crontab.lock"))
    monkeypatch.setattr(schedule, "LOCK_WAIT_S", 2.0)
    result = CliRunner().invoke(app, ["schedule", "add", "n", "--every", "1d", "--crontab-file", str(crontab),
                                      "--", "crawl", "fiverr"])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert "cannot lock the crontab" in flat and "another gigscan" not in flat, result.output
