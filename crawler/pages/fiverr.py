"""Fiverr page objects: a saved or downloaded Fiverr page in, `Listing` and `Seller` items out. No network.

Every Fiverr page worth reading ("perseus" pages) embeds its whole state as JSON in
``<script type="application/json" id="perseus-initial-props">``; the HTML around it is rendering with hashed
class names, so only that JSON is read. A page without it is a block page (PerimeterX "Press & Hold") or not a
listing page at all, and raises `Blocked`: never mistake it for an empty result.

Paths and units are documented, with evidence, in ``shared/data/pages/STRUCTURE.md`` section 1. The traps:
card prices (``price_i``) are whole dollars but gig-page package prices are cents; a gig can fill a promoted
and an organic slot on the same search page; cards and profiles spell seller levels differently.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlsplit

from crawler.items import DETAIL_CARD, DETAIL_PAGE, Capture, Listing, Seller
from crawler.pages.common import (
    Blocked,
    PageError,
    as_float,
    as_int,
    as_list,
    as_str,
    dig,
    first,
    html_to_text,
    json_script,
    meta_content,
    query_param,
    same_host_url,
    script_text,
    strip_query,
    unix_to_iso,
    with_query_param,
)
from crawler.pages.fiverr_reviews import gig_review_set, profile_review_sets
from db.buyer_records import ReviewSet

__all__ = [
    "Blocked",
    "FiverrGigPage",
    "FiverrPage",
    "FiverrSearchPage",
    "FiverrSellerPage",
    "PageError",
    "is_block_page",
    "page_name",
    "parse_fiverr",
    "perseus_props",
    "seller_level",
]

MARKETPLACE = "fiverr"
PAGE_SIZE = 48  # listingAttributes.pageSize on every captured listing page; tag pages do not say
PERSEUS_ID = "perseus-initial-props"
PAGENAME_META = "fiverrmeta:pagename"
PROMOTED_SLOT = "promoted_gigs"

# Profiles say "LEVEL_ONE", cards say "level_one_seller": store one spelling (the cards'), so a seller's level
# does not seem to change with the page it was read from. Unknown values are kept as they are.
_PROFILE_LEVELS = {
    "LEVEL_ONE": "level_one_seller",
    "LEVEL_TWO": "level_two_seller",
    "LEVEL_TRS": "top_rated_seller",
    "TOP_RATED": "top_rated_seller",
}


# -- the embedded JSON -------------------------------------------------------------------------------------


def page_name(html: str) -> str | None:
    """The page type Fiverr announces in ``<meta name="fiverrmeta:pagename">`` (e.g. ``gig_page_perseus``)."""
    return meta_content(html, PAGENAME_META)


def perseus_props(html: str) -> dict[str, Any]:
    """The page's perseus JSON. `Blocked` when the page has none, `PageError` when it is not a JSON object."""
    props = json_script(html, PERSEUS_ID)
    if props is None:
        challenge = "Press & Hold" in html or "px-captcha" in html
        raise Blocked(
            f"no #{PERSEUS_ID} JSON" + (" (PerimeterX 'Press & Hold' challenge)" if challenge else "")
        )
    if not isinstance(props, dict):
        raise PageError(f"#{PERSEUS_ID} holds a JSON {type(props).__name__}, not an object")
    return props


def is_block_page(page: str | bytes) -> bool:
    """True when the page has no perseus JSON: retry it, don't parse it (for the block middleware)."""
    # latin-1 never fails and is 10x faster than utf-8 on 2 MB; the tag and its id are ASCII either way
    text = page.decode("latin-1") if isinstance(page, bytes) else page
    return script_text(text, PERSEUS_ID) is None


def seller_level(value: Any) -> str | None:
    """A seller level in the cards' spelling (``level_one_seller``, ``top_rated_seller``...), or None."""
    level = as_str(value)
    return _PROFILE_LEVELS.get(level.upper(), level) if level else None


def _currency(props: dict[str, Any]) -> str:
    return as_str(dig(props, "currency", "name")) or "USD"


