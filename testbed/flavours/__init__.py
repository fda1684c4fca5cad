"""The other marketplaces the testbed serves beside Fiverr, each under its own path prefix on the same port.

``/freelancer/...`` (a job board shaped like Freelancer.com), ``/seoclerks/...``, ``/legiit/...`` and
``/peopleperhour/...`` (service marketplaces); Fiverr stays at the root. The people on them come from the Fiverr
catalogue (``crowd``), so the same sellers turn up on several marketplaces under the same or similar usernames.
Ground truth: ``Flavours.job_board`` (review buyers, look-alike clients, their projects) and
``Flavours.markets[name]`` (review sellers, look-alikes, who is who on Fiverr).
"""

from __future__ import annotations

import threading
from typing import Protocol

from testbed.catalogue import Catalogue
from testbed.flavours.crowd import SERVICE_MARKETS, JobBoard, ServiceMarket
from testbed.flavours.freelancer import FreelancerSite
from testbed.flavours.legiit import LegiitSite
from testbed.flavours.peopleperhour import PeoplePerHourSite
from testbed.flavours.seoclerks import SeoClerksSite
from testbed.pages import Page

FLAVOURS = ("freelancer", *SERVICE_MARKETS)
CURRENCY_RATES = {"peopleperhour": 0.8}  # PeoplePerHour prices are in GBP
MAX_CACHED = 5_000


class FlavourSite(Protocol):
    name: str

    def route(self, path: str, query: str) -> tuple[str, Page]: ...

    def block_page(self) -> Page: ...


class Flavours:
    """Routes ``/<flavour>/...`` requests; built lazily on first use so a Fiverr-only testbed starts as fast."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._sites: dict[str, FlavourSite] | None = None
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str], tuple[str, Page]] = {}

    @property
    def sites(self) -> dict[str, FlavourSite]:
        with self._lock:
            if self._sites is None:
                self._sites = self._build()
            return self._sites

    def _build(self) -> dict[str, FlavourSite]:
        classes = {"seoclerks": SeoClerksSite, "legiit": LegiitSite, "peopleperhour": PeoplePerHourSite}
        sites: dict[str, FlavourSite] = {"freelancer": FreelancerSite(JobBoard(self.catalogue), "/freelancer")}
        for name, site_class in classes.items():
            market = ServiceMarket(name, self.catalogue, CURRENCY_RATES.get(name, 1.0))
            sites[name] = site_class(market, f"/{name}")
        return sites

    @property
    def job_board(self) -> JobBoard:
        return self.sites["freelancer"].board  # type: ignore[attr-defined, no-any-return]

    @property
    def markets(self) -> dict[str, ServiceMarket]:
        return {name: self.sites[name].market for name in SERVICE_MARKETS}  # type: ignore[attr-defined]

    @staticmethod
    def flavour_of(path: str) -> str | None:
        """The flavour a request path belongs to (None for Fiverr's paths)."""
        first = path.lstrip("/").split("/", 1)[0]
        return first if first in FLAVOURS else None

    def route(self, flavour: str, path: str, query: str) -> tuple[str, Page]:
        """(kind, page) for a path under ``/<flavour>``; kinds: search, listing, project, seller, api, not_found."""
        key = (flavour, path, query)
        hit = self._cache.get(key)
        if hit is None:
            rest = path.lstrip("/")[len(flavour) :]
            hit = self.sites[flavour].route(rest, query)
            with self._lock:
                if len(self._cache) >= MAX_CACHED:
                    self._cache.clear()
                self._cache[key] = hit
        return hit

    def block_page(self, flavour: str) -> Page:
        return self.sites[flavour].block_page()
