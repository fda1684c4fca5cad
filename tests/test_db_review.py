"""Review workflow: flags awaiting a decision, confirm/dismiss with who/when/why, dismissals that stick."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import Store
from db.exports.flagged import flagged_rows
from db.review import pending, state_counts
from db.testing import listing_record, verdict
from gigscan.cli import app

runner = CliRunner()


def record(store: Store, ruleset: str = "r1", **overrides) -> None:
    run = store.start_run("crawl", "fiverr", {}, ruleset, "0.1.0")
    store.record_batch(run, [listing_record(**overrides)])


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "gigscan.db") as opened:
        record(opened, external_id="1", seller="alice", title="I will post 5 star reviews", verdict=verdict(score=0.9))
        record(opened, external_id="2", seller="bob", title="buy google reviews", verdict=verdict(score=0.7))
        record(opened, external_id="3", seller="carol", title="logo design", verdict=verdict(flagged=False, score=0.0))
        yield opened


def verdict_of(store: Store, external_id: str) -> int:
    return store.conn.execute("SELECT verdict_id FROM listings WHERE external_id = ?", (external_id,)).fetchone()[0]


def pending_ids(store: Store) -> list[str]:
    return [row["external_id"] for row in pending(store)]


def cli(store: Store, *args: str):
    return runner.invoke(app, [*args, "--db", str(store.path)])


def test_review_lists_flags_awaiting_a_decision(store):
    assert pending_ids(store) == ["1", "2"]
    result = cli(store, "review", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["counts"] == {"new": 2, "confirmed": 0, "dismissed": 0}
    assert [row["verdict_id"] for row in payload["pending"]] == [verdict_of(store, "1"), verdict_of(store, "2")]
    assert payload["pending"][0]["reasons"][0]["rule_id"] == "buy-reviews"


def test_confirm_records_who_when_why_in_the_evidence_log(store):
    vid = verdict_of(store, "1")
    result = cli(store, "review", "confirm", str(vid), "--note", "sells Amazon reviews openly", "--by", "ana")
    assert result.exit_code == 0, result.output
    row = store.conn.execute("SELECT state, reviewed_by, reviewed_at, note FROM reviews WHERE verdict_id = ?",
                             (vid,)).fetchone()
    assert row[0:2] == ("confirmed", "ana") and row[2] and row[3] == "sells Amazon reviews openly"
    assert store.conn.execute("SELECT count(*) FROM evidence_log WHERE kind = 'review'").fetchone()[0] == 1
    assert store.verify().ok
    assert pending_ids(store) == ["2"]
    confirmed = list(flagged_rows(store, state="confirmed"))
    assert [(r["external_id"], r["review_state"], r["reviewed_by"]) for r in confirmed] == [("1", "confirmed", "ana")]


def test_export_limited_to_confirmed_flags(store, tmp_path):
    cli(store, "review", "confirm", str(verdict_of(store, "2")), "--note", "yes", "--by", "ana")
    out = tmp_path / "confirmed.jsonl"
    result = cli(store, "export", "--format", "jsonl", "--state", "confirmed", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(row["external_id"], row["review_state"]) for row in rows] == [("2", "confirmed")]
    assert cli(store, "export", "--state", "maybe").exit_code == 2


def test_dismissed_listing_is_not_reflagged_by_the_same_ruleset(store):
    vid = verdict_of(store, "1")
    assert cli(store, "review", "dismiss", str(vid), "--note", "an honest review service", "--by", "ana").exit_code == 0
    assert pending_ids(store) == ["2"]
    # The same crawl again: same snapshot, same verdict, still dismissed.
    record(store, external_id="1", seller="alice", title="I will post 5 star reviews", verdict=verdict(score=0.9))
    assert pending_ids(store) == ["2"]
    # The seller edits the text: a new verdict under the same ruleset is not a new flag.
    record(store, external_id="1", seller="alice", title="I will post 5 star reviews fast", verdict=verdict(score=0.95))
    assert verdict_of(store, "1") != vid
    assert pending_ids(store) == ["2"]
    assert [r["external_id"] for r in flagged_rows(store)] == ["2"]
    dismissed = list(flagged_rows(store, state="dismissed"))
    assert [(r["external_id"], r["reviewed_by"], r["review_note"]) for r in dismissed] == [
        ("1", "ana", "an honest review service")
    ]
    assert state_counts(store) == {"new": 1, "confirmed": 0, "dismissed": 1}
    # A new ruleset version may flag it again.
    listing_id, snapshot_id = store.conn.execute(
        "SELECT id, current_snapshot_id FROM listings WHERE external_id = '1'"
    ).fetchone()
    run = store.start_run("scan", None, {}, "r2", "0.1.0")
    store.record_verdicts(run, "r2", [(listing_id, snapshot_id, verdict(score=0.8, ruleset_version="r2"))])
    assert pending_ids(store) == ["1", "2"]


def test_a_later_decision_undoes_a_dismissal(store):
    cli(store, "review", "dismiss", str(verdict_of(store, "1")), "--note", "looks fine", "--by", "ana")
    record(store, external_id="1", seller="alice", title="I will post 5 star reviews now", verdict=verdict())
    vid = verdict_of(store, "1")
    assert cli(store, "review", "confirm", str(vid), "--note", "on second look", "--by", "bo").exit_code == 0
    confirmed = flagged_rows(store, state="confirmed")
    assert [(r["external_id"], r["review_state"], r["reviewed_by"]) for r in confirmed] == [("1", "confirmed", "bo")]


def test_review_refuses_bad_input(store):
    assert cli(store, "review", "confirm", "99999", "--note", "x").exit_code == 2
    not_flag = verdict_of(store, "3")
    assert cli(store, "review", "dismiss", str(not_flag), "--note", "x").exit_code == 2
    assert cli(store, "review", "confirm", str(verdict_of(store, "1"))).exit_code == 2  # --note is required
    assert cli(store, "review", "confirm", str(verdict_of(store, "1")), "--note", "  ").exit_code == 2
    assert pending_ids(store) == ["1", "2"]


def test_parent_db_option_reaches_the_decision(store):
    vid = verdict_of(store, "2")
    result = runner.invoke(app, ["review", "--db", str(store.path), "dismiss", str(vid), "--note", "dup", "--by", "x"])
    assert result.exit_code == 0, result.output
    assert pending_ids(store) == ["1"]


def test_suspects_come_first_in_the_review_queue_by_score(store):
    record(store, external_id="4", seller="dave", title="google reviews", verdict=verdict(flagged=False, score=0.4))
    record(store, external_id="5", seller="erin", title="5 star feedback", verdict=verdict(flagged=False, score=0.5))
    record(store, external_id="6", seller="fay", title="logo", verdict=verdict(flagged=False, score=0.2))
    assert pending_ids(store) == ["1", "2"]  # without a suspect threshold: flags only
    rows = pending(store, suspect_at=0.35)
    assert [(r["external_id"], r["grade"]) for r in rows] == [
        ("5", "suspect"), ("4", "suspect"), ("1", "flagged"), ("2", "flagged")]
    payload = json.loads(cli(store, "review", "--json").stdout)  # the bundled ruleset's suspect threshold
    assert [row["grade"] for row in payload["pending"]][:2] == ["suspect", "suspect"]


def test_a_suspect_can_be_reviewed_a_clear_verdict_cannot(store):
    record(store, external_id="7", seller="gus", title="google reviews", verdict=verdict(flagged=False, score=0.5))
    record(store, external_id="8", seller="hal", title="logo", verdict=verdict(flagged=False, score=0.1))
    confirmed = cli(store, "review", "confirm", str(verdict_of(store, "7")), "--note", "sells reviews", "--by", "ana")
    assert confirmed.exit_code == 0, confirmed.output
    refused = cli(store, "review", "dismiss", str(verdict_of(store, "8")), "--note", "nothing", "--by", "ana")
    assert refused.exit_code == 2 and "only those are reviewed" in refused.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["review", "confirm", "99999999999999999999", "--note", "x"],  # beyond SQLite's integers: OverflowError
        ["review", "--limit", "99999999999999999999"],
        ["review", "confirm", "{vid}", "--note", "x", "--by", "   "],  # a blank reviewer: ValueError
        ["review", "confirm", "{vid}", "--note", "bad \udcff byte"],  # argv bytes that are not UTF-8
        ["review", "dismiss", "{vid}", "--note", "x", "--by", "\udcfe"],
    ],
)
def test_a_decision_from_bad_arguments_is_one_line_and_records_nothing(store, args):
    """Each of these was a traceback (OverflowError, ValueError, UnicodeEncodeError); none records a decision."""
    vid = verdict_of(store, "1")
    result = cli(store, *(arg.format(vid=vid) for arg in args))
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert pending_ids(store) == ["1", "2"]
    assert store.conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 0


def test_a_decision_on_a_full_disk_does_not_call_the_store_damaged(store, monkeypatch):
    """SQLite's "database or disk is full" while recording a decision was reported as "the store cannot be read
    ... (not a gigscan store, or damaged)" about an intact store."""
    import sqlite3

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "review_verdict", full)
    result = cli(store, "review", "confirm", str(verdict_of(store, "1")), "--note", "x", "--by", "ana")
    assert result.exit_code == 2 and "damaged" not in result.stderr, result.stderr
    assert "database or disk is full (is its disk full or failing?" in result.stderr
