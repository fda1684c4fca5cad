"""The ``perseus-initial-props`` JSON of search, gig and seller pages, with Fiverr's key paths and units.

Shapes follow ../shared/data/pages/STRUCTURE.md sections 1.3-1.5, checked against the saved real pages: listing
cards give prices in whole dollars (``price_i``, ``packages.recommended.price``), gig pages in cents
(``packages.packageList[].price``) with durations in hours; seller levels are ``level_one_seller``-style on cards
and ``LEVEL_ONE``-style enums on gig and seller pages. Everything here is a pure function of the catalogue, so the
same seed and step give the same JSON bytes.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections import Counter
from typing import Any
from urllib.parse import urlencode

from testbed import buyer_reviews
from testbed import vocabulary as vocab
from testbed.catalogue import Catalogue, Gig, Seller
from testbed.operations import listing_text, plan_for

PAGE_SIZE = 48
CURRENCY = {"name": "USD", "rate": 1, "template": "${{amount}}", "forceRound": True, "forceRoundFromAmount": 1000,
            "symbol": "$"}
IMAGE_HOST = "https://fiverr-res.cloudinary.com"
ACHIEVEMENT = {"level_one_seller": 1, "level_two_seller": 2, "top_rated_seller": 3}
SORTING = [{"id": sort_id, "alias": alias, "selected": sort_id == "auto"} for sort_id, alias in (
    ("auto", "Relevance"), ("rating", "Best selling"), ("price_desc", "Price: High to low"),
    ("price_asc", "Price: Low to high"), ("new", "Newest arrivals"))]
Json = dict[str, Any]


def stable_uuid(*parts: object) -> str:
    """A UUID-shaped id derived from its parts (real pages carry random ones; ours must not change)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest))


def promoted_slots(query: str) -> int:
    """How many promoted copies of the top results page 1 of this query shows (2-4)."""
    return 2 + zlib.crc32(query.encode()) % 3


def _dollars(cents: int) -> int | float:
    return cents // 100 if cents % 100 == 0 else cents / 100


def listing_card(gig: Gig, seller: Seller) -> Json:
    """A gig in the listing-card shape shared by search results and a seller page's ``gigsData``."""
    cheapest = min(gig.packages, key=lambda p: p.price_cents)
    card: Json = {
        "gig_id": gig.gig_id,
        "category_id": gig.sub.category.id,
        "sub_category_id": gig.sub.id,
        "nested_sub_category_id": 0,
        "is_pro": False,
        "is_featured": False,
        "cached_slug": gig.slug,
        "title": gig.title,
        "seller_name": seller.username,
        "seller_id": seller.seller_id,
        "seller_country": seller.country,
        "seller_img": f"{IMAGE_HOST}/t_profile_thumb,q_auto,f_auto/attachments/profile/photo/{seller.seller_id}.jpg",
        "seller_display_name": seller.display_name,
        "seller_online": seller.response_hours <= 2,
        "status": "APPROVED",
        "offer_consultation": False,
        "assets": [{"cloud_img_main_gig": f"{IMAGE_HOST}/t_main1,q_auto,f_auto/gigs/{gig.gig_id}/original/1.jpg",
                    "type": "ImageAsset", "id": f"{gig.gig_id}_1"}],
        "attachments": [],
        "seller_languages": [{"code": code, "level": level} for code, level in seller.languages],
        "recurring_options": [],
        "metadata": [],
        "personalized_pricing_fail": False,
        "has_recurring_option": False,
        "buying_review_rating_count": gig.reviews_count,
        "buying_review_rating": gig.rating,
        "seller_url": f"/{seller.username}",
        "seller_level": seller.level,
        "seller_rating": {"count": seller.rating_count, "score": seller.rating_score},
        "gig_url": gig.url,
        "is_seller_unavailable": False,
        "price_i": _dollars(cheapest.price_cents),
        "package_i": cheapest.id,
        "extra_fast": False,
        "num_of_packages": len(gig.packages),
    }
    if seller.display_name is None:  # real cards sometimes lack the key altogether
        del card["seller_display_name"]
    return card


