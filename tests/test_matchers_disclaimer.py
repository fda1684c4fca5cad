"""A disclaimed act (r19e): a class with ``negated`` takes the negated hits of negatable classes ("I never write or
post reviews"), which a negation otherwise only drops; and a negative document rule with a ``window`` frames the
listing only when its two classes stand within it in one field (the phrase, not two words a page apart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import scanner_of
from matchers import Scanner
from matchers.ruleset import RulesetError

RULES = """
version = "t1"
threshold = 0.5
suspect_threshold = 0.3
[negation]
words = ["never", "not", "no", "n"]
after = ["no"]
[classes.rating]
anchor = true
label = "rating"
terms = ["review(s)", "bewertungen"]
[classes.platform]
label = "platform"
terms = ["google"]
[classes.offer]
negatable = true
label = "posting verb"
terms = ["post", "write", "drop", "kaufen", "compra"]
[classes.disclaimer]
label = "an act disclaimed"
negated = ["offer"]
negated_except = ["drop"]
[classes.price]
label = "price"
patterns = ['\\$\\d+']
gate = "$"
[[rules]]
id = "platform-reviews"
kind = "proximity"
classes = ["platform", "rating"]
window = 3
weight = 0.6
explain = "A platform's reviews"
[[rules]]
id = "disclaimed"
kind = "negative"
scope = "document"
classes = ["disclaimer", "rating|platform"]
window = 3
absent = ["price"]
weight = 0.6
explain = "The listing disclaims the trade"
"""


def fired(scanner: Scanner, doc: dict[str, str]) -> set[str]:
    return {r.rule_id for r in scanner.scan(doc).reasons}


def test_a_negated_act_is_a_disclaimer_that_frames_the_listing(tmp_path: Path) -> None:
    scanner = scanner_of(tmp_path, RULES)
    doc = {"title": "I reply to your Google reviews", "description": "Replies only. I never write or post reviews."}
    verdict = scanner.scan(doc)
    assert "disclaimed" in {r.rule_id for r in verdict.reasons}
    assert not verdict.flagged
    # without the negation, the verb is no disclaimer: the platform's reviews count
    assert scanner.scan({"title": "I reply to your Google reviews", "description": "I write reviews."}).flagged


def test_a_disclaimer_needs_its_rating_term_within_the_window(tmp_path: Path) -> None:
    scanner = scanner_of(tmp_path, RULES)
    far = {"title": "Google reviews", "description": "I never post on weekends, holidays or late evenings, reviews"}
    assert "disclaimed" not in fired(scanner, far)
    assert scanner.scan(far).flagged


def test_a_disclaimer_is_ruled_out_by_a_sign_of_an_offer(tmp_path: Path) -> None:
    scanner = scanner_of(tmp_path, RULES)
    doc = {"title": "Google reviews", "description": "We never post reviews from bots. 10 for $30."}
    assert scanner.scan(doc).flagged


def test_excepted_terms_and_loose_negations_disclaim_nothing(tmp_path: Path) -> None:
    scanner = scanner_of(tmp_path, RULES)
    # "non-drop" is a seller's promise; a one-letter word before the verb ("n" of a dotted word) and a short Latin
    # word after it ("Compra no Mercado": Portuguese "in the") are no negation of a disclaimer
    for title in ("Google reviews, no drop reviews", "Google B.e.w.e.r.t.u.n.g.e.n kaufen",
                  "Compra no Google, reviews"):
        assert "disclaimed" not in fired(scanner, {"title": title}), title


def test_a_negative_document_rule_with_a_window_pairs_exactly_two_entries(tmp_path: Path) -> None:
    three = 'classes = ["disclaimer", "rating", "platform"]'
    text = RULES.replace('classes = ["disclaimer", "rating|platform"]', three)
    with pytest.raises(RulesetError, match="pairs two class entries"):
        scanner_of(tmp_path, text)


@pytest.mark.parametrize("change, message", [
    ('negated = ["offer"]', 'negated = ["rating"]'),
    ('label = "an act disclaimed"', 'label = "an act disclaimed"\nterms = ["no"]'),
])
def test_a_class_of_negated_hits_names_negatable_classes_and_has_no_terms(tmp_path: Path, change: str,
                                                                         message: str) -> None:
    with pytest.raises(RulesetError, match="negated"):
        scanner_of(tmp_path, RULES.replace(change, message))