def _profile_url(page_url: str, href: Any, username: str) -> str:
    return same_host_url(page_url, href) or same_host_url(page_url, quote(username, safe="")) or page_url


# -- gig cards (search, category, tag and seller pages) ----------------------------------------------------


def _is_promoted(card: dict[str, Any]) -> bool:
    return card.get("type") == PROMOTED_SLOT or isinstance(card.get("auction"), dict)


def _card_listing(
    gig_id: str,
    slots: list[dict[str, Any]],
    page_url: str,
    source: str,
    currency: str,
    capture: Capture | None,
) -> Listing | None:
    """One listing for all the slots a gig fills on the page; its data come from the organic slot if any."""
    card = next((slot for slot in slots if not _is_promoted(slot)), slots[0])
    gig_href = as_str(card.get("gig_url"))
    seller = as_str(card.get("seller_name"))
    if seller is None and (gig_link := same_host_url(page_url, gig_href)):
        seller = as_str(urlsplit(gig_link).path.split("/")[1])
    slug = as_str(card.get("cached_slug"))
    url = same_host_url(
        page_url, gig_href or (f"/{quote(seller, safe='')}/{quote(slug)}" if seller and slug else None)
    )
    if seller is None or url is None:
        return None
    positions = [pos for pos in (as_int(slot.get("pos")) for slot in slots) if pos is not None]
    return Listing(
        marketplace=MARKETPLACE,
        external_id=gig_id,
        url=url,
        seller=seller,
        title=as_str(card.get("title")) or "",
        price=as_float(first(card.get("price_i"), dig(card, "packages", "recommended", "price"))),
        currency=currency,
        rating=as_float(card.get("buying_review_rating")),
        review_count=as_int(card.get("buying_review_rating_count")),
        detail=DETAIL_CARD,
        source=source,
        seller_profile_url=_profile_url(page_url, card.get("seller_url"), seller),
        extra={
            "seller_id": as_str(first(card.get("seller_id"), card.get("sellerId"))),
            "seller_display_name": as_str(card.get("seller_display_name")),
            "seller_country": as_str(card.get("seller_country")),
            "seller_level": seller_level(card.get("seller_level")),
            "seller_rating": as_float(dig(card, "seller_rating", "score")),
            "seller_rating_count": as_int(dig(card, "seller_rating", "count")),
            "is_promoted": any(_is_promoted(slot) for slot in slots),
            "pos": as_int(card.get("pos")),
            "positions": positions,
            "slot_type": as_str(card.get("type")),
            "slug": slug,
            "category_id": as_int(card.get("category_id")),
            "sub_category_id": as_int(card.get("sub_category_id")),
            "nested_sub_category_id": as_int(card.get("nested_sub_category_id")),
        },
        capture=capture,
    )


def _card_listings(
    cards: list[Any], page_url: str, source: str, currency: str, capture: Capture | None
) -> tuple[list[Listing], int]:
    """Listings deduplicated by gig id, in order of first appearance, and the number of unusable cards."""
    slots_by_gig: dict[str, list[dict[str, Any]]] = {}
    skipped = 0
    for card in cards:
        gig_id = as_str(first(dig(card, "gig_id"), dig(card, "gigId")))
        if gig_id is None:
            skipped += 1
            continue
        slots_by_gig.setdefault(gig_id, []).append(card)
    listings = []
    for gig_id, slots in slots_by_gig.items():
        listing = _card_listing(gig_id, slots, page_url, source, currency, capture)
        if listing is None:
            skipped += len(slots)
        else:
            listings.append(listing)
    return listings, skipped