def _search_item(gig: Gig, seller: Seller, query: str, page: int, pos: int, auction: str | None) -> Json:
    """A search result: position and promotion fields, the recommended package (dollars), then the card."""
    head: Json = {"gigId": gig.gig_id, "pos": pos}
    if auction:
        head |= {"type": "promoted_gigs", "auction": {"id": auction}}
    cheapest = min(gig.packages, key=lambda p: p.price_cents)
    head |= {
        "is_fiverr_choice": False,
        "packages": {"recommended": {
            "id": cheapest.id, "extra_fast": False, "price": _dollars(cheapest.price_cents),
            "duration": cheapest.duration_hours // 24, "price_tier": 0, "type": "cheapest",
        }},
        "sellerId": str(seller.seller_id),
        "gigQueryParams": {"context_type": "auto", "funnel": stable_uuid("funnel", query).replace("-", ""),
                           "ref": ""},
        "impressionId": stable_uuid("impression", query, page, pos),
    }
    return head | listing_card(gig, seller) | {"u_id": f"{gig.gig_id}_{pos}"}


def search_page_slots(catalogue: Catalogue, query: str, page: int) -> tuple[list[tuple[Gig, bool]], int, bool]:
    """(gig, promoted) pairs on one results page, the promoted count of page 1, and whether more pages follow.

    Page 1 opens with 2-4 promoted copies of the top organic results, then organic results fill the rest of
    the 48 slots; later pages continue the organic list where page 1 stopped (hence the negative offsets).
    """
    organic = catalogue.search(query) if query.strip() else []
    promoted = min(promoted_slots(query), len(organic))
    if page == 1:
        start, end = 0, PAGE_SIZE - promoted
        slots = [(g, True) for g in organic[:promoted]] + [(g, False) for g in organic[start:end]]
    else:
        start = (page - 1) * PAGE_SIZE - promoted
        end = start + PAGE_SIZE
        slots = [(g, False) for g in organic[start:end]]
    return slots, promoted, end < len(organic)


def search_props(catalogue: Catalogue, query: str, page: int, host: str) -> Json:
    """Props of ``/search/gigs?query=<query>&page=<page>``."""
    slots, promoted, has_more = search_page_slots(catalogue, query, page)
    num_found = len(catalogue.search(query)) if query.strip() else 0
    auction = stable_uuid("auction", query)
    context_id = stable_uuid("ctx", query).replace("-", "")
    items = [
        _search_item(gig, catalogue.sellers[gig.seller], query, page, pos, auction if is_promoted else None)
        for pos, (gig, is_promoted) in enumerate(slots)
    ]
    raw_gigs = [{"pk_i": item["gig_id"], "uuid": item["impressionId"], "position": item["pos"],
                 **({"type": item["type"], "auction": item["auction"]} if "type" in item else {}),
                 "packages": item["packages"], "seller_id": item["sellerId"]} for item in items]
    levels = Counter(catalogue.sellers[gig.seller].level for gig, _ in slots)
    return {
        "isBusiness": False,
        "categoryIds": {},
        "listingQuery": query,
        "flow": "search",
        "activeFilters": {},
        "currency": CURRENCY,
        "listingAttributes": {
            "id": context_id, "query": query, "categoryIds": {}, "activeFilters": {}, "sortBy": "auto",
            "pageSize": PAGE_SIZE, "page": page, "offset": 0 if page == 1 else (page - 1) * PAGE_SIZE - promoted,
            "assumedLanguage": "en", "platform": "desktop", "currencyExchangeRate": 1,
        },
        "rawListingData": {
            "gigs": raw_gigs,
            "facets": {"seller_level": [{"id": level, "count": n} for level, n in sorted(levels.items())]},
            "exposed_facets": {},
            "num_found": num_found,
            "next_page_offset": -promoted,
            "has_more": has_more,
            "is_head_query": num_found > PAGE_SIZE,
        },
        "knownCrawler": False,
        "countryCode": "US",
        "appData": {
            "pagination": {"page": page, "offset": -promoted, "page_size": PAGE_SIZE, "total": num_found},
            "sorting": {"sortBy": "auto"},
            "user": {"loggedIn": False, "userCountry": "US"},
            "flow": "search",
            "searchApiPath": "search",
            "baseUrl": host,
        },
        "listings": [{"gigs": items, "choiceModalities": {}, "showTranslatedUGC": False, "hidePrefix": False,
                      "isTouch": False, "isHeadQuery": num_found > PAGE_SIZE, "context": {}}],
        "topBarSorting": SORTING,
        "relatedSearches": [
            {"pos": str(i), "query": f"{query} {suffix}",
             "termUrl": f"/search/gigs?{urlencode({'query': f'{query} {suffix}'})}&source=related_search_terms"}
            for i, suffix in enumerate(("fast", "cheap"))
        ] if query.strip() else [],
        "items": items,
        "breadcrumbs": [],
    }


