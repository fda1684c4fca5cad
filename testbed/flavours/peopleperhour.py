"""The PeoplePerHour flavour, served under ``/peopleperhour``. No real page was available: URLs and card class
names follow scraper code (STRUCTURE.md section 3), the hourlie page is a plausible guess.

- ``/services/<query>?page=N&ref=search``: hourlie cards with React CSS-module class names
  (``card__title-link⤍HourlieTile⤚13loh``; the hash part changes between deploys, so match on the prefix),
  and a ``rel=next`` link.
- ``/hourlie/<slug>/<id>``: a JSON-LD ``Product`` (name, description, offers in GBP, aggregateRating) and the
  seller's link in the page.
- ``/freelancer/<handle>-<id>``: the seller's hourlies as cards.
- Blocks are Imperva Incapsula refusal pages.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs, quote

from testbed.flavours import markup
from testbed.flavours.crowd import Offer, ServiceMarket
from testbed.flavours.service import ServiceSite
from testbed.pages import Page

PAGE_SIZE = 30
TITLE_LINK = "card__title-link⤍HourlieTile⤚13loh"
USER_LINK = "card__user-link⤍HourlieTileMeta⤚F1h11"


class PeoplePerHourSite(ServiceSite):
    name = "peopleperhour"

    def __init__(self, market: ServiceMarket, prefix: str) -> None:
        super().__init__(market, prefix)
        self._member_ids = {name: 4_000_000 + n * 37 for n, name in enumerate(sorted(market.sellers))}

    def block_page(self) -> Page:
        return markup.incapsula_block()

    def route(self, path: str, query: str) -> tuple[str, Page]:
        segments = [s for s in path.split("/") if s]
        if len(segments) == 2 and segments[0] == "services":
            page = parse_qs(query).get("page", ["1"])[0]
            words = " ".join(segments[1].replace("-", " ").replace("+", " ").split())
            return "search", self.search(words, markup.page_number(page))
        if len(segments) == 3 and segments[0] == "hourlie" and segments[2].isdigit():
            offer = self.market.offers.get(int(segments[2]))
            if offer is not None and offer.slug == segments[1]:
                return "listing", self.hourlie_page(offer)
        if len(segments) == 2 and segments[0] == "freelancer":
            handle, _, member = segments[1].rpartition("-")
            if self._member_ids.get(handle) == (int(member) if member.isdigit() else None):
                return "seller", self.member_page(handle)
        return "not_found", markup.not_found("PeoplePerHour")

    def _member_url(self, username: str) -> str:
        return f"{self.prefix}/freelancer/{username}-{self._member_ids[username]}"

    def _card(self, offer: Offer) -> str:
        return (
            '<li class="list__item⤍List⤚2ytmm"><div class="card⤍HourlieTile⤚3DrJs">'
            '<h2 class="title-nano card__title⤍HourlieTile⤚5LQtW">'
            f'<a class="{TITLE_LINK}" href="{self.prefix}/hourlie/{offer.slug}/{offer.offer_id}">'
            f"{escape(offer.title)}</a></h2>"
            f'<span class="nano card__shipment⤍HourlieTile⤚AjgW3">{offer.offer_id % 5 + 1} days delivery</span>'
            f'<span class="title-nano">£{offer.price}</span>'
            f'<a class="{USER_LINK}" href="{self._member_url(offer.seller)}">{offer.seller}</a>'
            f'<span class="card__freelancer-reviews⤍HourlieTileMeta⤚HCTu6">({offer.reviews_count})</span>'
            "</div></li>"
        )

    def search(self, words: str, number: int) -> Page:
        items, more = self.found(words, number, PAGE_SIZE)
        pagination = ""
        if more:
            href = f"{self.prefix}/services/{quote(words.replace(' ', '-'))}?page={number + 1}&amp;ref=search"
            pagination = f'<a class="pagination__next⤍Pagination⤚Q2x1d" rel="next" href="{href}">Next</a>'
        body = (f'<div id="app"><h1>{escape(words)} services</h1><ul class="list⤍List⤚1Kp3S">'
                f'{"".join(self._card(o) for o in items)}</ul>{pagination}</div>')
        return markup.html_page(f"{words} Services | PeoplePerHour", body)

    def _product(self, offer: Offer) -> dict[str, Any]:
        product: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "Product", "name": offer.title, "sku": str(offer.offer_id),
            "description": offer.description, "category": offer.category,
            "offers": {"@type": "Offer", "price": str(offer.price), "priceCurrency": "GBP"},
        }
        if offer.reviews_count:
            product["aggregateRating"] = {"@type": "AggregateRating", "ratingValue": offer.rating,
                                          "reviewCount": offer.reviews_count}
        return product

    def hourlie_page(self, offer: Offer) -> Page:
        seller = self.market.sellers[offer.seller]
        crumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": []}
        head = (f'<script type="application/ld+json">{markup.script_json(crumbs)}</script>'
                f'<script type="application/ld+json">{markup.script_json(self._product(offer))}</script>')
        tags = "".join(f'<span class="hourlieTag__label⤍HourlieTag⤚NL6Ui">{escape(t)}</span>' for t in offer.tags)
        body = (
            f'<div id="app"><h1 class="hourlie__title⤍Hourlie⤚7gT2a">{escape(offer.title)}</h1>'
            f'<div class="hourlie__tags⤍Hourlie⤚p0aQ1">{tags}</div>'
            '<div class="member-card⤍HourlieSeller⤚Zt4k8">'
            f'<a class="member-card__name⤍HourlieSeller⤚Mn2q7" href="{self._member_url(seller.username)}">'
            f"{seller.username}</a><span>{escape(seller.display_name)}</span></div></div>"
        )
        return markup.html_page(f"{offer.title} | PeoplePerHour", body, head)

    def member_page(self, username: str) -> Page:
        offers = self.market.seller_offers(username)
        body = (f'<div id="app"><div class="member-name"><h1>{escape(username)}</h1></div>'
                f'<ul class="list⤍List⤚1Kp3S">{"".join(self._card(o) for o in offers)}</ul></div>')
        return markup.html_page(f"{username} | PeoplePerHour", body)
