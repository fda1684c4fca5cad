"""Site profiles: validation with line numbers, every kind of field source, the shipped profiles on the pages of
their testbed flavour (rendered in-process, no server), and the ``gigscan profile`` commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

import gigscan.commands.profile  # noqa: F401  (registers `gigscan profile` on the app)
from crawler.pages.common import Blocked, PageError
from crawler.pages.profile import (
    Profile,
    ProfileError,
    ProfilePage,
    json_path,
    load_profile,
    parse_profile,
    shipped_profiles,
)
from gigscan.app import app
from testbed.catalogue import Catalogue
from testbed.flavours import Flavours
from testbed.flavours.crowd import Offer
from testbed.flavours.seoclerks import category_path

HOST = "http://testbed.invalid"
SHIPPED = {path.stem: path for path in shipped_profiles()}
SEARCH = {
    "seoclerks": ("/seoclerks/search", "query=amazon+reviews&page=1"),
    "legiit": ("/legiit/search", "q=amazon+reviews&page=1"),
    "peopleperhour": ("/peopleperhour/services/amazon+reviews", "page=1&ref=search"),
}
runner = CliRunner()


@pytest.fixture(scope="module")
def flavours() -> Flavours:
    return Flavours(Catalogue(seed=11, listings=500))


def fetch(flavours: Flavours, name: str, path: str, query: str = "") -> tuple[str, str]:
    """(url, html) of a flavour page, rendered in-process."""
    kind, page = flavours.route(name, path, query)
    assert not kind.endswith("not_found"), path
    return f"{HOST}{path}" + (f"?{query}" if query else ""), page.body().decode()


def page_of(flavours: Flavours, name: str, url: str) -> ProfilePage:
    parts = urlsplit(url)
    _, html = fetch(flavours, name, parts.path, parts.query)
    return ProfilePage(html, url, profile=load_profile(SHIPPED[name]), base_url=f"{HOST}/{name}")


def offer_at(flavours: Flavours, name: str, url: str) -> Offer:
    """The ground-truth offer behind a listing URL (its id is the last number in the path)."""
    market = flavours.markets[name]
    path = urlsplit(url).path
    if name == "legiit":
        seller, slug = path.split("/")[-2:]
        return next(o for o in market.seller_offers(seller) if o.slug == slug)
    number = int(re.findall(r"/(\d+)", path)[-1])
    return market.offers[number]


# -- the shipped profiles --------------------------------------------------------------------------------------


def test_three_profiles_ship_and_none_claims_confirmation() -> None:
    assert set(SHIPPED) == {"seoclerks", "legiit", "peopleperhour"}
    for path in SHIPPED.values():
        profile = load_profile(path)
        assert profile.name == path.stem
        assert profile.search_url is not None and "{query}" in profile.search_url
        # no real page of these sites has been captured: every selector must say so
        assert profile.unconfirmed == [spec.name for spec in profile.selectors]
        assert profile.block_markers


@pytest.mark.parametrize("name", sorted(SEARCH))
def test_profile_reads_its_flavour_search_and_listing_pages(flavours: Flavours, name: str) -> None:
    url, html = fetch(flavours, name, *SEARCH[name])
    search = ProfilePage(html, url, profile=load_profile(SHIPPED[name]), base_url=f"{HOST}/{name}")
    links = search.listing_links
    assert len(links) >= 10
    assert all(link.startswith(f"{HOST}/{name}/") for link in links)
    assert len(set(links)) == len(links)
    for link in links[:8]:
        listing = page_of(flavours, name, link).listing
        offer = offer_at(flavours, name, link)
        assert listing.marketplace == name
        assert listing.external_id == str(offer.offer_id) or name == "legiit" and listing.external_id.isdigit()
        assert listing.url == link
        assert listing.title == offer.title
        assert listing.seller == offer.seller
        assert listing.price == pytest.approx(offer.price)
        assert listing.tags == list(offer.tags)
        assert listing.category == offer.category
        assert listing.description  # HTML made into text
        assert "<p>" not in listing.description and "<li>" not in listing.description
        assert listing.seller_profile_url is not None
        assert listing.seller_profile_url.startswith(f"{HOST}/{name}/")


def test_legiit_fields_come_from_next_data_json(flavours: Flavours) -> None:
    market = flavours.markets["legiit"]
    offer = next(o for o in market.offers.values() if o.reviews_count)
    page = page_of(flavours, "legiit", f"{HOST}/legiit/{offer.seller}/{offer.slug}")
    listing = page.listing
    assert listing.external_id == str(offer.offer_id)
    assert listing.rating == pytest.approx(offer.rating)
    assert listing.review_count == offer.reviews_count
    assert listing.currency == "USD"
    assert listing.seller_profile_url == f"{HOST}/legiit/{offer.seller}"
    assert page.seller.display_name == market.sellers[offer.seller].display_name


def test_peopleperhour_fields_come_from_json_ld(flavours: Flavours) -> None:
    market = flavours.markets["peopleperhour"]
    offer = next(o for o in market.offers.values() if o.reviews_count)
    listing = page_of(flavours, "peopleperhour", f"{HOST}/peopleperhour/hourlie/{offer.slug}/{offer.offer_id}").listing
    assert (listing.currency, listing.rating, listing.review_count) == ("GBP", offer.rating, offer.reviews_count)
    assert listing.seller_profile_url is not None and "/peopleperhour/freelancer/" in listing.seller_profile_url


def test_hostile_titles_are_kept_as_written(flavours: Flavours) -> None:
    """The hostile seller's titles carry markup and formulas: stored as text, exactly as the site shows them."""
    urls = {
        "seoclerks": lambda o: f"{HOST}/seoclerks/{category_path(o.category)}/{o.offer_id}/{o.slug}",
        "legiit": lambda o: f"{HOST}/legiit/{o.seller}/{o.slug}",
        "peopleperhour": lambda o: f"{HOST}/peopleperhour/hourlie/{o.slug}/{o.offer_id}",
    }
    checked = 0
    for name, url_of in urls.items():
        for offer in flavours.markets[name].offers.values():
            if "<script>" in offer.title:
                assert page_of(flavours, name, url_of(offer)).listing.title == offer.title
                checked += 1
    assert checked >= 1


