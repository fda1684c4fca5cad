"""Reading commands never write the store: a store of an older schema is one line naming `gigscan migrate`, exit 2,
the file untouched; `gigscan migrate` (or a writing command) upgrades it."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from db.schema import MIGRATIONS, SCHEMA_VERSION
from gigscan.cli import app

READERS = [
    ["serve", "--port", "0"],
    ["serve", "--port", "0", "--immutable"],
    ["search", "someone"],
    ["stats"],
    ["runs"],
    ["history", "someone"],
    ["export", "--format", "csv", "--output", "out.csv"],
    ["verify"],
    ["warc", "--output", "warc"],
    ["buyers", "someone"],
    ["review"],
    ["labels", "export", "--output", "labels.jsonl"],
    ["checkpoint"],
]


@pytest.fixture
def old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store as the gigscan before the last migration left it (WAL, every earlier migration applied)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "old.db"
    db = Database(path)
    db.enable_wal()
    for version, step in enumerate(MIGRATIONS[:-1], start=1):
        step(db)
        db.execute(f"PRAGMA user_version = {version}")
    db.conn.commit()
    db.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a[:2]))
def test_a_reading_command_leaves_an_older_store_as_it_was(old_store: Path, args: list[str]) -> None:
    before = _digest(old_store)
    result = CliRunner().invoke(app, [*args, "--db", str(old_store)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    flat = " ".join(result.output.split())
    assert len(lines) <= 2 and f"schema v{SCHEMA_VERSION - 1} is older" in flat and "gigscan migrate" in flat
    assert _digest(old_store) == before
    with sqlite3.connect(old_store) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1


def test_migrate_upgrades_it_and_the_readers_read_it(old_store: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "--db", str(old_store)])
    assert result.exit_code == 0, result.output
    assert f"upgraded from schema v{SCHEMA_VERSION - 1} to v{SCHEMA_VERSION}" in " ".join(result.output.split())
    assert CliRunner().invoke(app, ["stats", "--db", str(old_store)]).exit_code == 0
    again = CliRunner().invoke(app, ["migrate", "--db", str(old_store)])
    assert again.exit_code == 0 and "already current" in again.output
    assert CliRunner().invoke(app, ["migrate", "--db", "missing.db"]).exit_code == 2
