"""Who runs whom, and who buys from whom: the planted truth behind buyer maps and seller networks.

Review sellers here are grouped into *operations*: one person or shop running two to four accounts that share
off-platform contacts (an e-mail, a WhatsApp number, a Telegram handle, a Skype or Discord name; written
differently on each account, as people do) or near-identical listing copy. Every operation also has a few loyal
customers who buy from each of its accounts. Independently, *repeat buyers* buy fake reviews from several review
sellers of different operations, and say in their comments what the reviews were for ("my Amazon listing
B0...", "our Google Maps business").

Look-alikes that must stay apart: honest designers of one agency who link its shared website; sellers of all
kinds who paste the same template sentence or link the marketplace's own pages; honest sellers who happen to
share one buyer. Every buyer not planted has a name of their own.

Everything is a pure function of the catalogue's seed and size, so a crawl can be scored against
:meth:`Plan.same_operation`. The texts are applied where pages are rendered (``testbed.props``): contacts and
template sentences go into seller profiles (never scanned for review selling, so no verdict changes), copies
into the listing texts of review sellers only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from testbed import catalogue as cat
from testbed import review_wording as rw
from testbed import vocabulary as vocab
from testbed.dice import Dice

OPERATION_SIZES = ((1, 2, 3, 4), (30, 30, 25, 15))
LOYAL_CUSTOMERS = 3  # per operation, on every account
REPEAT_BUYERS = 12
REPEAT_SPREAD = (3, 5)  # review sellers each repeat buyer buys from: [low, high)
AGENCY_SIZE = 4
AGENCY_SITE = "https://pixelforge-studio.com/team"
TEMPLATE_SENTENCE = (
    "Please contact me before placing an order so we can discuss your requirements. "
    "Customer satisfaction is my top priority!"
)
MARKETPLACE_LINK = "More samples: https://www.fiverr.com/pages/seller-samples and support@fiverr.com"
PRODUCT_COMMENTS = (
    "All {n} reviews landed on my Amazon listing {asin}, verified purchase as promised.",
    "Our Google Maps business {shop} went from 3.9 to 4.8 stars in a week.",
    "Great 5 star reviews for my Etsy shop {shop}, will order again for the new products.",
    "Reviews for ASIN {asin} stuck, none dropped. Ordering more for my Amazon store next month.",
    "Trustpilot page of {shop}.com looks great now, thanks!",
)
ASIN_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_WORDS = (
    "rapid", "silver", "harbor", "maple", "quantum", "velvet", "ember", "cobalt", "summit", "orchid", "falcon",
    "granite", "lunar", "meadow", "nimbus", "onyx", "prairie", "quartz", "raven", "saffron", "tundra", "umber",
    "vortex", "willow", "zephyr", "amber", "birch", "cedar", "delta", "echo", "fjord", "glacier", "horizon",
)


@dataclass(frozen=True, slots=True)
class Operation:
    op_id: int
    accounts: tuple[str, ...]  # Fiverr usernames
    contacts: tuple[str, ...]  # one of each kind the operation uses, as a canonical value
    customers: tuple[str, ...]  # loyal buyers, who buy from every account


@dataclass
class Plan:
    operations: list[Operation] = field(default_factory=list)
    seller_notes: dict[str, list[str]] = field(default_factory=dict)  # username -> sentences for the profile
    copied: dict[int, str] = field(default_factory=dict)  # gig id -> its description, copied from a sibling
    planted_buyers: dict[str, list[str]] = field(default_factory=dict)  # username -> buyers on their gigs
    repeat_buyers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # buyer -> review sellers
    agency: tuple[str, ...] = ()
    template_users: tuple[str, ...] = ()
    marketplace_link_users: tuple[str, ...] = ()
    shared_buyer_pairs: list[tuple[str, str, str]] = field(default_factory=list)  # (seller, seller, buyer)
    # Fiverr review seller -> the contact line their listings carry on the other marketplaces (the same person,
    # under a name variant, as testbed.flavours.crowd lists them): an operation's first contact, or a private one
    elsewhere: dict[str, str] = field(default_factory=dict)

    def operation_of(self, username: str) -> int | None:
        for op in self.operations:
            if username in op.accounts:
                return op.op_id
        return None

    def same_operation(self, a: str, b: str) -> bool:
        """The truth a network is scored against: two accounts of one planted operation."""
        op = self.operation_of(a)
        return op is not None and op == self.operation_of(b)

    def same_person_or_operation(self, a: tuple[str, str], b: tuple[str, str],
                                 twins: dict[str, dict[str, str]]) -> bool:  # fmt: skip
        """Truth across marketplaces: accounts ``(marketplace, username)`` are one operation when they are the
        same Fiverr seller (``twins[marketplace]`` maps a flavour's usernames to Fiverr's) or of one operation."""
        fa, fb = (name if market == "fiverr" else twins.get(market, {}).get(name) for market, name in (a, b))
        return fa is not None and fb is not None and (fa == fb or self.same_operation(fa, fb))

    def lookalike_groups(self) -> list[tuple[str, ...]]:
        """Groups of accounts that share something innocently and must not be merged."""
        pairs = [(a, b) for a, b, _ in self.shared_buyer_pairs]
        return [self.agency, self.template_users, self.marketplace_link_users, *pairs]


def _variants(rng: Dice, kind: str, value: str) -> str:
    """The same contact written the way one account writes it."""
    if kind == "whatsapp":
        digits = value.lstrip("+")
        return rng.pick((f"WhatsApp: {value}", f"whatsapp +{digits[:2]} {digits[2:6]} {digits[6:]}",
                         f"wa.me/{digits}", f"Call or WhatsApp ({value[:3]}) {digits[2:6]}-{digits[6:]}"))
    if kind == "email":
        return rng.pick((f"Email: {value}", f"mail me at {value.upper()}", f"e-mail {value.capitalize()}"))
    if kind == "telegram":
        return rng.pick((f"Telegram @{value}", f"t.me/{value}", f"TG: @{value.capitalize()}"))
    if kind == "skype":
        return rng.pick((f"Skype: {value}", f"skype id {value}"))
    return rng.pick((f"Discord: {value}", f"discord {value}"))


def _contacts(rng: Dice, op_id: int) -> list[tuple[str, str]]:
    word, other = rng.pick(_WORDS), rng.pick(_WORDS)
    number = f"+4477009{rng.between(10000, 99999)}"  # UK numbers reserved for drama: never a real person
    kinds = [
        ("email", f"{word}.{other}{op_id}@gmail.com"),
        ("whatsapp", number),
        ("telegram", f"{other}_{word}_{op_id}"),
        ("skype", f"live:.cid.{rng.between(16**9, 16**10):x}"),
        ("discord", f"{word}{other}{op_id}"),
    ]
    return rng.sample(kinds, 3)


def _signature_pitch(rng: Dice) -> str:
    """An operation's own sales pitch, reused on two of its accounts (distinctive: words drawn at random)."""
    words = [rng.pick(_WORDS + vocab.HANDLE_WORDS + vocab.REVIEW_HANDLE_WORDS) for _ in range(30)]
    return "Our promise: " + " ".join(words) + "."


