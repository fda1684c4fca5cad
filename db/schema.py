"""Schema of the evidence store, as numbered migrations applied on open (``PRAGMA user_version``).

Why migrations and not one CREATE script: a store holds months of evidence; a newer gigscan must upgrade it in
place, without loss, and refuse a store made by a newer gigscan. Each migration is a small frozen function:
never edit one that has shipped, add the next.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from db.evidence import (
    SIGHTINGS_KIND,
    SNAPSHOT2_DIGEST_COLUMNS,
    SNAPSHOT_DIGEST_COLUMNS,
    SNAPSHOT_KIND,
    STATE_ROWS,
    VERDICT_DIGEST_COLUMNS,
    Chain,
    log_state,
    read_sightings,
    row_digest,
    sightings_digest,
    utc_now,
)

Migration = Callable[[Database], None]

_V1_CORE = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    spider TEXT,
    args TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    stats TEXT,
    gigscan_version TEXT NOT NULL,
    ruleset_version TEXT
);
CREATE TABLE sellers (
    id INTEGER PRIMARY KEY,
    marketplace TEXT NOT NULL,
    username TEXT NOT NULL COLLATE NOCASE,
    display_name TEXT,
    profile_url TEXT,
    country TEXT,
    level TEXT,
    member_since TEXT,
    rating REAL,
    review_count INTEGER,
    description TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_sellers_marketplace_username ON sellers (marketplace, username COLLATE NOCASE);
CREATE TABLE bodies (
    sha256 TEXT PRIMARY KEY,
    codec TEXT NOT NULL,
    size INTEGER NOT NULL,
    stored_size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE listings (
    id INTEGER PRIMARY KEY,
    marketplace TEXT NOT NULL,
    external_id TEXT NOT NULL,
    seller_id INTEGER REFERENCES sellers(id),
    url TEXT,
    kind TEXT,
    title TEXT,
    description TEXT,
    tags TEXT,
    category TEXT,
    price REAL,
    currency TEXT,
    rating REAL,
    review_count INTEGER,
    current_detail INTEGER NOT NULL DEFAULT 0,
    current_snapshot_id INTEGER,
    status TEXT NOT NULL DEFAULT 'active',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    removed_at TEXT,
    flagged INTEGER,
    score REAL,
    verdict_id INTEGER
);
CREATE UNIQUE INDEX idx_listings_marketplace_external_id ON listings (marketplace, external_id);
CREATE INDEX idx_listings_seller_id ON listings (seller_id);
CREATE INDEX idx_listings_flagged ON listings (flagged) WHERE flagged = 1;
CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,
    listing_id INTEGER NOT NULL REFERENCES listings(id),
    run_id INTEGER REFERENCES runs(id),
    source TEXT NOT NULL,
    detail INTEGER NOT NULL,
    fields TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL,
    fetched_at TEXT,
    url TEXT,
    http_status INTEGER,
    headers TEXT,
    body_sha256 TEXT REFERENCES bodies(sha256),
    created_at TEXT NOT NULL
);
CREATE INDEX idx_snapshots_listing_source ON snapshots (listing_id, source, id);
CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    listing_id INTEGER REFERENCES listings(id),
    seller_id INTEGER REFERENCES sellers(id),
    snapshot_id INTEGER REFERENCES snapshots(id),
    seen_at TEXT NOT NULL,
    url TEXT,
    http_status INTEGER,
    source TEXT,
    body_sha256 TEXT REFERENCES bodies(sha256),
    CHECK (listing_id IS NOT NULL OR seller_id IS NOT NULL)
);
CREATE INDEX idx_sightings_listing ON sightings (listing_id);
CREATE INDEX idx_sightings_seller ON sightings (seller_id);
CREATE INDEX idx_sightings_run ON sightings (run_id);
CREATE TABLE verdicts (
    id INTEGER PRIMARY KEY,
    listing_id INTEGER NOT NULL REFERENCES listings(id),
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
    ruleset_version TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    flagged INTEGER NOT NULL,
    score REAL,
    reasons TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    review_state TEXT NOT NULL DEFAULT 'new',
    reviewed_by TEXT,
    reviewed_at TEXT,
    review_note TEXT
);
CREATE UNIQUE INDEX idx_verdicts_listing_snapshot_ruleset
    ON verdicts (listing_id, snapshot_id, ruleset_version);
"""


def _v1_core_tables(db: Database) -> None:
    """Runs, sellers, listings and the evidence tables."""
    db.executescript(_V1_CORE)


