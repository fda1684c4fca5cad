"""A deterministic Fiverr-like catalogue of sellers and gigs, with ground truth for tests.

``Catalogue(seed, listings, step)`` is a pure function of its arguments: the same three values give the same
sellers and gigs, field for field. Sellers come in blocks of fifteen; each block holds exactly one seller of fake
reviews (about 6.7 % of sellers) and one or two sellers of honest "look-alike" services that use review words
(resume review, Amazon listing optimisation, code review, replies to Google reviews, ...). The rest are ordinary
gigs across many categories. The very first seller is the hostile review seller whose texts carry markup and
spreadsheet formulas (so every catalogue of four or more listings has one).

Every seller and gig has ``truth`` in {"review_seller", "lookalike", "legit"}. A gig's truth follows its own text
(a review seller's side gig in video editing is "legit"); a seller is "review_seller" if any of its gigs sells
reviews, else "lookalike" if any gig is a look-alike, else "legit".

Steps (history). Step 0 is the catalogue as generated. Going from step ``j-1`` to ``j`` every gig draws one number
``u`` in [0, 1) from a hash of (seed, gig_id, j):

- a live gig with ``u < REMOVE_RATE`` (3 %) is removed (its page answers 404 and it leaves search);
- a live gig with ``REMOVE_RATE <= u < REMOVE_RATE + EDIT_RATE`` (next 8 %) is edited: its ``e``-th edit appends
  ``EDIT_SUFFIXES[(e-1) % 4]`` to the original title, appends an "Update" paragraph to the original description
  and raises every package price by 10 % of the original per edit (rounded to whole dollars);
- a removed gig with ``u < RESTORE_RATE`` (40 %) is restored, with the edits it had before removal.

Slugs, ids, tags and ratings never change. ``Catalogue.changes()`` names the gigs edited, removed and restored by
the last step.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

from testbed import gig_details as details
from testbed import review_wording as rw
from testbed import vocabulary as vocab
from testbed.dice import Dice
from testbed.search import SearchIndex

REVIEW_SELLER, LOOKALIKE, LEGIT = "review_seller", "lookalike", "legit"
BLOCK = 15
REMOVE_RATE, EDIT_RATE, RESTORE_RATE = 0.03, 0.08, 0.40
EDIT_SUFFIXES = ("in 24 hours", "with fast delivery", "at a special price", "for any niche")
EPOCH_2014, EPOCH_2025 = 1388534400, 1748736000


@dataclass(frozen=True, slots=True)
class Gig:
    gig_id: int
    seller: str
    slug: str
    title: str
    description: str
    tags: tuple[str, ...]
    sub: vocab.Subcategory
    rating: float
    reviews_count: int
    truth: str
    service_key: str | None  # None for review gigs (their packages count reviews)
    unit: str  # what a review gig's packages count ("reviews", "Bewertungen", ...)
    detail_seed: int
    edits: int = 0

    @property
    def url(self) -> str:
        return f"/{self.seller}/{self.slug}"

    @property
    def packages(self) -> tuple[details.Package, ...]:
        return details.packages(self.detail_seed, self.service_key, self.unit, self.edits)

    @property
    def buyer_reviews(self) -> tuple[details.BuyerReview, ...]:
        return details.buyer_reviews(self.detail_seed, self.truth, self.reviews_count)

    @property
    def price_cents(self) -> int:
        """Starting price: the cheapest package."""
        return min(p.price_cents for p in self.packages)


@dataclass(frozen=True, slots=True)
class Seller:
    seller_id: int
    username: str
    display_name: str | None
    country: str
    level: str
    member_since: int
    rating_score: float
    rating_count: int
    one_liner: str
    description: str
    languages: tuple[tuple[str, int], ...]
    timezone: str
    response_hours: int
    gig_ids: tuple[int, ...]
    truth: str


@dataclass(frozen=True, slots=True)
class StepChanges:
    edited: frozenset[int]
    removed: frozenset[int]
    restored: frozenset[int]


def slugify(text: str) -> str:
    """Fiverr-style slug: ASCII letters and digits joined by hyphens (empty for non-Latin text)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80].rstrip("-")


