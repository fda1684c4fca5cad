"""Fiverr page objects on the real captured pages and on block, broken, hostile pages.

Expected values were read from each page's perseus JSON and are hard-coded here as facts about those pages.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from conftest import read_page
from crawler.items import DETAIL_CARD, DETAIL_PAGE, Capture
from crawler.pages import (
    Blocked,
    FiverrGigPage,
    FiverrSearchPage,
    FiverrSellerPage,
    PageError,
    is_block_page,
    page_name,
    parse_fiverr,
    perseus_props,
)
from crawler.pages.common import (
    absolute_url,
    html_to_text,
    meta_content,
    same_host_url,
    script_text,
    unix_to_iso,
    with_query_param,
)

SSR = "fiverr/search_custom-website-development_ssr.html"
SSR_JSON = "fiverr/search_custom-website-development_perseus-initial-props.json"
WRITERS_BLOCK = "fiverr/search_writers-block_browserhtml.html"
CATEGORY = "fiverr/category_graphics-design_creative-logo-design_browserhtml.html"
TAG = "fiverr/tag-page_gigs_1000-seo-backlinks_browserhtml.html"
GIG = "fiverr/gig_vpross_create-a-top-quality-retro-vintage-logo-for-you_browserhtml.html"
SELLER = "fiverr/seller-profile_tonigdesign_browserhtml.html"
DIRECTORY = "fiverr/categories-directory_common.html"

SSR_URL = "https://www.fiverr.com/search/gigs?query=custom+website+development&page=1"
CATEGORY_URL = "https://www.fiverr.com/categories/graphics-design/creative-logo-design"
TAG_URL = "https://www.fiverr.com/gigs/1000-seo-backlinks"
GIG_URL = (
    "https://www.fiverr.com/vpross/create-a-top-quality-retro-vintage-logo-for-you"
    "?context_referrer=subcategory_listing&source=pagination&pos=8"
)
SELLER_URL = "https://www.fiverr.com/tonigdesign"
LOCAL_URL = "http://127.0.0.1:8123/search/gigs?query=x"

PRESS_AND_HOLD = """<!DOCTYPE html><html lang="en"><head><title>fiverr.com</title>
<script>window._pxAppId='PXK3bezZfO';window._pxJsClientSrc='/K3bezZfO/init.js';</script>
<script src="https://client.px-cdn.net/PXK3bezZfO/main.min.js"></script></head>
<body><div id="px-captcha"></div><p>Press &amp; Hold to confirm you are a human (and not a bot).</p>
<p>Press & Hold</p></body></html>"""


@pytest.fixture(scope="module")
def ssr_html() -> str:
    return read_page(SSR)


@pytest.fixture(scope="module")
def ssr(ssr_html: str) -> FiverrSearchPage:
    return FiverrSearchPage(ssr_html, SSR_URL)


@pytest.fixture(scope="module")
def writers_block() -> FiverrSearchPage:
    return FiverrSearchPage(
        read_page(WRITERS_BLOCK), "https://www.fiverr.com/search/gigs?query=writer%27s%20block"
    )


@pytest.fixture(scope="module")
def category() -> FiverrSearchPage:
    return FiverrSearchPage(read_page(CATEGORY), CATEGORY_URL)


@pytest.fixture(scope="module")
def tag_html() -> str:
    return read_page(TAG)


@pytest.fixture(scope="module")
def gig_html() -> str:
    return read_page(GIG)


@pytest.fixture(scope="module")
def gig(gig_html: str) -> FiverrGigPage:
    return FiverrGigPage(gig_html, GIG_URL)


@pytest.fixture(scope="module")
def seller_page() -> FiverrSellerPage:
    return FiverrSellerPage(read_page(SELLER), SELLER_URL)


def by_id(page: FiverrSearchPage | FiverrSellerPage, gig_id: str):
    [listing] = [item for item in page.listings if item.external_id == gig_id]
    return listing


def perseus_page(props: object, pagename: str | None = "search_perseus") -> str:
    meta = f'<meta name="fiverrmeta:pagename" content="{pagename}">' if pagename else ""
    script = f'<script type="application/json" id="perseus-initial-props">{json.dumps(props)}</script>'
    return f"<html><head>{meta}</head><body>{script}</body></html>"


# -- the embedded JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        (SSR, "search_perseus"),
        (WRITERS_BLOCK, "search_perseus"),
        (CATEGORY, "search_perseus"),
        (TAG, "tag_page_perseus"),
        (GIG, "gig_page_perseus"),
        (SELLER, "seller_page_perseus"),
        (DIRECTORY, "categories#index"),  # here the content attribute comes before name
    ],
)
def test_page_name_of_every_captured_page(relpath: str, expected: str) -> None:
    assert page_name(read_page(relpath)) == expected


def test_perseus_props_equal_the_json_the_scraper_dumped(ssr_html: str) -> None:
    assert perseus_props(ssr_html) == json.loads(read_page(SSR_JSON))


def test_pages_without_perseus_json_are_blocked() -> None:
    directory = read_page(DIRECTORY)
    for html in (directory, PRESS_AND_HOLD, ""):
        with pytest.raises(Blocked):
            perseus_props(html)
        with pytest.raises(Blocked):
            parse_fiverr(html, "https://www.fiverr.com/search/gigs?query=x")
        assert is_block_page(html)
        assert is_block_page(html.encode())
    with pytest.raises(Blocked, match="Press & Hold"):
        FiverrSearchPage(PRESS_AND_HOLD, "https://www.fiverr.com/search/gigs?query=x")


def test_real_pages_are_not_block_pages(ssr_html: str, gig_html: str) -> None:
    assert not is_block_page(ssr_html.encode())
    assert not is_block_page(gig_html)


def test_a_mention_of_the_id_outside_the_script_tag_is_not_the_json() -> None:
    html = "<script>JSON.parse(document.querySelector('#perseus-initial-props').textContent)</script>"
    assert is_block_page(html)
    with pytest.raises(Blocked):
        perseus_props(html)


def test_broken_json_is_a_page_error_not_a_block() -> None:
    broken = '<script type="application/json" id="perseus-initial-props">{"listings": [{"gigs": [</script>'
    with pytest.raises(PageError, match="not valid JSON"):
        perseus_props(broken)
    with pytest.raises(PageError):
        parse_fiverr(broken, SSR_URL)
    with pytest.raises(PageError, match="not an object"):
        perseus_props('<script id="perseus-initial-props" type="application/json">[1, 2]</script>')
    assert issubclass(PageError, ValueError)


def test_attribute_order_quotes_and_case_may_vary() -> None:
    html = "<SCRIPT id='perseus-initial-props' type=application/json >" + '{"numOfGigs": 3}</Script>'
    assert perseus_props(html) == {"numOfGigs": 3}


# -- search, category and tag pages -------------------------------------------------------------------------


def test_ssr_search_page_totals_and_pagination(ssr: FiverrSearchPage) -> None:
    assert ssr.flow == "search"
    assert ssr.query == "custom website development"
    assert (ssr.num_found, ssr.has_more, ssr.page, ssr.page_size) == (215759, True, 1, 48)
    assert ssr.next_page_url() == "https://www.fiverr.com/search/gigs?query=custom+website+development&page=2"


def test_ssr_search_page_dedupes_promoted_duplicates(ssr: FiverrSearchPage) -> None:
    # 48 slots, three gigs twice (a promoted and an organic slot): 414925957, 384419107, 450891313
    ids = [listing.external_id for listing in ssr.listings]
    assert len(ids) == 45 == len(set(ids))
    assert ids[:3] == ["384419107", "414925957", "210689906"]
    assert ssr.skipped == 0
    twice = by_id(ssr, "414925957")
    assert twice.extra["positions"] == [1, 5]
    assert twice.extra["pos"] == 5  # the organic slot's data are kept
    assert twice.extra["is_promoted"] is True
    assert twice.extra["slot_type"] is None


def test_ssr_search_page_listing_fields(ssr: FiverrSearchPage) -> None:
    listing = by_id(ssr, "414925957")
    assert listing.marketplace == "fiverr"
    assert listing.seller == "web_safari"
    assert listing.title == "do custom website development as full stack developer, front end developer"
    assert listing.url == (
        "https://www.fiverr.com/web_safari/"
        "do-custom-website-development-as-full-stack-developer-front-end-developer"
    )
    assert listing.seller_profile_url == "https://www.fiverr.com/web_safari"
    assert (listing.price, listing.currency, listing.rating, listing.review_count) == (100.0, "USD", 5.0, 245)
    assert (listing.detail, listing.source, listing.kind) == (DETAIL_CARD, "search", "gig")
    assert listing.extra["seller_display_name"] == "Joni H"
    assert listing.extra["seller_country"] == "BD"
    assert listing.extra["seller_level"] == "level_two_seller"
    assert listing.extra["nested_sub_category_id"] == 2617
    # price_i is in dollars, not cents
    assert by_id(ssr, "210689906").price == 775.0
    assert by_id(ssr, "155121960").extra["slot_type"] == "pro"
    assert by_id(ssr, "155121960").extra["is_promoted"] is False
    assert all("?" not in item.url and item.detail == DETAIL_CARD for item in ssr.listings)


def test_ssr_search_page_sellers(ssr: FiverrSearchPage) -> None:
    # 45 distinct sellers: code_minds, web_safari and nexoly18 fill two slots each, with the same gig
    assert len(ssr.sellers) == 45
    names = [seller.username for seller in ssr.sellers]
    assert len(names) == len(set(names))
    code_minds = ssr.sellers[0]
    assert code_minds.username == "code_minds"
    assert code_minds.display_name == "Sahinur"
    assert code_minds.profile_url == "https://www.fiverr.com/code_minds"
    assert (code_minds.country, code_minds.level) == ("BD", "top_rated_seller")
    # the seller's rating over all gigs, not this gig's (618 reviews)
    assert (code_minds.rating, code_minds.review_count) == (5.0, 619)


def test_writers_block_is_a_single_page(writers_block: FiverrSearchPage) -> None:
    assert writers_block.query == "writer's block"
    assert (writers_block.num_found, writers_block.has_more) == (27, False)
    assert writers_block.next_page_url() is None
    assert len(writers_block.listings) == 26  # 27 slots, gig 446457949 twice
    assert by_id(writers_block, "446457949").extra["positions"] == [0, 5]
    assert len(writers_block.sellers) == 24
    alice = by_id(writers_block, "194903335")
    assert (alice.seller, alice.title) == ("aliceiza", "help you get over writers block")
    assert (alice.price, alice.rating, alice.review_count) == (40.0, 4.7, 19)
    assert alice.extra["seller_country"] == "RO"
    # one card has no seller_display_name and an empty seller_level: None, not an error
    no_name = by_id(writers_block, "166344500")
    assert no_name.seller == "mragonrider"
    assert no_name.extra["seller_display_name"] is None
    assert no_name.extra["seller_level"] is None


def test_category_page(category: FiverrSearchPage) -> None:
    assert category.flow == "category"
    assert category.query is None
    assert (category.num_found, category.has_more) == (215797, True)
    assert len(category.listings) == 44  # 48 slots, four gigs twice
    first = category.listings[0]
    assert (first.external_id, first.seller, first.title) == (
        "69345221",
        "camilozuluagaf",
        "design a professional and beautiful logo",
    )
    assert (first.price, first.rating, first.review_count) == (75.0, 4.8, 5538)
    assert first.extra["is_promoted"] is True
    assert category.next_page_url() == CATEGORY_URL + "?page=2"


def test_tag_page(tag_html: str) -> None:
    tag = FiverrSearchPage(tag_html, TAG_URL)
    assert (tag.flow, tag.tag, tag.query) == ("tag", "1000-seo-backlinks", None)
    assert (tag.num_found, tag.page, tag.page_size, tag.has_more) == (1779, 1, 48, True)
    assert tag.next_page_url() == TAG_URL + "?page=2"
    assert len(tag.listings) == 48
    assert len(tag.sellers) == 47  # muneeb_seo5 has two gigs here
    first = tag.listings[0]
    assert (first.external_id, first.seller, first.price) == ("374638030", "arham1_seo", 5.0)
    assert (first.rating, first.review_count) == (4.8, 431)
    assert (
        first.url == "https://www.fiverr.com/arham1_seo/create-1000-seo-dofollow-backlinks-for-google-ranking"
    )
    # the page number comes from the URL on tag pages: 37 * 48 = 1776 < 1779 < 38 * 48
    assert FiverrSearchPage(tag_html, TAG_URL + "?page=37").next_page_url() == TAG_URL + "?page=38"
    assert FiverrSearchPage(tag_html, TAG_URL + "?page=38").has_more is False


def test_search_page_on_another_host(ssr_html: str) -> None:
    page = FiverrSearchPage(ssr_html, LOCAL_URL)
    assert {urlsplit(item.url).netloc for item in page.listings} == {"127.0.0.1:8123"}
    assert by_id(page, "414925957").url.startswith("http://127.0.0.1:8123/web_safari/do-custom-website")
    assert {urlsplit(seller.profile_url).netloc for seller in page.sellers} == {"127.0.0.1:8123"}
    assert page.next_page_url() == "http://127.0.0.1:8123/search/gigs?query=x&page=2"


def test_capture_is_attached_to_every_item(ssr_html: str) -> None:
    capture = Capture(url=SSR_URL, status=200, headers={}, body=b"x", fetched_at="2026-01-15T00:00:00Z")
    page = FiverrSearchPage(ssr_html, SSR_URL, capture)
    assert all(item.capture is capture for item in [*page.listings, *page.sellers])


# -- gig page -----------------------------------------------------------------------------------------------


def test_gig_page_listing(gig: FiverrGigPage) -> None:
    listing = gig.listing
    assert (listing.external_id, listing.seller) == ("299899837", "vpross")
    assert listing.title == "create a top quality retro vintage logo for you"
    assert listing.url == "https://www.fiverr.com/vpross/create-a-top-quality-retro-vintage-logo-for-you"
    assert listing.seller_profile_url == "https://www.fiverr.com/vpross"
    assert (listing.detail, listing.source) == (DETAIL_PAGE, "gig")
    assert listing.price == 10.0  # the Basic package: 1000 cents
    assert [package["price"] for package in listing.extra["packages"]] == [10.0, 25.0, 60.0]
    assert listing.extra["packages"][0]["duration_hours"] == 48
    assert (listing.rating, listing.review_count) == (4.8, 73)
    assert listing.tags == ["badge logo", "logo design", "hipster", "retro logo", "vintage logo"]
    assert listing.category == "Graphics & Design > Logo Design"
    assert listing.extra["faq"] == []
    assert listing.extra["seller_level"] == "level_one_seller"


def test_gig_page_description_is_readable_text(gig: FiverrGigPage) -> None:
    text = gig.listing.description
    assert text.startswith("Hello, Greetings.\n\nWelcome To my Retro Vintage Logo Design\n")
    # inline markup does not split phrases; list items are lines; &nbsp; is a space; no tags remain
    assert "Here you will get Hand drawn Retro Vintage Logo that you will love, that's my promise." in text
    assert "\n100% money-back policy if not satisfied\n" in text
    assert "<" not in text and "\xa0" not in text and "\n\n\n" not in text
    assert gig.listing.extra["description_html"].startswith("<p>Hello, Greetings.</p><p><br></p>")


def test_gig_page_seller(gig: FiverrGigPage) -> None:
    seller = gig.seller
    assert seller is not None
    assert (seller.username, seller.display_name, seller.country) == ("vpross", "Dharmishtha A", "IN")
    assert seller.level == "level_one_seller"  # sellerLevel LEVEL_ONE, in the cards' spelling
    assert seller.member_since == "2021-04-21T13:57:11Z"  # joinedAt / memberSince 1619013431
    assert (seller.rating, seller.review_count) == (4.7, 99)
    assert seller.profile_url == "https://www.fiverr.com/vpross"
    assert seller.description is not None and seller.description.startswith("Professional Designer/Artist")


def test_gig_page_on_another_host(gig_html: str) -> None:
    page = FiverrGigPage(
        gig_html, "http://127.0.0.1:8123/vpross/create-a-top-quality-retro-vintage-logo-for-you"
    )
    assert page.listing.url == "http://127.0.0.1:8123/vpross/create-a-top-quality-retro-vintage-logo-for-you"
    assert page.seller is not None and page.seller.profile_url == "http://127.0.0.1:8123/vpross"


# -- seller page --------------------------------------------------------------------------------------------


def test_seller_page(seller_page: FiverrSellerPage) -> None:
    seller = seller_page.seller
    assert (seller.username, seller.display_name, seller.country) == ("tonigdesign", "Toni G.", "HR")
    assert seller.level == "level_one_seller"
    assert seller.member_since == "2019-06-11T09:32:04Z"
    assert (seller.rating, seller.review_count) == (5.0, 838)
    assert seller.description is not None
    one_liner = "Logo and Visual Identity Designer, Shaping Unique Brand Stories"
    assert seller.description.startswith(one_liner + "\n\n")
    assert "I’m Toni, a logo and visual identity designer based in Split, Croatia." in seller.description
    [listing] = seller_page.listings
    assert (listing.external_id, listing.title) == ("130458641", "design your business logo and branding")
    assert listing.url == "https://www.fiverr.com/tonigdesign/design-your-business-logo-and-branding"
    assert (listing.price, listing.rating, listing.review_count) == (280.0, 5.0, 836)
    assert (listing.source, listing.detail) == ("seller", DETAIL_CARD)
    assert [s.username for s in seller_page.sellers] == ["tonigdesign"]


# -- dispatch -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relpath", "url", "page_class"),
    [
        (SSR, SSR_URL, FiverrSearchPage),
        (CATEGORY, CATEGORY_URL, FiverrSearchPage),
        (TAG, TAG_URL, FiverrSearchPage),
        (GIG, GIG_URL, FiverrGigPage),
        (SELLER, SELLER_URL, FiverrSellerPage),
    ],
)
def test_parse_fiverr_dispatches_with_and_without_pagename(relpath: str, url: str, page_class: type) -> None:
    html = read_page(relpath)
    assert type(parse_fiverr(html, url)) is page_class
    name = page_name(html)
    assert name is not None
    anonymous = html.replace(name, "renamed_page")
    assert page_name(anonymous) == "renamed_page"
    assert type(parse_fiverr(anonymous, url)) is page_class


def test_parse_fiverr_rejects_unknown_json() -> None:
    with pytest.raises(PageError, match="unknown Fiverr page type"):
        parse_fiverr(perseus_page({"rollouts": {}}, pagename=None), SSR_URL)


# -- hostile pages ------------------------------------------------------------------------------------------


def test_hostile_cards_are_skipped_and_counted() -> None:
    cards = [
        {"gig_id": 1, "seller_name": "alice", "gig_url": "/alice/one", "price_i": "12", "title": ["x"]},
        {"title": "no id", "seller_name": "bob", "gig_url": "/bob/x"},
        "not a card",
        None,
        {"gig_id": {"$ne": 1}, "seller_name": "eve"},
        {"gig_id": 2, "gig_url": "javascript:alert(1)", "seller_name": "mallory"},
        {"gig_id": 3, "gig_url": "/carol/three", "buying_review_rating": "NaN", "seller_rating": [1]},
        {"gig_id": 4, "seller_name": "dave", "cached_slug": "four", "pos": "7", "seller_level": 5},
        {"gig_id": 5, "gig_url": "https://evil.example/erin/five?x=1", "seller_url": "//evil.example/erin"},
    ]
    props = {"listings": {"not": "a list"}, "items": cards, "rawListingData": {"num_found": "many"}}
    page = parse_fiverr(perseus_page(props), "https://www.fiverr.com/search/gigs?query=x")
    assert isinstance(page, FiverrSearchPage)
    assert [item.external_id for item in page.listings] == ["1", "3", "4", "5"]
    assert page.skipped == 5
    one, three, four, five = page.listings
    assert (one.price, one.title) == (12.0, "")
    assert (three.seller, three.rating) == ("carol", None)  # seller from the gig URL; NaN is no rating
    assert four.url == "https://www.fiverr.com/dave/four"
    assert (four.extra["pos"], four.extra["seller_level"]) == (7, "5")
    # links in the JSON never lead off the page's host
    assert (five.seller, five.url) == ("erin", "https://www.fiverr.com/erin/five")
    assert five.seller_profile_url == "https://www.fiverr.com/erin"
    assert (page.num_found, page.has_more, page.next_page_url()) == (None, False, None)
    assert [seller.username for seller in page.sellers] == ["alice", "carol", "dave", "erin"]


def test_hostile_gig_and_seller_pages_fail_clearly() -> None:
    gig = FiverrGigPage(perseus_page({"general": "x", "packages": [1], "overview": {"gig": 5}}), GIG_URL)
    with pytest.raises(PageError, match="gigId"):
        _ = gig.listing
    assert gig.seller is None
    sparse = FiverrGigPage(
        perseus_page(
            {"general": {"gigId": 9}, "overview": {"seller": {"username": "zed"}}, "packages": None}
        ),
        GIG_URL,
    )
    listing = sparse.listing
    assert (listing.external_id, listing.seller, listing.title, listing.description) == ("9", "zed", "", "")
    assert (listing.price, listing.rating, listing.tags, listing.category) == (None, None, [], None)
    with pytest.raises(PageError, match="seller"):
        _ = FiverrSellerPage(perseus_page({"seller": [], "gigsData": "x"}), SELLER_URL).seller


# -- shared helpers -----------------------------------------------------------------------------------------


def test_html_to_text() -> None:
    html = "<p>Buy <b>5-star</b> reviews&nbsp;now</p><p><br></p><ul><li>one</li><li>two</li></ul>"
    html += "a<br>b<!--x-->c"
    assert html_to_text(html) == "Buy 5-star reviews now\n\none\ntwo\na\nbc"
    assert html_to_text("<script>alert(1)</script>safe") == "safe"
    assert html_to_text(None) == "" and html_to_text("   ") == ""


def test_small_helpers() -> None:
    assert meta_content('<meta content="a&amp;b" name="x:y">', "x:y") == "a&b"
    assert meta_content("<meta name='x:y'>", "x:y") is None
    assert meta_content('<p>x:y</p><meta property="x:y" content=z>', "x:y") == "z"
    assert script_text('<script id="data">{"a": 1}</script>', "data") == '{"a": 1}'
    assert script_text('<script id="data-2">{}</script>', "data") is None
    assert unix_to_iso(1619013431) == "2021-04-21T13:57:11Z"
    assert unix_to_iso("soon") is None and unix_to_iso(10**20) is None and unix_to_iso(True) is None
    assert absolute_url("https://www.fiverr.com/search", "/a/b?pos=1#x") == "https://www.fiverr.com/a/b"
    assert absolute_url("https://www.fiverr.com/", "javascript:alert(1)") is None
    assert (
        same_host_url("http://127.0.0.1:8123/s?q=x", "https://www.fiverr.com/a/b?pos=1")
        == "http://127.0.0.1:8123/a/b"
    )
    assert same_host_url("http://127.0.0.1:8123/", "data:text/html,x") is None
    assert with_query_param("http://h/s?query=a+b&page=2", "page", 3) == "http://h/s?query=a+b&page=3"


def test_half_a_utf16_pair_in_the_json_is_mended_and_stored(tmp_path) -> None:
    """A card whose JSON escapes a lone surrogate ("\\ud800") failed the page (UnicodeEncodeError building its
    URL: the page's other listings were lost) and could not be stored (SQLite cannot encode it). The text read
    from the JSON is mended to U+FFFD; the listings store."""
    from crawler.pipelines import as_record
    from db import Store

    cards = [{"gig_id": 1, "seller_name": "al\ud800ice", "gig_url": "/al/one", "title": "buy \udfff reviews"},
             {"gig_id": 2, "seller_name": "bob", "gig_url": "/bob/two", "title": "logo"}]
    page = parse_fiverr(perseus_page({"items": cards}), "https://www.fiverr.com/search/gigs?query=x")
    one, two = page.listings
    assert (one.seller, one.title) == ("al\ufffdice", "buy \ufffd reviews")
    capture = Capture(url="https://www.fiverr.com/search/gigs?query=x", status=200, headers={}, body=b"<html>",
                      fetched_at="2026-01-01T00:00:00Z")
    with Store(tmp_path / "gigscan.db") as store:
        run = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        one.capture = two.capture = capture
        store.record_batch(run, [as_record(one), as_record(two)])
        titles = [row[0] for row in store.conn.execute("SELECT title FROM listings ORDER BY external_id")]
        assert titles == ["buy \ufffd reviews", "logo"]
        assert store.verify().ok
