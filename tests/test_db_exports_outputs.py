"""Outputs never clobber inputs and are never left half-written; every export names the log head it was made
from (issue 14)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gigscan.commands.store as store_commands
from db import Store
from db.testing import listing_record, verdict
from gigscan.cli import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "x.db"
    with Store(path) as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(verdict=verdict())])
    return path


def export(db: Path, *args: str):
    return runner.invoke(app, ["export", "--db", str(db), *args])


def head_of(db: Path) -> str:
    return json.loads(runner.invoke(app, ["verify", "--db", str(db), "--json"]).stdout)["head"]


@pytest.mark.parametrize("format", ["xlsx", "csv", "jsonl", "html", "exhibit", "exhibit-csv", "bundle"])
def test_an_export_refuses_to_write_over_its_store(db, format):
    before = db.read_bytes()
    result = export(db, "--format", format, "--output", str(db))
    assert result.exit_code == 2
    assert "refusing to write" in result.stderr
    assert db.read_bytes() == before
    with Store(db) as store:
        assert store.verify().ok and store.counts()["listings"] == 1


@pytest.mark.parametrize("format", ["csv", "exhibit", "xlsx", "bundle"])
def test_an_export_refuses_to_write_over_the_checkpoints_and_their_key(db, format):
    from db.checkpoint import default_checkpoints, default_key

    assert runner.invoke(app, ["checkpoint", "--db", str(db)]).exit_code == 0
    anchors = [default_checkpoints(db), default_key(db), default_key(db).with_suffix(".pub")]
    before = [path.read_bytes() for path in anchors]
    for path in anchors:
        result = export(db, "--format", format, "--output", str(path))
        assert result.exit_code == 2 and "refusing to write" in result.stderr, result.output
    assert [path.read_bytes() for path in anchors] == before
    verified = runner.invoke(app, ["verify", "--db", str(db)])
    assert verified.exit_code == 0 and "1 recorded head(s) found" in verified.stdout


def test_another_name_for_the_store_is_refused_too(db, tmp_path):
    alias = tmp_path / "alias.db"
    alias.symlink_to(db)
    assert export(db, "--format", "xlsx", "--output", str(alias)).exit_code == 2
    assert export(db, "--format", "csv", "--output", str(tmp_path / "sub" / ".." / "x.db")).exit_code == 2
    with Store(db) as store:
        assert store.verify().ok
    wal = Path(f"{db}-wal")
    if wal.exists():
        assert export(db, "--format", "csv", "--output", str(wal)).exit_code == 2


@pytest.mark.parametrize("format", ["csv", "html", "xlsx", "bundle"])
def test_an_output_that_cannot_be_written_is_one_line(db, tmp_path, format):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    result = export(db, "--format", format, "--output", str(blocked / "out"))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: cannot write") and result.stderr.count("\n") == 1, result.stderr
    result = runner.invoke(app, ["warc", "--db", str(db), "--output", str(blocked / "warc")])
    assert result.exit_code == 2 and result.stderr.startswith("error: cannot write"), result.stderr


def test_a_failed_export_leaves_the_old_file_and_no_partial(db, tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("the report of yesterday")

    def broken(store, filters, fh):
        fh.write("<!DOCTYPE html><html><body>half a rep")
        raise OSError("No space left on device")

    monkeypatch.setitem(store_commands.TEXT_WRITERS, "html", broken)
    result = export(db, "--format", "html", "--output", str(target))
    assert result.exit_code != 0
    assert target.read_text() == "the report of yesterday"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".report")) == []


def test_atomic_text_replaces_the_target_only_when_complete(tmp_path):
    from db.exports.files import ClobberError, atomic_text

    target = tmp_path / "out.csv"
    with atomic_text(target) as fh:
        fh.write("a,b\n")
        assert not target.exists()
    assert target.read_text() == "a,b\n"
    with pytest.raises(ClobberError), atomic_text(target, [target]):
        pass


def test_every_export_names_the_head_it_was_made_from(db, tmp_path):
    head = head_of(db)
    exhibit = tmp_path / "exhibit.txt"
    result = export(db, "--format", "exhibit", "--output", str(exhibit))
    assert head in exhibit.read_text() and head in result.stderr
    html = tmp_path / "r.html"
    export(db, "--format", "html", "--output", str(html))
    assert head in html.read_text()
    csv_result = export(db, "--format", "csv")
    assert head in csv_result.stderr and head not in csv_result.stdout  # the CSV itself stays plain
    bundle = tmp_path / "b.zip"
    assert export(db, "--format", "bundle", "--output", str(bundle)).exit_code == 0
    with zipfile.ZipFile(bundle) as archive:
        manifest = next(n for n in archive.namelist() if n.endswith("manifest.json"))
        assert json.loads(archive.read(manifest))["evidence_log"]["head"] == head
    from openpyxl import load_workbook

    xlsx = tmp_path / "x.xlsx"
    export(db, "--format", "xlsx", "--output", str(xlsx))
    about = [row for row in load_workbook(xlsx)["About"].iter_rows(values_only=True)]
    assert any(head in str(value) for row in about for value in row)


@pytest.mark.parametrize(("format", "counted"), [("csv", "flagged listing(s)"), ("xlsx", "flagged listing(s)"),
                                              ("exhibit", "seller(s)")])
def test_export_json_says_what_was_written_from_which_head(db, tmp_path, format, counted):
    target = tmp_path / f"out.{format}"
    result = export(db, "--format", format, "--output", str(target), "--json")
    assert result.exit_code == 0, result.output
    said = json.loads(result.stdout)
    assert said == {"format": format, "output": str(target), "count": 1, "counted": counted, "db": str(db),
                    "log_entries": said["log_entries"], "head": head_of(db)}
    assert said["log_entries"] > 0 and target.stat().st_size > 0


def test_export_json_to_stdout_is_a_usage_error(db):
    result = export(db, "--format", "csv", "--json")
    assert result.exit_code == 2 and "--output" in result.stderr and result.stdout == ""


def test_warc_never_overwrites_the_store_either(db):
    result = runner.invoke(app, ["warc", "--db", str(db), "--output", str(db.parent), "--all"])
    assert result.exit_code == 0, result.output
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert len(list(db.parent.glob("gigscan-*.warc.gz"))) == 1
    assert not list(db.parent.glob(".*partial"))


@pytest.mark.parametrize("format", ["csv", "jsonl", "xlsx", "html", "exhibit", "bundle"])
def test_a_run_whose_query_was_not_utf8_exports(tmp_path, format):
    """A run's arguments holding half a UTF-16 pair (a query whose bytes were not UTF-8, from `scrapy crawl -a` or
    an older gigscan) made the bundle's manifest.json a UnicodeEncodeError traceback."""
    path = tmp_path / "x.db"
    with Store(path) as store:
        run = store.start_run("crawl", "fiverr", {"queries": ["caf\udce9"]}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(verdict=verdict())])
    out = tmp_path / f"out.{format}"
    result = export(path, "--format", format, "--output", str(out))
    assert result.exit_code == 0, result.output
    if format == "bundle":
        with zipfile.ZipFile(out) as archive:
            manifest = next(n for n in archive.namelist() if n.endswith("manifest.json"))
            assert json.loads(archive.read(manifest))["runs"][0]["args"]["queries"] == ["caf\udce9"]
