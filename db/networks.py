"""Seller networks: which accounts are one operation, and the evidence for every link between two of them.

Accounts (sellers, on any marketplace) are linked by what they share:

- ``contact``: an off-platform contact in their texts (``db.contacts``): e-mail, phone/WhatsApp, Telegram, Skype,
  Discord (strength 1.0 each), a website or a shop (0.5: an agency's site is shared by honest designers);
- ``copy``: near-identical listing text (``db.similarity``; 1.0). Profile "about" texts are not compared: sellers
  paste the same stock about-text ("Genuine reviews for Google, Amazon...") without being one operation;
- ``name``: a come-back name variant (the same ``db.search.squashed_key``) of two accounts that both sell what
  was flagged (0.5: names like ``georgek22`` and ``georgek50`` are common);
- ``buyers``: the same buyers in unusual overlap (0.5 from 3 shared buyers; 1.0 from 6 shared buyers that are
  half of the smaller account's buyers). One shared buyer is no link.

A value held by more than ``MAX_HOLDERS`` accounts (a template text, a shared site, a name key) links nobody; a
private contact may be held by up to ``MAX_CONTACT_HOLDERS`` (an operation's accounts on several marketplaces);
a buyer of more than ``HUB_BUYER_SELLERS`` sellers is a hub.
A pair's strength is the sum over kinds (each kind counted once, at its strongest), capped at 1; networks
are the connected components of the pairs at or above ``THRESHOLD``. So no single weak coincidence merges two
operations: it takes a shared private contact, a copied text, or two weak signals together.

Copy is compared among the accounts worth comparing: those with a flagged listing and those tied to one by any
other kind (at a million listings, comparing every honest text with every other would answer nothing new).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from db.contacts import STRONG_KINDS, contacts
from db.search import squashed_key
from db.similarity import COPY_THRESHOLD, near_copies

THRESHOLD = 1.0
MAX_HOLDERS = 5  # a website, a text or a name key held by more accounts is a template or a hub, not a tie
# A private contact (an e-mail, a number, a handle) held by more accounts than this is a placeholder or a
# mis-read ("discord server"); below it, one operation can run that many accounts across marketplaces.
MAX_CONTACT_HOLDERS = 30
MIN_NAME_KEY = 5
HUB_BUYER_SELLERS = 50  # a "buyer" of this many sellers is a platform artefact or a shop, not a tie
WEAK_SITE = 0.5
NAME_STRENGTH = 0.5


@dataclass
class Account:
    id: int
    marketplace: str
    username: str
    flagged: bool
    description: str | None = None
    flagged_listings: int = 0

    @property
    def label(self) -> str:
        return f"{self.marketplace}:{self.username}"


@dataclass
class Link:
    a: int
    b: int
    kind: str
    strength: float
    reason: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Graph:
    accounts: dict[int, Account]
    links: list[Link]

    def pair_strengths(self) -> dict[tuple[int, int], float]:
        """Each linked pair's strength: the strongest link of each kind, summed, capped at 1."""
        best: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
        for link in self.links:
            kinds = best[(link.a, link.b)]
            kinds[link.kind] = max(kinds.get(link.kind, 0.0), link.strength)
        return {pair: min(1.0, sum(kinds.values())) for pair, kinds in best.items()}


# -- loading ---------------------------------------------------------------------------------------------------


def load_accounts(conn: sqlite3.Connection) -> dict[int, Account]:
    """Every stored seller, with whether any of their listings is flagged (the accounts of interest)."""
    flagged = dict(conn.execute("SELECT seller_id, COUNT(*) FROM listings WHERE flagged = 1 GROUP BY seller_id"))
    return {
        row[0]: Account(row[0], row[1], row[2], row[0] in flagged, row[3], flagged.get(row[0], 0))
        for row in conn.execute("SELECT id, marketplace, username, description FROM sellers")
    }


def _listing_texts(conn: sqlite3.Connection, seller_ids: set[int] | None) -> Iterator[tuple[int, int, str, str]]:
    """(listing id, seller id, external id, title + description) of every listing, or of the sellers given."""
    sql = "SELECT id, seller_id, external_id, title, description FROM listings"
    if seller_ids is None:
        rows: Iterator[Any] = conn.execute(sql)
        for row in rows:
            yield row[0], row[1], row[2], f"{row[3] or ''}\n{row[4] or ''}"
        return
    ids = sorted(seller_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in conn.execute(f"{sql} WHERE seller_id IN ({', '.join('?' * len(chunk))})", chunk):
            yield row[0], row[1], row[2], f"{row[3] or ''}\n{row[4] or ''}"


# -- links of each kind ------------------------------------------------------------------------------------------


def contact_links(conn: sqlite3.Connection, accounts: dict[int, Account]) -> list[Link]:
    """Pairs of accounts whose profile or listing texts give the same off-platform contact."""
    holders: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, tuple[str, str]] = {}
    for account in accounts.values():
        for found in contacts(account.description):
            holders[found.key][account.id].append({"source": "profile", "text": found.text})
            kinds[found.key] = (found.kind, found.value)
    for _listing_id, seller_id, external_id, text in _listing_texts(conn, None):
        for found in contacts(text):
            holders[found.key][seller_id].append({"source": "listing", "listing": external_id, "text": found.text})
            kinds[found.key] = (found.kind, found.value)
    links = []
    for key, by_account in holders.items():
        kind, value = kinds[key]
        strong = kind in STRONG_KINDS
        if not 2 <= len(by_account) <= (MAX_CONTACT_HOLDERS if strong else MAX_HOLDERS):
            continue
        strength = 1.0 if strong else WEAK_SITE
        for a, b in combinations(sorted(by_account), 2):
            where = [{"account": accounts[x].label, **w} for x in (a, b) for w in by_account[x][:2]]
            links.append(Link(a, b, "contact", strength, f"both give the {kind} {value}", where))
    return links