def _narrow_update_trigger(db: Database, table: str, columns: tuple[str, ...]) -> None:
    """Re-index a row only when its indexed text changes.

    sqlite-utils' ``<table>_au`` trigger fires on every UPDATE; the store updates last_seen on every sighting,
    which would re-tokenise each listing's description once per crawl for nothing.
    """
    name = f"{table}_au"
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).fetchone()[0]
    changed = " OR ".join(f"old.[{c}] IS NOT new.[{c}]" for c in columns)
    head, sep, body = sql.partition(" BEGIN")
    if not sep:
        raise RuntimeError(f"unexpected trigger definition for {name}")
    db.execute(f"DROP TRIGGER [{name}]")
    db.execute(f"{head} WHEN {changed} BEGIN{body}")


def _v2_full_text_search(db: Database) -> None:
    """FTS5 on listing text and seller names, kept current by triggers (existing rows are indexed)."""
    for table, columns in (("listings", ("title", "description")), ("sellers", ("username", "display_name"))):
        db[table].enable_fts(list(columns), create_triggers=True)
        _narrow_update_trigger(db, table, columns)


_APPEND_ONLY_TABLES = ("bodies", "snapshots", "sightings", "verdicts", "evidence_log")
# Verdict columns an analyst's review may set later; every other verdict column is a fact and frozen.
_VERDICT_REVIEW_COLUMNS = ("review_state", "reviewed_by", "reviewed_at", "review_note")


def _v3_evidence_log(db: Database) -> None:
    """The hash chain over stored evidence (backfilled for evidence stored before it existed) and triggers
    that refuse UPDATE/DELETE of evidence rows, so a bug cannot rewrite history by accident."""
    db.executescript(
        """
        CREATE TABLE evidence_log (
            seq INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            entry_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_evidence_log_kind_ref ON evidence_log (kind, ref);
        """
    )
    _backfill_log(db)
    for table in _APPEND_ONLY_TABLES:
        if table == "verdicts":
            columns = db["verdicts"].columns_dict
            frozen = ", ".join(f"[{c}]" for c in columns if c not in _VERDICT_REVIEW_COLUMNS)
            _append_only(db, table, f"UPDATE OF {frozen}")
        else:
            _append_only(db, table, "UPDATE")


def _append_only(db: Database, table: str, update_event: str) -> None:
    """Triggers refusing DELETE, and the UPDATE ``update_event`` names, on an evidence table."""
    for name, event in (("no_delete", "DELETE"), ("no_update", update_event)):
        db.execute(
            f"CREATE TRIGGER [{table}_{name}] BEFORE {event} ON [{table}]"
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only evidence'); END"
        )


def _backfill_log(db: Database) -> None:
    chain = Chain(db.conn)
    now = utc_now()
    for (sha,) in db.execute("SELECT sha256 FROM bodies ORDER BY rowid").fetchall():
        chain.append("body", sha, sha, now)
    for kind, table, columns in (
        ("snapshot", "snapshots", SNAPSHOT_DIGEST_COLUMNS),
        ("verdict", "verdicts", VERDICT_DIGEST_COLUMNS),
    ):
        for row in db.query(f"SELECT * FROM [{table}] ORDER BY id"):
            chain.append(kind, row["id"], row_digest(row, columns), now)


_V4_CAPTURES_EVENTS_REVIEWS = """
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    exchange_sha256 TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    request_url TEXT,
    request_headers TEXT NOT NULL,
    status INTEGER,
    headers TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    body_sha256 TEXT REFERENCES bodies(sha256),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_captures_exchange ON captures (exchange_sha256);
ALTER TABLE sightings ADD COLUMN capture_id INTEGER REFERENCES captures(id);
CREATE INDEX idx_sightings_capture ON sightings (capture_id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    listing_id INTEGER REFERENCES listings(id),
    seller_id INTEGER REFERENCES sellers(id),
    kind TEXT NOT NULL CHECK (kind IN ('removed', 'reappeared')),
    at TEXT NOT NULL,
    run_id INTEGER REFERENCES runs(id),
    reason TEXT NOT NULL,
    url TEXT,
    http_status INTEGER,
    capture_id INTEGER REFERENCES captures(id),
    created_at TEXT NOT NULL,
    CHECK ((listing_id IS NULL) <> (seller_id IS NULL))
);
CREATE INDEX idx_events_listing ON events (listing_id);
CREATE INDEX idx_events_seller ON events (seller_id);
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    verdict_id INTEGER NOT NULL REFERENCES verdicts(id),
    state TEXT NOT NULL CHECK (state IN ('new', 'confirmed', 'dismissed')),
    note TEXT,
    reviewed_by TEXT NOT NULL,
    reviewed_at TEXT NOT NULL
);
CREATE INDEX idx_reviews_verdict ON reviews (verdict_id);
ALTER TABLE listings ADD COLUMN missed_rechecks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN missing_since TEXT;
ALTER TABLE sellers ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE sellers ADD COLUMN removed_at TEXT;
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host TEXT;
"""


