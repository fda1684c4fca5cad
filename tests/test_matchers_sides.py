"""The side of the market (r10c): a listing's ``listing_side`` ("seller" for a gig, "buyer" for a job post) reaches
the scanner, and the ruleset reads it through side classes: classes with no terms, present on every listing of
their sides. A buyer's post is itself the order ("5 reviews"); a seller's gig and a text of no known side are not
read so, and a seller's honest "I will review your resume" does not change."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import scanner_of
from matchers import Scanner, evaluate, load_ruleset
from matchers.ruleset import RulesetError

SIDES_RULES = """
version = "t1"
threshold = 0.5
[classes.rating]
anchor = true
label = "rating"
terms = ["review(s)"]
[classes.quantity]
label = "quantity"
patterns = ['\\b\\d+\\b']
[classes.buyer_post]
label = "a buyer's post"
sides = ["buyer"]
[[rules]]
id = "count"
kind = "proximity"
classes = ["quantity", "rating"]
window = 2
weight = 0.3
explain = "A count of reviews"
[[rules]]
id = "buyer-count"
kind = "proximity"
classes = ["buyer_post", "quantity", "rating"]
window = 2
weight = 0.3
explain = "A buyer's post ordering a count of reviews"
must_match = ["5 reviews"]
must_not_match = ["reviews"]
[[rules]]
id = "not-on-buyers"
kind = "keyword"
classes = ["rating"]
absent = ["buyer_post"]
weight = 0.1
explain = "Reviews, not on a buyer's post"
"""


def fired(verdict) -> set[str]:
    return {r.rule_id for r in verdict.reasons}


def test_a_side_class_is_present_only_on_listings_of_its_side(tmp_path: Path) -> None:
    scanner = scanner_of(tmp_path, SIDES_RULES)
    buyer = scanner.scan({"title": "5 reviews", "listing_side": "buyer"})
    assert fired(buyer) == {"count", "buyer-count"} and buyer.flagged
    for side in ("seller", "none", "", None, 3):
        other = scanner.scan({"title": "5 reviews", "listing_side": side})
        assert fired(other) == {"count", "not-on-buyers"} and not other.flagged
    assert fired(scanner.scan({"title": "5 reviews"})) == {"count", "not-on-buyers"}  # no side at all
    assert fired(scanner.scan({"title": "5 reviews", "listing_side": " Buyer "})) == {"count", "buyer-count"}


def test_rule_examples_of_a_side_rule_are_listings_of_its_side(tmp_path: Path) -> None:
    scanner = scanner_of(tmp_path, SIDES_RULES)
    assert list(scanner.check_examples()) == []
    rule = next(r for r in scanner.ruleset.rules if r.id == "buyer-count")
    assert scanner.example_side(rule) == "buyer" and rule.classes == (("quantity",), ("rating",))
    assert rule.sides == (("buyer_post",),)
    assert "buyer-count" not in scanner.fired("5 reviews") and "buyer-count" in scanner.fired("5 reviews", "buyer")


@pytest.mark.parametrize(("change", "message"), [
    ('[classes.buyer_post]\nlabel = "a buyer\'s post"\nsides = ["buyer"]',
     '[classes.buyer_post]\nlabel = "b"\nsides = ["buyer"]\nterms = ["x"]'),
    ('classes = ["buyer_post", "quantity", "rating"]', 'classes = ["buyer_post|quantity", "rating"]'),
])
def test_a_side_class_has_no_terms_and_is_no_alternative_to_a_term_class(tmp_path: Path, change: str,
                                                                          message: str) -> None:
    with pytest.raises(RulesetError) as raised:
        scanner_of(tmp_path, SIDES_RULES.replace(change, message))
    assert "side class" in str(raised.value)


def test_the_bundled_rules_read_a_buyers_short_order_but_not_a_sellers_honest_gig() -> None:
    scanner = Scanner(load_ruleset())
    for title in ("5 reviews", "Amazon review generation"):
        assert scanner.scan({"title": title, "listing_side": "buyer"}).flagged, title
        assert not scanner.scan({"title": title, "listing_side": "seller"}).flagged, title
        assert not scanner.scan({"title": title}).flagged, title
    for title in ("I will review your resume and cover letter", "I will beta read your novel"):
        seller = scanner.scan({"title": title, "listing_side": "seller"})
        assert seller.to_dict() == scanner.scan({"title": title}).to_dict() and not seller.flagged


def test_eval_gives_each_row_its_listing_side() -> None:
    rows = [{"id": "a", "title": "5 reviews", "label": 1, "listing_side": "buyer"},
            {"id": "b", "title": "5 reviews", "label": 0, "listing_side": "seller"}]
    result = evaluate(rows)
    assert (result.tp, result.fp, result.fn, result.tn) == (1, 0, 0, 1)
    sides = {(c.category, c.label): c.flagged for c in result.listing_sides}
    assert sides == {("buyer", 1): 1, ("seller", 0): 0}


def test_a_buyers_post_is_a_deal_the_transaction_check_never_holds(tmp_path: Path) -> None:
    """A long text with no supplier's or buyer's voice is held at suspect; a buyer's post is the request itself."""
    rules = SIDES_RULES.replace("[classes.buyer_post]", '''[transaction]
classes = ["deal", "buyer_post"]
min_words = 4
cap = 0.3
explain = "Held: no deal"
[classes.deal]
label = "a deal"
terms = ["price"]
[classes.buyer_post]''').replace("threshold = 0.5", "threshold = 0.35")
    scanner = scanner_of(tmp_path, rules)
    text = {"title": "5 reviews", "description": "Five people wrote about the reviews they saw last week."}
    held = scanner.scan({**text, "listing_side": "seller"})
    assert held.score == 0.3 and "no-transaction" in fired(held)
    buyer = scanner.scan({**text, "listing_side": "buyer"})
    assert buyer.flagged and "no-transaction" not in fired(buyer)
