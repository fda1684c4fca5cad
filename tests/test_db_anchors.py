"""An attacker with the store file and plain SQL: whatever an output shows is either unchanged by an edit or the
edit makes ``gigscan verify`` fail; with a checkpoint kept outside the store, a cut, rebuilt, extended or wiped
log fails too (issue 14). Every edit drops the append-only triggers first, as an attacker would."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db import Store
from db.evidence import EVENT_DIGEST_COLUMNS, GENESIS, entry_hash, row_digest
from db.testing import capture, gone_record, listing_record, seller_record, verdict
from gigscan.cli import app

runner = CliRunner()


def gigscan(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def original(tmp_path) -> Path:
    """A store with two flagged listings of two sellers, a reviewed flag, a removal, a run that ignored robots."""
    path = tmp_path / "orig" / "gigscan.db"
    path.parent.mkdir()
    with Store(path) as store:
        run = store.start_run("crawl", "fiverr", {"ignore_robots": True, "queries": ["reviews"]}, "r1", "0.1.0")
        store.record_batch(run, [
            listing_record(verdict=verdict()),
            listing_record(external_id="2002", seller="other", url="https://www.fiverr.com/other/x",
                           title="Reviews for sale", capture=capture(body=b"<html>2</html>"),
                           verdict=verdict(score=0.8)),
            seller_record(username="other", profile_url="https://www.fiverr.com/other", display_name="Other"),
        ])  # fmt: skip
        store.finish_run(run, "finished", {"item_scraped_count": 3})
        second = store.start_run("crawl", "fiverr", {"recheck": "flagged"}, "r1", "0.1.0")
        store.record_batch(second, [listing_record(verdict=verdict(), capture=capture(body=b"<html>again</html>")),
                                    gone_record(external_id="2002", url="https://www.fiverr.com/other/x")])
        store.finish_run(second, "finished", {})
        vid = store.get_listing("fiverr", "1001")["verdict_id"]
        store.review_verdict(vid, "confirmed", "sells reviews", "ana")
    return path


def outputs(db: Path) -> dict[str, str]:
    """What a reader of the store is shown: exports, the exhibit, history, stats, runs, search."""
    shown = {}
    for name, args in {
        "csv": ("export", "--format", "csv", "--state", "any"),
        "jsonl": ("export", "--format", "jsonl"),
        "exhibit": ("export", "--format", "exhibit"),
        "history": ("history", "vpross", "--json"),
        "history2": ("history", "other", "--json"),
        "stats": ("stats", "--json"),
        "runs": ("runs", "--json"),
        "search": ("search", "other", "--json"),
    }.items():
        result = gigscan(*args, "--db", str(db))
        shown[name] = "\n".join(line for line in result.stdout.splitlines() if "exported" not in line)
    return shown


def verify_exit(db: Path, *args: str) -> int:
    """verify's exit code; a crash is never an answer (CliRunner reports an exception as exit 1)."""
    result = gigscan("verify", "--db", str(db), *args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 1 or "BROKEN" in result.stderr
    return result.exit_code


def tampered(original: Path, sql: str, params: tuple = ()) -> Path:
    target = original.parent.parent / "copy" / "gigscan.db"
    target.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{original}{suffix}").exists():
            shutil.copy(f"{original}{suffix}", f"{target}{suffix}")
    conn = sqlite3.connect(target)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'"):
        conn.execute(f"DROP TRIGGER [{name}]")
    conn.executescript(sql) if not params else conn.execute(sql, params)
    conn.commit()
    conn.close()
    return target


EDITS = {
    "dismiss-the-flags": "UPDATE verdicts SET review_state = 'dismissed', reviewed_by = 'x', reviewed_at = "
    "'2030-01-01T00:00:00.000Z' WHERE flagged = 1",
    "rename-a-seller": "UPDATE sellers SET username = username || '_x'",
    "move-a-profile": "UPDATE sellers SET profile_url = 'https://example.org/elsewhere'",
    "unflag-listings": "UPDATE listings SET flagged = 0",
    "retitle-a-listing": "UPDATE listings SET title = 'Logo design'",
    "rescore-a-listing": "UPDATE listings SET score = 0.1",
    "undo-a-removal": "UPDATE listings SET status = 'active', removed_at = NULL",
    "move-last-seen": "UPDATE listings SET last_seen = '2031-01-01T00:00:00.000Z'",
    "edit-a-sighting": "UPDATE sightings SET seen_at = '2020-01-01T00:00:00.000Z' WHERE id = 1",
    "delete-a-sighting": "DELETE FROM sightings WHERE id = (SELECT max(id) FROM sightings)",
    "backdate-a-snapshot": "UPDATE snapshots SET created_at = '2020-01-01T00:00:00.000Z'",
    "hide-robots-override": "UPDATE runs SET args = json_set(args, '$.ignore_robots', json('false'))",
    "rewrite-a-run-status": "UPDATE runs SET status = 'blocked'",
    "delete-a-review": "DELETE FROM reviews",
    "delete-a-run": "DELETE FROM runs WHERE id = 2",
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edit_of_what_outputs_show_is_caught_by_verify(original, name):
    before = outputs(original)
    assert verify_exit(original) == 0
    copy = tampered(original, EDITS[name])
    after = outputs(copy)
    if after == before:
        return  # the edit does not reach any output: nothing to catch
    assert verify_exit(copy) == 1, f"{name} changed {[k for k in before if before[k] != after[k]]} unseen"


@pytest.mark.parametrize("name", ["edit-a-sighting", "delete-a-sighting", "backdate-a-snapshot", "add-a-sighting"])
def test_sightings_and_snapshot_times_are_chained(original, name):
    """Whether or not an output shows them today: a sighting proves a listing was live at a time."""
    sql = EDITS.get(name) or (
        "INSERT INTO sightings (run_id, listing_id, seller_id, snapshot_id, seen_at, source)"
        " SELECT run_id, listing_id, seller_id, snapshot_id, '2019-01-01T00:00:00.000Z', source FROM sightings"
        " WHERE id = 1"
    )
    assert verify_exit(tampered(original, sql)) == 1


def test_an_unchained_review_column_no_longer_decides_anything(original):
    copy = tampered(original, EDITS["dismiss-the-flags"])
    assert outputs(copy)["exhibit"] == outputs(original)["exhibit"]


def test_a_log_entry_slipped_in_before_the_first_is_walked(original):
    """A forged "removed" event logged at seq -5 (a link from the genesis hash): verify walks it."""
    conn = sqlite3.connect(original)
    row = {"id": 99, "listing_id": 1, "seller_id": None, "kind": "removed", "at": "2024-05-02T00:00:00.000Z",
           "run_id": 1, "reason": "http 404", "url": None, "http_status": 404, "capture_id": None,
           "created_at": "2024-05-02T00:00:00.000Z"}  # fmt: skip
    conn.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    content = row_digest(row, EVENT_DIGEST_COLUMNS)
    forged = entry_hash(GENESIS, "event", "99", content, row["created_at"])
    conn.execute("INSERT INTO evidence_log VALUES (-5, 'event', '99', ?, ?, ?, ?)",
                 (content, GENESIS, forged, row["created_at"]))  # fmt: skip
    conn.commit()
    conn.close()
    result = gigscan("verify", "--db", str(original), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["broken_seq"] == 1  # the real first entry no longer links


# -- anchors outside the file ---------------------------------------------------------------------------------


def rechain(conn: sqlite3.Connection) -> None:
    """What a careful forger does after an edit: recompute every entry's hash so the chain links again."""
    prev = GENESIS
    for seq, kind, ref, content, created in conn.execute(
        "SELECT seq, kind, ref, content_sha256, created_at FROM evidence_log ORDER BY seq"
    ).fetchall():
        new = entry_hash(prev, kind, ref, content, created)
        conn.execute("UPDATE evidence_log SET prev_hash = ?, entry_hash = ? WHERE seq = ?", (prev, new, seq))
        prev = new


def forge_title(conn: sqlite3.Connection) -> None:
    """Retitle a listing and log the new state as if it had always been so (the entry's digest replaced)."""
    conn.execute("UPDATE listings SET title = 'Logo design' WHERE external_id = '1001'")
    listing_id = conn.execute("SELECT id FROM listings WHERE external_id = '1001'").fetchone()[0]
    from db.evidence import LISTING_STATE_COLUMNS, canonical_json, sha256_hex

    values = conn.execute(f"SELECT {', '.join(LISTING_STATE_COLUMNS)} FROM listings WHERE id = ?",
                          (listing_id,)).fetchone()  # fmt: skip
    conn.execute(
        "UPDATE evidence_log SET content_sha256 = ? WHERE seq = (SELECT max(seq) FROM evidence_log"
        " WHERE kind = 'listing' AND ref = ?)",
        (sha256_hex(canonical_json(list(values))), str(listing_id)),
    )


def edit_raw(db: Path, change) -> None:
    conn = sqlite3.connect(db)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'"):
        conn.execute(f"DROP TRIGGER [{name}]")
    change(conn)
    conn.commit()
    conn.close()


def cut_last_batch(conn: sqlite3.Connection) -> None:
    """Remove the last review and its entry: what is left is a shorter, valid chain."""
    conn.execute("DELETE FROM reviews")
    conn.execute("DELETE FROM evidence_log WHERE kind = 'review'")


def append_backdated(conn: sqlite3.Connection) -> None:
    """A forged removal appended at the end with a valid link, dated before the checkpoint."""
    head = conn.execute("SELECT entry_hash FROM evidence_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    row = {"id": 99, "listing_id": 1, "seller_id": None, "kind": "removed", "at": "2024-05-01T12:00:00.000Z",
           "run_id": 1, "reason": "http 404", "url": None, "http_status": 404, "capture_id": None,
           "created_at": "2024-05-01T12:00:00.000Z"}  # fmt: skip
    conn.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    content = row_digest(row, EVENT_DIGEST_COLUMNS)
    conn.execute(
        "INSERT INTO evidence_log (kind, ref, content_sha256, prev_hash, entry_hash, created_at) VALUES"
        " ('event', '99', ?, ?, ?, ?)",
        (content, head, entry_hash(head, "event", "99", content, row["created_at"]), row["created_at"]),
    )


def wipe(conn: sqlite3.Connection) -> None:
    for table in ("reviews", "events", "sightings", "verdicts", "snapshots", "listings", "captures", "bodies",
                  "sellers", "runs", "evidence_log"):  # fmt: skip
        conn.execute(f"DELETE FROM [{table}]")


ANCHOR_ATTACKS = {
    "cut-the-tail": cut_last_batch,
    "re-chain-after-an-edit": lambda conn: (forge_title(conn), rechain(conn)),
    "append-a-backdated-forgery": append_backdated,
    "wipe-all-evidence": wipe,
}


@pytest.mark.parametrize("name", sorted(ANCHOR_ATTACKS))
def test_a_rewritten_log_passes_alone_but_fails_against_its_checkpoint(original, name):
    assert gigscan("checkpoint", "--db", str(original)).exit_code == 0
    edit_raw(original, ANCHOR_ATTACKS[name])
    assert verify_exit(original, "--no-checkpoints") == 0  # a valid chain on its own: the attack is real
    assert verify_exit(original) == 1  # the store's checkpoint file is used by default


def test_a_zero_byte_store_fails_against_its_checkpoint(original):
    assert gigscan("checkpoint", "--db", str(original)).exit_code == 0
    for suffix in ("-wal", "-shm"):
        Path(f"{original}{suffix}").unlink(missing_ok=True)
    original.write_bytes(b"")
    result = gigscan("verify", "--db", str(original))
    assert result.exit_code == 1
    assert "cut short or wiped" in result.stderr


@pytest.mark.parametrize("command", [("verify",), ("search", "alpha"), ("export", "--format", "csv")])
def test_a_zero_byte_file_with_no_checkpoint_is_no_store_and_stays_untouched(tmp_path, command):
    """A reading command must not make a store of an empty file and call it intact (it said "intact: 0")."""
    empty = tmp_path / "gigscan.db"
    empty.write_bytes(b"")
    result = gigscan(*command, "--db", str(empty))
    assert result.exit_code == 2 and "is an empty file, not a gigscan store" in result.stderr
    assert empty.stat().st_size == 0 and not Path(f"{empty}-wal").exists()


def test_expect_head_catches_a_cut_tail(original):
    head = json.loads(gigscan("verify", "--db", str(original), "--json").stdout)["head"]
    assert verify_exit(original, "--expect-head", head) == 0
    edit_raw(original, cut_last_batch)
    assert verify_exit(original, "--expect-head", head) == 1
    assert verify_exit(original, "--expect-head", "nothex") == 2


def test_the_checkpoint_file_itself_cannot_be_edited_or_extended(original, tmp_path):
    checkpoints = tmp_path / "elsewhere" / "heads.jsonl"
    assert gigscan("checkpoint", "--db", str(original), "--checkpoints", str(checkpoints)).exit_code == 0
    line = json.loads(checkpoints.read_text())
    assert line["entries"] > 0 and len(line["signature"]) == 128
    forged = {**line, "entries": line["entries"] - 1}
    with checkpoints.open("a") as fh:
        fh.write(json.dumps(forged) + "\n")
    result = gigscan("verify", "--db", str(original), "--checkpoints", str(checkpoints))
    assert result.exit_code == 1 and "signature" in result.stderr


def test_a_checkpoint_signed_with_another_key_is_refused(original, tmp_path):
    checkpoints = tmp_path / "heads.jsonl"
    other_key = tmp_path / "other.key"
    assert verify_exit(original, "--checkpoints", str(tmp_path / "none.jsonl")) == 2
    gigscan("checkpoint", "--db", str(original))  # the store's own key exists from now on
    gigscan("checkpoint", "--db", str(original), "--checkpoints", str(checkpoints), "--key", str(other_key))
    result = gigscan("verify", "--db", str(original), "--checkpoints", str(checkpoints))
    assert result.exit_code == 1 and "another key" in result.stderr
    public = other_key.with_suffix(".pub")
    assert verify_exit(original, "--checkpoints", str(checkpoints), "--public-key", str(public)) == 0


def test_checkpoints_follow_a_growing_log(original):
    assert gigscan("checkpoint", "--db", str(original)).exit_code == 0
    with Store(original) as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(external_id="3003", verdict=verdict())])
    assert gigscan("checkpoint", "--db", str(original)).exit_code == 0
    result = gigscan("verify", "--db", str(original), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["checkpoints"] == 2
    assert json.loads(result.stdout)["anchors_checked"] == 2


@pytest.mark.parametrize("target", ["checkpoints", "key"])
def test_a_checkpoint_file_or_key_named_as_the_store_is_refused(original, target):
    """GIGSCAN_CHECKPOINTS (or the key) pointing at the store appended JSON to the SQLite file itself."""
    before = original.read_bytes()
    env = {"GIGSCAN_CHECKPOINTS" if target == "checkpoints" else "GIGSCAN_CHECKPOINT_KEY": str(original)}
    result = gigscan("checkpoint", "--db", str(original), env=env)
    assert result.exit_code == 2 and "the store's own file" in result.stderr
    assert original.read_bytes() == before
    assert verify_exit(original) == 0
