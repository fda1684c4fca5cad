"""Run monitors: judge a finished crawl by its stats and by the runs before it, so that "no review sellers
today" is never reported when the crawl was in fact blocked, broken or starved.

Pure functions over stats dictionaries (Scrapy's stats as stored in the run record); no Scrapy, no store. The
caller picks the history: earlier runs of the same spider and queries, most recent first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from statistics import median
from typing import Any

# + query: distinct listings found for it (crawler.middlewares.QueryResultsMiddleware)
QUERY_RESULTS = "gigscan/query_results/"


@dataclass(frozen=True)
class Thresholds:
    """When a monitor fails. The defaults suit a nightly crawl; tests and odd sites may tune them."""

    history: int = 7  # earlier runs whose median item count is "normal"
    min_history: int = 3  # fewer earlier runs than this: the item count is not judged yet
    items_ratio: float = 0.5  # fewer items than this share of the median fails
    blocked_share: float = 0.2  # more block pages than this share of responses fails
    invalid_items: int = 0  # more listings failing validation than this fails
    parse_errors: int = 0  # more spider exceptions than this fails
    store_errors: int = 0  # more failed store batches than this fails


@dataclass(frozen=True)
class Failure:
    """One failed monitor: which, why (one line), the value seen and the limit it crossed."""

    monitor: str
    message: str
    value: float
    limit: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _count(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key) or 0
    return int(value) if isinstance(value, int | float) else 0


def query_results(stats: Mapping[str, Any]) -> dict[str, int]:
    """{query: listings found} for every query whose search pages came back."""
    return {key[len(QUERY_RESULTS):]: _count(stats, key) for key in stats if key.startswith(QUERY_RESULTS)}


def counters(stats: Mapping[str, Any]) -> dict[str, int]:
    """The figures a run's stats sum it up by (``gigscan runs``, notifications). ``flag_events`` counts items
    flagged, a listing once per view of it; the flagged *listings* of a run come from the store
    (``db.runs.flagged_listings``)."""
    return {
        "pages": _count(stats, "response_received_count"),
        "items": _count(stats, "item_scraped_count"),
        "flag_events": _count(stats, "gigscan/flagged_items"),
        "blocked": _count(stats, "gigscan/blocked"),
        "errors": _count(stats, "log_count/ERROR") + _count(stats, "spider_exceptions/count"),
    }


def items_below_median(stats: Mapping[str, Any], history: Sequence[Mapping[str, Any]], t: Thresholds) -> list[Failure]:
    recent = [_count(h, "item_scraped_count") for h in history[: t.history]]
    if len(recent) < t.min_history:
        return []
    normal = median(recent)
    items = _count(stats, "item_scraped_count")
    if items >= t.items_ratio * normal:
        return []
    return [Failure("items_below_median",
                    f"{items} items, far below the median {normal:g} of the last {len(recent)} runs",
                    items, t.items_ratio * normal)]


def blocked_share(stats: Mapping[str, Any], history: Sequence[Mapping[str, Any]], t: Thresholds) -> list[Failure]:
    blocked = _count(stats, "gigscan/blocked")
    responses = max(_count(stats, "downloader/response_count"), blocked, 1)
    share = blocked / responses
    if share <= t.blocked_share:
        return []
    return [Failure("blocked_share", f"{blocked} of {responses} responses were block pages ({share:.0%})",
                    round(share, 4), t.blocked_share)]


def zero_results(stats: Mapping[str, Any], history: Sequence[Mapping[str, Any]], t: Thresholds) -> list[Failure]:
    """A query that came back empty although it found listings in a recent run (the site changed, or its search
    broke), or every query empty at once. A query that has never found anything is just a query."""
    found = query_results(stats)
    empty = sorted(query for query, count in found.items() if count == 0)
    if empty and len(empty) == len(found):
        return [Failure("zero_results", f"query {query!r} returned no listings (no query returned any)", 0, 1)
                for query in empty]
    failures = []
    for query in empty:
        before = max((query_results(h).get(query, 0) for h in history[: t.history]), default=0)
        if before:
            failures.append(Failure("zero_results",
                                    f"query {query!r} returned no listings (it found {before} in a recent run)", 0, 1))
    return failures


def parse_errors(stats: Mapping[str, Any], history: Sequence[Mapping[str, Any]], t: Thresholds) -> list[Failure]:
    errors = _count(stats, "spider_exceptions/count")
    if errors <= t.parse_errors:
        return []
    prefix = "spider_exceptions/"
    kinds = sorted(k[len(prefix):] for k in stats if k.startswith(prefix) and k != prefix + "count")
    return [Failure("parse_errors", f"{errors} page(s) failed to parse ({', '.join(kinds)})", errors, t.parse_errors)]


def invalid_items(stats: Mapping[str, Any], history: Sequence[Mapping[str, Any]], t: Thresholds) -> list[Failure]:
    invalid = _count(stats, "gigscan/invalid_items")
    if invalid <= t.invalid_items:
        return []
    return [Failure("invalid_items", f"{invalid} item(s) failed validation and were dropped", invalid,
                    t.invalid_items)]


def store_errors(stats: Mapping[str, Any], history: Sequence[Mapping[str, Any]], t: Thresholds) -> list[Failure]:
    failed = _count(stats, "gigscan/store/failed_batches")
    if failed <= t.store_errors:
        return []
    return [Failure("store_errors", f"{failed} batch(es) could not be stored", failed, t.store_errors)]


MONITORS = (items_below_median, blocked_share, zero_results, parse_errors, invalid_items, store_errors)


def check_run(stats: Mapping[str, Any], history: Sequence[Mapping[str, Any]],
              thresholds: Thresholds | None = None) -> list[Failure]:
    """Every monitor's failures for a run (empty: the run looks healthy). ``history``: earlier runs' stats,
    most recent first."""
    t = thresholds or Thresholds()
    return [failure for monitor in MONITORS for failure in monitor(stats, history, t)]


def failure_reason(status: str, stats: Mapping[str, Any]) -> str | None:
    """Why a run that did not finish well ended so, in one line, first cause first: the store failing, the
    first page that could not be fetched (connection refused, DNS, an HTTP error on the start page), pages
    that stayed blocked. None for a run that finished."""
    if status in ("finished", "degraded"):
        return None
    first_error = stats.get("gigscan/first_error")
    if stats.get("gigscan/store/error"):
        return f"store failure: {stats['gigscan/store/error']}"
    if status == "blocked":
        return f"blocked: {_count(stats, 'gigscan/blocked_gave_up')} page(s) stayed blocked after every retry"
    if status == "failed" and first_error:
        return str(first_error)
    if status == "failed":
        return f"no page could be parsed ({_count(stats, 'downloader/request_count')} requests made)"
    return f"the crawl ended early ({status})"
