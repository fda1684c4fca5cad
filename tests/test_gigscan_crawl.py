"""The crawl command's argument handling and the crawler's small pure parts (no crawl runs here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.items import Listing, Seller
from crawler.pipelines import run_status, validation_problem
from crawler.run import CrawlOptions, crawl_settings
from gigscan.cli import app
from gigscan.commands.crawl import parse_set_options

runner = CliRunner()


def test_bad_base_url_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["crawl", "fiverr", "--base-url", "ftp://x", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "--base-url must be an http(s) URL" in result.output
    assert not (tmp_path / "x.db").exists()


def test_unknown_spider_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["crawl", "nosuchsite", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "unknown spider 'nosuchsite'" in result.output


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_refused_not_read_as_every_seed_query(tmp_path: Path, query: str) -> None:
    # --base-url on 127.0.0.1: should the check ever go, this test still never crawls the internet
    result = runner.invoke(app, ["crawl", "fiverr", "--query", "amazon reviews", "--query", query, "--base-url",
                                 "http://127.0.0.1:9", "--db", str(tmp_path / "x.db")])  # fmt: skip
    assert result.exit_code == 2 and "--query is empty" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_bad_set_option_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["crawl", "fiverr", "--set", "NOEQUALS", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output


def test_a_setting_nobody_reads_is_refused_not_ignored(tmp_path: Path) -> None:
    """Scrapy ignores unknown names: a typo would crawl at the default pace without a word."""
    result = runner.invoke(app, ["crawl", "fiverr", "--set", "CONCURENT_REQUESTS=1", "--base-url",
                                 "http://127.0.0.1:9", "--db", str(tmp_path / "x.db")])  # fmt: skip
    assert result.exit_code == 2 and "no such setting (did you mean CONCURRENT_REQUESTS?)" in result.stderr
    for name in ("GIGSCAN_FREELANCER_API", "GIGSCAN_LEASE_SECONDS", "SCHEDULER_PERSIST", "AUTOTHROTTLE_DEBUG"):
        crawl_settings(CrawlOptions("fiverr", Path("x.db"), settings={name: "1"}))  # declared: accepted


def test_settings_protect_the_user() -> None:
    settings = crawl_settings(CrawlOptions("fiverr", Path("x.db")))
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert settings.getint("DOWNLOAD_MAXSIZE") <= 16 * 1024 * 1024
    assert settings.get("USER_AGENT").startswith("gigscan/")
    assert settings.get("JOBDIR") is None


def test_command_line_overrides_win() -> None:
    overrides = parse_set_options(["DOWNLOAD_DELAY=0", "ROBOTSTXT_OBEY=False"])
    settings = crawl_settings(CrawlOptions("fiverr", Path("x.db"), settings=overrides))
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.0
    assert settings.getbool("ROBOTSTXT_OBEY") is False


def listing(**changes: object) -> Listing:
    fields: dict[str, object] = dict(marketplace="fiverr", external_id="1", url="http://x/a/b", seller="a", title="t")
    fields.update(changes)
    return Listing(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (listing(), None),
        (listing(title="  "), "missing title"),
        (listing(external_id=""), "missing external_id"),
        (listing(price=-1.0), "negative price"),
        (Seller(marketplace="fiverr", username="", profile_url="http://x/"), "missing username"),
        (object(), "unknown item type object"),
    ],
)
def test_validation(item: object, problem: str | None) -> None:
    assert validation_problem(item) == problem


def test_run_status_tells_blocked_and_failed_from_finished() -> None:
    assert run_status("finished", {"gigscan/pages_parsed": 3}) == "finished"
    assert run_status("finished", {"gigscan/pages_parsed": 3, "gigscan/blocked_gave_up": 1}) == "blocked"
    assert run_status("finished", {"downloader/request_count": 4}) == "failed"
    assert run_status("shutdown", {}) == "shutdown"


def test_store_record_matches_asdict_without_deep_copies() -> None:
    import dataclasses

    from crawler.items import Capture
    from crawler.pipelines import as_record

    capture = Capture(
        url="http://x/a/b", status=200, headers={"a": "b"}, body=b"<html>", fetched_at="2026-01-01T00:00:00Z"
    )
    item = listing(capture=capture, tags=["x"], extra={"k": {"nested": 1}})
    record = as_record(item)
    assert record == {**dataclasses.asdict(item), "type": "listing"}
    assert record["extra"] is item.extra  # shared, not copied
    assert as_record(Seller(marketplace="fiverr", username="u", profile_url="http://x/u"))["type"] == "seller"


def test_scan_pipeline_reuses_verdicts_for_texts_seen_again_and_matches_a_fresh_scan() -> None:
    from scrapy.utils.test import get_crawler

    from crawler import signals as gigscan_signals
    from crawler.pipelines import ScanPipeline
    from matchers import Scanner, load_ruleset

    flagged: list[Listing] = []

    def on_flagged(item: Listing) -> None:  # kept referenced: Scrapy holds signal receivers weakly
        flagged.append(item)

    crawler = get_crawler(settings_dict={"GIGSCAN_SCAN_MEMO": 16})
    crawler.signals.connect(on_flagged, signal=gigscan_signals.listing_flagged)
    pipeline = ScanPipeline.from_crawler(crawler)
    texts = [("I will post 5 star Amazon reviews from real accounts", ["amazon reviews"]),
             ("I will design a minimalist logo", ["logo"])]  # fmt: skip
    items = [listing(external_id=str(i), title=title, tags=tags) for i, (title, tags) in enumerate(texts * 3)]
    same_title = [listing(external_id=f"d{i}", title="I will help your product", description=text, tags=[])
                  for i, text in enumerate(["Buy 5 star Amazon reviews from real accounts.", "Logo files in SVG."])]
    for item in items + same_title:
        pipeline.process_item(item)
    fresh = Scanner(load_ruleset())
    assert [item.verdict["flagged"] for item in same_title] == [True, False]  # the key is the whole text
    for item in items + same_title:
        assert item.verdict == fresh.scan({"title": item.title, "description": item.description,
                                           "tags": item.tags}).to_dict()  # fmt: skip
    assert items[0].verdict is not items[2].verdict  # equal, never shared
    assert [item.external_id for item in flagged] == ["0", "2", "4", "d0"]  # every flagged item is announced
    assert pipeline.verdict_of.cache_info().misses == 4
    pipeline.close_spider()
    assert crawler.stats.get_value("gigscan/scan_memo_hits") == 4
    assert crawler.stats.get_value("gigscan/flagged_items") == 4


def test_scan_pipeline_gives_the_scanner_the_listing_side_a_job_post_is_a_buyers() -> None:
    from scrapy.utils.test import get_crawler

    from crawler.pipelines import ScanPipeline

    pipeline = ScanPipeline.from_crawler(get_crawler(settings_dict={"GIGSCAN_SCAN_MEMO": 16}))
    job = listing(external_id="j", title="5 reviews", kind="job")  # a buyer's order, as Freelancer.com shows it
    gig = listing(external_id="g", title="5 reviews", kind="gig")  # the same words on a seller's gig: memo apart
    for item in (job, gig):
        pipeline.process_item(item)
    assert job.verdict["flagged"] and "buyer-orders-reviews" in {r["rule_id"] for r in job.verdict["reasons"]}
    assert not gig.verdict["flagged"]
