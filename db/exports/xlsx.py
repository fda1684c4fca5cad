"""Flagged listings as an Excel workbook (openpyxl, write-only: rows stream to disk, memory stays flat).

One sheet per table: the flagged listings, their sellers (one row each, numbered as in the exhibit) and what the
export holds. Headers are frozen and columns sized from the first rows. Scraped text is made safe twice over:
characters XML 1.0 forbids (which make Excel refuse the file) are removed first, then
:func:`db.exports.flagged.safe_cell` turns anything that starts like a formula into text, so
``=HYPERLINK(...)`` in a title stays a string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from db.exports.exhibit import EXHIBIT_COLUMNS, SellerTally
from db.exports.flagged import COLUMNS, reasons_text, safe_cell

_SIZING_ROWS = 200  # rows read ahead to size the columns (write-only sheets fix widths before the first row)
_MAX_WIDTH = 60
_MAX_CELL = 32_767  # Excel's limit on characters in a cell


def xlsx_cell(value: Any) -> Any:
    """A value Excel stores as it was scraped: numbers stay numbers; text shows XML-illegal characters as
    ``\\uXXXX`` (as the exhibit does), is neutralised if it starts like a formula, and is cut to Excel's cell
    limit with a note saying so. Dropping them silently named "nul\\x00user" as the account "nuluser", and a cut
    cell read as the whole text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if value is None:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub(_visible, value if isinstance(value, str) else safe_cell(value))
    text = safe_cell(text)
    if len(text) <= _MAX_CELL:
        return text
    note = f" [cut: {_MAX_CELL:,} of {len(text):,} characters; the CSV and JSONL exports hold them all]"
    return text[: _MAX_CELL - len(note)] + note


def _visible(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def write_xlsx(rows: Iterable[Mapping[str, Any]], path: Path, *, about: Mapping[str, Any] | None = None) -> int:
    """Write flagged-listing rows (as :func:`db.exports.flagged.flagged_rows` yields them) to a workbook at ``path``;
    returns the number of listings written."""
    workbook = Workbook(write_only=True)
    tally = SellerTally()
    listings = (_listing_cells(row, tally) for row in rows)
    count = _write_sheet(workbook, "Flagged listings", COLUMNS, listings)
    _write_sheet(workbook, "Sellers", EXHIBIT_COLUMNS, (tuple(seller.values()) for seller in tally.numbered()))
    about_rows = [("rows", count), *((key, str(value)) for key, value in (about or {}).items())]
    _write_sheet(workbook, "About", ("field", "value"), iter(about_rows))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return count


def _listing_cells(row: Mapping[str, Any], tally: SellerTally) -> tuple[Any, ...]:
    tally.add(row)
    cells = {**row, "reasons": reasons_text(row.get("reasons") or ())}
    return tuple(cells.get(column) for column in COLUMNS)


def _write_sheet(
    workbook: Workbook, title: str, header: Sequence[str], rows: Iterator[Sequence[Any]]
) -> int:
    sheet: WriteOnlyWorksheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    head = list(islice(rows, _SIZING_ROWS))
    for index, width in enumerate(_widths(header, head), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    count = 0
    for values in _chain(head, rows):
        sheet.append([xlsx_cell(value) for value in values])
        count += 1
    return count


def _chain(head: list[Sequence[Any]], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield from head
    yield from rest


def _widths(header: Sequence[str], rows: list[Sequence[Any]]) -> list[float]:
    """Character widths that fit the header and the sampled rows, capped so long text wraps off-screen."""
    widths = [len(name) for name in header]
    for values in rows:
        for index, value in enumerate(values):
            widths[index] = max(widths[index], len(str(value)) if value is not None else 0)
    return [min(width, _MAX_WIDTH) + 2 for width in widths]
