"""Seller networks on a small hand-made store: each kind of link, its strength and reason, and the honest
coincidences that must not merge two operations (a template phrase, the marketplace's own URL, an agency's
website, one shared buyer, a common name)."""

from __future__ import annotations

import pytest

from db import Store
from db.buyer_records import BuyerReview, ReviewSet
from db.contacts import contacts
from db.network_runs import current_run, list_networks, network_of
from db.networks import build_graph, components
from db.similarity import near_copies, shingles
from db.testing import listing_record, seller_record, verdict

PITCH = ("Our promise: ember quartz willow harbor saffron cobalt raven orchid meadow birch glacier tundra amber "
         "nimbus falcon prairie onyx delta lunar zephyr umber summit vortex maple cedar echo fjord.")  # fmt: skip
TEMPLATE = "Please contact me before placing an order so we can discuss your needs. Satisfaction guaranteed!"
REVIEW_TEXT = "I will post genuine 5 star reviews on your business page from real accounts with different IPs."


def seller(name: str, about: str = "") -> dict:
    return seller_record(username=name, profile_url=f"https://www.fiverr.com/{name}", description=about or None)


def gig(name: str, gig_id: str, description: str, flagged: bool = True) -> dict:
    return listing_record(external_id=gig_id, seller=name, url=f"https://www.fiverr.com/{name}/g{gig_id}",
                          title=f"gig {gig_id}", description=description, capture=None,
                          verdict=verdict(flagged=flagged, score=0.9 if flagged else 0.1))  # fmt: skip


def reviews(name: str, gig_id: str, buyers: list[str]) -> dict:
    items = [BuyerReview(review_id=f"{gig_id}-{b}", buyer=b, stars=5) for b in buyers]
    found = ReviewSet("fiverr", name, "gig", f"https://www.fiverr.com/{name}/g{gig_id}", gig_id, len(items), False,
                      5.0, items)  # fmt: skip
    return {"type": "reviews", **{k: getattr(found, k) for k in found.__dataclass_fields__}}


def a_market() -> list[dict]:
    """Operation A: alpha/bravo share a WhatsApp number, bravo/charlie a copied pitch. Operation B: delta/echo
    share a Telegram handle. Look-alikes: designers of one agency site; everyone pastes a template and links
    fiverr.com; foxtrot shares one buyer with alpha; golfer22/golfer50 are look-alike names."""
    site = "I design with the PixelForge team: https://pixelforge-studio.com/team"
    link = "More samples: https://www.fiverr.com/pages/samples and support@fiverr.com"
    return [
        seller("alpha", f"WhatsApp +44 7700 900123. {TEMPLATE} {link}"),
        seller("bravo", f"wa.me/447700900123 {TEMPLATE}"),
        seller("charlie", f"{TEMPLATE} {link}"),
        seller("delta", "Telegram @deltaecho_ops"),
        seller("echo", f"t.me/DeltaEcho_ops {link}"),
        seller("foxtrot", TEMPLATE),
        seller("golfer22"), seller("golfer50"),
        seller("hotel", site), seller("india", site), seller("juliet", site),
        gig("alpha", "1", REVIEW_TEXT), gig("bravo", "2", f"{REVIEW_TEXT} {PITCH}"),
        gig("charlie", "3", f"{REVIEW_TEXT} {PITCH} Order now!"), gig("delta", "4", REVIEW_TEXT),
        gig("echo", "5", REVIEW_TEXT), gig("foxtrot", "6", REVIEW_TEXT), gig("golfer22", "7", REVIEW_TEXT),
        gig("golfer50", "8", REVIEW_TEXT),
        gig("hotel", "9", "Logo design", False), gig("india", "10", "Logo design", False),
        gig("juliet", "11", "Logo design", False),
        reviews("alpha", "1", ["shopper1", "loyal1", "loyal2", "loyal3"]),
        reviews("foxtrot", "6", ["shopper1", "someone"]),
        reviews("hotel", "9", ["designfan"]), reviews("india", "10", ["designfan"]),
        reviews("delta", "4", ["loyal1", "loyal2", "loyal3"]),
    ]  # fmt: skip


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "gigscan.db") as opened:
        run = opened.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
        opened.record_batch(run, a_market())
        yield opened


def test_contacts_written_differently_are_one_value() -> None:
    values = {c.key for text in ("WhatsApp +44 7700 900123", "wa.me/447700900123", "call (+44) 7700-900123")
              for c in contacts(text)}  # fmt: skip
    assert values == {"phone:+447700900123"}
    assert {c.key for c in contacts("t.me/DeltaEcho_ops and TG: @deltaecho_ops")} == {"telegram:deltaecho_ops"}
    assert {c.key for c in contacts("mail ME at Ops.Team@Gmail.com")} == {"email:ops.team@gmail.com"}
    assert {c.key for c in contacts("https://www.etsy.com/shop/CoolShop?ref=x")} == {"shop:etsy.com/shop/coolshop"}
    assert contacts("see https://www.fiverr.com/pages/samples or support@fiverr.com or www.amazon.com/dp/B0X") == []
    assert contacts("5 star reviews for your Google Maps business") == []


