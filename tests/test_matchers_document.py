"""Document rules read the whole listing: every field, also those without a rating term (r10a).

A document rule (``scope = "document"``) is about the listing, not about words next to each other: a payment in
a description whose only rating term is in the title, a reporter's words in a title with no rating word. The scan
keys only fields with a rating term; a document rule reads the others whole. An honest title, for its part,
explains the passive mentions of its description, not a description that supplies or buys reviews itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers import Scanner, load_ruleset

RULESET = """
version = "test"
threshold = 0.6
suspect_threshold = 0.3
[transaction]
classes = ["deal"]
min_words = 40
cap = 0.5
explain = "No deal"
[classes.deal]
label = "deal word"
terms = ["we write", "we post", "per review"]
[classes.rating]
anchor = true
label = "rating term"
terms = ["review", "reviews"]
[classes.platform]
label = "platform"
terms = ["google"]
[classes.pay]
label = "payment word"
terms = ["we pay", "paid"]
[classes.proof]
label = "proof"
terms = ["screenshot"]
[classes.judgement]
label = "judgement"
terms = ["fake"]
[classes.reporting]
label = "reporting word"
terms = ["said", "regulator"]
[classes.voice]
label = "offer voice"
terms = ["we deliver"]
[classes.request]
label = "asking customers"
terms = ["invitation", "invitations"]
[classes.supply]
label = "supplying verb"
terms = ["write", "post"]
negatable = true
trade = true
[classes.beneficiary]
label = "word addressing the buyer"
terms = ["your"]
[[rules]]
id = "platform-reviews"
kind = "proximity"
classes = ["platform", "rating"]
window = 2
weight = 0.3
explain = "Platform reviews"
[[rules]]
id = "paid-on-proof"
act = true
kind = "proximity"
scope = "document"
classes = ["proof", "rating", "pay"]
weight = 0.35
explain = "Paid on proof"
[[rules]]
id = "supplied-reviews"
kind = "proximity"
classes = ["supply", "rating"]
window = 4
weight = 0.6
explain = "Reviews supplied"
[[rules]]
id = "reviews-for-you"
kind = "proximity"
classes = ["rating", "beneficiary"]
window = 3
weight = 0.1
explain = "Reviews for the buyer"
[[rules]]
id = "discussing-the-trade"
kind = "negative"
scope = "document"
classes = ["judgement", "reporting"]
absent = ["voice"]
weight = 0.9
explain = "The trade discussed from outside"
[[rules]]
id = "asking-customers"
kind = "negative"
classes = ["request", "rating"]
window = 4
weight = 0.6
explain = "Asking customers"
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    path: Path = tmp_path_factory.mktemp("rules") / "rules.toml"
    path.write_text(RULESET, encoding="utf-8")
    return Scanner(load_ruleset(path))


def fired(scanner: Scanner, doc: dict) -> set[str]:
    return {r.rule_id for r in scanner.scan(doc).reasons}


def test_a_document_rule_reads_a_description_without_a_rating_term(small: Scanner) -> None:
    doc = {"title": "Google reviews for restaurants",
           "description": "Help us out, we pay five dollars after you send a screenshot."}
    verdict = small.scan(doc)
    assert {"platform-reviews", "paid-on-proof"} <= fired(small, doc)
    assert verdict.flagged
    reason = next(r for r in verdict.reasons if r.rule_id == "paid-on-proof")
    assert doc[reason.field][reason.start:reason.end] == reason.text


def test_a_frame_reads_a_title_without_a_rating_term(small: Scanner) -> None:
    doc = {"title": "Fake sellers everywhere, the regulator said",
           "description": "They post Google reviews for money."}
    verdict = small.scan(doc)
    assert "discussing-the-trade" in fired(small, doc)
    assert not verdict.flagged


def test_an_absent_class_in_a_field_without_a_rating_term_keeps_the_frame_away(small: Scanner) -> None:
    doc = {"title": "Fake sellers everywhere, the regulator said. We deliver anyway",
           "description": "We post Google reviews for money."}
    assert "discussing-the-trade" not in fired(small, doc)
    assert small.scan(doc).flagged


def test_a_listing_without_any_rating_term_is_not_read(small: Scanner) -> None:
    doc = {"title": "Fake news, the regulator said", "description": "We pay after a screenshot."}
    verdict = small.scan(doc)
    assert verdict.reasons == [] and verdict.grade == "clear"


# -- an honest title explains its description's mentions, not the trade the description tells of itself --------


def test_an_honest_title_explains_a_passive_mention_below_it(small: Scanner) -> None:
    doc = {"title": "Review invitation service",
           "description": "Your customers write reviews for your shop."}
    verdict = small.scan(doc)
    assert not verdict.flagged and verdict.grade == "clear"


def test_an_honest_title_does_not_explain_a_supplier_writing_the_reviews(small: Scanner) -> None:
    doc = {"title": "Review invitation service",
           "description": "We write the reviews for your shop."}
    verdict = small.scan(doc)
    assert verdict.flagged
    supplied = next(r for r in verdict.reasons if r.rule_id == "supplied-reviews")
    assert supplied.field == "description" and "Not counted" not in supplied.explanation


def test_the_supplier_must_speak_in_the_sentence_of_the_act(small: Scanner) -> None:
    doc = {"title": "Review invitation service",
           "description": "We write emails. Your customers write reviews for your shop."}
    assert not small.scan(doc).flagged