def name_links(accounts: dict[int, Account]) -> list[Link]:
    """Flagged accounts whose usernames are come-back variants of each other (same ``squashed_key``)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for account in accounts.values():
        if account.flagged:
            key = squashed_key(account.username)
            if len(key) >= MIN_NAME_KEY:
                groups[key].append(account.id)
    links = []
    for key, ids in groups.items():
        if 2 <= len(ids) <= MAX_HOLDERS:
            for a, b in combinations(sorted(ids), 2):
                reason = f"name variants ({accounts[a].username} / {accounts[b].username}), both flagged"
                links.append(Link(a, b, "name", NAME_STRENGTH, reason, [{"key": key}]))
    return links


def _buyer_count(conn: sqlite3.Connection, seller_id: int) -> int:
    return conn.execute(
        "SELECT COUNT(DISTINCT lower(buyer)) FROM buyer_reviews WHERE seller_id = ? AND scope != 'as_buyer'",
        (seller_id,),
    ).fetchone()[0]


def buyer_links(conn: sqlite3.Connection, accounts: dict[int, Account]) -> list[Link]:
    """Pairs of accounts with 3+ buyers in common. Buyers are read grouped off the buyer index, and only those
    who bought from two or more sellers (few: most buyers buy once) are paired up."""
    # The buyer index is ordered by (marketplace, buyer, seller): groups stream without a temporary B-tree, and
    # MIN != MAX keeps the buyers of two or more sellers; a DISTINCT here would cost twenty times as much.
    rows = conn.execute(
        "SELECT lower(buyer), group_concat(seller_id) FROM buyer_reviews WHERE scope != 'as_buyer'"
        " GROUP BY marketplace, buyer COLLATE NOCASE HAVING MIN(seller_id) != MAX(seller_id)"
    )
    shared: dict[tuple[int, int], list[str]] = defaultdict(list)
    for buyer, sellers in rows:
        distinct = sorted({int(s) for s in sellers.split(",")})
        if len(distinct) <= HUB_BUYER_SELLERS:
            for pair in combinations(distinct, 2):
                shared[pair].append(buyer)
    links = []
    for (a, b), names in shared.items():
        if len(names) < 3 or a not in accounts or b not in accounts:
            continue
        overlap = len(names) / min(_buyer_count(conn, a), _buyer_count(conn, b))
        strength = 1.0 if len(names) >= 6 and overlap >= 0.5 else 0.5
        reason = f"{len(names)} buyers in common ({overlap:.0%} of the smaller account's buyers)"
        links.append(Link(a, b, "buyers", strength, reason, [{"buyers": sorted(names)[:20]}]))
    return links


def copy_links(conn: sqlite3.Connection, accounts: dict[int, Account], interest: set[int],
               group_of: dict[int, int]) -> list[Link]:  # fmt: skip
    """Near-identical listings of the accounts of interest; ``group_of`` names accounts already known to be one
    operation, so their shared pitch counts as one holder's, not as a template phrase."""
    docs: list[tuple[str, int, str]] = []
    externals: dict[str, str] = {}
    for listing_id, seller_id, external_id, text in _listing_texts(conn, interest):
        docs.append((f"listing:{listing_id}", seller_id, text))
        externals[f"listing:{listing_id}"] = external_id
    links = []
    for copy in near_copies(docs, COPY_THRESHOLD, MAX_HOLDERS, group_of):
        where = [{"account": accounts[acc].label, "source": doc.split(":")[0], "listing": externals.get(doc)}
                 for acc, doc in ((copy.a, copy.doc_a), (copy.b, copy.doc_b))]  # fmt: skip
        reason = f"near-identical text (Jaccard {copy.jaccard:.2f} over word 4-grams)"
        links.append(Link(copy.a, copy.b, "copy", 1.0, reason, where))
    return links


def build_graph(conn: sqlite3.Connection) -> Graph:
    """Every link between stored accounts, of every kind."""
    accounts = load_accounts(conn)
    links = contact_links(conn, accounts) + name_links(accounts) + buyer_links(conn, accounts)
    interest = {a.id for a in accounts.values() if a.flagged}
    interest |= {x for link in links if link.a in interest or link.b in interest for x in (link.a, link.b)}
    group_of = {account: min(group) for group in components(Graph(accounts, links)) for account in group}
    links += copy_links(conn, accounts, interest, group_of)
    return Graph(accounts, links)


def components(graph: Graph, threshold: float = THRESHOLD) -> list[list[int]]:
    """Connected components (2+ accounts) over pairs at or above the threshold, largest first."""
    import networkx as nx

    strong = nx.Graph()
    strong.add_edges_from(pair for pair, strength in graph.pair_strengths().items() if strength >= threshold)
    found = [sorted(c) for c in nx.connected_components(strong) if len(c) >= 2]
    return sorted(found, key=lambda c: (-len(c), c[0]))
