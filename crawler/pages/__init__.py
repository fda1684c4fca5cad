"""Page objects: one class per page type, taking a page's HTML and URL and returning items. No network I/O.

In the web-poet style: a spider downloads, a page object reads. That keeps every extraction testable on
saved pages (``tests/data/pages``), and the same code reads a live page, a stored body or the testbed.

- ``common``: what every marketplace needs (embedded JSON in big pages, hostile-JSON coercion, URLs,
  HTML to text, unix time to ISO-8601) and the two errors: `Blocked` (not the page asked for: retry,
  never "no results") and `PageError` (the expected page, but its data is broken).
- ``fiverr``: search, category and tag pages (`FiverrSearchPage`), gig pages (`FiverrGigPage`), seller
  profiles (`FiverrSellerPage`), and `parse_fiverr`, which picks the right one.
"""

from crawler.pages.common import Blocked, PageError
from crawler.pages.fiverr import (
    FiverrGigPage,
    FiverrPage,
    FiverrSearchPage,
    FiverrSellerPage,
    is_block_page,
    page_name,
    parse_fiverr,
    perseus_props,
)

__all__ = [
    "Blocked",
    "FiverrGigPage",
    "FiverrPage",
    "FiverrSearchPage",
    "FiverrSellerPage",
    "PageError",
    "is_block_page",
    "page_name",
    "parse_fiverr",
    "perseus_props",
]
