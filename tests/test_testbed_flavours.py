"""The testbed's other marketplaces: people met again under similar names, ground truth, routes, blocks, safety."""

from __future__ import annotations

import ast
import json
import re
import sys
import urllib.error
import urllib.request
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from testbed.catalogue import REVIEW_SELLER, Catalogue
from testbed.flavours import FLAVOURS, Flavours
from testbed.flavours.crowd import SERVICE_MARKETS, username_variant
from testbed.server import TestbedServer

FLAVOUR_DIR = Path(__file__).parent.parent / "testbed" / "flavours"


@pytest.fixture(scope="module")
def flavours() -> Flavours:
    return Flavours(Catalogue(seed=11, listings=500))


def body(flavours: Flavours, name: str, path: str, query: str = "") -> tuple[str, str]:
    kind, page = flavours.route(name, path, query)
    return kind, page.body().decode()


def test_same_seed_same_marketplaces() -> None:
    one, two = Flavours(Catalogue(seed=4, listings=300)), Flavours(Catalogue(seed=4, listings=300))
    for name in SERVICE_MARKETS:
        assert one.markets[name].sellers == two.markets[name].sellers
        assert one.markets[name].offers == two.markets[name].offers
    assert one.job_board.projects == two.job_board.projects
    other = Flavours(Catalogue(seed=5, listings=300))
    assert other.markets["seoclerks"].sellers != one.markets["seoclerks"].sellers


def test_every_service_market_has_review_sellers_and_lookalikes(flavours: Flavours) -> None:
    catalogue = flavours.catalogue
    on_some_market = set()
    for name in SERVICE_MARKETS:
        market = flavours.markets[name]
        assert len(market.review_sellers()) >= 3, name
        assert len(market.lookalike_sellers()) >= 2, name
        for seller in market.sellers.values():
            assert catalogue.sellers[seller.fiverr_username].truth == seller.truth
            if seller.truth == REVIEW_SELLER:
                on_some_market.add(seller.fiverr_username)
        for offer in market.offers.values():
            assert offer.seller in market.sellers
    assert on_some_market == catalogue.review_sellers()  # every review seller works another marketplace


def test_same_people_under_same_or_similar_usernames(flavours: Flavours) -> None:
    renamed = 0
    for name in SERVICE_MARKETS:
        for here, on_fiverr in flavours.markets[name].same_people().items():
            assert SequenceMatcher(None, here, on_fiverr).ratio() >= 0.8, (here, on_fiverr)
            renamed += here != on_fiverr
    assert renamed >= 10
    assert flavours.job_board.same_people()  # some clients sell on Fiverr too


def test_username_variants() -> None:
    assert username_variant("bess98", 0.1) == "bess98"
    assert username_variant("bess98", 0.5) == "bess_98"
    assert username_variant("bess_98", 0.5) == "bess98"
    assert re.fullmatch(r"bess98\d\d", username_variant("bess98", 0.9))


def test_job_board_truth(flavours: Flavours) -> None:
    board = flavours.job_board
    assert len(board.review_buyers()) == 9 and len(board.lookalike_clients()) == 9
    for project in board.projects.values():
        assert project.truth == board.clients[project.client].truth
    assert board.review_projects() and board.lookalike_projects()
    assert not any(board.projects[i].private for i in board.review_projects())


def test_review_buyers_are_found_by_review_searches(flavours: Flavours) -> None:
    board = flavours.job_board
    found: set[int] = set()
    for skills in ("amazon-reviews", "google-reviews", "trustpilot-reviews", "yelp-reviews", "tripadvisor-reviews",
                   "app-reviews"):
        kind, html = body(flavours, "freelancer", f"/freelancer/jobs/{skills}/")
        assert kind == "search"
        found |= {int(n) for n in re.findall(r'data-repost-btn="(\d+)"', html)}
        found |= {p.project_id for p in board.projects.values() if f"/{p.slug}\"" in html}
    assert board.review_projects() <= found


