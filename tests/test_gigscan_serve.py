"""``gigscan serve``: Datasette on 127.0.0.1 over the store, read-only, with labelled tables, facets and the
canned queries (flagged sellers, listings removed after flag, sellers on several marketplaces)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import Store
from db.testing import listing_record, seller_record, verdict

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "gigscan.db"
    with Store(path) as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        store.record_batch(
            run,
            [
                seller_record(username="<script>alert(1)</script>"),
                listing_record(external_id="1", seller="star_seller", verdict=verdict(score=0.9)),
                listing_record(external_id="2", seller="star_seller", title="gone gig", verdict=verdict(score=0.8)),
                listing_record(external_id="3", seller="honest", verdict=verdict(flagged=False, score=0.0)),
                listing_record(marketplace="legiit", external_id="9", seller="Star_Seller", verdict=verdict()),
            ],
        )
        store.conn.execute("UPDATE listings SET status = 'removed', removed_at = '2999-01-01T00:00:00.000Z'"
                           " WHERE external_id = '2'")  # fmt: skip
        store.conn.commit()
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(base: str, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module", params=[(), ("--immutable",)], ids=["read-only", "immutable"])
def server(request: pytest.FixtureRequest, store_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gigscan", "serve", "--port", str(port), "--db", str(store_path), *request.param],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(base, "/-/versions.json")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gigscan serve did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rows(base: str, path: str) -> list[dict]:
    status, body = get(base, path + ("&" if "?" in path else "?") + "_shape=array")
    assert status == 200, body[:500]
    return json.loads(body)


def test_canned_queries(server):
    flagged = rows(server, "/gigscan/flagged_sellers.json")
    assert {(r["marketplace"], r["username"], r["flagged_listings"]) for r in flagged} == {
        ("fiverr", "star_seller", 2),
        ("legiit", "Star_Seller", 1),
    }
    removed = rows(server, "/gigscan/listings_removed_after_flag.json")
    assert [(r["username"], r["title"]) for r in removed] == [("star_seller", "gone gig")]
    several = rows(server, "/gigscan/sellers_on_several_marketplaces.json")
    assert [(r["username"].casefold(), r["marketplaces"], r["flagged_listings"]) for r in several] == [
        ("star_seller", 2, 3)
    ]
    status, page = get(server, "/gigscan/flagged_sellers")
    assert status == 200 and "Flagged sellers" in page


def test_tables_are_labelled_and_faceted(server):
    status, body = get(server, "/gigscan/listings.json")
    assert status == 200
    data = json.loads(body)
    facets = data["facet_results"]
    facets = facets.get("results", facets)  # Datasette 1.x nests them
    assert {"marketplace", "flagged", "status"} <= set(facets)
    status, page = get(server, "/gigscan/sellers")
    assert status == 200 and "One row per seller account" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)</script>" not in page
    status, page = get(server, "/gigscan")
    assert status == 200 and "Listings removed after they were flagged" in page


def test_store_cannot_be_written(server, store_path):
    sql = urllib.parse.quote("DELETE FROM sellers")
    status, _ = get(server, f"/gigscan.json?sql={sql}")
    assert status >= 400
    status, _ = get(server, "/gigscan.db")  # no download of the whole file
    assert status == 403 or status == 404
    with Store(store_path) as store:
        assert store.conn.execute("SELECT count(*) FROM sellers").fetchone()[0] == 4


def fetch_as(base: str, host: str, path: str = "/gigscan/sellers.json") -> int:
    import http.client

    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        return conn.getresponse().status
    finally:
        conn.close()


def test_only_its_own_host_names_are_served(server):
    """DNS rebinding: a page of evil.example resolved to 127.0.0.1 must not read the store."""
    port = server.rsplit(":", 1)[1]
    assert fetch_as(server, f"evil.example:{port}") == 421
    assert fetch_as(server, "evil.example") == 421
    assert fetch_as(server, f"127.0.0.1.evil.example:{port}") == 421
    assert fetch_as(server, f"localhost:{port}") == 200
    assert fetch_as(server, f"127.0.0.1:{port}") == 200
