"""Networks as pictures and files: the offline HTML graph (checked in headless Chromium), GEXF read back by
networkx, the report's network section, the exhibit grouped by network, and the Datasette canned queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import networkx as nx
import pytest
from lxml import html as lxml_html
from test_db_exports_report import rendered_dom
from test_db_networks import a_market

from db import Store
from db.datasette import metadata
from db.testing import seller_record
from helpers import run_gigscan

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def db_path(tmp_path) -> Path:
    path = tmp_path / "gigscan.db"
    with Store(path) as store:
        records = a_market()
        records[3] = seller_record(username="delta", profile_url="https://www.fiverr.com/delta",
                                   description=f"Telegram @deltaecho_ops {HOSTILE}")  # fmt: skip
        store.record_batch(store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"), records)
    return path


def export(db_path: Path, *args: str) -> str:
    return run_gigscan("export", *args, "--db", str(db_path)).stdout


def test_network_html_is_self_contained_and_renders_in_chromium(db_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "networks.html"
    run_gigscan("export", "--format", "network", "--output", str(page), "--db", str(db_path))
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "src=" not in text.replace("src=x", "")  # nothing loaded, nothing run
    dom = lxml_html.fromstring(rendered_dom(page, tmp_path / "profile"))
    sections = dom.xpath("//section[@class='network']")
    assert len(sections) == 2
    first = sections[0]
    assert len(first.xpath(".//*[local-name()='circle' and @class='account']")) == 3
    labels = {t.text for t in first.xpath(".//*[local-name()='text' and @class='node-label']")}
    assert {"alpha", "bravo", "charlie"} <= labels
    kinds = {t.text for t in first.xpath(".//*[local-name()='text' and @class='edge-label']")}
    assert {"contact", "copy"} <= kinds
    assert dom.xpath("//img") == []  # the hostile profile text stays text


def test_gexf_opens_as_a_graph_with_labelled_links(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "networks.gexf"
    run_gigscan("export", "--format", "gexf", "--output", str(path), "--db", str(db_path))
    graph = nx.read_gexf(path)
    accounts = {n for n, kind in graph.nodes(data="kind") if kind == "account"}
    assert accounts == {"fiverr:alpha", "fiverr:bravo", "fiverr:charlie", "fiverr:delta", "fiverr:echo"}
    assert graph.edges["fiverr:alpha", "fiverr:bravo"]["kind"] == "contact"
    assert "phone +447700900123" in graph.edges["fiverr:alpha", "fiverr:bravo"]["reason"]


def store_naming_delta(tmp_path: Path, name: str) -> Path:
    """The market of :func:`a_market` with the account ``delta`` (of a network) renamed ``name``."""
    db = tmp_path / "gigscan.db"
    records = [
        {**r, "username": name} if r.get("username") == "delta" else {**r, "seller": name} if r.get("seller") == "delta"
        else r for r in a_market()
    ]  # fmt: skip
    with Store(db) as store:
        store.record_batch(store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"), records)
    return db


def test_gexf_stays_well_formed_xml_with_control_characters_in_names(tmp_path: Path) -> None:
    """A scraped username holding a control character (XML 1.0 forbids them) is written visibly, not raw: raw, it
    made the whole file one Gephi and every XML reader refuse."""
    db = store_naming_delta(tmp_path, "del\x00t\x1ba")
    path = tmp_path / "networks.gexf"
    run_gigscan("export", "--format", "gexf", "--output", str(path), "--db", str(db))
    graph = nx.read_gexf(path)
    assert {"fiverr:del\\u0000t\\u001ba", "fiverr:echo"} <= set(graph.nodes)
    assert graph.nodes["fiverr:del\\u0000t\\u001ba"]["label"] == "del\\u0000t\\u001ba"


def test_network_page_shows_bidi_controls_and_nul_instead_of_obeying_them(tmp_path: Path) -> None:
    """As the report does: an override in a username must not reverse what the page shows."""
    db = store_naming_delta(tmp_path, "del\x00ta\u202egnp.exe")
    for fmt in ("network", "html"):
        page = tmp_path / f"page.{fmt}"
        run_gigscan("export", "--format", fmt, "--output", str(page), "--db", str(db))
        text = page.read_text(encoding="utf-8")
        assert "\x00" not in text and "\u202e" not in text
        assert "del[U+0000]ta[U+202E]gnp.exe" in text


def test_exports_do_not_trust_a_stored_network_computation(db_path: Path, tmp_path: Path) -> None:
    """The stored computation is a cache outside the hash chain: an account planted in it by hand must not reach
    the exhibit by network, the network page or the report; ``verify`` names it."""
    run_gigscan("networks", "--db", str(db_path))  # computed and stored
    with sqlite3.connect(db_path) as conn:
        hotel = conn.execute("SELECT id FROM sellers WHERE username = 'hotel'").fetchone()[0]
        conn.execute("INSERT INTO network_members (run_id, network, seller_id, flagged_listings)"
                     " SELECT MAX(run_id), 1, ?, 0 FROM network_members", (hotel,))  # fmt: skip
    assert "fiverr:hotel" in run_gigscan("networks", "--db", str(db_path)).stdout  # the cache as planted
    checked = run_gigscan("verify", "--db", str(db_path), check=False)
    assert checked.returncode != 0 and "network computation" in checked.stdout + checked.stderr
    assert "hotel" not in export(db_path, "--format", "exhibit", "--by", "network")
    for fmt in ("network", "html"):
        page = tmp_path / f"page.{fmt}"
        run_gigscan("export", "--format", fmt, "--output", str(page), "--db", str(db_path))
        assert "hotel" not in page.read_text(encoding="utf-8")


def test_exhibit_by_network_numbers_accounts_by_operation(db_path: Path) -> None:
    text = export(db_path, "--format", "exhibit", "--by", "network")
    lines = text.splitlines()
    assert lines[0] == "Exhibit A (by network)"
    assert "8 account(s): 5 in 2 network(s), 3 in none" in text
    start = lines.index(next(line for line in lines if line.startswith("Network 1:")))
    assert "links:" in lines[start] and "contact" in lines[start]
    numbered = [line.split(". ")[1].split(" ")[0] for line in lines if line[:3].strip().rstrip(".").isdigit()]
    assert set(numbered[:3]) == {"alpha", "bravo", "charlie"} and set(numbered[3:5]) == {"delta", "echo"}
    assert numbered[5:] == ["foxtrot", "golfer22", "golfer50"]
    bad = run_gigscan("export", "--format", "csv", "--by", "network", "--db", str(db_path), check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_report_has_a_network_section(db_path: Path) -> None:
    page = export(db_path, "--format", "html")
    dom = lxml_html.fromstring(page)
    assert [h.text_content() for h in dom.xpath("//h2")][-1] == "Seller networks"
    assert len(dom.xpath("//section[@class='network']")) == 2
    assert HOSTILE not in page


def test_datasette_canned_queries_for_buyers_and_networks_run(db_path: Path) -> None:
    run_gigscan("networks", "--db", str(db_path))
    queries = metadata("gigscan")["databases"]["gigscan"]["queries"]
    conn = sqlite3.connect(db_path)
    results = {name: conn.execute(queries[name]["sql"], {"username": "alpha"}).fetchall()
               for name in ("repeat_buyers", "buyers_of_seller", "seller_networks", "network_links_of_account")}
    assert [row[2] for row in results["seller_networks"]] == ["fiverr:alpha, fiverr:bravo, fiverr:charlie",
                                                              "fiverr:delta, fiverr:echo"]  # fmt: skip
    assert {row[0] for row in results["buyers_of_seller"]} == {"shopper1", "loyal1", "loyal2", "loyal3"}
    assert {row[1] for row in results["repeat_buyers"]} == {"shopper1", "loyal1", "loyal2", "loyal3"}
    assert {row[2] for row in results["network_links_of_account"]} >= {"contact", "buyers"}


def test_verify_holds_the_stored_network_computation_to_the_evidence(db_path: Path) -> None:
    """What ``gigscan networks`` shows comes from a cache: an honest one verifies, an edited link does not."""
    run_gigscan("networks", "--db", str(db_path))
    assert run_gigscan("verify", "--db", str(db_path)).returncode == 0
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE network_links SET reason = 'shared phone +10000000000'"
                     " WHERE id = (SELECT MAX(id) FROM network_links)")  # fmt: skip
    checked = run_gigscan("verify", "--db", str(db_path), check=False)
    assert checked.returncode != 0 and "links differ" in checked.stdout + checked.stderr