def _v4_captures_events_reviews(db: Database) -> None:
    """HTTP exchanges with their request and response headers (for WARC), removal/reappearance events,
    analyst reviews as history, recheck counters, and the pid/host of a run (to close runs whose process died).
    The new evidence tables are append-only like the others; none needs a backfill (they start empty)."""
    db.executescript(_V4_CAPTURES_EVENTS_REVIEWS)
    for table in ("captures", "events", "reviews"):
        _append_only(db, table, "UPDATE")


_SIGHTINGS_PER_ENTRY = 5000


def _v5_chain_everything(db: Database) -> None:
    """Everything an output reads is in the hash chain: the state of every listing, seller and run as of now,
    every sighting (in id ranges), every snapshot again under a digest that covers when it was stored. Rows an
    output reads but nobody may rewrite get triggers: a listing's or seller's identity, any verdict column
    (review decisions live in ``reviews`` alone), deleting a listing, seller or run."""
    chain = Chain(db.conn)
    now = utc_now()
    for row in db.query("SELECT * FROM snapshots ORDER BY id"):
        chain.append(SNAPSHOT_KIND, row["id"], row_digest(row, SNAPSHOT2_DIGEST_COLUMNS), now)
    for kind, (table, _columns) in STATE_ROWS.items():
        for (row_id,) in db.execute(f"SELECT id FROM [{table}] ORDER BY id").fetchall():
            log_state(db.conn, chain, kind, row_id, now)
    _backfill_sightings(db, chain, now)
    db.execute("DROP TRIGGER IF EXISTS [verdicts_no_update]")
    _refuse(db, "verdicts", "no_update", "UPDATE")
    for table, identity in (("listings", "marketplace, external_id"), ("sellers", "marketplace, username")):
        _refuse(db, table, "no_delete", "DELETE")
        _refuse(db, table, "no_update", f"UPDATE OF {identity}")
    _refuse(db, "runs", "no_delete", "DELETE")


def _refuse(db: Database, table: str, name: str, event: str) -> None:
    db.execute(
        f"CREATE TRIGGER [{table}_{name}] BEFORE {event} ON [{table}]"
        f" BEGIN SELECT RAISE(ABORT, '{table} is append-only evidence'); END"
    )


def _backfill_sightings(db: Database, chain: Chain, now: str) -> None:
    ids = [row_id for (row_id,) in db.execute("SELECT id FROM sightings ORDER BY id").fetchall()]
    for start in range(0, len(ids), _SIGHTINGS_PER_ENTRY):
        first, last = ids[start], ids[min(start + _SIGHTINGS_PER_ENTRY, len(ids)) - 1]
        chain.append(SIGHTINGS_KIND, f"{first}-{last}", sightings_digest(read_sightings(db.conn, first, last)), now)


