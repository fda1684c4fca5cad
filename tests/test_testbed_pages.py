"""Testbed pages: Fiverr's key paths and units, pagination, promoted duplicates, safe embedding, noise."""

from __future__ import annotations

import json
import re
from typing import Any

import lxml.html
import pytest

from conftest import read_page
from testbed.catalogue import Catalogue
from testbed.props import PAGE_SIZE
from testbed.site import Site

BASE = "http://127.0.0.1:8800"
PERSEUS = re.compile(r'<script[^>]*id="perseus-initial-props"[^>]*>(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(Catalogue(seed=7, listings=600), BASE)


def get(site: Site, target: str) -> tuple[str, int, str]:
    kind, page = site.route(target)
    return kind, page.status, page.body().decode()


def scripts(html: str) -> dict[str, str]:
    """Text of every script element with an id, as an HTML parser (lxml, as in Scrapy) sees it."""
    return {el.get("id"): el.text or "" for el in lxml.html.fromstring(html).iter("script") if el.get("id")}


def perseus(html: str) -> dict[str, Any]:
    return json.loads(scripts(html)["perseus-initial-props"])


def key_paths(obj: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every key path (lists collapsed to []) -> the JSON types seen at that path."""
    out: dict[str, set[str]] = {}

    def walk(value: Any, path: str) -> None:
        kind = type(value).__name__ if not isinstance(value, int | float) or isinstance(value, bool) else "number"
        out.setdefault(path, set()).add(kind)
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for child in value:
                walk(child, f"{path}[]")

    walk(obj, prefix)
    return out


def real_props(name: str) -> dict[str, Any]:
    if name.endswith(".json"):
        return json.loads(read_page(name))
    return json.loads(PERSEUS.search(read_page(name)).group(1))


@pytest.mark.parametrize(("kind", "real_file"), [
    ("search", "fiverr/search_custom-website-development_perseus-initial-props.json"),
    ("gig", "fiverr/gig_vpross_create-a-top-quality-retro-vintage-logo-for-you_browserhtml.html"),
    ("seller", "fiverr/seller-profile_tonigdesign_browserhtml.html"),
])
def test_every_key_path_exists_on_the_real_page_with_the_same_type(site: Site, kind: str, real_file: str) -> None:
    gig = site.catalogue.search("amazon reviews")[0]
    target = {"search": "/search/gigs?query=amazon+reviews", "gig": gig.url, "seller": f"/{gig.seller}"}[kind]
    ours, real = key_paths(perseus(get(site, target)[2])), key_paths(real_props(real_file))
    assert set(ours) - set(real) == set()
    # Where the real page only shows null the type is unknown; elsewhere our types must be among the real ones.
    mismatched = {p: (t, real[p]) for p, t in ours.items()
                  if real[p] != {"NoneType"} and not t - {"NoneType"} <= real[p]}
    assert mismatched == {}
    assert len(ours) > 90


def test_page_type_meta_canonical_and_perimeterx_marker(site: Site) -> None:
    gig = next(iter(site.catalogue.gigs.values()))
    for target, pagename, canonical in [
        ("/search/gigs?query=logo+design", "search_perseus", f"{BASE}/search/gigs"),
        (gig.url + "?pos=3&funnel=x", "gig_page_perseus", f"{BASE}{gig.url}"),
        (f"/{gig.seller}", "seller_page_perseus", f"{BASE}/{gig.seller}"),
    ]:
        kind, status, html = get(site, target)
        tree = lxml.html.fromstring(html)
        assert status == 200
        assert tree.xpath('//meta[@name="fiverrmeta:pagename"]/@content') == [pagename]
        assert tree.xpath('//link[@rel="canonical"]/@href') == [canonical]
        assert "window._pxAppId='PXK3bezZfO'" in html


def test_prices_are_dollars_on_cards_and_cents_on_gig_pages(site: Site) -> None:
    items = perseus(get(site, "/search/gigs?query=logo+design")[2])["items"]
    for item in items[:10]:
        gig_page = perseus(get(site, item["gig_url"])[2])
        packages = gig_page["packages"]["packageList"]
        cheapest = min(packages, key=lambda p: p["price"])
        assert item["price_i"] * 100 == cheapest["price"]
        assert item["packages"]["recommended"]["price"] == item["price_i"]
        assert item["packages"]["recommended"]["duration"] * 24 == cheapest["duration"]  # days vs hours
        assert gig_page["general"]["gigId"] == item["gig_id"] == item["gigId"]
        assert gig_page["general"]["gigTitle"] == item["title"] == gig_page["overview"]["gig"]["title"]
        assert gig_page["seller"]["user"]["name"] == item["seller_name"]
        assert item["gig_url"] == f"/{item['seller_name']}/{item['cached_slug']}"
        assert item["seller_url"] == f"/{item['seller_name']}"
        assert gig_page["seller"]["sellerLevel"] == {
            "level_one_seller": "LEVEL_ONE", "level_two_seller": "LEVEL_TWO", "top_rated_seller": "LEVEL_TRS"
        }[item["seller_level"]]


def test_gig_and_seller_pages_agree_with_the_catalogue(site: Site) -> None:
    cat = site.catalogue
    seller = cat.sellers[cat.search("google reviews")[0].seller]
    profile = perseus(get(site, f"/{seller.username}")[2])
    assert profile["seller"]["user"]["name"] == seller.username
    assert profile["seller"]["user"]["joinedAt"] == seller.member_since
    assert profile["seller"]["user"]["address"]["countryCode"] == seller.country
    assert [g["gig_id"] for g in profile["gigsData"]] == list(seller.gig_ids)
    assert profile["seller"]["approvedGigsCount"] == len(seller.gig_ids)
    gig = cat.gigs[seller.gig_ids[0]]
    page = perseus(get(site, gig.url)[2])
    assert page["description"]["content"] == gig.description
    assert [t["name"] for t in page["tags"]["tagsGigList"]] == list(gig.tags)
    assert page["sellerCard"]["memberSince"] == seller.member_since
    assert [p["price"] for p in page["packages"]["packageList"]] == [p.price_cents for p in gig.packages]


def test_pagination_num_found_and_has_more(site: Site) -> None:
    query = "amazon reviews"
    organic = [g.gig_id for g in site.catalogue.search(query)]
    assert len(organic) > 2 * PAGE_SIZE
    seen: list[int] = []
    page = 1
    while True:
        props = perseus(get(site, f"/search/gigs?query=amazon+reviews&page={page}")[2])
        raw = props["rawListingData"]
        assert raw["num_found"] == props["appData"]["pagination"]["total"] == len(organic)
        assert props["listingAttributes"]["pageSize"] == props["appData"]["pagination"]["page_size"] == PAGE_SIZE
        assert props["listingAttributes"]["page"] == props["appData"]["pagination"]["page"] == page
        assert props["items"] == props["listings"][0]["gigs"]
        seen += [g["gig_id"] for g in props["items"] if g.get("type") != "promoted_gigs"]
        if not raw["has_more"]:
            break
        assert len(props["items"]) == PAGE_SIZE
        page += 1
    assert seen == organic  # every organic result exactly once, in order
    past = perseus(get(site, f"/search/gigs?query=amazon+reviews&page={page + 1}")[2])
    assert past["items"] == [] and past["rawListingData"]["has_more"] is False


def test_short_result_set_fits_one_page_and_unknown_query_is_empty(site: Site) -> None:
    props = perseus(get(site, "/search/gigs?query=yelp")[2])
    assert props["rawListingData"]["has_more"] is False
    assert len({g["gig_id"] for g in props["items"]}) == props["rawListingData"]["num_found"] < PAGE_SIZE
    empty = perseus(get(site, "/search/gigs?query=zzqx")[2])
    assert empty["items"] == [] and empty["rawListingData"]["num_found"] == 0


def test_page_one_repeats_its_top_results_as_promoted_slots(site: Site) -> None:
    items = perseus(get(site, "/search/gigs?query=google+reviews")[2])["items"]
    promoted = [g for g in items if g.get("type") == "promoted_gigs"]
    assert 2 <= len(promoted) <= 4
    assert items[: len(promoted)] == promoted
    assert all(g["auction"]["id"] for g in promoted)
    organic_ids = [g["gig_id"] for g in items[len(promoted):]]
    assert organic_ids[: len(promoted)] == [g["gig_id"] for g in promoted]
    assert [g["pos"] for g in items] == list(range(len(items)))
    assert len({g["u_id"] for g in items}) == len(items)
    page2 = perseus(get(site, "/search/gigs?query=google+reviews&page=2")[2])["items"]
    assert not any(g.get("type") == "promoted_gigs" for g in page2)


def test_hostile_text_stays_inside_its_script_and_parses_back_exactly(site: Site) -> None:
    cat = site.catalogue
    hostile = cat.hostile_seller()
    pages = [get(site, cat.gigs[i].url)[2] for i in hostile.gig_ids] + [get(site, f"/{hostile.username}")[2]]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<!--" not in html
        tree = lxml.html.fromstring(html)
        ids = [s.get("id") for s in tree.iter("script") if s.get("id")]
        assert ids == ["CONTEXT_MANAGER_STORAGE_SCRIPT", "perseus-initial-props"]
        assert not tree.xpath("//img") and not tree.xpath("//svg")
    for gig_id, html in zip(hostile.gig_ids, pages, strict=False):
        gig, props = cat.gigs[gig_id], perseus(html)
        assert props["general"]["gigTitle"] == gig.title
        assert props["description"]["content"] == gig.description
        assert props["seller"]["user"]["profile"]["displayName"] == hostile.display_name
        assert lxml.html.fromstring(html).findtext(".//title").startswith(gig.title[:1].upper() + gig.title[1:])
    profile = perseus(pages[-1])
    assert profile["seller"]["oneLinerTitle"] == hostile.one_liner
    assert {g["title"] for g in profile["gigsData"]} == {cat.gigs[i].title for i in hostile.gig_ids}


def test_csrf_token_changes_per_response_but_page_data_does_not(site: Site) -> None:
    gig = next(iter(site.catalogue.gigs.values()))
    first, second = get(site, gig.url)[2], get(site, gig.url)[2]
    assert first != second
    a, b = scripts(first), scripts(second)
    assert a["perseus-initial-props"] == b["perseus-initial-props"]
    token_a = json.loads(a["CONTEXT_MANAGER_STORAGE_SCRIPT"])["fiverr_context"]["csrfToken"]
    token_b = json.loads(b["CONTEXT_MANAGER_STORAGE_SCRIPT"])["fiverr_context"]["csrfToken"]
    assert token_a != token_b and re.fullmatch(r"\d{10}\.[\w-]{43}", token_a)
    assert first.replace(token_a, "") == second.replace(token_b, "")


def test_same_seed_same_page_bytes_apart_from_the_token() -> None:
    def page(path: str) -> str:
        html = Site(Catalogue(seed=4, listings=200), BASE).route(path)[1].body().decode()
        return re.sub(r'"csrfToken":"[^"]+"', "", html)

    cat = Catalogue(seed=4, listings=200)
    for path in ["/search/gigs?query=amazon+reviews", next(iter(cat.gigs.values())).url]:
        assert page(path) == page(path)


def test_not_found_robots_and_removed_gigs() -> None:
    base, later = Catalogue(seed=9, listings=600), Catalogue(seed=9, listings=600, step=1)
    removed = base.gigs[next(iter(later.changes().removed))]
    step0, step1 = Site(base, BASE), Site(later, BASE)
    assert get(step0, removed.url)[:2] == ("gig", 200)
    assert get(step1, removed.url)[:2] == ("not_found", 404)
    for path in ["/nobody_at_all", f"/{removed.seller}/no-such-gig", "/admin/", "/a/b/c", "/Bad%20Name!"]:
        kind, status, html = get(step1, path)
        assert (kind, status) == ("not_found", 404) and "perseus-initial-props" not in html
    kind, status, robots = get(step1, "/robots.txt")
    assert (kind, status) == ("robots", 200)
    assert "Disallow: /admin/" in robots and "Disallow: /\n" not in robots