def test_pagination_next_link_and_page_numbers(flavours: Flavours) -> None:
    url, html = fetch(flavours, "seoclerks", "/seoclerks/search", "query=amazon+reviews+google&page=1")
    page = ProfilePage(html, url, profile=load_profile(SHIPPED["seoclerks"]))
    assert page.next_page_url() == f"{HOST}/seoclerks/search"  # tracking-free: query dropped
    url, html = fetch(flavours, "legiit", "/legiit/search", "q=amazon+reviews&page=99")
    page = ProfilePage(html, url, profile=load_profile(SHIPPED["legiit"]))
    assert page.listing_links == [] and page.next_page_url() is None


@pytest.mark.parametrize("name", sorted(SEARCH))
def test_flavour_block_pages_are_recognised(flavours: Flavours, name: str) -> None:
    html = flavours.block_page(name).body().decode()
    page = ProfilePage(html, f"{HOST}/{name}/x", profile=load_profile(SHIPPED[name]))
    assert page.is_blocked()
    with pytest.raises(Blocked):
        page.listing  # noqa: B018
    with pytest.raises(Blocked):
        page.listing_links  # noqa: B018


# -- field sources ---------------------------------------------------------------------------------------------

PROFILE = """\
[site]
marketplace = "demo"
base_url = "https://demo.example"

[search]
url = "find?q={query}&p={page}"
links = { xpath = "//ul[@id='results']/li/a/@href" }

[listing]
id = { url = "/item/(\\\\d+)" }
title = { css = "h1::text" }
seller = { css = ".by a::text", regex = "^@(\\\\w+)$" }
price = { script = "script#state", json = "item.price.cents", type = "number" }
description = { script = "script#state", json = "item.body", html = true }
tags = { jsonld = "Product", json = "keywords.*", all = true }
rating = { jsonld = "Product", json = "aggregateRating.ratingValue", type = "number" }
review_count = { xpath = "//span[@class='count']/text()", type = "int" }

[block]
markers = ["captcha-box"]
require = { css = "body.demo" }

[seller]
url = "u/{username}"
"""

ITEM = """<html><body class="demo"><h1> A   listing </h1><p class="by"><a>@maker_1</a></p>
<span class="count">1,204 reviews</span>
<script id="state" type="application/json">{"item": {"price": {"cents": 1250}, "body": "<p>One</p><p>Two</p>"}}</script>
<script type="application/ld+json">[{"@type": "BreadcrumbList"}, {"@graph": [{"@type": ["Product", "Thing"],
 "keywords": ["a", "b"], "aggregateRating": {"ratingValue": "4.5"}}]}]</script>
<script type="application/ld+json">{broken</script></body></html>"""


