"""Export of flagged listings: filters, CSV with formula neutralisation, JSON Lines."""

from __future__ import annotations

import csv
import io
import json

import pytest

from db import Store
from db.exports.flagged import COLUMNS, flagged_rows, reasons_text, safe_cell, write_csv, write_jsonl
from db.testing import capture, listing_record, reason, verdict

HOSTILE_TITLE = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        may = capture(fetched_at="2024-05-01T10:00:00Z")
        june = capture(fetched_at="2024-06-01T10:00:00Z")
        opened.record_batch(
            run,
            [
                listing_record(title=HOSTILE_TITLE, seller="@mallory", capture=may, verdict=verdict(score=0.95)),
                listing_record(external_id="2", seller="vpross", capture=june, verdict=verdict(score=0.6)),
                listing_record(external_id="3", seller="vpross", verdict=verdict(flagged=False, score=0.1)),
                listing_record(marketplace="freelancer", external_id="9", seller="vpross", verdict=verdict(score=0.7)),
            ],
        )
        yield opened


def ids(rows) -> list[str]:
    return [row["external_id"] for row in rows]


def test_flagged_rows_highest_score_first(store):
    rows = list(flagged_rows(store))
    assert ids(rows) == ["1001", "9", "2"]
    first = rows[0]
    assert (first["username"], first["title"], first["score"], first["status"]) == (
        "@mallory",
        HOSTILE_TITLE,
        0.95,
        "active",
    )
    assert first["reasons"][0]["rule_id"] == "buy-reviews" and first["ruleset_version"] == "r1"
    assert first["listing_url"] == "https://www.fiverr.com/vpross/create-a-logo"


def test_filters(store):
    assert ids(flagged_rows(store, marketplace="fiverr")) == ["1001", "2"]
    assert ids(flagged_rows(store, min_score=0.65)) == ["1001", "9"]
    assert ids(flagged_rows(store, username="VPROSS")) == ["9", "2"]
    assert ids(flagged_rows(store, username="x' OR 1=1 --")) == []
    assert ids(flagged_rows(store, since="2024-05-15", marketplace="fiverr")) == ["2"]
    assert ids(flagged_rows(store, until="2024-05-15", marketplace="fiverr")) == ["1001"]


def test_run_filter_keeps_what_that_run_saw(store):
    second = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
    store.record_batch(second, [listing_record(external_id="2", seller="vpross", verdict=verdict(score=0.6))])
    assert ids(flagged_rows(store, run_id=second)) == ["2"]
    assert ids(flagged_rows(store, run_id=second - 1)) == ["1001", "9", "2"]


def test_csv_neutralises_formulas(store):
    out = io.StringIO(newline="")
    assert write_csv(flagged_rows(store), out) == 3
    table = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(table[0]) == COLUMNS
    first = dict(zip(COLUMNS, table[1], strict=True))
    assert first["title"] == "'" + HOSTILE_TITLE
    assert first["username"] == "'@mallory"
    assert first["score"] == "0.95"
    assert first["reasons"] == 'buy-reviews [title]: "reviews"'


def test_jsonl_keeps_values_raw(store):
    out = io.StringIO()
    assert write_jsonl(flagged_rows(store, marketplace="freelancer"), out) == 1
    (line,) = out.getvalue().splitlines()
    row = json.loads(line)
    assert list(row) == list(COLUMNS)
    assert row["external_id"] == "9" and isinstance(row["reasons"], list) and row["score"] == 0.7


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 123", "'+49 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("plain = text", "plain = text"),
        (None, ""),
        (-1.5, "-1.5"),
        (3, "3"),
        (True, "true"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_reasons_text_reads_the_one_reason_shape():
    reasons = [reason(rule_id="r1", field="description", text="buy reviews"), reason(rule_id="r2", text="")]
    assert reasons_text(reasons) == 'r1 [description]: "buy reviews"; r2 [title]'
