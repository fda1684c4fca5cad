"""Freelancer.com page objects: job search pages, project pages and REST API answers in, job `Listing` items out.

Freelancer is a project board: the listings are *job posts* (``Listing.kind == "job"``) and the "seller" of a
listing is the client who posted it, the side of the trade that buys reviews. Structure and evidence are in
``shared/data/pages/STRUCTURE.md`` section 2; the jobs and project pages are server-rendered HTML with stable
BEM class names (``JobSearchCard-*``, ``PageProjectViewLogout-*``) and no embedded JSON, so they are read with
CSS selectors (parsel).

Choices, stated once:

- ``external_id`` is the numeric project id on project pages and API objects. A search card shows no id, so a
  card's id is its URL slug (unique on the site: a second "computer vision" project gets ``-<id>`` appended);
  the spider therefore stores project pages, not cards, and carries a card's bid figures over (`merge_card`).
- ``price`` is the budget's minimum (what the client says they will pay at least), in the project's currency;
  a card shows no budget, only the average bid, so a card's ``price`` is None and the average bid is in
  ``extra["avg_bid"]``. The full budget (``budget_min``, ``budget_max``, ``hourly``) and the bids
  (``bid_count``, ``avg_bid``) are in ``extra``; the skills are the ``tags``.
- The logged-out project page does not name the client. Where a page links the client's profile
  (``/u/<username>``, as logged-in pages and the testbed do; not seen on a captured real page) that username
  is the seller; otherwise the seller is ``client-of:<project id>``, a stable name no real username can take
  (Freelancer usernames have no ``:``). API objects name the client (``client.username`` or
  ``result.users[owner_id]``), else ``user:<owner_id>``.
- Private projects ("Private project or contest #37344601", a login link, no details) are not listings; their
  ids are in `FreelancerJobsPage.private_project_ids`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlsplit

from parsel import Selector

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
    page_json,
    same_host_url,
    strip_query,
    unix_to_iso,
)

__all__ = [
    "MARKETPLACE",
    "Blocked",
    "Budget",
    "FreelancerApiPage",
    "FreelancerJobsPage",
    "FreelancerProjectPage",
    "PageError",
    "is_block_page",
    "merge_card",
    "parse_budget",
    "parse_freelancer",
]

MARKETPLACE = "freelancer"
_SYMBOLS = {"$": "USD", "₹": "INR", "€": "EUR", "£": "GBP", "¥": "JPY", "₱": "PHP", "R$": "BRL"}
_MONEY_RE = re.compile(
    r"(?P<sym>[^\d\s.,-]{1,3})?\s*(?P<low>\d[\d,]*(?:\.\d+)?)"
    r"(?:\s*-\s*[^\d\s.,-]{0,3}\s*(?P<high>\d[\d,]*(?:\.\d+)?))?"
    r"\s*(?P<code>[A-Z]{3})?\s*(?P<hourly>/\s*(?:hr|hour))?",
)
_PROJECT_ID_RE = re.compile(r"#\s*(\d+)")
_DIGITS_RE = re.compile(r"\d+")
_PROFILE_PATH_RE = re.compile(r"/u/([A-Za-z0-9_.-]{1,64})/?$")
# Markers of the Freelancer pages the spider asks for; a page with none of them is not one of ours.
_PAGE_MARKERS = (b"JobSearchCard", b"ProjectSearch", b"PageProjectView")
_CHALLENGE_MARKERS = (b"cf-chl", b"challenge-platform", b"Just a moment...", b"Attention Required!", b"px-captcha")


@dataclass(frozen=True, slots=True)
class Budget:
    """A money figure as the site prints it: ``₹1500-12500 INR``, ``$8-15 AUD / hour``, ``$541``."""

    minimum: float | None
    maximum: float | None
    currency: str | None
    hourly: bool


def _number(text: str | None) -> float | None:
    return as_float(text.replace(",", "")) if text else None


def parse_budget(text: str | None) -> Budget | None:
    """The first money figure in ``text``; None when it has no number."""
    if not text:
        return None
    match = _MONEY_RE.search(" ".join(text.split()))
    if match is None:
        return None
    low, high = _number(match["low"]), _number(match["high"])
    currency = match["code"] or _SYMBOLS.get((match["sym"] or "").strip())
    return Budget(low, high if high is not None else low, currency, bool(match["hourly"]))


def _clean(text: str | None) -> str | None:
    return as_str(" ".join(text.split())) if isinstance(text, str) else None


def _text(sel: Selector | Any) -> str | None:
    """The normalised text content of the first node of a selection (None when the selection is empty)."""
    value = sel.xpath("string()").get() if len(sel) else None
    return _clean(value)


def _slug(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def is_block_page(body: bytes | str) -> bool:
    """True for an anti-bot challenge, or an HTML page with none of the job or project page markers."""
    data = body.encode("utf-8", "replace") if isinstance(body, str) else body
    head = data[:64].lstrip()
    if head[:1] in (b"{", b"["):
        return False  # an API answer
    if any(marker in data for marker in _CHALLENGE_MARKERS):
        return True
    return not any(marker in data for marker in _PAGE_MARKERS)


class _HtmlPage:
    """A server-rendered jobs or project page, read with CSS selectors; `Blocked` when it is neither."""

    def __init__(self, html: str, url: str, capture: Capture | None = None) -> None:
        if is_block_page(html):
            raise Blocked("not a Freelancer jobs or project page (anti-bot challenge or error page)")
        self.url = url
        self.capture = capture
        self.sel = Selector(text=html)


# -- job search pages ---------------------------------------------------------------------------------------


class FreelancerJobsPage(_HtmlPage):
    """A job search page (``/jobs/<skill>[_<skill>...][/<page>]``): 50 cards and a next-page link."""

    @cached_property
    def _cards(self) -> list[Selector]:
        return list(self.sel.css("div.JobSearchCard-item"))

    @cached_property
    def _parsed(self) -> tuple[list[Listing], list[int], int]:
        listings: list[Listing] = []
        private: list[int] = []
        skipped = 0
        for card in self._cards:
            link = card.css("a.JobSearchCard-primary-heading-link")
            title = _text(link)
            href = link.attrib.get("href", "") if link else ""
            if title and href.startswith("/login") and (match := _PROJECT_ID_RE.search(title)):
                private.append(int(match.group(1)))
                continue
            listing = self._card_listing(card, title, same_host_url(self.url, href))
            if listing is None:
                skipped += 1
            else:
                listings.append(listing)
        return listings, private, skipped

    def _card_listing(self, card: Selector, title: str | None, url: str | None) -> Listing | None:
        if not title or not url or "/projects/" not in url:
            return None
        slug = _slug(url)
        avg = parse_budget("".join(card.css("div.JobSearchCard-secondary-price::text").getall()))
        bids = _DIGITS_RE.search(_text(card.css("div.JobSearchCard-secondary-entry")) or "")
        days = _text(card.css("span.JobSearchCard-primary-heading-days"))
        description = card.css("p.JobSearchCard-primary-description").get()
        return Listing(
            marketplace=MARKETPLACE,
            external_id=slug,
            url=url,
            seller=f"client-of:{slug}",
            title=title,
            description=html_to_text(description),
            tags=[t for t in (_clean(x) for x in card.css("a.JobSearchCard-primary-tagsLink::text").getall()) if t],
            price=None,
            currency=avg.currency if avg else None,
            kind="job",
            detail=DETAIL_CARD,
            source="search",
            seller_profile_url=None,
            extra={
                "avg_bid": avg.minimum if avg else None,
                "hourly": avg.hourly if avg else None,
                "bid_count": int(bids.group()) if bids else None,
                "time_left": days,
                "payment_verified": bool(card.css("[class*=JobSearchCard-primary-heading-status]")),
            },
            capture=self.capture,
        )

    @property
    def listings(self) -> list[Listing]:
        """One job listing per public card, in page order."""
        return self._parsed[0]

    @property
    def private_project_ids(self) -> list[int]:
        """Ids of private projects: cards that only show "Private project or contest #<id>"."""
        return self._parsed[1]

    @property
    def skipped(self) -> int:
        """Cards that were neither a public project nor a private one (no title or link)."""
        return self._parsed[2]

    @property
    def card_count(self) -> int:
        return len(self._cards)

    def next_page_url(self) -> str | None:
        href = self.sel.css("div.ProjectSearch-footer-pagination a[rel=next]::attr(href)").get()
        return same_host_url(self.url, href)


CARD_ONLY_FIELDS = ("avg_bid", "bid_count", "time_left", "payment_verified")


def merge_card(listing: Listing, card_extra: dict[str, Any]) -> Listing:
    """A project page's listing plus the bid figures only its search card showed (``card.extra``)."""
    extra = dict(listing.extra)
    for key in CARD_ONLY_FIELDS:
        if extra.get(key) is None and card_extra.get(key) is not None:
            extra[key] = card_extra[key]
    return replace(listing, extra=extra)


