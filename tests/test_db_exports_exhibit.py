"""Exports for counsel: xlsx, exhibit, bundle; formula neutralisation, XLSX-breaking characters, safe file names."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from db import Store
from db.exports.exhibit import EXHIBIT_COLUMNS, exhibit_sellers, printable, write_exhibit_csv, write_exhibit_text
from db.exports.flagged import COLUMNS, flagged_rows, safe_filename
from db.exports.xlsx import write_xlsx, xlsx_cell
from db.testing import capture, listing_record, seller_record, verdict
from gigscan.cli import app
from testbed.review_wording import HOSTILE_GIGS

HOSTILE_USER = "../../etc/passwd<script>"
CONTROL_TITLE = "\x01=cmd|' /C calc'!A0 reviews\x0b\x1f"


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {"query": ["reviews"]}, "r1", "0.1.0")
        records = [
            listing_record(
                external_id=str(i), seller="star_review_king", title=gig.title, description=gig.description,
                url=f"https://www.fiverr.com/star_review_king/gig-{i}", verdict=verdict(score=0.9 - i / 10),
                capture=capture(url=f"https://www.fiverr.com/star_review_king/gig-{i}", body=b"<p>gig %d</p>" % i),
            )
            for i, gig in enumerate(HOSTILE_GIGS)
        ]  # fmt: skip
        records += [
            listing_record(external_id="50", seller=HOSTILE_USER, title=CONTROL_TITLE, verdict=verdict(score=0.5)),
            listing_record(external_id="51", seller="Zed_Reviews", verdict=verdict(score=0.4), marketplace="legiit"),
            listing_record(external_id="52", seller="alice", verdict=verdict(flagged=False, score=0.0)),
            seller_record(username="star_review_king", profile_url="https://www.fiverr.com/star_review_king"),
        ]
        opened.record_batch(run, records)
        yield opened


def test_xlsx_sheets_frozen_header_sized_columns(store, tmp_path):
    path = tmp_path / "out.xlsx"
    assert write_xlsx(flagged_rows(store), path, about={"filters": "none"}) == 5
    book = load_workbook(path)
    assert book.sheetnames == ["Flagged listings", "Sellers", "About"]
    listings = book["Flagged listings"]
    assert [c.value for c in listings[1]] == list(COLUMNS)
    assert listings.freeze_panes == "A2" and book["Sellers"].freeze_panes == "A2"
    widths = {k: v.width for k, v in listings.column_dimensions.items()}
    assert widths["F"] > widths["A"] >= len("marketplace")  # title column wider than marketplace
    assert max(widths.values()) <= 62
    assert [c.value for c in book["Sellers"][1]] == list(EXHIBIT_COLUMNS)
    assert listings.max_row == 6 and book["Sellers"].max_row == 4


def test_xlsx_neutralises_formulas_and_strips_breaking_characters(store, tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(flagged_rows(store), path)
    sheet = load_workbook(path)["Flagged listings"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c for c in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    titles = [row["title"] for row in rows]
    assert all(cell.data_type == "s" for cell in titles)  # no formula cell anywhere
    values = [cell.value for cell in titles]
    assert "'" + HOSTILE_GIGS[0].title in values  # =HYPERLINK(...)
    assert "'" + HOSTILE_GIGS[1].title in values  # +cmd|...
    assert "'" + HOSTILE_GIGS[2].title in values  # @SUM(1)...
    assert "\\u0001=cmd|' /C calc'!A0 reviews\\u000b\\u001f" in values  # control characters shown, as text
    assert all(isinstance(row["score"].value, float) for row in rows)
    for row in sheet.iter_rows():
        assert not any(cell.data_type == "f" for cell in row)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("\x01@x", "\\u0001@x"), ("ok\x00text", "ok\\u0000text"), (-2.5, -2.5), (3, 3),
     (None, None), (" =1", "' =1"), ("nul\x00user", "nul\\u0000user")],
)  # fmt: skip
def test_xlsx_cell(value, expected):
    assert xlsx_cell(value) == expected


def test_xlsx_cell_cut_at_excels_limit_says_so():
    cell = xlsx_cell("x" * 40_000)
    assert len(cell) == 32_767 and cell.startswith("x" * 32_000)
    assert cell.endswith(" [cut: 32,767 of 40,000 characters; the CSV and JSONL exports hold them all]")


def test_exhibit_numbered_by_username_with_profile_urls(store):
    sellers = exhibit_sellers(flagged_rows(store))
    assert [(s["number"], s["username"], s["marketplace"]) for s in sellers] == [
        (1, HOSTILE_USER, "fiverr"),
        (2, "star_review_king", "fiverr"),
        (3, "Zed_Reviews", "legiit"),
    ]
    assert sellers[1]["flagged_listings"] == 3 and sellers[1]["profile_url"] == "https://www.fiverr.com/star_review_king"
    text = io.StringIO()
    write_exhibit_text(sellers, text, preamble=["filters: none"])
    lines = text.getvalue().splitlines()
    assert lines[:2] == ["Exhibit A", "filters: none"]
    assert "2. star_review_king (fiverr)  https://www.fiverr.com/star_review_king" in lines
    out = io.StringIO(newline="")
    write_exhibit_csv(sellers, out)
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert table[0] == list(EXHIBIT_COLUMNS) and table[3][1] == "Zed_Reviews"


def test_exhibit_text_cannot_forge_lines():
    assert printable("evil\n2. forged (fiverr)") == "evil\\u000a2. forged (fiverr)"
    sellers = [{"number": 1, "username": "a\r\nb", "marketplace": "fiverr", "profile_url": None}]
    out = io.StringIO()
    write_exhibit_text(sellers, out)
    assert out.getvalue().splitlines()[-1] == "1. a\\u000d\\u000ab (fiverr)  (no profile URL)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("../../etc/passwd", "etc_passwd"), ("star_review_king", "star_review_king"), ("CON", "_CON"),
     ("<script>alert(1)</script>", "script_alert_1_script"), ("", "export"), ("...", "export"),
     ("C:\\Windows\\x", "C_Windows_x"), ("ümlaut", "umlaut")],
)  # fmt: skip
def test_safe_filename(text, expected):
    assert safe_filename(text) == expected


def test_bundle_zip_with_manifest_hashes_and_warc(store, tmp_path):
    path = tmp_path / "bundle.zip"
    result = CliRunner().invoke(
        app, ["export", "--format", "bundle", "--output", str(path), "--marketplace", "fiverr", "--db", str(store.path)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        root = names[0].split("/")[0]
        assert root.startswith("gigscan-bundle-flagged-")
        members = {name.removeprefix(root + "/"): archive.read(name) for name in names}
    assert {"report.html", "flagged-listings.csv", "flagged-listings.jsonl", "exhibit.txt", "exhibit.csv",
            "SHA256SUMS", "MANIFEST.txt", "manifest.json"} <= set(members)  # fmt: skip
    sums = dict(reversed(line.split("  ", 1)) for line in members["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(members) - {"SHA256SUMS", "MANIFEST.txt", "manifest.json"}
    for name, digest in sums.items():
        assert hashlib.sha256(members[name]).hexdigest() == digest, name
    manifest = json.loads(members["manifest.json"])
    assert manifest["filters"] == {"marketplace": "fiverr", "state": "open"}
    assert manifest["listings"] == 4 and manifest["evidence_log"]["ok"] is True
    assert manifest["runs"][0]["args"] == {"query": ["reviews"]}
    text = members["MANIFEST.txt"].decode()
    assert "How gigscan captured, hashed and stored this data" in text and "gigscan version: " in text
    assert all(f"{digest}  {name}" in text for name, digest in sums.items())
    warc = next(name for name in members if name.startswith("captures/") and name.endswith(".warc.gz"))
    assert manifest["warc"]["file"] == warc and "every listing ever flagged" in manifest["warc"]["holds"]
    responses = [r for r in ArchiveIterator(io.BytesIO(members[warc])) if r.rec_type == "response"]
    assert {r.rec_headers.get_header("WARC-Target-URI") for r in responses} >= {
        f"https://www.fiverr.com/star_review_king/gig-{i}" for i in range(3)
    }
    rows = list(csv.DictReader(io.StringIO(members["flagged-listings.csv"].decode())))
    assert {row["title"][0] for row in rows} == {"'"}  # every hostile title neutralised


def test_file_names_from_usernames_are_sanitised(store, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    runner = CliRunner()
    for fmt in ("xlsx", "bundle"):
        result = runner.invoke(app, ["export", "--format", fmt, "--username", HOSTILE_USER, "--db", str(store.path)])
        assert result.exit_code == 0, result.output
    written = sorted(p.name for p in work.iterdir())
    assert [name.rsplit("-", 1)[0] for name in written] == [
        "gigscan-bundle-etc_passwd_script",
        "gigscan-xlsx-etc_passwd_script",
    ]
    assert all(p.name == "work" or p.name.startswith("gigscan.db") for p in tmp_path.iterdir())  # nothing escaped
    bundle = next(work.glob("gigscan-bundle-*.zip"))
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            assert name.startswith("gigscan-bundle-etc_passwd_script-") and ".." not in name and "<" not in name
        report = next(n for n in archive.namelist() if n.endswith("report.html"))
        assert "../../etc/passwd&lt;script&gt;" in archive.read(report).decode()


def test_export_filters_and_bad_dates(store, tmp_path):
    runner = CliRunner()
    out = tmp_path / "e.txt"
    args = ["export", "-f", "exhibit", "-o", str(out), "--min-score", "0.45", "--db", str(store.path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [line.split(" (")[0] for line in out.read_text().splitlines() if line[:1].isdigit() and ". " in line] == [
        f"1. {HOSTILE_USER}",
        "2. star_review_king",
    ]
    assert runner.invoke(app, ["export", "--since", "last tuesday", "--db", str(store.path)]).exit_code == 2
    assert runner.invoke(app, ["export", "--format", "pdf", "--db", str(store.path)]).exit_code == 2
    assert runner.invoke(app, ["export", "--format", "xlsx", "-o", "-", "--db", str(store.path)]).exit_code == 2
    since = runner.invoke(app, ["export", "-f", "jsonl", "--since", "2999-01-01", "--db", str(store.path)])
    assert since.exit_code == 0 and since.stdout == ""
