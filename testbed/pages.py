"""HTML pages shaped like Fiverr's: perseus JSON in a script element, page-type meta, PerimeterX traces.

A rendered page is cached as bytes with one hole, ``NOISE``, where each response gets a fresh csrfToken inside
the ``CONTEXT_MANAGER_STORAGE_SCRIPT`` block (real pages vary there too; a crawler must not mistake it for a
change of the listing). The perseus JSON itself is deterministic.

Embedding: like the real pages, every ``<``, ``>`` and ``&`` inside the JSON is written as ``\\u003c``,
``\\u003e``, ``\\u0026`` (and U+2028/2029 escaped), so no text can close the script element or open a comment;
``json.loads`` of the element's text gives back the exact strings. Visible text is HTML-escaped.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

PX_APP_ID = "PXK3bezZfO"
NOISE = "\ue000"  # a private-use character: JSON keeps it as is and no catalogue text contains it
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Page:
    """A response ready to send; ``parts`` are joined with fresh noise between them."""

    status: int
    parts: tuple[bytes, ...]
    content_type: str = HTML_TYPE
    headers: tuple[tuple[str, str], ...] = field(default=())

    def body(self) -> bytes:
        if len(self.parts) == 1:
            return self.parts[0]
        return csrf_token().encode().join(self.parts)


def csrf_token() -> str:
    """Same shape as Fiverr's (``<unix time>.<base64>``), new for every response."""
    return f"{int(time.time())}.{secrets.token_urlsafe(32)}"


