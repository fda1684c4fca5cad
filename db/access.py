"""Opening a store the user named, with one clear reason when it cannot be: every command and every crawl opens
its store through :func:`open_store`, so a directory, a missing file, a truncated or foreign file (not SQLite, or
SQLite written by another program) and a store made by a newer gigscan are each one line, never a traceback,
and a foreign file is never "upgraded" into a gigscan store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from db.schema import SchemaTooNewError, SchemaTooOldError
from db.store import Store


class StoreUnavailable(Exception):
    """The store cannot be opened; the message is the one line to show."""


def _foreign_tables(path: Path) -> list[str]:
    """Tables of an existing SQLite file that gigscan never wrote (``user_version`` 0 but tables present)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != 0:
            return []
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        conn.close()


def io_hint(exc: sqlite3.Error) -> str:
    """What to look at when SQLite could not read or write the disk (a full disk was reported as "corrupt or not
    SQLite": a user told an intact evidence store was corrupt might set about repairing it)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_IOERR", "SQLITE_FULL")) or "disk" in str(exc):
        return " (is its disk full or failing? the store itself was not changed)"
    return ""


def check_store_path(path: Path, *, create: bool) -> None:
    """Raise :class:`StoreUnavailable` for a path that cannot be a store (before anything is written to it)."""
    if path.is_dir():
        raise StoreUnavailable(f"{path} is a directory, not a gigscan store (pass --db FILE)")
    if not path.exists():
        if not create:
            raise StoreUnavailable(f"no store at {path} (run `gigscan crawl` first, or pass --db)")
        return
    if path.stat().st_size == 0:
        if not create:  # a command that reads found no store: it must not make one and call it intact
            raise StoreUnavailable(f"{path} is an empty file, not a gigscan store (run `gigscan crawl` first,"
                                   " or pass --db)")
        return  # an empty file is an empty SQLite database: a crawl creates its tables in it
    try:
        foreign = _foreign_tables(path)
    except sqlite3.OperationalError as exc:  # the file may be sound: its disk is full or failing, it is locked...
        raise StoreUnavailable(f"cannot open the store {path}: {exc}{io_hint(exc)}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreUnavailable(f"{path} is not a gigscan store: corrupt or not SQLite ({exc})") from None
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise StoreUnavailable(f"{path} is an SQLite file of another program (tables {shown}), not a gigscan store")


def open_store(path: str | Path, *, create: bool = False, upgrade: bool = True) -> Store:
    """The store at ``path`` (created when ``create``), or :class:`StoreUnavailable` with the reason in one line.
    ``upgrade=False``: a reading command's open, which never migrates an older store (nor writes anything)."""
    path = Path(path)
    check_store_path(path, create=create)
    try:
        return Store(path, upgrade=upgrade or create)
    except SchemaTooNewError as exc:
        raise StoreUnavailable(f"{path}: {exc}") from None
    except SchemaTooOldError as exc:
        raise StoreUnavailable(f"{path}: {exc}; upgrade it with `gigscan migrate --db {path}`") from None
    except sqlite3.DatabaseError as exc:  # also OperationalError: unreadable, locked, disk full...
        raise StoreUnavailable(f"cannot open the store {path}: {exc}{io_hint(exc)}") from None
    except OSError as exc:
        raise StoreUnavailable(f"cannot open the store {path}: {exc.strerror or exc}") from None
