"""End to end at the investigator's desk: crawl the testbed (its hostile seller ``star_review_king`` puts
``<script>`` and ``=HYPERLINK(...)`` in titles, descriptions and display name), then search, review and export
through the real CLI, and open the HTML report in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html
from openpyxl import load_workbook
from test_db_exports_report import rendered_dom

from helpers import run_gigscan
from testbed.server import TestbedServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TestbedServer]:
    db = tmp_path_factory.mktemp("desk") / "desk.db"
    with TestbedServer(seed=11, listings=300) as server:
        run_gigscan(
            "crawl", "fiverr", "--base-url", server.url, "--db", str(db), "--delay", "0", "--no-progress",
            "--query", "5 star reviews", "--query", "google reviews", "--max-pages", "1",
        )  # fmt: skip
        yield db, server


def test_search_finds_the_hostile_seller_and_its_ban_evasion_variants(crawled):
    db, server = crawled
    hostile = server.catalogue.hostile_seller()
    (hit,) = json.loads(run_gigscan("search", hostile.username, "--json", "--db", str(db)).stdout)
    assert hit["match"] == "exact" and hit["flagged_listings"] == len(hostile.gig_ids) == len(hit["listings"])
    assert hit["seller"]["display_name"] == "Review King <script>alert('name')</script> \"&'"
    variants = json.loads(run_gigscan("search", "St4r-Review-King2", "--fuzzy", "--json", "--db", str(db)).stdout)
    assert (variants[0]["seller"]["username"], variants[0]["match"]) == (hostile.username, "variant")
    assert set(variants[0]["how"]) == {"separators", "digits", "digit-for-letter"}
    injected = run_gigscan("search", "x' OR '1'='1", "--json", "--db", str(db), check=False)
    assert injected.returncode == 1 and json.loads(injected.stdout) == []


def test_html_report_escapes_hostile_text_and_runs_no_script_in_chromium(crawled, tmp_path):
    db, server = crawled
    page = tmp_path / "report.html"
    run_gigscan("export", "--format", "html", "--output", str(page), "--db", str(db))
    source = page.read_text(encoding="utf-8")
    assert "<script" not in source and "star_review_king" in source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    dom = lxml_html.fromstring(rendered_dom(page, tmp_path / "profile"))
    assert dom.findtext(".//title") == "gigscan report: sellers of fake reviews"
    assert dom.xpath("//script|//img|//svg|//iframe") == []
    assert [a for el in dom.iter() for a in el.attrib if a.lower().startswith("on")] == []
    text = dom.text_content()
    for gig_id in server.catalogue.hostile_seller().gig_ids:
        assert server.catalogue.gigs[gig_id].title in text
    assert dom.xpath("//mark")  # matched text is marked


def test_csv_and_xlsx_neutralise_formulas_from_the_testbed(crawled, tmp_path):
    db, _ = crawled
    out = tmp_path / "flags.csv"
    run_gigscan("export", "--format", "csv", "--username", "star_review_king", "--output", str(out), "--db", str(db))
    titles = [row["title"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))]
    assert len(titles) == 3
    assert {title[:2] for title in titles} == {"'=", "'+", "'@"}
    book = tmp_path / "flags.xlsx"
    run_gigscan("export", "--format", "xlsx", "--output", str(book), "--db", str(db))
    sheet = load_workbook(book)["Flagged listings"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert any(str(cell.value).startswith("'=HYPERLINK(") for cell in cells)


def test_review_then_bundle_of_confirmed_flags(crawled, tmp_path):
    db, _ = crawled
    pending = json.loads(run_gigscan("review", "--json", "--db", str(db)).stdout)["pending"]
    hostile = [row for row in pending if row["username"] == "star_review_king"]
    assert len(hostile) == 3
    run_gigscan("review", "confirm", str(hostile[0]["verdict_id"]), "--note", "sells reviews", "--by", "ana",
                "--db", str(db))  # fmt: skip
    assert json.loads(run_gigscan("verify", "--json", "--db", str(db)).stdout)["ok"] is True
    bundle = tmp_path / "confirmed.zip"
    run_gigscan("export", "--format", "bundle", "--state", "confirmed", "--username", "star_review_king",
                "--output", str(bundle), "--db", str(db))  # fmt: skip
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        root = names[0].split("/")[0]
        assert root.startswith("gigscan-bundle-star_review_king-")
        assert all(name.startswith(root + "/") and ".." not in name for name in names)
        manifest = json.loads(archive.read(f"{root}/manifest.json"))
        exhibit = archive.read(f"{root}/exhibit.txt").decode()
        warc = [name for name in names if name.endswith(".warc.gz")]
    assert manifest["listings"] == 1 and manifest["filters"]["state"] == "confirmed"
    assert "1. star_review_king (fiverr)" in exhibit
    assert len(warc) == 1
