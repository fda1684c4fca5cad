"""r18e: a class whose terms anchor a field only beside a term or pattern match of other classes (``anchor_beside``):
a review site named beside a supplier's terms, where every honest text about reviews names the site alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import scanner_of
from matchers import RulesetError, load_ruleset

BESIDE_RULESET = """
version = "t"
threshold = 0.5

[classes.rating]
anchor = true
label = "rating term"
terms = ["reviews"]

[classes.site]
label = "review site"
anchor_beside = ["terms", "price"]
terms = ["trustpilot", "yelp"]

[classes.terms]
label = "a supplier's terms"
terms = ["any quantity"]

[classes.price]
label = "price"
patterns = ['[$€£]\\d+']
gate = '\\d'
on = "original"

[[rules]]
id = "site-pitch"
kind = "proximity"
classes = ["site", "terms|price"]
window = 6
weight = 0.6
explain = "A review site on a supplier's terms"
"""


def test_a_class_anchors_a_field_only_beside_its_companions(tmp_path: Path) -> None:
    """The site with a companion term or pattern near it anchors the field (its rules run); the site alone, or with
    the companion beyond the zone around it, leaves the field unread, as a field without an anchor is."""
    scanner = scanner_of(tmp_path, BESIDE_RULESET)
    assert scanner.scan({"title": "Trustpilot, any quantity. DM"}).flagged
    assert scanner.scan({"title": "Yelp £4, DM me"}).flagged  # a pattern class as the companion
    assert scanner.scan({"description": "Yelp £4, DM me", "title": "Hello"}).flagged
    assert scanner.scan({"title": "How we use Trustpilot to hear our customers"}).grade == "clear"
    # its terms as written only: no disemvowelled alias ("trstplt") is one of them
    assert scanner.scan({"title": "Trstplt, any quantity. DM"}).grade == "clear"
    assert "trstplt" not in scanner.table.index.vocabulary and "trustpilot" in scanner.table.index.vocabulary
    far = "Trustpilot " + "and so on " * 20 + "any quantity"
    assert scanner.scan({"title": far}).grade == "clear"  # the companion beyond the zone (field.ZONE characters)
    # without `anchor_beside` the site is an ordinary context class: no anchor, nothing read
    plain = BESIDE_RULESET.replace('anchor_beside = ["terms", "price"]\n', "")
    assert scanner_of(tmp_path, plain).scan({"title": "Trustpilot, any quantity. DM"}).grade == "clear"


def test_anchor_beside_names_other_classes_and_needs_terms(tmp_path: Path) -> None:
    """The ruleset refuses an ``anchor_beside`` that names no class, names itself, has no terms, or is an anchor."""
    path = tmp_path / "rules.toml"
    for old, new, message in (
        ('["terms", "price"]', '["nothing"]', "names no other class: nothing"),
        ('["terms", "price"]', '["site"]', "names no other class: site"),
        ('terms = ["trustpilot", "yelp"]', 'patterns = ["trustpilot"]', "needs 'terms'"),
        ('anchor_beside = ["terms", "price"]', 'anchor = true\nanchor_beside = ["terms"]', "cannot anchor beside"),
    ):
        path.write_text(BESIDE_RULESET.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(RulesetError, match=message):
            load_ruleset(path)