def _ingest_receipts(db: Database) -> None:
    """Distributed crawls: the id of every stream entry an ingester committed, written in the same transaction
    as the entry's records, so an entry delivered again (the ingester restarted before acknowledging it) is
    stored once. Bookkeeping, not evidence: the records themselves are chained as usual."""
    db.executescript(
        """
        CREATE TABLE ingest_receipts (
            rid TEXT PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            entry_id TEXT NOT NULL,
            records INTEGER NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


_BUYER_REVIEWS = """
CREATE TABLE review_pages (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    capture_id INTEGER REFERENCES captures(id),
    marketplace TEXT NOT NULL,
    seller_id INTEGER NOT NULL REFERENCES sellers(id),
    listing_id INTEGER REFERENCES listings(id),
    scope TEXT NOT NULL,
    url TEXT NOT NULL,
    total_count INTEGER,
    has_next INTEGER,
    average REAL,
    shown INTEGER NOT NULL,
    fetched_at TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_review_pages_capture
    ON review_pages (capture_id, scope, seller_id, IFNULL(listing_id, 0));
CREATE INDEX idx_review_pages_seller ON review_pages (seller_id, id);
CREATE TABLE buyer_reviews (
    id INTEGER PRIMARY KEY,
    marketplace TEXT NOT NULL,
    review_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    seller_id INTEGER NOT NULL REFERENCES sellers(id),
    listing_id INTEGER REFERENCES listings(id),
    scope TEXT NOT NULL,
    buyer TEXT NOT NULL COLLATE NOCASE,
    created_at TEXT,
    stars REAL,
    country_code TEXT,
    country TEXT,
    price_range TEXT,
    price_low REAL,
    price_high REAL,
    repeat_buyer INTEGER,
    is_business INTEGER,
    comment TEXT,
    comment_language TEXT,
    reply TEXT,
    reply_at TEXT,
    gig_id TEXT,
    buyer_review_count INTEGER,
    review_page_id INTEGER NOT NULL REFERENCES review_pages(id),
    capture_id INTEGER REFERENCES captures(id),
    run_id INTEGER REFERENCES runs(id),
    first_seen TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_buyer_reviews_version ON buyer_reviews (marketplace, review_id, content_hash);
CREATE INDEX idx_buyer_reviews_seller ON buyer_reviews (seller_id, buyer);
CREATE INDEX idx_buyer_reviews_listing ON buyer_reviews (listing_id);
CREATE INDEX idx_buyer_reviews_buyer ON buyer_reviews (marketplace, buyer COLLATE NOCASE, seller_id, scope);
"""


def _buyer_reviews(db: Database) -> None:
    """Buyers' reviews as pages show them (issue 18): one row per review version, tied to the capture it came
    from, and one row per review block seen (the totals the page states). Append-only like other evidence; new
    tables, so nothing to backfill."""
    db.executescript(_BUYER_REVIEWS)
    for table in ("review_pages", "buyer_reviews"):
        _append_only(db, table, "UPDATE")


_SELLER_NETWORKS = """
CREATE TABLE network_runs (
    id INTEGER PRIMARY KEY,
    computed_at TEXT NOT NULL,
    log_seq INTEGER NOT NULL,
    threshold REAL NOT NULL,
    params TEXT NOT NULL,
    seconds REAL
);
CREATE TABLE network_members (
    run_id INTEGER NOT NULL REFERENCES network_runs(id),
    network INTEGER NOT NULL,
    seller_id INTEGER NOT NULL REFERENCES sellers(id),
    flagged_listings INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, seller_id)
);
CREATE INDEX idx_network_members_network ON network_members (run_id, network);
CREATE TABLE network_links (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES network_runs(id),
    a_id INTEGER NOT NULL REFERENCES sellers(id),
    b_id INTEGER NOT NULL REFERENCES sellers(id),
    kind TEXT NOT NULL,
    strength REAL NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX idx_network_links_a ON network_links (run_id, a_id);
CREATE INDEX idx_network_links_b ON network_links (run_id, b_id);
CREATE INDEX idx_sellers_last_seen ON sellers (last_seen);
"""


def _seller_networks(db: Database) -> None:
    """Seller networks as computed (``db.network_runs``): analysis, not evidence, kept per computation (with the
    evidence log position it saw) so ``gigscan network`` answers without clustering the store again."""
    db.executescript(_SELLER_NETWORKS)


MIGRATIONS: tuple[Migration, ...] = (
    _v1_core_tables,
    _v2_full_text_search,
    _v3_evidence_log,
    _v4_captures_events_reviews,
    _v5_chain_everything,
    _ingest_receipts,
    _buyer_reviews,
    _seller_networks,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The store was written by a newer gigscan; opening it with this one could lose data."""


class SchemaTooOldError(RuntimeError):
    """The store was written by an older gigscan and a reading command opened it: reading never writes, so it is
    not upgraded here; a writing command (or ``gigscan migrate``) upgrades it."""


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def check_current(db: Database) -> None:
    """Raise SchemaTooOldError or SchemaTooNewError unless the store is at :data:`SCHEMA_VERSION`; writes nothing."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise SchemaTooNewError(f"store schema v{current} is newer than this gigscan understands (v{SCHEMA_VERSION})")
    if current < SCHEMA_VERSION:
        raise SchemaTooOldError(f"store schema v{current} is older than this gigscan's (v{SCHEMA_VERSION}) and "
                                "reading commands never write the store")


def migrate(db: Database) -> list[int]:
    """Bring the store to :data:`SCHEMA_VERSION` in one transaction; returns the versions applied.

    BEGIN IMMEDIATE takes the write lock first, so two processes opening a fresh store at once cannot both
    apply the same migration: the second waits, then sees the new version and does nothing.
    """
    if schema_version(db) == SCHEMA_VERSION:
        return []
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(db)
        if current > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"store schema v{current} is newer than this gigscan understands (v{SCHEMA_VERSION})"
            )
        applied = []
        for version in range(current + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version - 1](db)
            db.execute(f"PRAGMA user_version = {version}")
            applied.append(version)
    except BaseException:
        db.rollback()
        raise
    db.conn.execute("COMMIT")
    return applied
