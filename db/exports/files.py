"""Writing an export file safely: never over a file the command reads, never half-written at the target.

Why: ``export --format xlsx --output x.db --db x.db`` once replaced the evidence store with a spreadsheet, and an
export killed halfway left a truncated report where a complete one was expected. Every writer goes through
:func:`atomic_output`: the target is compared with the inputs by file identity (device and inode, so a symlink
or another spelling of the path is caught too), the data goes to a temporary file in the target's directory,
which is synced and renamed over the target only when complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from db.checkpoint import default_checkpoints, default_key
from db.store import sqlite_files


class ClobberError(ValueError):
    """The output would overwrite a file the command reads."""


def store_files(db: str | Path) -> list[Path]:
    """The files no output may replace: the database, its write-ahead log, shared memory and journal, and its
    checkpoint file and signing key (``db.checkpoint``), since an export over those erases the heads ``verify``
    checks the log against, and leaves the next crawl unable to sign a new one."""
    key = default_key(db)
    return [*sqlite_files(db), default_checkpoints(db), key, key.with_suffix(".pub")]


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: by identity when both exist, else by their resolved paths."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_not_input(target: Path, inputs: Iterable[Path]) -> None:
    for source in inputs:
        if same_file(target, source):
            raise ClobberError(f"refusing to write {target}: it is {source}, part of the evidence store")


@contextmanager
def atomic_path(target: Path, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; renamed over ``target`` if the block completes, removed
    if it fails. Raises :class:`ClobberError` (before anything is written) when ``target`` is an input."""
    check_not_input(target, inputs)
    if target.is_dir():
        raise ClobberError(f"refusing to write {target}: it is a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    partial = Path(name)
    try:
        yield partial
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(partial, 0o644 & ~_umask())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def atomic_text(target: Path, inputs: Iterable[Path] = ()) -> Iterator[TextIO]:
    """:func:`atomic_path` as an open text file (UTF-8, ``newline=""`` as the csv module asks)."""
    with atomic_path(target, inputs) as partial, partial.open("w", encoding="utf-8", newline="") as fh:
        yield fh


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
