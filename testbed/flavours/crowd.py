"""Who sells (and buys) on the other marketplaces: people of the Fiverr catalogue, met again elsewhere.

Sellers of fake reviews work several marketplaces at once, under the same or a slightly changed username
(``bess98`` on Fiverr, ``bess_98`` on SEOClerks). So each service marketplace here (SEOClerks, Legiit,
PeoplePerHour) is drawn from the Fiverr catalogue: a seller is listed there with a probability that depends on
their truth (review sellers most often), under a username variant, with the texts of their Fiverr gigs (copying
one's listings across sites is what real sellers do). Every review seller is on at least one of the three.

The job board (Freelancer) holds job posts by clients: review *buyers* ("need 50 Amazon reviews from different
accounts"), look-alike clients whose posts use review words honestly ("review my Python code"), and ordinary
clients. Some clients are Fiverr sellers under a username variant (people buy as well as sell).

Everything is a pure function of the catalogue's seed and size; ground truth is on every object.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from testbed import catalogue as cat
from testbed import operations as ops
from testbed.dice import Dice
from testbed.flavours import job_wording as jw

SERVICE_MARKETS = ("seoclerks", "legiit", "peopleperhour")
# chance that a Fiverr seller of each truth is listed on a given service marketplace
PRESENCE = {cat.REVIEW_SELLER: 0.5, cat.LOOKALIKE: 0.4, cat.LEGIT: 0.12}
REVIEW_BUYER, LOOKALIKE_CLIENT, LEGIT_CLIENT = "review_buyer", "lookalike", "legit"


def unit(*parts: object) -> float:
    """A number in [0, 1) from a hash of ``parts``: stable draws that do not depend on draw order."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def username_variant(username: str, draw: float) -> str:
    """The same person's name on another site: unchanged, ``_`` added or dropped, or a number appended."""
    if draw < 0.4:
        return username
    if draw < 0.8:
        if "_" in username:
            return username.replace("_", "")
        match = re.fullmatch(r"([a-z]+)(\d+)", username)
        if match:
            return f"{match.group(1)}_{match.group(2)}"
    return f"{username}{int(draw * 1000) % 90 + 10}"


@dataclass(frozen=True, slots=True)
class Offer:
    """A listing on a service marketplace."""

    offer_id: int
    seller: str
    slug: str
    title: str
    description: str  # HTML
    tags: tuple[str, ...]
    category: str
    price: int  # whole currency units
    rating: float
    reviews_count: int
    truth: str
    fiverr_gig_id: int


@dataclass(frozen=True, slots=True)
class MarketSeller:
    username: str
    display_name: str
    country: str
    truth: str
    fiverr_username: str  # the same person on Fiverr
    offer_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Project:
    """A job post on the job board."""

    project_id: int
    client: str
    slug: str
    category: str  # the skill slug in the project URL
    title: str
    description: str  # plain text
    skills: tuple[str, ...]
    budget_min: int
    budget_max: int
    currency: str
    hourly: bool
    bid_count: int
    avg_bid: int
    truth: str  # review_buyer | lookalike | legit
    private: bool = False

    @property
    def searchable_tags(self) -> tuple[str, ...]:
        return self.skills


@dataclass(frozen=True, slots=True)
class Client:
    user_id: int
    username: str
    display_name: str
    country: str
    member_since: int  # unix seconds
    truth: str
    fiverr_username: str | None
    project_ids: tuple[int, ...]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].rstrip("-") or "listing"


class ServiceMarket:
    """One service marketplace's sellers and listings, with ground truth."""

    def __init__(self, name: str, catalogue: cat.Catalogue, currency_rate: float = 1.0) -> None:
        self.name = name
        self.sellers: dict[str, MarketSeller] = {}
        self.offers: dict[int, Offer] = {}
        market_index = SERVICE_MARKETS.index(name)
        review_index = 0
        taken: set[str] = set()
        for seller in catalogue.sellers.values():
            forced = False
            if seller.truth == cat.REVIEW_SELLER:
                forced = review_index % len(SERVICE_MARKETS) == market_index
                review_index += 1
            if not (forced or unit(catalogue.seed, name, seller.username) < PRESENCE[seller.truth]):
                continue
            gigs = catalogue.seller_gigs(seller.username)
            if not gigs:
                continue
            username = username_variant(seller.username, unit(catalogue.seed, name, "name", seller.username))
            while username in taken:
                username += "x"
            taken.add(username)
            plan = ops.plan_for(catalogue.seed, catalogue.listings)
            note = plan.elsewhere.get(seller.username)
            offers = [self._offer(catalogue.seed, username, gig, currency_rate, plan, note) for gig in gigs]
            self.offers.update((offer.offer_id, offer) for offer in offers)
            self.sellers[username] = MarketSeller(
                username=username, display_name=seller.display_name or username, country=seller.country,
                truth=seller.truth, fiverr_username=seller.username, offer_ids=tuple(o.offer_id for o in offers),
            )

    def _offer(self, seed: int, username: str, gig: cat.Gig, rate: float, plan: ops.Plan,
               note: str | None) -> Offer:  # fmt: skip
        """The gig copied here, as sellers copy their listings; a review seller adds the contact buyers can
        reach them at off the marketplace (the same one as on Fiverr: see testbed.operations)."""
        offer_id = 100_000 + int(unit(seed, self.name, "offer", gig.gig_id) * 8_900_000)
        description = ops.listing_text(plan, gig)
        if note and gig.truth == cat.REVIEW_SELLER:
            description += f"<p>{note}</p>"
        return Offer(
            offer_id=offer_id, seller=username, slug=slugify(gig.title), title=gig.title,
            description=description, tags=gig.tags, category=gig.sub.name,
            price=max(1, round(gig.price_cents / 100 * rate)), rating=gig.rating, reviews_count=gig.reviews_count,
            truth=gig.truth, fiverr_gig_id=gig.gig_id,
        )

    def seller_offers(self, username: str) -> list[Offer]:
        seller = self.sellers.get(username)
        return [self.offers[i] for i in seller.offer_ids] if seller else []

    def sellers_with_truth(self, truth: str) -> set[str]:
        return {s.username for s in self.sellers.values() if s.truth == truth}

    def review_sellers(self) -> set[str]:
        return self.sellers_with_truth(cat.REVIEW_SELLER)

    def lookalike_sellers(self) -> set[str]:
        return self.sellers_with_truth(cat.LOOKALIKE)

    def same_people(self) -> dict[str, str]:
        """Username here -> username on Fiverr, for every seller (all are Fiverr sellers too)."""
        return {s.username: s.fiverr_username for s in self.sellers.values()}