# -- project pages ------------------------------------------------------------------------------------------


def _member_since(text: str | None) -> str | None:
    """``Member since Oct 23, 2023`` -> ``2023-10-23T00:00:00Z``."""
    if not text:
        return None
    match = re.search(r"([A-Z][a-z]{2}) (\d{1,2}), (\d{4})", text)
    if match is None:
        return None
    try:
        day = datetime.strptime(" ".join(match.groups()), "%b %d %Y").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day.strftime("%Y-%m-%dT%H:%M:%SZ")


class FreelancerProjectPage(_HtmlPage):
    """A project page (``/projects/<category>/<slug>``): the job post and what it shows of its client."""

    @cached_property
    def project_id(self) -> int:
        text = _text(self.sel.css("p.PageProjectViewLogout-detail-projectId"))
        match = _PROJECT_ID_RE.search(text or "")
        repost = self.sel.css("[data-repost-btn]::attr(data-repost-btn)").get()
        value = as_int(match.group(1)) if match else as_int(repost)
        if value is None:
            raise PageError("project page without a project id")
        return value

    @property
    def canonical_url(self) -> str:
        href = self.sel.css("link[rel=canonical]::attr(href)").get()
        path = urlsplit(href).path if href else ""
        return same_host_url(self.url, path) or strip_query(self.url)

    @cached_property
    def budget(self) -> Budget | None:
        return parse_budget(_text(self.sel.css("p.PageProjectViewLogout-projectInfo-byLine")))

    @cached_property
    def client_username(self) -> str | None:
        """The client's username when the page links their profile (``/u/<name>``) in the client box."""
        box = self.sel.css("div.PageProjectViewLogout-detail-reputation")
        for href in box.css("a::attr(href)").getall():
            match = _PROFILE_PATH_RE.search(urlsplit(href).path)
            if match:
                return match.group(1)
        return None

    @property
    def _client_name(self) -> str:
        return self.client_username or f"client-of:{self.project_id}"

    @property
    def _client_profile(self) -> str:
        name = self.client_username
        return same_host_url(self.url, f"/u/{quote(name)}") if name else self.canonical_url  # type: ignore[return-value]

    def _info(self, css: str) -> str | None:
        return _text(self.sel.css(css))

    @cached_property
    def _client(self) -> dict[str, Any]:
        box = self.sel.css("div.PageProjectViewLogout-detail-reputation-employerInfo")
        verified = {  # data-qtsb-label: "payment-unverified", "email-verified", "deposit-unmade", ...
            label.split("-", 1)[0]: "is-verified" in item.attrib.get("class", "")
            for item in box.xpath("..").css("li.verified-item")
            if (label := item.attrib.get("data-qtsb-label"))
        }
        return {
            "location": _text(box.css("[itemprop=addressLocality]")),
            "country": _clean(box.css("[itemprop=location] [title]::attr(title)").get()),
            "rating": as_float(_text(box.css(".PageProjectViewLogout-detail-clientStats-rating-average"))),
            "review_count": as_int(_text(box.css(".PageProjectViewLogout-detail-clientStats-rating-review-count"))),
            "member_since": _member_since(_text(box.xpath(".//*[contains(text(), 'Member since')]"))),
            "verifications": verified,
        }

    @cached_property
    def listing(self) -> Listing:
        sel = self.sel
        title = self._info("h1.PageProjectViewLogout-projectInfo-title")
        if not title:
            raise PageError("project page without a title")
        detail = sel.css("div.PageProjectViewLogout-detail")
        paragraphs = detail.xpath("./*[following-sibling::p[contains(@class, 'PageProjectViewLogout-detail-tags')]]")
        budget = self.budget
        crumbs = [_clean(t) for t in sel.css("li.Breadcrumbs-item a span::text").getall()]
        ends = self._info(".PageProjectViewLogout-projectInfo-label-deliveryInfo-remainingDays")
        client = self._client
        return Listing(
            marketplace=MARKETPLACE,
            external_id=str(self.project_id),
            url=self.canonical_url,
            seller=self._client_name,
            title=title,
            description=html_to_text("".join(paragraphs.getall())),
            tags=[t for t in (_clean(x) for x in sel.css("p.PageProjectViewLogout-detail-tags a::text").getall()) if t],
            category=crumbs[2] if len(crumbs) > 2 else None,
            price=budget.minimum if budget else None,
            currency=budget.currency if budget else None,
            kind="job",
            detail=DETAIL_PAGE,
            source="project",
            seller_profile_url=self._client_profile,
            extra={
                "project_id": self.project_id,
                "budget_min": budget.minimum if budget else None,
                "budget_max": budget.maximum if budget else None,
                "hourly": budget.hourly if budget else None,
                "status": detail.attrib.get("data-project-state") if detail else None,
                "payment": self._info("p.PageProjectViewLogout-projectInfo-byLine-paymentInfo"),
                "posted": self._info(".PageProjectViewLogout-projectInfo-label-deliveryInfo-relativeTime"),
                "ends_in_days": as_int(m.group()) if ends and (m := _DIGITS_RE.search(ends)) else None,
                "client_location": client["location"],
                "client_verifications": client["verifications"],
            },
            capture=self.capture,
        )

    @cached_property
    def seller(self) -> Seller:
        client = self._client
        return Seller(
            marketplace=MARKETPLACE,
            username=self._client_name,
            profile_url=self._client_profile,
            country=client["country"],
            member_since=client["member_since"],
            rating=client["rating"],
            review_count=client["review_count"],
            description=client["location"],
            capture=self.capture,
        )


