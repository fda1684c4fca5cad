"""The buyer map on a hand-made store: who bought, ranked by how many review sellers they bought from;
comments' product and shop mentions; the `buyers` and `buyer` commands (JSON, escaping, exit codes)."""

from __future__ import annotations

import json

import pytest

from db import Store
from db.buyer_records import BuyerReview, ReviewSet
from db.buyers import TargetNotFound, bought_by, buyers_of
from db.mentions import mentions
from db.testing import listing_record, verdict
from gigscan.commands.network import highlighted
from helpers import run_gigscan


def gig(name: str, gig_id: str, flagged: bool) -> dict:
    return listing_record(external_id=gig_id, seller=name, url=f"https://www.fiverr.com/{name}/g{gig_id}",
                          title=f"gig {gig_id}", capture=None,
                          verdict=verdict(flagged=flagged, score=0.9 if flagged else 0.1))  # fmt: skip


def reviews(name: str, gig_id: str, entries: list[tuple[str, str, str]], total: int = 99) -> dict:
    items = [BuyerReview(review_id=f"{gig_id}-{buyer}", buyer=buyer, created_at=date, stars=5, comment=comment,
                         price_range="Up to $50", price_high=50.0) for buyer, date, comment in entries]  # fmt: skip
    found = ReviewSet("fiverr", name, "gig", f"https://www.fiverr.com/{name}/g{gig_id}", gig_id, total, True, 4.9,
                      items)  # fmt: skip
    return {"type": "reviews", **{k: getattr(found, k) for k in found.__dataclass_fields__}}


AMAZON = "All 20 reviews landed on my Amazon listing B0C1234XYZ, verified"
RECORDS = [
    gig("rev_one", "1", True), gig("rev_two", "2", True), gig("rev_three", "3", True), gig("honest", "4", False),
    reviews("rev_one", "1", [("onetimer", "2025-01-02T10:00:00", "great"),
                             ("Repeat_Shop", "2025-01-05T10:00:00", AMAZON),
                             ("twice", "2025-01-03T10:00:00", "[bold]not markup[/bold] fine")]),
    reviews("rev_two", "2", [("repeat_shop", "2025-02-01T10:00:00", "Our Google Maps business JoesBakery is 4.9"),
                             ("twice", "2025-02-02T10:00:00", "ok")]),
    reviews("rev_three", "3", [("repeat_shop", "2025-03-01T10:00:00", "again")]),
    reviews("honest", "4", [("twice", "2025-03-02T10:00:00", "nice logo")]),
]  # fmt: skip


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "gigscan.db"
    with Store(path) as store:
        store.record_batch(store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"), RECORDS)
    return path


def test_repeat_buyers_of_review_sellers_rank_first(db_path) -> None:
    with Store(db_path) as store:
        found = buyers_of(store.conn, "rev_one")
    assert [(b["buyer"], b["review_sellers"], b["sellers"]) for b in found["buyers"]] == [
        ("Repeat_Shop", 3, 3), ("twice", 2, 3), ("onetimer", 1, 1),
    ]
    assert found["stated"]["total_count"] == 99 and found["reviews"] == 3
    review = found["buyers"][0]["reviews"][0]
    assert (review["created_at"], review["price_range"], review["listing"]) == (
        "2025-01-05T10:00:00.000Z", "Up to $50", "1",
    )
    assert [m["text"] for m in review["mentions"]] == ["my Amazon listing", "B0C1234XYZ"]


def test_a_listing_target_and_a_buyers_sellers(db_path) -> None:
    with Store(db_path) as store:
        by_url = buyers_of(store.conn, "https://www.fiverr.com/rev_two/g2?ref=x")
        by_id = buyers_of(store.conn, "2")
        assert by_url["target"]["external_id"] == by_id["target"]["external_id"] == "2"
        assert [b["buyer"] for b in by_url["buyers"]] == ["repeat_shop", "twice"]
        bought = bought_by(store.conn, "TWICE")
        assert [(s["seller"], s["flagged"]) for s in bought["sellers"]] == [
            ("rev_one", True), ("rev_two", True), ("honest", False),
        ]
        assert bought["review_sellers"] == 2
        with pytest.raises(TargetNotFound):
            buyers_of(store.conn, "nobody")


def test_comments_print_as_text_with_mentions_highlighted() -> None:
    comment = "[bold]not markup[/bold] on my Amazon listing"
    text = highlighted(comment, [m.to_dict() for m in mentions(comment)])
    assert text.plain == comment
    assert [(s.start, s.end, str(s.style)) for s in text.spans] == [(27, 44, "bold yellow")]


def test_mentions_find_products_shops_and_platforms() -> None:
    found = mentions("Reviews for ASIN B0ABCDEFGH stuck. Our Google Maps business JoesBakery and joes-bakery.com")
    assert [(m.kind, m.text) for m in found] == [
        ("asin", "ASIN B0ABCDEFGH"), ("listing", "Our Google Maps business JoesBakery"), ("site", "joes-bakery.com"),
    ]
    assert mentions("Great logo, thanks") == []
    assert [m.kind for m in mentions("my Etsy shop")] == ["listing"]


def test_buyers_and_buyer_commands(db_path) -> None:
    out = run_gigscan("buyers", "rev_one", "--json", "--db", str(db_path)).stdout
    assert json.loads(out)["buyers"][0]["buyer"] == "Repeat_Shop"
    assert "Repeat_Shop" in run_gigscan("buyers", "rev_one", "--db", str(db_path)).stdout
    assert json.loads(run_gigscan("buyer", "repeat_shop", "--json", "--db", str(db_path)).stdout)["review_sellers"] == 3
    missing = run_gigscan("buyers", "nobody", "--db", str(db_path), check=False)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    no_store = run_gigscan("buyers", "x", "--db", str(db_path.parent / "none.db"), check=False)
    assert no_store.returncode == 2


def test_a_profiles_reviews_as_a_buyer_say_whom_it_bought_from(tmp_path) -> None:
    item = BuyerReview(review_id="x1", buyer="some_seller", created_at="2025-04-01T00:00:00", stars=5,
                       comment="Great buyer, clear instructions")  # fmt: skip
    found = ReviewSet("fiverr", "rev_one", "as_buyer", "https://www.fiverr.com/rev_one", None, 1, False, 5.0, [item])
    with Store(tmp_path / "g.db") as store:
        record = {"type": "reviews", **{k: getattr(found, k) for k in found.__dataclass_fields__}}
        store.record_batch(store.start_run("crawl", "fiverr", {}, "r1", "0.1.0"), [record])
        bought = bought_by(store.conn, "rev_one")
        assert bought["sellers"] == [] and [r["seller"] for r in bought["reviews_received_as_buyer"]] == ["some_seller"]
        with pytest.raises(TargetNotFound):
            buyers_of(store.conn, "some_seller")  # the counterpart is not a buyer of rev_one
