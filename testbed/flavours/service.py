"""What the three service-marketplace flavours (SEOClerks, Legiit, PeoplePerHour) share: a market of offers
under a URL prefix, searched by the same index, so a query finds the same offers on every one of them."""

from __future__ import annotations

from testbed.flavours import markup
from testbed.flavours.crowd import Offer, ServiceMarket
from testbed.pages import Page


class ServiceSite:
    """Base of a service-marketplace flavour: its market, its URL prefix and search over its offers."""

    def __init__(self, market: ServiceMarket, prefix: str) -> None:
        self.market = market
        self.prefix = prefix
        self._index = markup.index(
            markup.Doc(o.offer_id, o.title, o.description, o.tags, o.reviews_count) for o in market.offers.values()
        )

    def block_page(self) -> Page:
        return markup.cloudflare_block()

    def found(self, words: str, number: int, size: int) -> tuple[list[Offer], bool]:
        """The offers on result page ``number`` (1-based) for ``words`` (none without words), and whether a next
        page exists."""
        offers = [self.market.offers[i] for i in self._index.search(words)] if words else []
        return markup.page_slice(offers, number, size)
