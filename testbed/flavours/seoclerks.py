"""The SEOClerks flavour, served under ``/seoclerks``. No real SEOClerks page was available: the markup follows
the only evidence, an old Scrapy spider (STRUCTURE.md section 4), and the rest is a plausible guess.

- ``/search?query=Q&page=N``: ``ul.timeline > li.listbitsep`` items, title link ``h4.h4bit > a``, summary
  ``p.listview``, ``div.post-meta`` with the user link and thumbs-up count; ``ul.pagination li.next a``.
- ``/<Category>/<id>/<slug>``: a ``schema.org/Product`` block (``h1[itemprop=name]``,
  ``div[itemprop=description]``), the price in ``#topordext``, the seller in ``aside.sidebar``.
- ``/user/<username>``: the seller's services, in the search page's item markup.
- Blocks are Cloudflare challenges.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote_plus

from testbed.flavours import markup
from testbed.flavours.crowd import Offer
from testbed.flavours.service import ServiceSite
from testbed.pages import Page

PAGE_SIZE = 20


def category_path(category: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", category).strip("-")


class SeoClerksSite(ServiceSite):
    name = "seoclerks"

    def route(self, path: str, query: str) -> tuple[str, Page]:
        segments = [s for s in path.split("/") if s]
        if segments == ["search"]:
            return "search", self.search(*markup.search_query(query, "query"))
        if len(segments) == 2 and segments[0] == "user" and segments[1] in self.market.sellers:
            return "seller", self.user_page(segments[1])
        if len(segments) == 3 and segments[1].isdigit():
            offer = self.market.offers.get(int(segments[1]))
            if offer is not None and offer.slug == segments[2]:
                return "listing", self.service_page(offer)
        return "not_found", markup.not_found("SEOClerks")

    def _url(self, offer: Offer) -> str:
        return f"{self.prefix}/{category_path(offer.category)}/{offer.offer_id}/{offer.slug}"

    def _item(self, offer: Offer) -> str:
        summary = re.sub(r"<[^>]+>", " ", offer.description)
        return (
            f'<li class="listbitsep"><h4 class="h4bit"><a href="{self._url(offer)}">I will {escape(offer.title)}</a>'
            f'</h4><p class="listview">{escape(" ".join(summary.split())[:160])}</p>'
            f'<div class="post-meta"><span><a href="{self.prefix}/user/{offer.seller}">{offer.seller}</a></span> '
            f'<span class="country {offer.offer_id % 5}"></span> <span class="labelbitdetail">'
            f'<i class="icon-thumbs-up"></i> {offer.reviews_count}</span></div></li>'
        )

    def search(self, words: str, number: int) -> Page:
        items, more = self.found(words, number, PAGE_SIZE)
        pagination = ""
        if more:
            href = f"{self.prefix}/search?query={quote_plus(words)}&amp;page={number + 1}"
            pagination = f'<ul class="pagination"><li class="next"><a href="{href}">Next &raquo;</a></li></ul>'
        body = (f'<div class="container"><h1>Search results for {escape(words)}</h1>'
                f'<ul class="timeline">{"".join(self._item(o) for o in items)}</ul>{pagination}</div>')
        return markup.html_page(f"{words} - SEOClerks", body)

    def service_page(self, offer: Offer) -> Page:
        tags = "".join(f'<a href="{self.prefix}/search?query={quote_plus(t)}">{escape(t)}</a>' for t in offer.tags)
        body = (
            '<div class="container"><div class="row"><div class="span8">'
            '<div itemscope itemtype="http://schema.org/Product">'
            f'<h1 itemprop="name">I will {escape(offer.title)}</h1>'
            f'<div itemprop="description">{markup.safe_html(offer.description)}</div></div>'
            f'<div class="service-tags">{tags}</div><p class="category">'
            f'<a href="{self.prefix}/{category_path(offer.category)}">{escape(offer.category)}</a></p>'
            '</div><aside class="sidebar span4">'
            f'<span id="topordext">${offer.price}</span> <a class="btn" href="{self.prefix}/order/{offer.offer_id}">'
            "Order Now</a>"
            f'<p class="bordered-bottom resizeline"><i class="icon-time"></i> {offer.offer_id % 6 + 1} days</p>'
            f'<p class="bordered-bottom resizeline"><i class="icon-thumbs-up"></i> '
            f'<span class="rating-count">{offer.reviews_count}</span></p>'
            f'<div class="seller-info"><a class="username" href="{self.prefix}/user/{offer.seller}">{offer.seller}'
            "</a></div></aside></div></div>"
        )
        return markup.html_page(f"I will {offer.title} for ${offer.price} - SEOClerks", body)

    def user_page(self, username: str) -> Page:
        offers = self.market.seller_offers(username)
        body = (f'<div class="container"><h1 class="username">{escape(username)}</h1>'
                f'<ul class="timeline">{"".join(self._item(o) for o in offers)}</ul></div>')
        return markup.html_page(f"{username} - SEOClerks", body)
