"""The HTML report: matched text marked from the verdict's offsets, everything escaped, nothing loaded, and in
headless Chromium no script from listing text runs."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from db import Store
from db.exports.flagged import flagged_rows
from db.exports.report import CSP, esc, highlight, link, reason_spans, write_html
from db.testing import listing_record, seller_record, verdict

TITLE = "<script>document.title='PWNED'</script> buy 5 star reviews"
DESCRIPTION = (
    "Real reviews <img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
    "</div></td></tr></table><script>document.body.setAttribute('data-pwned','2')</script>"
    "<a href=\"javascript:document.title='PWNED'\">x</a> <svg onload=\"document.title='PWNED'\"></svg>"
)
USERNAME = "<svg/onload=document.title='PWNED'>"
DISPLAY = "\"><script>document.title='PWNED'</script>"


def reason(field: str, text: str, needle: str, rule: str = "offer-reviews") -> dict:
    start = text.index(needle)
    return {"rule_id": rule, "field": field, "text": needle, "start": start, "end": start + len(needle)}


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        reasons = [
            reason("title", TITLE, "5 star reviews"),
            reason("description", DESCRIPTION, "Real reviews", "real-reviews"),
            {"rule_id": "stale", "field": "title", "text": "not here", "start": 0, "end": 8},
        ]
        opened.record_batch(
            run,
            [
                seller_record(username=USERNAME, display_name=DISPLAY, profile_url="javascript:alert(1)"),
                listing_record(
                    seller=USERNAME, title=TITLE, description=DESCRIPTION, tags=["<b>tag</b>"],
                    url="https://www.fiverr.com/x/gig", verdict={**verdict(score=0.9), "reasons": reasons},
                ),
            ],
        )  # fmt: skip
        yield opened


def report(store: Store) -> str:
    out = io.StringIO()
    assert write_html(store, flagged_rows(store), out, about={"filters": "<none>"}) == 1
    return out.getvalue()


def test_highlight_marks_spans_and_escapes_the_rest():
    text = "<b>buy</b> 5 star reviews & more"
    start = text.index("5 star")
    marked = highlight(text, [(start, start + 14, "rule<1>"), (start + 2, start + 6, "other"), (40, 50, "out")])
    assert marked == (
        '&lt;b&gt;buy&lt;/b&gt; <mark title="rule&lt;1&gt;, other">5 star reviews</mark> &amp; more'
    )


def test_reason_spans_keep_only_offsets_that_quote_the_text():
    texts = {"title": "buy reviews", "description": "", "tags": ""}
    good = {"rule_id": "a", "field": "title", "text": "reviews", "start": 4, "end": 11}
    stale = {"rule_id": "b", "field": "title", "text": "reviews", "start": 0, "end": 7}
    other = {"rule_id": "c", "field": "title", "text": "buy", "start": 0, "end": 3}
    assert reason_spans([good, stale, other, "text", {"field": "price"}], texts) == {
        "title": [(4, 11, "a"), (0, 3, "c")]
    }


def test_links_only_for_http_urls():
    assert link("javascript:alert(1)") == "javascript:alert(1)"
    assert link(" JAVASCRIPT:alert(1)") == " JAVASCRIPT:alert(1)"
    assert link('https://x.example/"><b>') == (
        '<a href="https://x.example/&quot;&gt;&lt;b&gt;" rel="noopener noreferrer nofollow">'
        "https://x.example/&quot;&gt;&lt;b&gt;</a>"
    )
    assert esc(None) == "" and esc("'\"") == "&#x27;&quot;"


def test_report_escapes_everything_and_loads_nothing(store):
    page = report(store)
    assert page.count("<script") == 0 and "onerror=" not in page.replace("onerror=&quot;", "")
    assert "&lt;script&gt;document.title=&#x27;PWNED&#x27;&lt;/script&gt;" in page
    assert "&lt;svg/onload=document.title=&#x27;PWNED&#x27;&gt;" in page
    assert 'href="javascript' not in page.lower()
    assert re.findall(r"\b(?:src|href)=\"(?!#|https://www\.fiverr\.com/)", page) == []  # no external resources
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "default-src 'none'" in CSP and "script-src 'none'" in CSP
    assert '<mark title="offer-reviews">5 star reviews</mark>' in page
    assert '<mark title="real-reviews">Real reviews</mark>' in page
    assert "stale" in page and '<mark title="stale">' not in page
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//script|//svg|//img|//iframe|//object|//embed") == []
    assert [a for el in tree.iter() for a in el.attrib if a.lower().startswith("on")] == []


def test_report_shows_timeline_and_hashes(store):
    page = report(store)
    tree = lxml_html.fromstring(page)
    kinds = [cell.text_content() for cell in tree.xpath("//table/tr/td[2]")]
    assert "first_seen" in kinds and "verdict" in kinds
    body_sha = store.conn.execute("SELECT body_sha256 FROM snapshots").fetchone()[0]
    entry = store.conn.execute("SELECT entry_hash FROM evidence_log WHERE kind = 'snapshot2'").fetchone()[0]
    assert body_sha in page and entry in page
    head = store.conn.execute("SELECT entry_hash FROM evidence_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert f"hash {head}" in page


CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
)  # fmt: skip


def rendered_dom(page: Path, profile: Path) -> str:
    """The DOM Chromium builds from ``page`` after load (scripts, had any run, would have changed it)."""
    proc = subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_report_in_headless_chromium_renders_and_runs_no_listing_script(store, tmp_path):
    # Control: the harness does see a script that runs.
    control = tmp_path / "control.html"
    control.write_text("<html><head><title>before</title></head><body><script>document.title='RAN'</script></body>")
    assert "<title>RAN</title>" in rendered_dom(control, tmp_path / "profile")

    path = tmp_path / "report.html"
    path.write_text(report(store), encoding="utf-8")
    dom = lxml_html.fromstring(rendered_dom(path, tmp_path / "profile"))
    assert dom.findtext(".//title") == "gigscan report: sellers of fake reviews"
    assert dom.xpath("//body/@data-pwned") == []
    assert dom.xpath("//script|//svg|//img") == []
    assert len(dom.xpath("//section")) == 1 and len(dom.xpath("//mark")) >= 3
    text = dom.text_content()
    assert TITLE in text and USERNAME in text and DISPLAY in text
