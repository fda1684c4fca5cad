"""Flagged listings out of the store, as CSV or JSON Lines, streamed row by row.

Why the care with cells: exported text is scraped from sellers who may plant ``=HYPERLINK(...)`` in a title;
a spreadsheet opening the CSV must show it as text, never run it (:func:`safe_cell`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from db.evidence import normalise_ts
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
    "first_seen",
    "last_seen",
    "status",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def flagged_rows(
    store: Store,
    *,
    marketplace: str | None = None,
    min_score: float | None = None,
    username: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Listings whose current verdict is flagged, highest score first, with their seller.

    ``since``/``until`` keep listings live within the window (last seen on or after ``since``, first seen on
    or before ``until``); reasons come back as the verdict's list.
    """
    where = ["l.flagged = 1"]
    params: list[Any] = []
    for condition, value in (
        ("l.marketplace = ?", marketplace),
        ("l.score >= ?", min_score),
        ("s.username = ?", username),  # COLLATE NOCASE column
        ("l.last_seen >= ?", normalise_ts(since)),
        ("l.first_seen <= ?", normalise_ts(until)),
    ):
        if value is not None:
            where.append(condition)
            params.append(value)
    cursor = store.conn.execute(
        "SELECT l.marketplace, s.username, s.profile_url, l.external_id, l.url AS listing_url, l.title,"
        " l.score, v.reasons, v.ruleset_version, l.first_seen, l.last_seen, l.status"
        " FROM listings l JOIN sellers s ON s.id = l.seller_id LEFT JOIN verdicts v ON v.id = l.verdict_id"
        f" WHERE {' AND '.join(where)} ORDER BY l.score DESC, s.username, l.external_id",
        params,
    )
    names = [d[0] for d in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        row["reasons"] = json.loads(row["reasons"] or "[]")
        yield row


def reasons_text(reasons: Iterable[Any]) -> str:
    """One line a person can read: ``rule [field]: "matched text"; ...``."""
    return "; ".join(_reason_text(reason) for reason in reasons)


def _reason_text(reason: Any) -> str:
    if not isinstance(reason, Mapping):
        return str(reason)
    rule = reason.get("rule_id") or reason.get("rule") or reason.get("id") or "?"
    where = f" [{reason['field']}]" if reason.get("field") else ""
    matched = reason.get("matched") or reason.get("match") or reason.get("text")
    return f'{rule}{where}: "{matched}"' if matched else f"{rule}{where}"


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading ``'``.

    Numbers pass unchanged (a negative number is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(rows: Iterable[Mapping[str, Any]], fp: TextIO) -> int:
    """Write rows as CSV (header first, every cell through :func:`safe_cell`); returns rows written.
    Open ``fp`` with ``newline=""`` as the csv module asks."""
    writer = csv.writer(fp)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        cells = {**row, "reasons": reasons_text(row.get("reasons") or ())}
        writer.writerow([safe_cell(cells.get(column)) for column in COLUMNS])
        count += 1
    return count


def write_jsonl(rows: Iterable[Mapping[str, Any]], fp: TextIO) -> int:
    """Write rows as JSON Lines (reasons stay a list); returns rows written."""
    count = 0
    for row in rows:
        fp.write(json.dumps({column: row.get(column) for column in COLUMNS}, ensure_ascii=False) + "\n")
        count += 1
    return count
