"""Flagged listings out of the store, as CSV or JSON Lines, streamed row by row.

Why the care with cells: exported text is scraped from sellers who may plant ``=HYPERLINK(...)`` in a title;
a spreadsheet opening the CSV must show it as text, never run it (:func:`safe_cell`).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from anyascii import anyascii

from db.evidence import normalise_ts
from db.records import ReasonRecord, reason_text
from db.review import check_state, decisions, state_matches
from db.store import Store

COLUMNS = (
    "marketplace",
    "username",
    "profile_url",
    "external_id",
    "listing_url",
    "title",
    "score",
    "reasons",
    "ruleset_version",
    "review_state",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "first_seen",
    "last_seen",
    "status",
    "removed_at",
)
# A formula start, also behind leading spaces or control characters (which some spreadsheets skip).
_FORMULA_START = re.compile(r"[\x00-\x20\x7f]*[=+\-@\t\r]")
_RISKY_FIRST = frozenset("=+-@\x7f")  # with anything up to " ", the first characters _FORMULA_START may match


def flagged_rows(
    store: Store,
    *,
    marketplace: str | None = None,
    min_score: float | None = None,
    username: str | None = None,
    since: str | None = None,
    until: str | None = None,
    state: str | None = None,
    run_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Listings whose current verdict is flagged, highest score first, with their seller and review state.

    ``run_id`` keeps the listings that run saw (a crawl's own findings, for its summary).

    ``since``/``until`` keep listings live within the window (last seen on or after ``since``, first seen on
    or before ``until``); ``state`` is a review state, ``open`` (the default: all but dismissed) or ``any``
    (see :mod:`db.review`). Reasons come back as the verdict's list; ``listing_id``, ``seller_id``,
    ``verdict_id`` and ``snapshot_id`` ride along for writers that need the history.
    """
    state = check_state(state)
    reviewed = decisions(store)
    where, params = _conditions(
        marketplace=marketplace, min_score=min_score, username=username, since=since, until=until, run_id=run_id
    )
    if state in ("confirmed", "dismissed"):  # only reviewed listings qualify: let SQLite skip the rest
        where.append("l.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps([i for i, d in reviewed.items() if d["review_state"] == state]))
    cursor = store.conn.execute(f"{_FLAGGED_SELECT} WHERE {' AND '.join(where)} {_FLAGGED_ORDER}", params)
    names = [d[0] for d in cursor.description]
    unreviewed_match = state_matches(state, "new")
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        review = reviewed.get(row["listing_id"])
        if review is None:
            if not unreviewed_match:
                continue
        elif state_matches(state, review["review_state"]):
            row.update(review)
        else:
            continue
        row["reasons"] = json.loads(row["reasons"] or "[]")
        yield row


# Every column read here is chained (listings' state, sellers, verdicts) or checked against chained rows
# (first/last seen against the sightings) by ``gigscan verify``; review columns come from ``reviews`` (db.review).
_FLAGGED_SELECT = (
    "SELECT l.marketplace, s.username, s.profile_url, l.external_id, l.url AS listing_url, l.title,"
    " l.score, v.reasons, v.ruleset_version, 'new' AS review_state, NULL AS reviewed_by, NULL AS reviewed_at,"
    " NULL AS review_note, NULL AS reviewed_verdict_id, l.first_seen, l.last_seen, l.status, l.removed_at,"
    " l.id AS listing_id, l.seller_id, v.id AS verdict_id, v.snapshot_id, s.display_name"
    " FROM listings l JOIN sellers s ON s.id = l.seller_id JOIN verdicts v ON v.id = l.verdict_id"
)
_FLAGGED_ORDER = "ORDER BY l.score DESC, s.username, l.external_id"


def _conditions(**filters: Any) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters for :func:`flagged_rows`' filters (the ones not given are left out)."""
    where = ["l.flagged = 1"]
    params: list[Any] = []
    for condition, value in (
        ("l.marketplace = ?", filters["marketplace"]),
        ("l.score >= ?", filters["min_score"]),
        ("s.username = ?", filters["username"]),  # COLLATE NOCASE column
        ("l.last_seen >= ?", normalise_ts(filters["since"])),
        ("l.first_seen <= ?", normalise_ts(filters["until"])),
        ("l.id IN (SELECT listing_id FROM sightings WHERE run_id = ?)", filters["run_id"]),
    ):
        if value is not None:
            where.append(condition)
            params.append(value)
    return where, params


def reasons_text(reasons: Iterable[ReasonRecord]) -> str:
    """One line a person can read: ``rule [field]: "matched text"; ...``."""
    return "; ".join(reason_text(reason) for reason in reasons)


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (``=``, ``+``, ``-``, ``@``, tab, CR,
    even behind spaces or control characters) gets a leading ``'``.

    Numbers pass unchanged (a negative number is not a formula)."""
    if type(value) is str:  # the common case, kept cheap: the regex runs only on a suspicious first character
        if value and (value[0] <= " " or value[0] in _RISKY_FIRST) and _FORMULA_START.match(value):
            return "'" + value
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return safe_cell(str(value))


def write_csv(rows: Iterable[Mapping[str, Any]], fp: TextIO) -> int:
    """Write rows as CSV (header first, every cell through :func:`safe_cell`); returns rows written.
    Open ``fp`` with ``newline=""`` as the csv module asks."""
    writer = csv.writer(fp)
    writer.writerow(COLUMNS)
    reasons_at = COLUMNS.index("reasons")
    count = 0
    for row in rows:
        values = [row.get(column) for column in COLUMNS]
        values[reasons_at] = reasons_text(values[reasons_at] or ())
        writer.writerow(safe_cells(values))
        count += 1
    return count


def safe_cells(values: list[Any]) -> list[Any]:
    """:func:`safe_cell` over a row, for writers that take None and numbers as they are (csv writes None as
    an empty cell and numbers as ``str`` would): only text that could start a formula pays for the check."""
    return [
        value
        if value is None
        or (kind := type(value)) is float
        or kind is int
        or (kind is str and not (value and (value[0] <= " " or value[0] in _RISKY_FIRST)))
        else safe_cell(value)
        for value in values
    ]


def write_jsonl(rows: Iterable[Mapping[str, Any]], fp: TextIO) -> int:
    """Write rows as JSON Lines (reasons stay a list); returns rows written."""
    count = 0
    for row in rows:
        fp.write(json.dumps({column: row.get(column) for column in COLUMNS}, ensure_ascii=False) + "\n")
        count += 1
    return count


_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


def safe_filename(text: str | None, default: str = "export", max_length: int = 64) -> str:
    """A file-name part made from scraped text (a username): ASCII letters, digits, ``.``, ``_`` and ``-``
    only, no leading dot or dash, never a path, never a reserved device name, never empty."""
    name = _UNSAFE_NAME_CHARS.sub("_", anyascii(text or ""))
    name = name.strip("._-")[:max_length].strip("._-")
    if not name:
        return default
    if name.split(".")[0].lower() in _WINDOWS_RESERVED:
        name = f"_{name}"
    return name