def test_every_field_source() -> None:
    profile = parse_profile(PROFILE)
    listing = ProfilePage(ITEM, "https://demo.example/item/77?ref=x", profile=profile).listing
    assert listing.external_id == "77"
    assert listing.url == "https://demo.example/item/77"
    assert listing.title == "A listing"
    assert listing.seller == "maker_1"
    assert listing.price == 1250.0
    assert listing.description == "One\nTwo"
    assert listing.tags == ["a", "b"]
    assert listing.rating == 4.5
    assert listing.review_count == 1204
    assert listing.seller_profile_url == "https://demo.example/u/maker_1"
    assert listing.marketplace == "demo" and listing.kind == "gig"


def test_links_by_xpath_and_block_by_missing_required_element() -> None:
    profile = parse_profile(PROFILE)
    html = '<html><body class="demo"><ul id="results"><li><a href="/item/1?x=1">1</a></li><li><a href="/item/1">'
    page = ProfilePage(html + "</a></li><li><a href='https://evil.example/item/2'>2</a></li></ul></body></html>",
                       "https://demo.example/find?q=a", profile=profile)
    assert page.listing_links == ["https://demo.example/item/1", "https://demo.example/item/2"]
    for html in ("<html><body class='demo'>captcha-box</body></html>", "<html><body class='other'></body></html>"):
        assert ProfilePage(html, "https://demo.example/", profile=profile).is_blocked()


def test_missing_required_fields_and_broken_script_json() -> None:
    profile = parse_profile(PROFILE)
    with pytest.raises(PageError, match="no title and seller"):
        ProfilePage('<html><body class="demo"></body></html>', "https://demo.example/item/1", profile=profile).listing  # noqa: B018
    broken = ITEM.replace('{"item"', '{item')
    with pytest.raises(PageError, match="not valid JSON"):
        ProfilePage(broken, "https://demo.example/item/1", profile=profile).listing  # noqa: B018


def test_json_path_steps() -> None:
    data = {"a": [{"b": 1}, {"b": 2}], "c": {"x": {"n": 3}, "y": {"n": 4}}}
    assert list(json_path(data, "a.*.b")) == [1, 2]
    assert list(json_path(data, "a.-1.b")) == [2]
    assert list(json_path(data, "c.*.n")) == [3, 4]
    assert list(json_path(data, "a")) == [{"b": 1}, {"b": 2}]
    assert list(json_path(data, "a.5.b")) == [] and list(json_path(data, "nope.b")) == []


# -- validation ------------------------------------------------------------------------------------------------

BAD = """\
[site]
marketplace = "Bad Name"
base_url = "ftp://x"
kind = "service"

[search]
url = "https://x/search?q={query}&p={pgae}"
links = { css = "a::attr(href)", xpath = "//a/@href" }

[listing]
title = { css = "h1[" }
price = { json = "offer.price" }
colour = { css = ".c" }
"""


def test_validation_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    problems = "\n".join(error.value.problems)
    expected = {
        2: "marketplace must be a short lowercase name",
        3: "base_url must be an http(s) URL",
        4: 'kind must be "gig" or "job"',
        7: "unknown placeholder(s) pgae",
        8: "needs exactly one of css, xpath, json, url (has 2)",
        11: "bad css selector 'h1['",
        12: "a json path needs exactly one of script",
        13: "unknown field 'colour'",
    }
    for line, message in expected.items():
        assert f"{path}:{line}: " in problems and message in problems, (line, message, problems)
    assert "[listing] needs a seller field" in problems


def test_an_xpath_that_costs_the_square_of_a_page_is_refused_at_load(tmp_path: Path) -> None:
    """XPath has no time limit per page as a profile's regex has (lxml evaluates it in C, holding the GIL): a
    selector that searches the whole document for each node would take minutes on a real page, so it is refused
    when the profile is loaded, naming its line; so is an EXSLT regular expression (Python's re, no time limit)."""
    quadratic = "//*[name() = name(//*[last()])]"
    path = tmp_path / "slow.toml"
    path.write_text(PROFILE.replace("//span[@class='count']/text()", quadratic)
                    .replace('title = { css = "h1::text" }', "title = { xpath = \"//h1[re:test(., '^(a+)+$')]\" }"))
    started = time.monotonic()
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert time.monotonic() - started < 20
    problems = error.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}:11: ") and "EXSLT regular expression" in problems[0]
    assert problems[1].startswith(f"{path}:17: ") and quadratic in problems[1] and "too slow" in problems[1]
    sane = PROFILE.replace("//span[@class='count']/text()", "//div[@id='x']//span[contains(@class, 'count')][1]")
    assert parse_profile(sane).fields["review_count"].source == "xpath"