def _buyer_name(rng: Dice) -> str:
    """A buyer nobody else is: names from a space of millions."""
    return f"{rng.pick(vocab.FIRST_NAMES)}{rng.pick(_WORDS)}{rng.between(100, 100000)}"


def _build(seed: int, listings: int) -> Plan:
    sellers, gigs = cat._base(seed, listings)
    rng = Dice(f"operations:{seed}:{listings}")
    by_id = {g.gig_id: g for g in gigs}
    plan = Plan()
    # The hostile seller (markup and formulas in every text) keeps its texts exactly: tests compare them byte for byte.
    review = [s for s in sellers if s.truth == cat.REVIEW_SELLER and s.username != rw.HOSTILE_USERNAME_STEM]
    _plant_operations(rng, plan, review, by_id)
    _plant_repeat_buyers(rng, plan, review)
    _plant_lookalikes(rng, plan, sellers, gigs)
    return plan


def _plant_operations(rng: Dice, plan: Plan, review: list[cat.Seller], by_id: dict[int, cat.Gig]) -> None:
    """Consecutive accounts of an operation share a contact (a chain, so each operation is connected); in an
    operation of three or more, the last account shares copy instead: its first gig repeats the first account's."""
    index = 0
    while index < len(review):
        size = min(rng.weighted(*OPERATION_SIZES), len(review) - index)
        members = review[index : index + size]
        index += size
        op_id = len(plan.operations) + 1
        contacts = _contacts(rng, op_id if size > 1 else 100 + index)
        for seller in members:
            plan.elsewhere[seller.username] = _variants(rng, *contacts[0])
        if size < 2:  # a one-account operation gives its contact too (and on the other marketplaces)
            plan.seller_notes.setdefault(members[0].username, []).append(_variants(rng, *contacts[0]))
            continue
        customers = tuple(_buyer_name(rng) for _ in range(LOYAL_CUSTOMERS))
        plan.operations.append(Operation(op_id, tuple(s.username for s in members),
                                         tuple(v for _, v in contacts), customers))  # fmt: skip
        copy_last = size >= 3
        for position, seller in enumerate(members):
            plan.planted_buyers.setdefault(seller.username, []).extend(customers)
            if copy_last and position == size - 1:
                pitch = _signature_pitch(rng)
                source = by_id[members[0].gig_ids[0]]
                plan.copied[source.gig_id] = f"{source.description}<p>{pitch}</p>"
                plan.copied[seller.gig_ids[0]] = f"{source.description}<p>{pitch} Order now, limited offer.</p>"
                continue
            held = {contacts[position % 3], contacts[(position + 1) % 3]}
            if position == size - 1 or (copy_last and position == size - 2):
                held = {contacts[position % 3]}  # shares with the one before only
            notes = plan.seller_notes.setdefault(seller.username, [])
            notes.extend(_variants(rng, kind, value) for kind, value in sorted(held))


