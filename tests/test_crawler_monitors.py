"""Run monitors: each one fails a run that has its problem, and passes a healthy run."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.monitors import Thresholds, check_run, counters, query_results

HEALTHY: dict[str, Any] = {
    "item_scraped_count": 500,
    "response_received_count": 120,
    "downloader/response_count": 120,
    "gigscan/blocked": 3,
    "gigscan/flagged_items": 40,
    "gigscan/query_results/amazon reviews": 90,
    "gigscan/query_results/logo design": 60,
    "log_count/ERROR": 1,
}
HISTORY = [{"item_scraped_count": n, "gigscan/query_results/logo design": 55} for n in (480, 510, 530, 495)]


def monitors(stats: dict[str, Any], earlier: list[dict[str, Any]] = HISTORY, **limits: Any) -> list[str]:
    return [f.monitor for f in check_run(stats, earlier, Thresholds(**limits))]


def test_a_healthy_run_passes_every_monitor() -> None:
    assert check_run(HEALTHY, HISTORY) == []


@pytest.mark.parametrize(
    ("change", "monitor"),
    [
        ({"item_scraped_count": 120}, "items_below_median"),
        ({"gigscan/blocked": 60}, "blocked_share"),
        ({"gigscan/query_results/logo design": 0}, "zero_results"),
        ({"spider_exceptions/count": 2, "spider_exceptions/PageError": 2}, "parse_errors"),
        ({"gigscan/invalid_items": 4}, "invalid_items"),
        ({"gigscan/store/failed_batches": 1}, "store_errors"),
    ],
)
def test_each_monitor_detects_its_problem(change: dict[str, Any], monitor: str) -> None:
    assert monitors({**HEALTHY, **change}) == [monitor]


def test_failure_messages_name_the_evidence() -> None:
    stats = {**HEALTHY, "item_scraped_count": 100, "gigscan/query_results/logo design": 0,
             "spider_exceptions/count": 1, "spider_exceptions/PageError": 1}
    failures = {f.monitor: f for f in check_run(stats, HISTORY)}
    assert failures["items_below_median"].message == "100 items, far below the median 502.5 of the last 4 runs"
    assert failures["items_below_median"].limit == pytest.approx(251.25)
    assert failures["zero_results"].message == "query 'logo design' returned no listings (it found 55 in a recent run)"
    assert "PageError" in failures["parse_errors"].message


def test_item_count_is_not_judged_without_enough_history() -> None:
    low = {**HEALTHY, "item_scraped_count": 10}
    assert monitors(low, HISTORY[:2]) == []
    assert monitors(low, HISTORY[:2], min_history=2) == ["items_below_median"]
    # only the most recent `history` runs make the median: an old, huge run does not count
    assert monitors({**HEALTHY, "item_scraped_count": 300}, [*HISTORY, {"item_scraped_count": 10**6}], history=4) == []


def test_zero_results_needs_a_query_that_found_listings_before_or_every_query_empty() -> None:
    never_found = {**HEALTHY, "gigscan/query_results/trustpilot reviews": 0}
    assert monitors(never_found) == []  # a query that finds nothing on this marketplace is not a failure
    assert monitors(never_found, [*HISTORY, {"gigscan/query_results/trustpilot reviews": 3}], history=4) == []  # old
    assert monitors(never_found, [{"gigscan/query_results/trustpilot reviews": 3}]) == ["zero_results"]
    all_empty = {"downloader/response_count": 5, "gigscan/query_results/a": 0, "gigscan/query_results/b": 0}
    failures = check_run(all_empty, [])
    assert [f.message for f in failures] == ["query 'a' returned no listings (no query returned any)",
                                             "query 'b' returned no listings (no query returned any)"]


def test_blocked_share_is_relative_to_responses() -> None:
    assert monitors({**HEALTHY, "gigscan/blocked": 24}) == []  # 20% is the limit, not above it
    assert monitors({**HEALTHY, "gigscan/blocked": 25}) == ["blocked_share"]
    everything_blocked = {"downloader/response_count": 4, "gigscan/blocked": 4}
    assert "blocked_share" in monitors(everything_blocked, [])


def test_counters_and_query_results_read_the_stats() -> None:
    assert counters({**HEALTHY, "spider_exceptions/count": 2}) == {
        "pages": 120, "items": 500, "flag_events": 40, "blocked": 3, "errors": 3}
    assert query_results(HEALTHY) == {"amazon reviews": 90, "logo design": 60}
    assert counters({}) == {"pages": 0, "items": 0, "flag_events": 0, "blocked": 0, "errors": 0}