def script_json(data: Any) -> str:
    """JSON text that is safe as the content of a <script> element and parses back to ``data``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _JSON_ESCAPES:  # str.replace is ~10x faster than str.translate here
        text = text.replace(char, escaped)
    return text


def _px_script() -> str:
    return (f"<script>window._pxAppId='{PX_APP_ID}';"
            f"window._pxRootUrl='https://collector-{PX_APP_ID.lower()}.px-cdn.net';</script>")


def perseus_page(pagename: str, title: str, canonical: str, props: dict[str, Any], context: dict[str, Any],
                 visible: str, extra_head: str = "") -> Page:
    """A perseus page. ``visible`` is already-escaped HTML; everything else is escaped here."""
    fiverr_context = {
        "fiverr_context": {
            "country": "United States", "browserLanguage": "en-US", "computedLocale": "en-US", "csrfToken": NOISE,
            "ip": "127.0.0.1", "referrer": "", "countryCode": "US", "knownCrawler": False, "currency": "USD",
            "locale": "en-US", "isMobile": False, "isTouch": False, **context,
        }
    }
    # csrfToken comes before any request-derived value, so the first NOISE is ours
    context_head, context_tail = script_json(fiverr_context).split(NOISE, 1)
    head = (
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en-US" data-reactroot=""><head>'
        f'<meta charSet="utf-8"/><title>{escape(title)}</title>'
        f'<meta name="fiverrmeta:pagename" content="{pagename}"/>'
        '<meta name="fiverrmeta:is_known_crawler" content="false"/><meta name="fiverrmeta:currency" content="USD"/>'
        f'<link rel="canonical" href="{escape(canonical)}"/>'
        f'<meta property="og:title" content="{escape(title)}"/>{extra_head}{_px_script()}</head>'
        f'<body class="layout-service layout_service"><div id="main-wrapper"><div class="{pagename}">{visible}'
        '</div></div>\n<script type="application/json" id="CONTEXT_MANAGER_STORAGE_SCRIPT">\n'
        f"{context_head}"
    )
    tail = (
        f"{context_tail}\n</script>\n"
        f'<script type="application/json" id="perseus-initial-props">\n{script_json(props)}\n</script>\n'
        "<script>window.renderPerseusApp && window.renderPerseusApp("
        f"'.{pagename}', JSON.parse(document.querySelector('#perseus-initial-props').textContent));</script>\n"
        "</body></html>"
    )
    return Page(200, (head.encode(), tail.encode()))


def search_page(props: dict[str, Any], query: str, page: int, base_url: str) -> Page:
    params = {"query": query} if page == 1 else {"query": query, "page": str(page)}
    count = len(props["items"])
    found = props["rawListingData"]["num_found"]
    visible = f"<h1>Results for &quot;{escape(query)}&quot;</h1><p>{found:,} services, {count} on this page</p>"
    context = {"url": f"{base_url}/search/gigs?{urlencode(params)}", "pathParameters": {},
               "queryParameters": params, "pageCtxId": props["listingAttributes"]["id"]}
    return perseus_page("search_perseus", f"Fiverr / Search Results for '{query}'", f"{base_url}/search/gigs",
                        props, context, visible)


def gig_page(props: dict[str, Any], username: str, slug: str, base_url: str) -> Page:
    title, rating = props["general"]["gigTitle"], props["overview"]["gig"]
    offers = props["seo"]["schemaMarkup"]["gigOffers"]
    url = f"{base_url}/{username}/{quote(slug)}"
    product = {
        "@context": "https://schema.org", "@type": "Product", "name": title,
        "brand": {"@type": "Brand", "name": "Fiverr"},
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": rating["rating"],
                            "reviewCount": rating["ratingsCount"]},
        "offers": {"@type": "AggregateOffer", "priceCurrency": "USD", "lowPrice": offers["lowPrice"],
                   "highPrice": offers["highPrice"]},
    }
    extra_head = f'<script type="application/ld+json">{script_json(product)}</script>'
    visible = f"<h1>{escape(title)}</h1><p>by {escape(username)}</p>"
    context = {"url": url, "pathParameters": {"username": username, "slug": slug}, "queryParameters": {},
               "pageCtxId": str(props["general"]["gigId"])}
    return perseus_page("gig_page_perseus", f"{title[:1].upper()}{title[1:]} by {username.capitalize()} | Fiverr",
                        url, props, context, visible, extra_head)


def seller_page(props: dict[str, Any], base_url: str) -> Page:
    user = props["seller"]["user"]
    username, display = user["name"], user["profile"]["displayName"] or user["name"]
    url = f"{base_url}/{username}"
    visible = f"<h1>{escape(display)}</h1><p>{escape(props['seller']['oneLinerTitle'] or '')}</p>"
    context = {"url": url, "pathParameters": {"username": username}, "queryParameters": {}, "pageCtxId": user["id"]}
    return perseus_page("seller_page_perseus", f"{display} | Profile | Fiverr", url, props, context, visible)


def block_page() -> Page:
    """PerimeterX "Press & Hold" challenge: 403, a ``_px3`` cookie, ``window._pxAppId``, no perseus JSON."""
    reference = secrets.token_hex(16)
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/>'
        "<title>Access to this page has been denied</title>"
        '<meta name="robots" content="noindex, nofollow"/>'
        f"<script>window._pxAppId='{PX_APP_ID}';window._pxJsClientSrc='/{PX_APP_ID}/init.js';"
        f"window._pxHostUrl='/{PX_APP_ID}/xhr';window._pxreCaptchaTheme='light';"
        f"window._pxUuid='{reference}';</script></head><body>"
        '<div class="px-captcha-container"><div class="px-captcha-header">Press &amp; Hold</div>'
        '<div class="px-captcha-message">Please press and hold the button to confirm you are a human '
        "(and not a bot).</div>"
        '<div id="px-captcha"></div>'
        f'<div class="px-captcha-refid">Reference ID {reference}</div></div></body></html>'
    )
    cookie = f"_px3={secrets.token_hex(32)}:{reference}; Max-Age=60; Path=/"
    return Page(403, (html.encode(),), headers=(("Set-Cookie", cookie), ("Cache-Control", "no-store")))


def not_found_page() -> Page:
    html = (
        '<!DOCTYPE html><html lang="en-US"><head><meta charSet="utf-8"/><title>Fiverr - Page not found</title>'
        f"{_px_script()}</head><body><h1>Page not found</h1>"
        "<p>We can&#x27;t find the page you&#x27;re looking for.</p></body></html>"
    )
    return Page(404, (html.encode(),))


ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\nAllow: /\n"


def robots_page() -> Page:
    return Page(200, (ROBOTS_TXT.encode(),), content_type="text/plain; charset=utf-8")