# -- REST API answers ---------------------------------------------------------------------------------------


def _api_projects(data: Any) -> tuple[list[Any], dict[str, Any]]:
    """(projects, users by id) from ``{"result": {"projects", "users"}}``, ``{"projects"}`` or a bare list."""
    result = dig(data, "result") if isinstance(data, dict) and "result" in data else data
    if isinstance(result, list):
        return result, {}
    users = dig(result, "users")
    return as_list(dig(result, "projects")), users if isinstance(users, dict) else {}


class FreelancerApiPage:
    """An answer of ``/api/projects/0.1/projects/...`` (JSON): one job listing and one client per project."""

    def __init__(self, text: str, url: str, capture: Capture | None = None) -> None:
        self.url = url
        self.capture = capture
        try:
            data = page_json(text)
        except (ValueError, RecursionError) as exc:
            raise PageError(f"Freelancer API answer is not JSON: {exc}") from None
        if isinstance(data, dict) and data.get("status") not in (None, "success"):
            raise PageError(f"Freelancer API error: {as_str(data.get('message')) or data.get('status')}")
        self.projects, self.users = _api_projects(data)

    def _client(self, project: Any) -> Any:
        return first(dig(project, "client"), self.users.get(str(dig(project, "owner_id"))))

    def _client_name(self, project: Any) -> str | None:
        name = as_str(dig(self._client(project), "username"))
        owner = as_str(dig(project, "owner_id"))
        return name or (f"user:{owner}" if owner else None)

    def _profile(self, username: str) -> str | None:
        return same_host_url(self.url, f"/u/{quote(username)}") if ":" not in username else None

    @cached_property
    def listings(self) -> list[Listing]:
        out = []
        for project in self.projects:
            project_id, seo = as_str(dig(project, "id")), as_str(dig(project, "seo_url"))
            title, client = as_str(dig(project, "title")), self._client_name(project)
            url = same_host_url(self.url, f"/projects/{seo}") if seo else None
            if not (project_id and title and client and url):
                continue
            full = as_str(dig(project, "description"))
            jobs = as_list(dig(project, "jobs"))
            out.append(
                Listing(
                    marketplace=MARKETPLACE,
                    external_id=project_id,
                    url=url,
                    seller=client,
                    title=title,
                    description=full or as_str(dig(project, "preview_description")) or "",
                    tags=[name for job in jobs if (name := as_str(dig(job, "name")))],
                    category=as_str(dig(jobs, 0, "category", "name")),
                    price=as_float(dig(project, "budget", "minimum")),
                    currency=as_str(dig(project, "currency", "code")),
                    kind="job",
                    detail=DETAIL_PAGE if full else DETAIL_CARD,
                    source="api",
                    seller_profile_url=self._profile(client),
                    extra={
                        "project_id": as_int(dig(project, "id")),
                        "owner_id": as_int(dig(project, "owner_id")),
                        "budget_min": as_float(dig(project, "budget", "minimum")),
                        "budget_max": as_float(dig(project, "budget", "maximum")),
                        "hourly": dig(project, "type") == "hourly",
                        "bid_count": as_int(dig(project, "bid_stats", "bid_count")),
                        "avg_bid": as_float(dig(project, "bid_stats", "bid_avg")),
                        "status": as_str(first(dig(project, "frontend_project_status"), dig(project, "status"))),
                        "submitted_at": unix_to_iso(dig(project, "time_submitted")),
                        "seo_url": seo,
                    },
                    capture=self.capture,
                )
            )
        return out

    @cached_property
    def sellers(self) -> list[Seller]:
        seen: dict[str, Seller] = {}
        for project in self.projects:
            client, name = self._client(project), self._client_name(project)
            if name is None or name.casefold() in seen:
                continue
            history = dig(client, "reputation", "entire_history")
            seen[name.casefold()] = Seller(
                marketplace=MARKETPLACE,
                username=name,
                profile_url=self._profile(name) or strip_query(self.url),
                display_name=as_str(first(dig(client, "public_name"), dig(client, "display_name"))),
                country=as_str(dig(client, "location", "country", "name")),
                member_since=unix_to_iso(dig(client, "registration_date")),
                rating=as_float(dig(history, "overall")),
                review_count=as_int(dig(history, "reviews")),
                description=as_str(dig(client, "profile_description")),
                capture=self.capture,
            )
        return list(seen.values())


# -- dispatch -----------------------------------------------------------------------------------------------

FreelancerPage = FreelancerJobsPage | FreelancerProjectPage | FreelancerApiPage


def parse_freelancer(text: str, url: str, capture: Capture | None = None) -> FreelancerPage:
    """The right page object for a Freelancer response; `Blocked` for challenge and error pages."""
    if text.lstrip()[:1] in ("{", "["):
        return FreelancerApiPage(text, url, capture)
    if "PageProjectView" in text:
        return FreelancerProjectPage(text, url, capture)
    return FreelancerJobsPage(text, url, capture)
