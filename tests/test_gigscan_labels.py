"""Analysts' decisions become labeled data: labels export -> eval and rules check --examples on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import Store
from db.labels import labeled_rows
from db.testing import listing_record, verdict
from gigscan.cli import app

runner = CliRunner()


def verdict_id(store: Store, external_id: str) -> int:
    return store.conn.execute("SELECT verdict_id FROM listings WHERE external_id = ?", (external_id,)).fetchone()[0]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        opened.record_batch(run, [
            listing_record(external_id="1", seller="alice", title="I will post 5 star reviews on your Amazon product",
                           verdict=verdict(score=0.9)),
            listing_record(external_id="2", seller="bob", title="I will export your Google reviews to CSV",
                           description="", verdict=verdict(score=0.7)),
            listing_record(external_id="3", seller="carol", title="Logo design", verdict=verdict(score=0.65)),
        ])
        opened.review_verdict(verdict_id(opened, "1"), "confirmed", "sells reviews", "ana")
        opened.review_verdict(verdict_id(opened, "2"), "dismissed", "a data export", "ben")
        opened.review_verdict(verdict_id(opened, "3"), "dismissed", None, "ana")
        opened.review_verdict(verdict_id(opened, "3"), "new", "undone", "ana")  # back to undecided: no label
        yield opened


def test_rows_carry_text_as_stored_label_who_and_when(store) -> None:
    rows = list(labeled_rows(store))
    assert [(r["title"][:9], r["label"], r["who"]) for r in rows] == [("I will po", 1, "ana"), ("I will ex", 0, "ben")]
    first = rows[0]
    assert first["marketplace"] == "fiverr" and first["when"] and first["note"] == "sells reviews"
    assert first["description"] == "Honest looking reviews for your product."
    assert rows[1]["hard_negative"] is True and rows[1]["category"] == "analyst_dismissed"


def test_export_then_eval_and_rules_check(store, tmp_path: Path) -> None:
    out = tmp_path / "decisions.jsonl"
    result = runner.invoke(app, ["labels", "export", "--output", str(out), "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert "2 labeled rows (1 confirmed, 1 dismissed)" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["label"] for r in rows] == [1, 0]
    again = runner.invoke(app, ["labels", "export", "--output", str(out), "--db", str(store.path)])
    assert again.exit_code == 2 and "exists" in again.stderr
    data = json.loads(runner.invoke(app, ["eval", str(out), "--json"]).output)
    assert data["confusion"]["tp"] + data["confusion"]["fn"] == 1
    checked = runner.invoke(app, ["rules", "check", "--examples", str(out)])
    assert checked.exit_code == 0, checked.output + checked.stderr
    assert "1 example files pass" in checked.output


def test_export_with_force_refuses_to_write_over_its_store(store, tmp_path: Path) -> None:
    """``--force`` replaces an old labels file, never the evidence store the labels are read from."""
    alias = tmp_path / "alias.db"
    alias.symlink_to(store.path)
    for target in (store.path, alias):
        result = runner.invoke(app, ["labels", "export", "--output", str(target), "--force", "--db", str(store.path)])
        assert result.exit_code == 2 and "refusing to write" in result.stderr, result.output
    with Store(store.path) as reopened:
        assert reopened.verify().ok and reopened.counts()["listings"] == 3


def test_rules_check_examples_names_each_wrong_row(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    rows = [{"id": "ok", "title": "Buy Trustpilot reviews", "label": 1},
            {"id": "bad", "title": "I will design your logo", "label": 1},
            {"id": "fp", "title": "Buy Yelp reviews", "label": 0}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", "--examples", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: example bad should be flagged but is clear" in result.stderr
    assert f"{path}:3: example fp should not be flagged but is flagged" in result.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "title": "t", "label": 3}\n', encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", "--examples", str(broken)])
    assert result.exit_code == 2 and "must be 0 or 1" in result.stderr


def test_rules_check_examples_in_json(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"id": "bad", "title": "I will design your logo", "label": 1}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", "--examples", str(path), "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["ok"] is False
    assert [(p["line"], p["severity"]) for p in data["problems"]] == [(1, "example")]
