"""Checkpoints: the evidence log's head and length, signed and kept in a file outside the store.

Why: the hash chain shows that nothing *inside* the log was changed after the fact, but someone who can write
the file can also cut its tail, rebuild the chain after an edit, or wipe it and start over; every one of those
still verifies as a chain. A head recorded elsewhere, earlier, is what exposes them: ``verify`` finds every
checkpoint's head at the position it was recorded at, or fails.

What a checkpoint proves, and what it cannot: the signature (Ed25519, a local key) shows a line was written by
whoever holds that key, so a forged or edited line fails; it is *not* a trusted timestamp: whoever holds the key
and the file can write a new history and sign it. Copy the checkpoint file (or the heads) somewhere the store's
user cannot rewrite, or have each head timestamped by an RFC 3161 authority (see ARCHITECTURE.md), for proof
that holds against the store's owner too.

A checkpoint file holds one JSON object per line: ``store`` (path when written), ``entries`` (log entries then),
``head`` (the last entry's hash), ``at`` (UTC), ``public_key`` (hex) and ``signature`` (hex, over the canonical
JSON of the other fields). Lines only ever get appended.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from db.evidence import GENESIS, canonical_json, utc_now
from db.store import Store, sqlite_files
from db.verify import Anchors

logger = logging.getLogger(__name__)

CHECKPOINTS_ENV = "GIGSCAN_CHECKPOINTS"
KEY_ENV = "GIGSCAN_CHECKPOINT_KEY"
_KEY_NAME = "checkpoint-ed25519.key"


class CheckpointError(ValueError):
    """A checkpoint file or key that cannot be read, or a line that does not hold (bad signature, wrong key)."""


@dataclass(frozen=True)
class Checkpoint:
    store: str
    entries: int
    head: str
    at: str
    public_key: str
    signature: str = ""

    def signed_text(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if k != "signature"}
        return canonical_json(fields).encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_checkpoints(db: str | Path) -> Path:
    """``$GIGSCAN_CHECKPOINTS``, else ``.gigscan/<store name>.checkpoints.jsonl`` beside the store (gigscan's data
    directory, where its locks and logs live)."""
    env = os.environ.get(CHECKPOINTS_ENV)
    if env:
        return Path(env)
    db = Path(db).resolve()
    return db.parent / ".gigscan" / f"{db.name}.checkpoints.jsonl"


def default_key(db: str | Path) -> Path:
    """``$GIGSCAN_CHECKPOINT_KEY``, else ``.gigscan/checkpoint-ed25519.key`` beside the store."""
    env = os.environ.get(KEY_ENV)
    return Path(env) if env else Path(db).resolve().parent / ".gigscan" / _KEY_NAME


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at ``path`` (PEM, PKCS#8), created readable by its owner only if there is none yet; its
    public half is written beside it (``.pub``, hex) for whoever verifies elsewhere."""
    if path.exists():
        return load_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    path.with_suffix(".pub").write_text(public_hex(key.public_key()) + "\n", encoding="ascii")
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"cannot read checkpoint key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 key")
    return key


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def log_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(entries, head) of the evidence log, read in one statement (one consistent snapshot)."""
    count, head = conn.execute(
        "SELECT count(*), (SELECT entry_hash FROM evidence_log ORDER BY seq DESC LIMIT 1) FROM evidence_log"
    ).fetchone()
    return count, head or GENESIS


def refuse_store_files(store: str | Path, *paths: Path) -> None:
    """A checkpoint file or key named as the store (or its WAL, journal or shared memory) would be appended to or
    written into the evidence itself: ``GIGSCAN_CHECKPOINTS=gigscan.db`` once added JSON to the SQLite file."""
    own = {path.resolve() for path in sqlite_files(store)}
    for path in paths:
        if path.resolve() in own:
            raise CheckpointError(f"{path} is the store's own file; name a checkpoint file or key outside it")


def append_checkpoint(conn: sqlite3.Connection, store: str | Path, checkpoints: Path, key_path: Path) -> Checkpoint:
    """Sign the log's current head and length and append them to ``checkpoints`` (synced to disk)."""
    refuse_store_files(store, checkpoints, key_path)
    key = load_or_create_key(key_path)
    entries, head = log_head(conn)
    unsigned = Checkpoint(str(Path(store).resolve()), entries, head, utc_now(), public_hex(key.public_key()))
    signed = Checkpoint(**{**unsigned.to_dict(), "signature": key.sign(unsigned.signed_text()).hex()})
    checkpoints.parent.mkdir(parents=True, exist_ok=True)
    with checkpoints.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(signed.to_dict(), sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return signed


def checkpoint_after_crawl(db: str | Path) -> Checkpoint | None:
    """The checkpoint every crawl ends with, into the store's default checkpoint file (``GIGSCAN_CHECKPOINT=0``
    turns it off). One that cannot be written is logged as a warning: the crawl's own outcome stands."""
    if os.environ.get("GIGSCAN_CHECKPOINT", "1") == "0" or not Path(db).is_file():
        return None
    try:
        with Store(db) as store:
            return append_checkpoint(store.conn, db, default_checkpoints(db), default_key(db))
    except (CheckpointError, OSError, sqlite3.Error) as exc:
        logger.warning("no checkpoint written for %s: %s", db, exc)
        return None


def trusted_key(public_key: str | None, key_path: Path) -> Ed25519PublicKey:
    """The key checkpoints must be signed with: ``public_key`` (hex, or a file holding it), else the local key's."""
    if public_key:
        text = Path(public_key).read_text(encoding="ascii").strip() if Path(public_key).is_file() else public_key
        try:
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        except ValueError as exc:
            raise CheckpointError(f"--public-key is not a hex Ed25519 public key: {exc}") from exc
    if not key_path.exists():
        raise CheckpointError(f"no checkpoint key at {key_path} to check signatures with (give --public-key)")
    return load_key(key_path).public_key()


def read_checkpoints(path: Path, key: Ed25519PublicKey) -> tuple[list[Checkpoint], Anchors]:
    """Every checkpoint in ``path``, each signature checked against ``key``, as anchors for :func:`db.verify`.

    Raises :class:`CheckpointError` naming the first line that does not hold: unreadable, signed by another key,
    a bad signature, or another head than an earlier line for the same length. (Lines need not grow in file order:
    two crawls finishing together may append in either order; each is checked at its own length.)"""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read checkpoint file {path}: {exc}") from exc
    expected = public_hex(key)
    found: list[Checkpoint] = []
    anchors = Anchors()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        checkpoint = _parse(line, f"{path}:{number}")
        where = f"{path}:{number}"
        if checkpoint.public_key != expected:
            raise CheckpointError(f"{where}: signed with another key ({checkpoint.public_key[:16]}…)")
        try:
            key.verify(bytes.fromhex(checkpoint.signature), checkpoint.signed_text())
        except (InvalidSignature, ValueError):
            raise CheckpointError(f"{where}: the signature does not match the line (edited or forged)") from None
        if anchors.at.get(checkpoint.entries, checkpoint.head) != checkpoint.head:
            raise CheckpointError(f"{where}: another head for {checkpoint.entries} entries than an earlier line")
        if checkpoint.entries:
            anchors.at[checkpoint.entries] = checkpoint.head
            anchors.times[checkpoint.entries] = max(checkpoint.at, anchors.times.get(checkpoint.entries, ""))
        found.append(checkpoint)
    return found, anchors


def _parse(line: str, where: str) -> Checkpoint:
    try:
        data = json.loads(line)
        checkpoint = Checkpoint(**data)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{where}: not a checkpoint line ({exc})") from None
    if not isinstance(checkpoint.entries, int) or not isinstance(checkpoint.signature, str):
        raise CheckpointError(f"{where}: not a checkpoint line (entries must be a number, signature text)")
    return checkpoint