def _package(package: Any) -> Json:
    return {
        "id": package.id, "title": package.title, "description": package.description,
        "price": package.price_cents, "duration": package.duration_hours,
        "revisions": {"name": "modifications", "included": True, "value": package.revisions, "price": 0},
        "extraFast": None,
        "features": [{"name": f"feature_{i}", "label": label, "included": True, "value": 0, "type": "BOOLEAN",
                      "price": 0} for i, label in enumerate(package.features)],
        "customExtras": [],
    }


def _seller_user(seller: Seller) -> Json:
    return {
        "name": seller.username,
        "profile": {"displayName": seller.display_name},
        "id": str(seller.seller_id),
        "languages": [{"code": code.upper(), "level": vocab.LANGUAGE_LEVELS[level]}
                      for code, level in seller.languages],
        "fullName": None,
        "address": {"countryCode": seller.country},
        "profileImage": {"previewUrl": {"transformation": "USER_PROFILE_ORIGINAL",
                                        "url": f"{IMAGE_HOST}/attachments/profile/photo/{seller.seller_id}.jpg"}},
        "joinedAt": seller.member_since,
    }


def _about(catalogue: Catalogue, seller: Seller) -> str:
    """The profile's about text, with what the planted truth adds (contacts, a shared site, a template)."""
    notes = plan_for(catalogue.seed, catalogue.listings).seller_notes.get(seller.username, [])
    return " ".join([seller.description, *notes])


def _gig_description(catalogue: Catalogue, gig: Gig) -> str:
    return listing_text(plan_for(catalogue.seed, catalogue.listings), gig)