def _card_sellers(listings: list[Listing], capture: Capture | None) -> list[Seller]:
    """One `Seller` per distinct seller of the listings, from the seller fields their cards carry."""
    sellers: dict[str, Seller] = {}
    for listing in listings:
        key = listing.seller.casefold()
        if key not in sellers:
            extra = listing.extra
            sellers[key] = Seller(
                marketplace=MARKETPLACE,
                username=listing.seller,
                profile_url=listing.seller_profile_url or listing.url,
                display_name=extra["seller_display_name"],
                country=extra["seller_country"],
                level=extra["seller_level"],
                rating=extra["seller_rating"],
                review_count=extra["seller_rating_count"],
                capture=capture,
            )
    return list(sellers.values())


# -- page objects ------------------------------------------------------------------------------------------


class _FiverrPage:
    """A parsed perseus page. Pass ``props`` when the JSON was already parsed (`parse_fiverr` does)."""

    def __init__(
        self, html: str, url: str, capture: Capture | None = None, *, props: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.capture = capture
        self.props = perseus_props(html) if props is None else props

    @property
    def currency(self) -> str:
        return _currency(self.props)


class _CardsPage(_FiverrPage, ABC):
    """A page whose gigs come as cards: ``listings`` (deduplicated), ``sellers`` and ``skipped``."""

    source = "search"

    @abstractmethod
    def _cards(self) -> list[Any]:
        """The raw card objects of the page's JSON, in page order."""

    @cached_property
    def _parsed(self) -> tuple[list[Listing], int]:
        return _card_listings(self._cards(), self.url, self.source, self.currency, self.capture)

    @property
    def listings(self) -> list[Listing]:
        return self._parsed[0]

    @property
    def skipped(self) -> int:
        """Cards that could not become a listing (no gig id, no seller or link): for the crawl's stats."""
        return self._parsed[1]

    @cached_property
    def sellers(self) -> list[Seller]:
        return _card_sellers(self.listings, self.capture)


class FiverrSearchPage(_CardsPage):
    """Search results (``/search/gigs?query=``), category listings and tag pages (``/gigs/<tag>``)."""

    @property
    def flow(self) -> str:
        """``search``, ``category`` or ``tag``."""
        if "numOfGigs" in self.props or dig(self.props, "classification", "type") == "TAG_PAGE":
            return "tag"
        return as_str(self.props.get("flow")) or "search"

    def _cards(self) -> list[Any]:
        if self.flow == "tag":
            return as_list(self.props.get("gigs"))
        cards = [
            card for block in as_list(self.props.get("listings")) for card in as_list(dig(block, "gigs"))
        ]
        return cards or as_list(self.props.get("items"))

    @property
    def query(self) -> str | None:
        return as_str(first(dig(self.props, "listingAttributes", "query"), self.props.get("listingQuery")))

    @property
    def tag(self) -> str | None:
        """The tag slug of a tag page (``1000-seo-backlinks``)."""
        return as_str(self.props.get("slug")) if self.flow == "tag" else None

    @property
    def num_found(self) -> int | None:
        """How many gigs match in all (not only on this page)."""
        if self.flow == "tag":
            return as_int(self.props.get("numOfGigs"))
        return as_int(
            first(
                dig(self.props, "rawListingData", "num_found"),
                dig(self.props, "appData", "pagination", "total"),
            )
        )

    @property
    def page(self) -> int:
        number = as_int(
            first(
                dig(self.props, "listingAttributes", "page"),
                dig(self.props, "appData", "pagination", "page"),
                query_param(self.url, "page"),
            )
        )
        return number if number and number > 0 else 1

    @property
    def page_size(self) -> int:
        size = as_int(
            first(
                dig(self.props, "listingAttributes", "pageSize"),
                dig(self.props, "appData", "pagination", "page_size"),
            )
        )
        return size if size and size > 0 else PAGE_SIZE

    @property
    def has_more(self) -> bool:
        total = self.num_found
        if total is not None and self.page * self.page_size >= total:
            return False
        flag = dig(self.props, "rawListingData", "has_more")
        if self.flow != "tag" and isinstance(flag, bool):
            return flag
        return total is not None

    def next_page_url(self) -> str | None:
        """This page's URL with ``page=N+1``, or None on the last page."""
        return with_query_param(self.url, "page", self.page + 1) if self.has_more else None


class FiverrSellerPage(_CardsPage):
    """A seller's profile (``/<username>``): the seller and the gigs on the profile."""

    source = "seller"

    def _cards(self) -> list[Any]:
        return as_list(self.props.get("gigsData"))

    @cached_property
    def seller(self) -> Seller:
        seller = _profile_seller(self.props, self.url, self.capture)
        if seller is None:
            raise PageError("seller page without seller.user.name")
        return seller

    @cached_property
    def review_sets(self) -> list[ReviewSet]:
        """Buyers' reviews of this seller, and the seller's reviews as a buyer (``reviewsData``)."""
        return profile_review_sets(self.props, MARKETPLACE, self.seller.username, strip_query(self.url), self.capture)


class FiverrGigPage(_FiverrPage):
    """A gig page (``/<username>/<slug>``): the full listing and its seller."""

    @cached_property
    def listing(self) -> Listing:
        props = self.props
        gig_id = as_str(
            first(
                dig(props, "general", "gigId"),
                dig(props, "overview", "gig", "id"),
                dig(props, "topNav", "gigId"),
            )
        )
        seller = self._seller_name
        if gig_id is None or seller is None:
            raise PageError("gig page without general.gigId or a seller username")
        description_html = as_str(dig(props, "description", "content"))
        url = strip_query(self.url)
        return Listing(
            marketplace=MARKETPLACE,
            external_id=gig_id,
            url=url,
            seller=seller,
            title=as_str(first(dig(props, "overview", "gig", "title"), dig(props, "general", "gigTitle")))
            or "",
            description=html_to_text(description_html),
            tags=[
                name
                for tag in as_list(dig(props, "tags", "tagsGigList"))
                if (name := as_str(dig(tag, "name")))
            ],
            category=self._category,
            price=self._min_price,
            currency=self.currency,
            rating=as_float(dig(props, "overview", "gig", "rating")),
            review_count=as_int(dig(props, "overview", "gig", "ratingsCount")),
            detail=DETAIL_PAGE,
            source="gig",
            seller_profile_url=_profile_url(url, None, seller),
            extra={
                "description_html": description_html,
                "seller_id": as_str(
                    first(dig(props, "general", "sellerId"), dig(props, "overview", "seller", "id"))
                ),
                "seller_country": as_str(dig(props, "overview", "seller", "countryCode")),
                "seller_level": seller_level(dig(props, "seller", "sellerLevel")),
                "gig_status": as_str(dig(props, "general", "gigStatus")),
                "category_id": as_int(dig(props, "general", "categoryId")),
                "sub_category_id": as_int(dig(props, "general", "subCategoryId")),
                "nested_sub_category_id": as_int(dig(props, "general", "nestedSubCategoryId")),
                "orders_in_queue": as_int(dig(props, "overview", "gig", "ordersInQueue")),
                "packages": self._packages,
                "faq": [
                    {"question": as_str(dig(qa, "question")), "answer": as_str(dig(qa, "answer"))}
                    for qa in as_list(dig(props, "faq", "questionsAndAnswers"))
                ],
            },
            capture=self.capture,
        )

    @cached_property
    def seller(self) -> Seller | None:
        return _profile_seller(self.props, self.url, self.capture)

    @cached_property
    def reviews(self) -> ReviewSet | None:
        """The buyers' reviews the page embeds (``reviews``), with the total it states; None without the block."""
        listing = self.listing
        return gig_review_set(self.props, MARKETPLACE, listing.seller, listing.external_id, listing.url, self.capture)

    @property
    def _seller_name(self) -> str | None:
        return as_str(
            first(
                dig(self.props, "overview", "seller", "username"),
                dig(self.props, "seller", "user", "name"),
                dig(self.props, "topNav", "sellerName"),
            )
        )

    @property
    def _category(self) -> str | None:
        """``Graphics & Design > Logo Design`` (and the nested subcategory when there is one)."""
        cats = dig(self.props, "overview", "categories")
        names = [
            as_str(dig(cats, level, "name")) for level in ("category", "subCategory", "nestedSubCategory")
        ]
        if not any(names):
            names = [as_str(dig(self.props, "general", key)) for key in ("categoryName", "subCategoryName")]
        return " > ".join(name for name in names if name) or None

    @property
    def _packages(self) -> list[dict[str, Any]]:
        """The packages, prices in dollars (the page has cents), durations in hours (as the page has)."""
        packages = []
        for package in as_list(dig(self.props, "packages", "packageList")):
            cents = as_int(dig(package, "price"))
            packages.append(
                {
                    "id": as_int(dig(package, "id")),
                    "title": as_str(dig(package, "title")),
                    "description": as_str(dig(package, "description")),
                    "price": cents / 100 if cents is not None else None,
                    "duration_hours": as_int(dig(package, "duration")),
                }
            )
        return packages

    @property
    def _min_price(self) -> float | None:
        prices = [p["price"] for p in self._packages if p["price"] is not None and p["price"] >= 0]
        if prices:
            return min(prices)
        cents = as_int(dig(self.props, "openGraph", "price"))
        return cents / 100 if cents is not None else None


def _profile_seller(props: dict[str, Any], page_url: str, capture: Capture | None) -> Seller | None:
    """The seller of a gig or profile page: ``seller.user``, else ``sellerCard`` / ``overview.seller``."""
    block = props.get("seller")
    user = dig(block, "user")
    card = props.get("sellerCard")
    overview = dig(props, "overview", "seller")
    username = as_str(first(dig(user, "name"), dig(overview, "username"), dig(props, "topNav", "sellerName")))
    if username is None:
        return None
    about = [
        as_str(dig(block, "oneLinerTitle")),
        as_str(first(dig(block, "description"), dig(card, "description"))),
    ]
    return Seller(
        marketplace=MARKETPLACE,
        username=username,
        profile_url=_profile_url(page_url, "/" + quote(username, safe=""), username),
        display_name=as_str(first(dig(user, "profile", "displayName"), dig(user, "fullName"))),
        country=as_str(
            first(dig(user, "address", "countryCode"), dig(card, "countryCode"), dig(overview, "countryCode"))
        ),
        level=seller_level(dig(block, "sellerLevel")),
        member_since=unix_to_iso(first(dig(card, "memberSince"), dig(user, "joinedAt"))),
        rating=as_float(first(dig(block, "rating", "score"), dig(card, "rating"))),
        review_count=as_int(first(dig(block, "rating", "count"), dig(card, "ratingsCount"))),
        description="\n\n".join(text for text in about if text) or None,
        capture=capture,
    )


# -- dispatch ----------------------------------------------------------------------------------------------

FiverrPage = FiverrSearchPage | FiverrGigPage | FiverrSellerPage

_BY_PAGE_NAME: dict[str, type[FiverrPage]] = {
    "search_perseus": FiverrSearchPage,
    "tag_page_perseus": FiverrSearchPage,
    "gig_page_perseus": FiverrGigPage,
    "seller_page_perseus": FiverrSellerPage,
}


def _page_class_from_props(props: dict[str, Any]) -> type[FiverrPage]:
    """The page type from the JSON's top-level keys, for pages whose pagename meta is missing or new."""
    if "general" in props and ("packages" in props or "overview" in props):
        return FiverrGigPage
    if "gigsData" in props:
        return FiverrSellerPage
    if any(key in props for key in ("rawListingData", "listings", "numOfGigs")):
        return FiverrSearchPage
    raise PageError(f"unknown Fiverr page type (top-level keys: {', '.join(sorted(props)[:12])})")


def parse_fiverr(html: str, url: str, capture: Capture | None = None) -> FiverrPage:
    """The right page object for any Fiverr perseus page; `Blocked` for block pages."""
    props = perseus_props(html)
    page_class = _BY_PAGE_NAME.get(page_name(html) or "") or _page_class_from_props(props)
    return page_class(html, url, capture, props=props)