def _plant_repeat_buyers(rng: Dice, plan: Plan, review: list[cat.Seller]) -> None:
    """Buyers of fake reviews who come back to several review sellers, naming what the reviews were for."""
    names = [s.username for s in review]
    if len(names) < REPEAT_SPREAD[0]:
        return
    for n in range(REPEAT_BUYERS):
        buyer = rng.pick(("sunnyshop", "brandlab_co", "gadgetdeals", "homeglow", "petcare_plus", "fitgear"))
        buyer = f"{buyer}{n}"
        chosen = tuple(rng.sample(names, min(len(names), rng.between(*REPEAT_SPREAD))))
        plan.repeat_buyers[buyer] = chosen
        for seller in chosen:
            plan.planted_buyers.setdefault(seller, []).append(buyer)


def _plant_lookalikes(rng: Dice, plan: Plan, sellers: tuple[cat.Seller, ...], gigs: tuple[cat.Gig, ...]) -> None:
    honest = [s for s in sellers if s.truth == cat.LEGIT]
    designers = [s for s in honest if any(g.sub.name == "Logo Design" for g in gigs if g.seller == s.username)]
    plan.agency = tuple(s.username for s in (designers or honest)[:AGENCY_SIZE])
    for name in plan.agency:
        plan.seller_notes.setdefault(name, []).append(f"I design with the PixelForge team: {AGENCY_SITE}")
    everyone = [s.username for s in sellers if s.username not in plan.agency]
    plan.template_users = tuple(rng.sample(everyone, min(len(everyone), 12)))
    for name in plan.template_users:
        plan.seller_notes.setdefault(name, []).append(TEMPLATE_SENTENCE)
    plan.marketplace_link_users = tuple(rng.sample(everyone, min(len(everyone), 6)))
    for name in plan.marketplace_link_users:
        plan.seller_notes.setdefault(name, []).append(MARKETPLACE_LINK)
    for _ in range(min(5, len(honest) // 2)):
        a, b = rng.sample([s.username for s in honest], 2)
        buyer = _buyer_name(rng)
        plan.shared_buyer_pairs.append((a, b, buyer))
        for name in (a, b):
            plan.planted_buyers.setdefault(name, []).append(buyer)


def listing_text(plan: Plan, gig: cat.Gig) -> str:
    """A gig's description as a page shows it: its operation's copy if it has one."""
    return plan.copied.get(gig.gig_id, gig.description)


@lru_cache(maxsize=8)
def plan_for(seed: int, listings: int) -> Plan:
    """The planted truth of the catalogue ``Catalogue(seed, listings)`` (cached: pages ask for it often)."""
    return _build(seed, listings)


def product_comment(rng: Dice) -> str:
    """A review buyer's comment naming what the reviews were for (an ASIN, a Google Maps business, a shop)."""
    asin = "B0" + "".join(rng.pick(ASIN_CHARS) for _ in range(8))
    shop = f"{rng.pick(_WORDS)}{rng.pick(('bakery', 'dental', 'autos', 'boutique', 'store'))}"
    return rng.pick(PRODUCT_COMMENTS).format(n=rng.pick((10, 20, 50)), asin=asin, shop=shop)


def random_buyer(rng: Dice) -> str:
    """A one-off buyer's username."""
    return _buyer_name(rng)
