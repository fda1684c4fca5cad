"""The job board flavour, shaped like Freelancer.com (STRUCTURE.md section 2), served under ``/freelancer``.

- ``/jobs/<skill>[_<skill>...]/[<page>]``: 50 ``div.JobSearchCard-item`` cards per page with the real class
  names, private projects as login-link cards, and a ``rel=next`` pagination link. The real site lists the
  projects of a skill; here the skill path is read as keywords (``amazon-reviews`` -> "amazon reviews"), and a
  path that matches nothing answers 404, as an unknown skill does.
- ``/projects/<category>/<slug>``: the logged-out project page with the real class names. One addition the
  captured page does not have: the client box links the client's profile (``/u/<username>``), as a logged-in
  view does, so a crawler can tell clients apart.
- ``/api/projects/0.1/projects/active/?query=Q&offset=N&limit=L`` and ``/api/projects/0.1/projects/?owners[]=ID``:
  JSON as the public REST API answers (``result.projects`` and ``result.users`` keyed by user id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import parse_qs

from testbed.flavours import markup
from testbed.flavours.crowd import JobBoard, Project
from testbed.pages import Page

PAGE_SIZE = 50
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "$"}


def _skill_slug(skill: str) -> str:
    return "-".join(skill.lower().split())


class FreelancerSite:
    name = "freelancer"

    def __init__(self, board: JobBoard, prefix: str) -> None:
        self.board = board
        self.prefix = prefix
        self._by_slug = {p.slug: p for p in board.projects.values()}
        self._index = markup.index(
            markup.Doc(p.project_id, p.title, p.description, p.skills, p.bid_count) for p in board.projects.values()
        )

    def block_page(self) -> Page:
        return markup.cloudflare_block()

    def route(self, path: str, query: str) -> tuple[str, Page]:
        segments = [s for s in path.split("/") if s]
        if segments[:1] == ["jobs"] and 2 <= len(segments) <= 3:
            number = int(segments[2]) if len(segments) == 3 and segments[2].isdigit() else 1
            return self.jobs(segments[1], number)
        if segments[:1] == ["projects"] and len(segments) in (2, 3):
            project = self._by_slug.get(segments[-1])
            if project is not None and not project.private:
                return "project", self.project_page(project)
        if segments[:4] == ["api", "projects", "0.1", "projects"]:
            return "api", self.api(segments[4:], parse_qs(query))
        return "not_found", markup.not_found("Freelancer")

    # -- search ---------------------------------------------------------------------------------------------
    def jobs(self, skills: str, number: int) -> tuple[str, Page]:
        words = skills.replace("_", " ").replace("-", " ")
        found = [self.board.projects[i] for i in self._index.search(words)]
        if not found:
            return "not_found", markup.not_found("Freelancer")
        cards, more = markup.page_slice(found, number, PAGE_SIZE)
        base = f"{self.prefix}/jobs/{escape(skills)}"
        pagination = f'<a href="{base}" class="btn Pagination-item">First</a>'
        if more:
            pagination += f'<a href="{base}/{number + 1}" rel="next" class="btn Pagination-item">Next</a>'
        body = (
            f'<div class="ProjectSearch"><h1 class="ProjectSearch-header-heading">{escape(words.title())} Jobs</h1>'
            f'<div id="project-list" class="JobSearchCard-list">{"".join(self._card(p) for p in cards)}</div>'
            f'<div id="bottom-pagination" class="ProjectSearch-footer-pagination"><div class="Pagination">'
            f"{pagination}</div></div></div>"
        )
        head = f'<link rel="canonical" href="https://www.freelancer.com/jobs/{escape(skills)}"/>'
        return "search", markup.html_page(f"{words.title()} Jobs | Freelancer", body, head)

    def _card(self, p: Project) -> str:
        if p.private:
            heading = (f'<a href="{self.prefix}/login?goto=private" class="JobSearchCard-primary-heading-link" '
                       f'data-heading-link="true">Private project or contest #{p.project_id}</a>')
            description, price = "Please Sign Up or Login to see details.", ""
        else:
            heading = (f'<a href="{self.prefix}/projects/{p.category}/{p.slug}" '
                       f'class="JobSearchCard-primary-heading-link" data-heading-link="true">{escape(p.title)}</a>')
            description = escape(p.description)
            per = " / hr" if p.hourly else ""
            price = (f'<div class="JobSearchCard-secondary-price">${p.avg_bid}{per}'
                     f'<span class="JobSearchCard-secondary-avgBid">Avg Bid</span></div>'
                     f'<div class="JobSearchCard-secondary-entry">{p.bid_count} bids</div>')
        verified = ('<div class="JobSearchCard-primary-heading-status Tooltip--top">VERIFIED</div>'
                    if p.project_id % 3 else "")
        tags = "".join(f'<a class="JobSearchCard-primary-tagsLink" href="{self.prefix}/jobs/{_skill_slug(s)}/">'
                       f"{escape(s)}</a>" for s in p.skills)
        return (
            '<div class="JobSearchCard-item "><div class="JobSearchCard-item-inner" data-project-card="true">'
            f'<div class="JobSearchCard-primary"><div class="JobSearchCard-primary-heading">{heading}'
            f'<span class="JobSearchCard-primary-heading-days">{p.project_id % 7 + 1} days left</span>{verified}</div>'
            f'<p class="JobSearchCard-primary-description">{description}</p>'
            f'<div class="JobSearchCard-primary-tags">{tags}</div></div>'
            f'<div class="JobSearchCard-secondary">{price}</div></div></div>'
        )

    # -- project pages --------------------------------------------------------------------------------------
    def project_page(self, p: Project) -> Page:
        client = self.board.clients[p.client]
        sign = SYMBOLS.get(p.currency, "")
        budget = f"{sign}{p.budget_min}-{p.budget_max} {p.currency}{' / hour' if p.hourly else ''}"
        skills = "".join(f'<a class="PageProjectViewLogout-detail-tags-link--highlight" '
                         f'href="{self.prefix}/jobs/{_skill_slug(s)}/">{escape(s)}</a>' for s in p.skills)
        paragraphs = "".join(f"<p>{escape(line)}</p>" for line in p.description.split("\n"))
        since = _month_day_year(client.member_since)
        body = (
            '<nav class="Breadcrumbs PageProjectViewLogout-breadcrumbs"><ul class="Breadcrumbs-list">'
            '<li class="Breadcrumbs-item"><a href="https://www.freelancer.com"><span>Freelancer</span></a></li>'
            f'<li class="Breadcrumbs-item"><a href="{self.prefix}/job/"><span>Jobs</span></a></li>'
            f'<li class="Breadcrumbs-item"><a href="{self.prefix}/jobs/{p.category}"><span>{escape(p.skills[0])}'
            "</span></a></li></ul></nav>"
            '<section class="PageProjectViewLogout-section"><div class="Card PageProjectViewLogout-projectDetails">'
            f'<h1 class="PageProjectViewLogout-projectInfo-title">{escape(p.title)}</h1>'
            '<span class="PageProjectViewLogout-projectInfo-label-deliveryInfo-relativeTime">Posted recently</span>'
            '<span class="PageProjectViewLogout-projectInfo-label-deliveryInfo-remainingDays">Ends in '
            f"{p.project_id % 7 + 1} days</span>"
            f'<p class="PageProjectViewLogout-projectInfo-byLine">{escape(budget)}</p>'
            '<p class="PageProjectViewLogout-projectInfo-byLine-paymentInfo">Paid on delivery</p>'
            '<div class="PageProjectViewLogout-detail" data-project-state="open">'
            f'<p class="PageProjectViewLogout-detail-paragraph">{paragraphs}</p>'
            f'<p class="PageProjectViewLogout-detail-tags">{skills}</p>'
            f'<p class="PageProjectViewLogout-detail-projectId">Project ID: #{p.project_id}</p></div></div></section>'
            '<aside class="PageProjectViewLogout-sideContent">'
            f'<a href="{self.prefix}/buyers/repost.php?id={p.project_id}" data-repost-btn="{p.project_id}">'
            "Post a project like this</a>"
            '<div class="PageProjectViewLogout-detail-reputation PageProjectViewLogout-detail-tags">'
            '<div class="PageProjectViewLogout-detail-reputation-employerInfo">'
            '<div class="PageProjectViewLogout-detail-reputation-header">About the Client</div>'
            f'<a class="PageProjectViewLogout-detail-reputation-employerLink" href="{self.prefix}/u/{client.username}">'
            f"{escape(client.display_name)}</a>"
            '<span itemprop="location" class="PageProjectViewLogout-detail-reputation-item">'
            f'<span title="{escape(client.country)}" class="profile-location-flag"></span>'
            f'<span itemprop="addressLocality">{escape(client.country)}</span></span>'
            '<span class="PageProjectViewLogout-detail-clientStats-rating-average">0.0</span>'
            '<span class="PageProjectViewLogout-detail-clientStats-rating-review-count">0</span>'
            f'<span class="PageProjectViewLogout-detail-reputation-item-text">Member since {since}</span>'
            "</div></div></aside>"
        )
        head = (f'<link rel="canonical" href="https://www.freelancer.com/projects/{p.category}/{p.slug}"/>'
                '<meta property="og:type" content="freelancer_com:project">')
        return markup.html_page(f"{p.title} | Freelancer", f'<div class="PageProjectViewLogout">{body}</div>', head)

    # -- API ------------------------------------------------------------------------------------------------
    def api(self, rest: list[str], params: dict[str, list[str]]) -> Page:
        if rest == ["active"]:
            query = params.get("query", [""])[0]
            found = [self.board.projects[i] for i in self._index.search(query)]
        elif not rest:
            owners = {int(o) for o in params.get("owners[]", []) if o.isdigit()}
            found = [p for p in self.board.projects.values() if self.board.clients[p.client].user_id in owners]
        else:
            return markup.json_page({"status": "error", "message": "Not found", "error_code": "NOT_FOUND"}, 404)
        found = [p for p in found if not p.private]
        offset = _int(params.get("offset"), 0)
        limit = min(_int(params.get("limit"), 10), 100)
        chosen = found[offset : offset + limit]
        clients = {self.board.clients[p.client] for p in chosen}
        return markup.json_page({
            "status": "success",
            "result": {
                "projects": [self._api_project(p) for p in chosen],
                "users": {str(c.user_id): self._api_user(c.username) for c in clients},
                "total_count": len(found),
            },
        })

    def _api_project(self, p: Project) -> dict[str, Any]:
        client = self.board.clients[p.client]
        return {
            "id": p.project_id, "owner_id": client.user_id, "title": p.title, "status": "active",
            "seo_url": f"{p.category}/{p.slug}", "type": "hourly" if p.hourly else "fixed",
            "currency": {"code": p.currency, "sign": SYMBOLS.get(p.currency, "")},
            "description": p.description, "preview_description": p.description[:200],
            "budget": {"minimum": p.budget_min, "maximum": p.budget_max},
            "bid_stats": {"bid_count": p.bid_count, "bid_avg": p.avg_bid},
            "jobs": [{"name": s, "seo_url": _skill_slug(s)} for s in p.skills],
            "time_submitted": 1_700_000_000 + p.project_id % 100_000, "frontend_project_status": "open",
        }

    def _api_user(self, username: str) -> dict[str, Any]:
        c = self.board.clients[username]
        return {"id": c.user_id, "username": c.username, "public_name": c.display_name,
                "registration_date": c.member_since, "location": {"country": {"name": c.country}}}


def _int(values: list[str] | None, default: int) -> int:
    value = values[0] if values else ""
    return int(value) if value.isdigit() else default


def _month_day_year(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%b %d, %Y")