def gig_props(catalogue: Catalogue, gig: Gig) -> Json:
    """Props of ``/<username>/<slug>``."""
    seller = catalogue.sellers[gig.seller]
    sub, category = gig.sub, gig.sub.category
    prices = [p.price_cents for p in gig.packages]
    other = [g.gig_id for g in catalogue.seller_gigs(seller.username) if g.gig_id != gig.gig_id]
    return {
        "general": {
            "gigId": gig.gig_id, "gigStatus": "approved", "categoryId": category.id, "categoryName": category.name,
            "categorySlug": category.slug, "subCategoryId": sub.id, "subCategoryName": sub.name,
            "subCategorySlug": sub.slug, "nestedSubCategoryId": None, "nestedSubCategorySlug": None,
            "isOnVacation": False, "isPro": False, "isHandpicked": False, "isStudio": False, "gigTitle": gig.title,
            "encryptedGigId": f"FG{gig.gig_id:X}", "sellerId": seller.seller_id, "includeWorkSample": False,
        },
        "overview": {
            "gig": {"id": gig.gig_id, "title": gig.title, "rating": gig.rating, "ratingsCount": gig.reviews_count,
                    "isRestrictedByRegion": False, "ordersInQueue": gig.gig_id % 5},
            "seller": {"id": seller.seller_id, "username": seller.username,
                       "achievement": ACHIEVEMENT[seller.level], "isPro": False, "hasProfilePhoto": True,
                       "countryCode": seller.country,
                       "proficientLanguages": [{"name": c, "level": lvl} for c, lvl in seller.languages]},
            "categories": {"category": {"name": category.name, "slug": category.slug},
                           "subCategory": {"name": sub.name, "slug": sub.slug}, "nestedSubCategory": None},
        },
        "description": {"content": _gig_description(catalogue, gig), "metadataAttributes": []},
        "gallery": {"slides": []},
        "faq": {"questionsAndAnswers": []},
        "packages": {"packageList": [_package(p) for p in gig.packages], "recurringOptions": []},
        "tags": {"tagsGigList": [{"name": t, "slug": t.replace(" ", "-"),
                                  "formattedClassification": {"type": "tagPage", "key": t.replace(" ", "-")}}
                                 for t in gig.tags]},
        "seller": {
            "user": _seller_user(seller), "sellerLevel": vocab.LEVEL_ENUMS[seller.level],
            "description": _about(catalogue, seller), "isPro": False, "oneLinerTitle": seller.one_liner,
            "rating": {"count": seller.rating_count, "score": seller.rating_score},
            "responseTime": {"inHours": seller.response_hours}, "id": str(seller.seller_id),
            "isVerified": False, "isHighlyResponsive": seller.response_hours <= 1,
            "completedOrdersCount": seller.rating_count + seller.seller_id % 40, "isOnVacation": False,
        },
        "sellerCard": {
            "oneLiner": seller.one_liner, "rating": round(seller.rating_score, 1),
            "achievement": ACHIEVEMENT[seller.level],
            "ratingsCount": seller.rating_count, "countryCode": seller.country, "memberSince": seller.member_since,
            "responseTime": seller.response_hours, "description": _about(catalogue, seller),
            "proficientLanguages": [{"name": c, "level": lvl} for c, lvl in seller.languages],
        },
        "topNav": {"gigId": gig.gig_id, "gigTitle": gig.title, "gigCollectedCount": gig.reviews_count,
                   "sellerId": seller.seller_id, "sellerName": seller.username},
        "openGraph": {"description": _gig_description(catalogue, gig), "title": gig.title, "price": min(prices),
                      "image": None, "video": None},
        "seo": {"schemaMarkup": {"type": "Product", "gigTitle": gig.title, "gigOffers": {
            "type": "AggregateOffer", "lowPrice": f"{min(prices) / 100:.2f}", "highPrice": f"{max(prices) / 100:.2f}",
            "currency": "USD", "availability": "inStock"}}},
        "otherGigs": {"gigIds": other},
        "reviews": buyer_reviews.gig_block(catalogue, gig, seller),
        "currency": CURRENCY,
    }


def seller_props(catalogue: Catalogue, seller: Seller) -> Json:
    """Props of ``/<username>``."""
    gigs = catalogue.seller_gigs(seller.username)
    user = {
        "id": str(seller.seller_id), "name": seller.username, "isActivationCompleted": True,
        "joinedAt": seller.member_since, "profile": {"displayName": seller.display_name},
        "address": {"countryName": vocab.COUNTRIES[seller.country], "countryCode": seller.country},
        "languages": _seller_user(seller)["languages"], "localization": {"timezone": seller.timezone},
        "profileImageUrl": f"{IMAGE_HOST}/attachments/profile/photo/{seller.seller_id}.jpg",
    }
    return {
        "rollouts": {},
        "seller": {
            "user": user,
            "hourlyRate": None,
            "approvedGigsCount": len(gigs),
            "gigs": {"nodes": [{"id": str(g.gig_id)} for g in gigs]},
            "isActive": True,
            "oneLinerTitle": seller.one_liner,
            "description": _about(catalogue, seller),
            "isVerified": False,
            "isHighlyResponsive": seller.response_hours <= 1,
            "rating": {"score": seller.rating_score, "count": seller.rating_count},
            "sellerLevel": vocab.LEVEL_ENUMS[seller.level],
            "achievementLevel": vocab.LEVEL_ENUMS[seller.level],
            "responseTime": {"inHours": seller.response_hours},
            "certifications": [], "activeEducations": [], "activeStructuredSkills": [], "portfolios": {},
            "agency": None, "isPro": False, "isOnVacation": False,
        },
        "currency": CURRENCY,
        "sellerHasProfessions": False,
        "reviewsData": buyer_reviews.profile_block(catalogue, seller),
        "gigsData": [listing_card(g, seller) | {"gigQueryParams": {}} for g in gigs],
        "isActivationCompleted": True,
    }
