"""The Legiit flavour, served under ``/legiit``. No evidence of Legiit's pages was found (STRUCTURE.md section 5):
this is a design, not an imitation. It is shaped like a Next.js marketplace, so the generic spider's path into
a ``<script>`` element's JSON is exercised end to end:

- ``/search?q=Q&page=N``: ``a.service-card__link`` links, 24 per page, no next link (the page number goes up
  until a page lists nothing).
- ``/<username>/<slug>``: the service in ``<script id="__NEXT_DATA__" type="application/json">`` under
  ``props.pageProps.service``, with only a thin HTML shell around it.
- ``/<username>``: the seller's services, as search cards.
- Blocks are Cloudflare challenges.
"""

from __future__ import annotations

from html import escape
from typing import Any

from testbed.flavours import markup
from testbed.flavours.crowd import Offer, ServiceMarket
from testbed.flavours.service import ServiceSite
from testbed.pages import Page

PAGE_SIZE = 24


class LegiitSite(ServiceSite):
    name = "legiit"

    def __init__(self, market: ServiceMarket, prefix: str) -> None:
        super().__init__(market, prefix)
        self._by_path = {(o.seller, o.slug): o for o in market.offers.values()}

    def route(self, path: str, query: str) -> tuple[str, Page]:
        segments = [s for s in path.split("/") if s]
        if segments == ["search"]:
            return "search", self.search(*markup.search_query(query, "q"))
        if len(segments) == 1 and segments[0] in self.market.sellers:
            return "seller", self.profile_page(segments[0])
        if len(segments) == 2 and (offer := self._by_path.get((segments[0], segments[1]))):
            return "listing", self.service_page(offer)
        return "not_found", markup.not_found("Legiit")

    def _card(self, offer: Offer) -> str:
        return (f'<div class="service-card"><a class="service-card__link" href="{self.prefix}/{offer.seller}/'
                f'{offer.slug}"><h3 class="service-card__title">{escape(offer.title)}</h3></a>'
                f'<span class="service-card__price">From ${offer.price}</span></div>')

    def search(self, words: str, number: int) -> Page:
        items, _more = self.found(words, number, PAGE_SIZE)
        body = (f'<div id="__next"><main class="search"><h1>{escape(words)}</h1>'
                f'<div class="service-grid">{"".join(self._card(o) for o in items)}</div></main></div>')
        return markup.html_page(f"{words} | Legiit", body)

    def _next_data(self, offer: Offer) -> dict[str, Any]:
        seller = self.market.sellers[offer.seller]
        return {
            "props": {"pageProps": {"service": {
                "id": offer.offer_id, "slug": offer.slug, "title": offer.title, "description": offer.description,
                "price": {"amount": offer.price, "currency": "USD"}, "category": {"name": offer.category},
                "tags": [{"name": t} for t in offer.tags],
                "rating": {"average": offer.rating, "count": offer.reviews_count},
                "seller": {"username": seller.username, "displayName": seller.display_name,
                           "country": seller.country},
            }}},
            "page": "/[username]/[slug]", "query": {"username": offer.seller, "slug": offer.slug},
        }

    def service_page(self, offer: Offer) -> Page:
        body = (f'<div id="__next"><main class="service"><h1>{escape(offer.title)}</h1></main></div>'
                f'<script id="__NEXT_DATA__" type="application/json">{markup.script_json(self._next_data(offer))}'
                "</script>")
        return markup.html_page(f"{offer.title} | Legiit", body)

    def profile_page(self, username: str) -> Page:
        offers = self.market.seller_offers(username)
        body = (f'<div id="__next"><main class="profile"><h1>{escape(username)}</h1>'
                f'<div class="service-grid">{"".join(self._card(o) for o in offers)}</div></main></div>')
        return markup.html_page(f"{username} | Legiit", body)
