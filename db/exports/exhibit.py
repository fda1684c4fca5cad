"""The exhibit: a numbered list of the sellers behind flagged listings, with marketplace and profile URL.

Why its own format: a complaint lists the accounts it names (the 2015 Amazon complaint's Exhibit A listed 1,114
Fiverr usernames, one per line). The list is ordered by username, case-insensitively, so the numbering is stable
whatever order the store returns rows in. Text output escapes control characters: a username cannot forge a
line of the exhibit.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from db.exports.flagged import safe_cell

EXHIBIT_COLUMNS = (
    "number",
    "username",
    "marketplace",
    "profile_url",
    "flagged_listings",
    "top_score",
    "first_seen",
    "last_seen",
)


@dataclass
class SellerTally:
    """Sellers of flagged rows, counted as the rows stream past (one entry per marketplace and username)."""

    sellers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any]) -> None:
        key = (row["marketplace"], row["username"].casefold())
        seller = self.sellers.get(key)
        if seller is None:
            self.sellers[key] = {
                "username": row["username"],
                "marketplace": row["marketplace"],
                "profile_url": row.get("profile_url"),
                "flagged_listings": 1,
                "top_score": row.get("score"),
                "first_seen": row.get("first_seen"),
                "last_seen": row.get("last_seen"),
            }
            return
        seller["flagged_listings"] += 1
        seller["top_score"] = _max(seller["top_score"], row.get("score"))
        seller["first_seen"] = _min(seller["first_seen"], row.get("first_seen"))
        seller["last_seen"] = _max(seller["last_seen"], row.get("last_seen"))

    def numbered(self) -> list[dict[str, Any]]:
        """The sellers in exhibit order, each with its ``number`` (1-based), keys in EXHIBIT_COLUMNS order."""
        ordered = sorted(self.sellers.values(), key=lambda s: (s["username"].casefold(), s["marketplace"]))
        return [{"number": number, **seller} for number, seller in enumerate(ordered, 1)]


def _max(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def _min(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def exhibit_sellers(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    tally = SellerTally()
    for row in rows:
        tally.add(row)
    return tally.numbered()


def printable(text: Any) -> str:
    """``text`` on one line: control and other invisible characters shown as ``\\uXXXX`` escapes."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in str(text if text is not None else ""))


# Characters that are invisible yet change what a reader sees: bidi overrides and isolates can reverse a
# username or a URL on screen ("gnp.exe" shown for "exe.png"); NUL and other controls are dropped or mangled by
# browsers. Each is shown as a visible code instead, so the text reads as it was stored.
BIDI_CONTROLS = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROLS = [c for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r"]
_NEUTRALISE = {code: f"[U+{code:04X}]" for code in (*BIDI_CONTROLS, *_CONTROLS)}


def esc(value: Any) -> str:
    """Scraped or stored text as HTML text (quotes too, so it is safe in attribute values), with bidi controls
    and other control characters shown as ``[U+XXXX]``. One function for the report and the network page: the
    page's own once let a NUL and a bidi override through raw."""
    return html.escape(("" if value is None else str(value)).translate(_NEUTRALISE), quote=True)


def write_exhibit_text(sellers: list[dict[str, Any]], fp: TextIO, *, title: str = "Exhibit A",
                       preamble: Iterable[str] = ()) -> int:
    """The exhibit as plain text: a title, optional preamble lines, then ``N. username (marketplace) URL``."""
    fp.write(f"{title}\n")
    for line in preamble:
        fp.write(f"{printable(line)}\n")
    fp.write(f"{len(sellers)} seller(s)\n\n")
    width = len(str(len(sellers)))
    for seller in sellers:
        url = printable(seller.get("profile_url") or "(no profile URL)")
        fp.write(
            f"{seller['number']:>{width}}. {printable(seller['username'])} ({printable(seller['marketplace'])})"
            f"  {url}\n"
        )
    return len(sellers)


def write_exhibit_csv(sellers: list[dict[str, Any]], fp: TextIO) -> int:
    """The exhibit as CSV (formulas neutralised as in every CSV gigscan writes)."""
    writer = csv.writer(fp)
    writer.writerow(EXHIBIT_COLUMNS)
    for seller in sellers:
        writer.writerow([safe_cell(seller.get(column)) for column in EXHIBIT_COLUMNS])
    return len(sellers)