def test_freelancer_pages_use_the_real_class_names(flavours: Flavours) -> None:
    kind, html = body(flavours, "freelancer", "/freelancer/jobs/amazon-reviews/")
    assert kind == "search"
    for name in ("JobSearchCard-item", "JobSearchCard-primary-heading-link", "JobSearchCard-secondary-price",
                 "JobSearchCard-secondary-entry", "JobSearchCard-primary-tagsLink", "ProjectSearch-footer-pagination"):
        assert name in html
    project = next(p for p in flavours.job_board.public_projects() if p.truth == "review_buyer")
    kind, html = body(flavours, "freelancer", f"/freelancer/projects/{project.category}/{project.slug}")
    assert kind == "project"
    assert f"Project ID: #{project.project_id}" in html
    assert f'href="/freelancer/u/{project.client}"' in html
    assert body(flavours, "freelancer", "/freelancer/jobs/zzqqxx/")[0] == "not_found"


def test_private_projects_are_login_cards(flavours: Flavours) -> None:
    private = [p for p in flavours.job_board.projects.values() if p.private]
    assert private
    for project in private:
        kind, _ = body(flavours, "freelancer", f"/freelancer/projects/{project.category}/{project.slug}")
        assert kind == "not_found"


def test_freelancer_api(flavours: Flavours) -> None:
    kind, text = body(flavours, "freelancer", "/freelancer/api/projects/0.1/projects/active/",
                      "query=amazon+reviews&limit=5&offset=0")
    answer = json.loads(text)
    assert kind == "api" and answer["status"] == "success"
    projects = answer["result"]["projects"]
    assert len(projects) == 5
    users = answer["result"]["users"]
    assert all(str(p["owner_id"]) in users for p in projects)
    owner = projects[0]["owner_id"]
    _, text = body(flavours, "freelancer", "/freelancer/api/projects/0.1/projects/", f"owners[]={owner}")
    mine = json.loads(text)["result"]["projects"]
    assert mine and all(p["owner_id"] == owner for p in mine)


def test_hostile_text_cannot_break_out_of_its_element(flavours: Flavours) -> None:
    market = flavours.markets["seoclerks"]
    hostile = [o for o in market.offers.values() if "<script>" in o.description]
    assert hostile
    for offer in hostile:
        kind, html = body(flavours, "seoclerks", f"/seoclerks/x/{offer.offer_id}/{offer.slug}")
        assert kind == "listing"
        assert not any(tag in html.lower() for tag in ("<script", "<img", "<!--", "<svg"))
        assert "&lt;script&gt;" in html
    legiit = flavours.markets["legiit"]
    offer = next(o for o in legiit.offers.values() if "<script>" in o.title)
    _, html = body(flavours, "legiit", f"/legiit/{offer.seller}/{offer.slug}")
    data = html.split('id="__NEXT_DATA__" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and json.loads(data)["props"]["pageProps"]["service"]["title"] == offer.title


def test_server_routes_every_flavour_and_blocks_in_kind() -> None:
    with TestbedServer(seed=3, listings=200) as server:
        for path in ("/freelancer/jobs/amazon-reviews/", "/seoclerks/search?query=amazon+reviews",
                     "/legiit/search?q=amazon+reviews", "/peopleperhour/services/amazon-reviews?page=1"):
            with urllib.request.urlopen(server.url + path) as response:
                assert response.status == 200
        assert server.hits["freelancer:search"] == 1 and server.hits["peopleperhour:search"] == 1
        assert set(server.flavours.sites) == set(FLAVOURS)
    with TestbedServer(seed=3, listings=200, block_rate=1.0) as server:
        with pytest.raises(urllib.error.HTTPError) as cloudflare:
            urllib.request.urlopen(server.url + "/seoclerks/search?query=x")
        assert cloudflare.value.code == 403 and b"Just a moment..." in cloudflare.value.read()
        with urllib.request.urlopen(server.url + "/peopleperhour/services/x") as response:
            assert b"Incapsula incident ID" in response.read()
        with pytest.raises(urllib.error.HTTPError) as perimeterx:
            urllib.request.urlopen(server.url + "/search/gigs?query=x")
        assert b"Press &amp; Hold" in perimeterx.value.read()
        assert server.hits["blocked"] == 3


def test_flavours_import_nothing_of_the_project() -> None:
    allowed = set(sys.stdlib_module_names) | {"testbed"}
    for path in FLAVOUR_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, (path.name, name)