class JobBoard:
    """The job board's clients and projects, with ground truth (``truth`` of clients and projects)."""

    CLIENTS = 48

    def __init__(self, catalogue: cat.Catalogue) -> None:
        self.clients: dict[str, Client] = {}
        self.projects: dict[int, Project] = {}
        rng = Dice(f"jobs:{catalogue.seed}:{catalogue.listings}")
        fiverr = sorted(catalogue.sellers)
        kinds = [REVIEW_BUYER] * 9 + [LOOKALIKE_CLIENT] * 9 + [LEGIT_CLIENT] * (self.CLIENTS - 18)
        for index in range(self.CLIENTS):
            kind = kinds[(index * 7) % len(kinds)]  # interleave so every page mixes kinds
            self._client(rng, index, kind, fiverr)

    def _client(self, rng: Dice, index: int, kind: str, fiverr: list[str]) -> None:
        fiverr_name = None
        if fiverr and rng.chance(0.35):
            fiverr_name = rng.pick(fiverr)
            username = username_variant(fiverr_name, rng.unit())
        else:
            username = f"{rng.pick(jw.CLIENT_FIRST)}{rng.pick(jw.CLIENT_LAST)}{rng.between(1, 999)}"
        while username in self.clients:
            username += "x"
        user_id = 1_000_000 + index * 7919
        project_ids = []
        for n in range(rng.weighted((1, 2, 3), (50, 35, 15))):
            post = jw.job_post(rng, kind)
            project_id = 37_000_000 + index * 100 + n
            slug = slugify(post.title)
            if any(p.slug == slug for p in self.projects.values()):
                slug = f"{slug}-{project_id}"
            low = post.budget[0]
            self.projects[project_id] = Project(
                project_id=project_id, client=username, slug=slug, category=slugify(post.skills[0]),
                title=post.title, description=post.description, skills=post.skills, budget_min=low,
                budget_max=post.budget[1], currency=rng.pick(("USD", "USD", "USD", "EUR", "GBP", "AUD")),
                hourly=post.hourly, bid_count=rng.between(0, 60), avg_bid=low + rng.between(0, low + 1),
                truth=post.truth, private=kind == LEGIT_CLIENT and rng.chance(0.08),
            )
            project_ids.append(project_id)
        display = f"{username[:1].upper()}{username[1:4]} {index % 26 + 65:c}."
        self.clients[username] = Client(
            user_id=user_id, username=username, display_name=display,
            country=rng.pick(jw.CLIENT_COUNTRIES), member_since=cat.EPOCH_2014 + rng.between(0, 300_000_000),
            truth=kind, fiverr_username=fiverr_name, project_ids=tuple(project_ids),
        )

    def public_projects(self) -> list[Project]:
        return [p for p in self.projects.values() if not p.private]

    def client_projects(self, username: str) -> list[Project]:
        client = self.clients.get(username)
        return [self.projects[i] for i in client.project_ids] if client else []

    def client_by_id(self, user_id: int) -> Client | None:
        return next((c for c in self.clients.values() if c.user_id == user_id), None)

    def clients_with_truth(self, truth: str) -> set[str]:
        return {c.username for c in self.clients.values() if c.truth == truth}

    def review_buyers(self) -> set[str]:
        return self.clients_with_truth(REVIEW_BUYER)

    def lookalike_clients(self) -> set[str]:
        return self.clients_with_truth(LOOKALIKE_CLIENT)

    def review_projects(self) -> set[int]:
        """Public job posts that buy reviews (a review buyer may also post an ordinary job)."""
        return {p.project_id for p in self.public_projects() if p.truth == REVIEW_BUYER}

    def lookalike_projects(self) -> set[int]:
        return {p.project_id for p in self.public_projects() if p.truth == LOOKALIKE_CLIENT}

    def same_people(self) -> dict[str, str]:
        """Client username -> their Fiverr username, for clients who also sell on Fiverr."""
        return {c.username: c.fiverr_username for c in self.clients.values() if c.fiverr_username}