def _unit(seed: int, gig_id: int, step: int) -> float:
    digest = hashlib.blake2b(f"{seed}:{gig_id}:{step}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class _Builder:
    """Draws sellers and gigs from one seeded RNG stream, in order."""

    def __init__(self, seed: int, listings: int) -> None:
        self.rng = Dice(seed)
        self.listings = listings
        self.sellers: list[Seller] = []
        self.gigs: list[Gig] = []
        self._ids: set[int] = set()
        self._usernames: set[str] = set()
        self._review_gigs = 0
        self._block: list[str] = []

    def build(self) -> tuple[tuple[Seller, ...], tuple[Gig, ...]]:
        index = 0
        while len(self.gigs) < self.listings:
            if index % BLOCK == 0:
                self._block = self._block_kinds(index // BLOCK)
            self._seller(index, self._block[index % BLOCK])
            index += 1
        return tuple(self.sellers), tuple(self.gigs)

    def _block_kinds(self, block: int) -> list[str]:
        kinds = [LEGIT] * BLOCK
        if block == 0:
            kinds[0], kinds[1] = REVIEW_SELLER, LOOKALIKE
        else:
            spots = self.rng.sample(range(BLOCK), 3)
            kinds[spots[0]], kinds[spots[1]] = REVIEW_SELLER, LOOKALIKE
            if self.rng.chance(0.5):
                kinds[spots[2]] = LOOKALIKE
        return kinds

    def _new_id(self, low: int, high: int) -> int:
        while True:
            value = self.rng.between(low, high)
            if value not in self._ids:
                self._ids.add(value)
                return value

    def _username(self, kind: str, hostile: bool) -> str:
        rng = self.rng
        if hostile:
            name = rw.HOSTILE_USERNAME_STEM
        else:
            first, word = rng.pick(vocab.FIRST_NAMES), rng.pick(vocab.HANDLE_WORDS)
            if kind == REVIEW_SELLER and rng.chance(0.7):
                word = rng.pick(vocab.REVIEW_HANDLE_WORDS)
            name = rng.pick((
                f"{first}{word}", f"{first}_{word}", f"{word}_{rng.pick(vocab.HANDLE_WORDS)}",
                f"{first}{rng.pick(vocab.LAST_INITIALS).lower()}{rng.between(1, 99)}",
            ))
        while name in self._usernames:
            name = f"{name}{rng.between(0, 10)}"
        self._usernames.add(name)
        return name

    def _gig_count(self, kind: str, hostile: bool) -> int:
        if hostile:
            count = len(rw.HOSTILE_GIGS)
        elif kind == REVIEW_SELLER:
            count = self.rng.weighted((2, 3, 4, 5), (30, 30, 25, 15))
        else:
            count = self.rng.weighted((1, 2, 3, 4, 5), (35, 25, 20, 12, 8))
        return min(count, self.listings - len(self.gigs))

    def _seller(self, index: int, kind: str) -> None:
        rng = self.rng
        hostile = index == 0
        username = self._username(kind, hostile)
        seller_id = self._new_id(10_000_000, 200_000_000)
        first = username.split("_")[0].rstrip("0123456789").capitalize() or "Alex"
        gigs = self._gigs_for(username, kind, hostile, self._gig_count(kind, hostile))
        truths = {g.truth for g in gigs}
        truth = REVIEW_SELLER if REVIEW_SELLER in truths else LOOKALIKE if LOOKALIKE in truths else LEGIT
        if hostile:
            display: str | None = rw.HOSTILE_DISPLAY_NAME
        elif rng.chance(0.02):
            display = None
        else:
            display = f"{first} {rng.pick(vocab.LAST_INITIALS)}."
        country = rng.pick(vocab.COUNTRY_CODES)
        weights = (60, 35, 5) if truth == REVIEW_SELLER else (50, 30, 20)
        counted = sum(g.reviews_count for g in gigs)
        extra = rng.between(0, 12)  # reviews on gigs the seller has since deleted
        weighted = sum(g.rating * g.reviews_count for g in gigs) + 4.8 * extra
        score = weighted / (counted + extra) if counted + extra else 0
        one_liner, about = self._profile_text(truth, hostile, first, gigs[0].sub.name)
        languages = (("en", rng.pick((3, 4))),)
        if rng.chance(0.6):
            languages += ((rng.pick(vocab.LANGUAGE_CODES[1:]), 4),)
        self.sellers.append(Seller(
            seller_id=seller_id, username=username, display_name=display, country=country,
            level=rng.weighted(vocab.LEVELS, weights), member_since=rng.between(EPOCH_2014, EPOCH_2025),
            rating_score=score, rating_count=counted + extra, one_liner=one_liner,
            description=about, languages=languages, timezone=rng.pick(vocab.TIMEZONES),
            response_hours=rng.pick((1, 1, 2, 4, 12, 24)), gig_ids=tuple(g.gig_id for g in gigs), truth=truth,
        ))
        self.gigs.extend(gigs)

    def _profile_text(self, truth: str, hostile: bool, first: str, main_sub: str) -> tuple[str, str]:
        """(one-liner, about text) of a seller profile."""
        if hostile:
            return rw.HOSTILE_ONE_LINER, rw.HOSTILE_GIGS[0].description
        if truth == REVIEW_SELLER:
            return self.rng.pick(rw.REVIEW_SELLER_ONE_LINERS), self.rng.pick(rw.REVIEW_SELLER_ABOUT)
        return (f"{main_sub} expert with {self.rng.between(2, 15)} years of experience",
                f"Hi, I'm {first}. I love my work in {main_sub.lower()} and I care about every client.")

    def _gigs_for(self, username: str, kind: str, hostile: bool, count: int) -> list[Gig]:
        rng = self.rng
        specialties = rng.sample(vocab.LEGIT_SERVICES, 2)
        platforms = rng.sample(rw.PLATFORMS, 2)
        slugs: set[str] = set()
        gigs = []
        for n in range(count):
            if hostile:
                bad = rw.HOSTILE_GIGS[n]
                text = rw.ReviewText(bad.title, bad.description, bad.platform.tags, "reviews")
                gigs.append(self._gig(username, slugs, text, bad.platform.sub, REVIEW_SELLER, None))
            elif kind == REVIEW_SELLER and not (n == count - 1 and count >= 3 and rng.chance(0.35)):
                style = rw.STYLES[self._review_gigs % len(rw.STYLES)]
                self._review_gigs += 1
                platform = platforms[0] if rng.chance(0.7) else platforms[1]
                text = rw.review_text(rng, platform, style)
                gigs.append(self._gig(username, slugs, text, platform.sub, REVIEW_SELLER, None))
            elif kind == LOOKALIKE and (n == 0 or rng.chance(0.5)):
                service = rng.pick(vocab.LOOKALIKE_SERVICES)
                gigs.append(self._gig(username, slugs, self._service_text(service), service.sub, LOOKALIKE, service))
            else:
                service = specialties[0] if rng.chance(0.7) else rng.pick(specialties)
                gigs.append(self._gig(username, slugs, self._service_text(service), service.sub, LEGIT, service))
        return gigs

    def _service_text(self, service: vocab.Service) -> rw.ReviewText:
        rng = self.rng
        title = rng.pick(service.titles).format(adj=rng.pick(vocab.ADJECTIVES))
        pitch = " ".join(rng.sample(service.pitch, min(2, len(service.pitch))))
        bullets = "".join(f"<li>{f}</li>" for f in service.features)
        description = (
            f"<p>{rng.pick(vocab.GREETINGS)}</p><p>{pitch}</p><p><strong>What you get:</strong></p>"
            f"<ul>{bullets}</ul><p>{rng.pick(vocab.CLOSINGS)}</p>"
        )
        tags = tuple(rng.sample(service.tags, min(len(service.tags), rng.between(3, 6))))
        return rw.ReviewText(title, description, tags, "")

    def _gig(self, username: str, slugs: set[str], text: rw.ReviewText, sub: vocab.Subcategory, truth: str,
             service: vocab.Service | None) -> Gig:
        rng = self.rng
        gig_id = self._new_id(100_000_000, 460_000_000)
        slug = slugify(text.title) or f"gig-{gig_id}"
        while slug in slugs:
            slug = f"{slug}-{len(slugs) + 1}"
        slugs.add(slug)
        reviews_count = 0 if rng.chance(0.15) else int(rng.exponential(120)) + 1
        return Gig(
            gig_id=gig_id, seller=username, slug=slug, title=text.title, description=text.description,
            tags=text.tags, sub=sub, rating=round(rng.uniform(4.3, 5.0), 1) if reviews_count else 0.0,
            reviews_count=reviews_count, truth=truth, service_key=service.key if service else None,
            unit=text.package_unit, detail_seed=rng.between(0, 2**62),
        )


@lru_cache(maxsize=8)
def _base(seed: int, listings: int) -> tuple[tuple[Seller, ...], tuple[Gig, ...]]:
    return _Builder(seed, listings).build()


def _edited(gig: Gig, edits: int) -> Gig:
    suffix = EDIT_SUFFIXES[(edits - 1) % len(EDIT_SUFFIXES)]
    note = f"<p>Update {edits}: now {suffix}.</p>"
    return replace(gig, title=f"{gig.title} {suffix}", description=gig.description + note, edits=edits)


def _history(seed: int, gigs: tuple[Gig, ...], step: int) -> tuple[dict[int, int], set[int], StepChanges]:
    """Edit counts and removed ids after ``step`` steps, plus what the last step changed."""
    edits: dict[int, int] = {}
    removed: set[int] = set()
    last = StepChanges(frozenset(), frozenset(), frozenset())
    for j in range(1, step + 1):
        edited_now, removed_now, restored_now = set(), set(), set()
        for gig in gigs:
            u = _unit(seed, gig.gig_id, j)
            if gig.gig_id in removed:
                if u < RESTORE_RATE:
                    removed.discard(gig.gig_id)
                    restored_now.add(gig.gig_id)
            elif u < REMOVE_RATE:
                removed.add(gig.gig_id)
                removed_now.add(gig.gig_id)
            elif u < REMOVE_RATE + EDIT_RATE:
                edits[gig.gig_id] = edits.get(gig.gig_id, 0) + 1
                edited_now.add(gig.gig_id)
        last = StepChanges(frozenset(edited_now), frozenset(removed_now), frozenset(restored_now))
    return edits, removed, last


class Catalogue:
    """The marketplace's content at one step: sellers, live gigs, search, and ground truth."""

    def __init__(self, seed: int = 1, listings: int = 600, step: int = 0) -> None:
        if listings < 1 or step < 0:
            raise ValueError("listings must be >= 1 and step >= 0")
        self.seed, self.listings, self.step = seed, listings, step
        sellers, base_gigs = _base(seed, listings)
        edits, removed, self._changes = _history(seed, base_gigs, step)
        self.sellers: dict[str, Seller] = {s.username: s for s in sellers}
        self.removed: frozenset[int] = frozenset(removed)
        self.gigs: dict[int, Gig] = {
            g.gig_id: _edited(g, edits[g.gig_id]) if g.gig_id in edits else g
            for g in base_gigs
            if g.gig_id not in removed
        }
        self._by_path = {(g.seller, g.slug): g.gig_id for g in base_gigs}
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()

    def seller(self, username: str) -> Seller | None:
        return self.sellers.get(username)

    def gig(self, gig_id: int) -> Gig | None:
        """A live gig by id (None if unknown or removed at this step)."""
        return self.gigs.get(gig_id)

    def gig_at(self, username: str, slug: str) -> Gig | None:
        """A live gig by its URL parts."""
        gig_id = self._by_path.get((username, slug))
        return None if gig_id is None else self.gigs.get(gig_id)

    def seller_gigs(self, username: str) -> list[Gig]:
        seller = self.sellers.get(username)
        return [self.gigs[i] for i in seller.gig_ids if i in self.gigs] if seller else []

    def prepare_search(self) -> SearchIndex:
        """The search index, built once (~0.15 s for 2,000 gigs) even when many threads ask at once."""
        with self._index_lock:
            if self._index is None:
                self._index = SearchIndex(self.gigs.values())
            return self._index

    def search(self, query: str) -> list[Gig]:
        """Live gigs sharing terms with the query, best first (see testbed.search)."""
        index = self._index or self.prepare_search()
        return [self.gigs[i] for i in index.search(query)]

    def sellers_with_truth(self, truth: str) -> set[str]:
        return {s.username for s in self.sellers.values() if s.truth == truth}

    def review_sellers(self) -> set[str]:
        return self.sellers_with_truth(REVIEW_SELLER)

    def lookalike_sellers(self) -> set[str]:
        return self.sellers_with_truth(LOOKALIKE)

    def hostile_seller(self) -> Seller:
        return self.sellers[rw.HOSTILE_USERNAME_STEM]

    def changes(self) -> StepChanges:
        """Gigs edited, removed and restored by the step that produced this catalogue (empty at step 0)."""
        return self._changes

    def to_json(self) -> str:
        """Canonical JSON of everything served at this step (for determinism checks and debugging)."""
        data = {
            "sellers": [asdict(s) for s in self.sellers.values()],
            "gigs": [
                {**asdict(g), "packages": [asdict(p) for p in g.packages],
                 "buyer_reviews": [asdict(r) for r in g.buyer_reviews]}
                for g in self.gigs.values()
            ],
            "removed": sorted(self.removed),
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)