def test_near_copies_need_distinctive_text_not_template_phrases() -> None:
    docs = [("a", 1, f"{REVIEW_TEXT} {PITCH}"), ("b", 2, f"{REVIEW_TEXT} {PITCH} Order now!"),
            ("c", 3, REVIEW_TEXT), ("d", 4, REVIEW_TEXT), ("e", 5, REVIEW_TEXT)]  # fmt: skip
    copies = near_copies(docs)
    assert [(c.a, c.b) for c in copies] == [(1, 2)]
    assert copies[0].jaccard >= 0.8
    assert len(shingles("one two three")) == 0


def test_links_have_kinds_strengths_and_reasons(store: Store) -> None:
    graph = build_graph(store.conn)
    name = {a.id: a.username for a in graph.accounts.values()}
    found = {(name[link.a], name[link.b], link.kind): link for link in graph.links}
    assert found[("alpha", "bravo", "contact")].reason == "both give the phone +447700900123"
    assert found[("alpha", "bravo", "contact")].strength == 1.0
    assert found[("bravo", "charlie", "copy")].strength == 1.0
    assert found[("delta", "echo", "contact")].reason == "both give the telegram deltaecho_ops"
    assert found[("golfer22", "golfer50", "name")].strength == 0.5
    assert found[("alpha", "delta", "buyers")].strength == 0.5  # three loyal buyers in common: weak alone
    assert all(link.strength == 0.5 for (_a, _b, kind), link in found.items() if kind == "contact"
               and "website" in link.reason)  # fmt: skip
    assert not any(kind == "buyers" and {a, b} == {"alpha", "foxtrot"} for a, b, kind in found)  # one buyer


def test_networks_are_operations_and_lookalikes_stay_apart(store: Store) -> None:
    graph = build_graph(store.conn)
    name = {a.id: a.username for a in graph.accounts.values()}
    networks = [sorted(name[i] for i in component) for component in components(graph)]
    assert networks == [["alpha", "bravo", "charlie"], ["delta", "echo"]]


def test_networks_are_kept_and_reused_until_new_evidence(store: Store) -> None:
    found = list_networks(store)
    assert [n["size"] for n in found] == [3, 2]
    assert all(link["reason"] and link["kind"] for n in found for link in n["links"])
    assert {a["username"] for a in found[0]["accounts"]} == {"alpha", "bravo", "charlie"}
    run = current_run(store.conn)
    assert run is not None and list_networks(store)[0]["computation"] == run
    assert list_networks(store, min_size=3)[0]["size"] == 3 and len(list_networks(store, min_size=3)) == 1
    alone = network_of(store, "hotel")
    assert alone[0]["network"] == 0 and {link["kind"] for link in alone[0]["weak_links"]} == {"contact"}
    later = store.start_run("crawl", "fiverr", {}, "r1", "0.1.0")
    store.record_batch(later, [seller("kilo", "Telegram @deltaecho_ops")])
    assert current_run(store.conn) is None  # new evidence: the next look recomputes
    assert [n["size"] for n in list_networks(store)] == [3, 3]


def test_the_kept_shown_and_checked_networks_are_one_computation(store: Store, monkeypatch) -> None:
    """compute (kept), _in_memory (exports) and _computed (verify) cluster the store through one helper, once
    each, and agree: the same networks, numbered alike, with the same links."""
    from db import network_runs

    calls = []
    real = network_runs.build_graph
    monkeypatch.setattr(network_runs, "build_graph", lambda conn: calls.append(1) or real(conn))
    run_id = network_runs.compute(store)
    shown = network_runs._in_memory(store, 2)
    groups, links = network_runs._computed(store.conn)
    assert len(calls) == 3
    kept = network_runs.list_networks(store)
    assert [[a["seller_id"] for a in n["accounts"]] for n in kept] == [
        [a["seller_id"] for a in n["accounts"]] for n in shown]
    assert [n["network"] for n in kept] == [n["network"] for n in shown]
    assert [len(n["links"]) for n in kept] == [len(n["links"]) for n in shown]
    assert (groups, links) == network_runs._stored(store.conn, run_id)
    found = network_runs.cluster(store.conn)
    assert {frozenset(ids) for ids in found.networks} == groups
    assert found.member_of == {a: n for n, ids in enumerate(found.networks, 1) for a in ids}