def test_a_selector_that_costs_the_cube_of_a_page_is_refused_not_run_for_minutes(tmp_path: Path) -> None:
    """A cubic selector ran on the 1500-element probe page three times over (minutes): the profile's load hung
    instead of refusing it. lxml holds the GIL: the test loads it in a process a time limit can stop."""
    cubic = "//a[. = //a[. = //a]]"
    path = tmp_path / "cubic.toml"
    path.write_text(PROFILE.replace("//span[@class='count']/text()", cubic))
    code = ("import sys\nfrom crawler.pages.profile import ProfileError, load_profile\n"
            "try:\n    load_profile(sys.argv[1])\nexcept ProfileError as exc:\n    print(exc.problems[0])\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert cubic in done.stdout and "too slow" in done.stdout, done.stdout + done.stderr


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[site]\nmarketplace = "x"\nbase_url = \n')
    with pytest.raises(ProfileError, match=r"not valid TOML: .*line 3"):
        load_profile(path)


def test_relative_urls_only_and_one_start() -> None:
    text = PROFILE.replace('url = "find?q={query}&p={page}"', 'url = "find?q={query}"\nstart_urls = ["a"]')
    with pytest.raises(ProfileError, match="exactly one of url"):
        parse_profile(text)
    profile = parse_profile(PROFILE.replace('url = "find?q={query}&p={page}"', 'start_urls = ["latest", "top"]'))
    assert isinstance(profile, Profile) and profile.start_urls == ("latest", "top")


# -- the commands ----------------------------------------------------------------------------------------------


def test_profile_check_command() -> None:
    result = runner.invoke(app, ["profile", "check", str(SHIPPED["seoclerks"])])
    assert result.exit_code == 0, result.output
    assert "marketplace seoclerks" in result.output
    assert "12 of 12 selectors not confirmed" in " ".join(result.output.split())


def test_profile_check_bad_profile_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    result = runner.invoke(app, ["profile", "check", str(path)])
    assert result.exit_code == 2
    flat = "".join(result.output.split())  # rich wraps long lines at spaces
    assert "bad.toml:11:[listing]title:badcssselector" in flat
    assert "bad.toml:2:[site]marketplacemustbe" in flat


def test_profile_test_command_on_a_saved_page(flavours: Flavours, tmp_path: Path) -> None:
    market = flavours.markets["legiit"]
    offer = next(iter(market.offers.values()))
    url, html = fetch(flavours, "legiit", f"/legiit/{offer.seller}/{offer.slug}")
    saved = tmp_path / "service.html"
    saved.write_text(html)
    result = runner.invoke(app, ["profile", "test", str(SHIPPED["legiit"]), str(saved), "--url", url, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["fields"]["title"] == offer.title
    assert found["fields"]["seller"] == offer.seller
    assert found["fields"]["price"] == offer.price
    assert found["blocked"] is False
    table = runner.invoke(app, ["profile", "test", str(SHIPPED["legiit"]), str(saved)])
    assert table.exit_code == 0 and "seller" in table.output and "listing links: 0" in table.output


def test_crawl_command_checks_profile_arguments(tmp_path: Path) -> None:
    import gigscan.commands.crawl  # noqa: F401  (registers `gigscan crawl`)

    db = str(tmp_path / "x.db")
    missing = runner.invoke(app, ["crawl", "generic", "--db", db])
    assert missing.exit_code == 2 and "needs --profile" in missing.output
    stray = runner.invoke(app, ["crawl", "fiverr", "--profile", str(SHIPPED["legiit"]), "--db", db])
    assert stray.exit_code == 2 and "goes with the generic spider" in stray.output
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    invalid = runner.invoke(app, ["crawl", "generic", "--profile", str(bad), "--db", db])
    assert invalid.exit_code == 2 and "bad.toml:7:" in "".join(invalid.output.split())
    assert not (tmp_path / "x.db").exists()
