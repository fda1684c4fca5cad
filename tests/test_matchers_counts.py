"""Counts of a deliverable (r15d): a count is a number of pieces, never a star value. "We post 5-star reviews"
names a quality (the key reads it "5 star"), "we post 50 five-star reviews" a count of 50; the ruleset's
``supplied_count`` class (a count of reviews supplied or procured) rules out the honest frames, so reading a star
value as a count cleared nothing but silenced the frames that explain honest texts."""

from __future__ import annotations

import pytest

from matchers import Scanner, load_ruleset, normalise


def _supplied_counts(text: str) -> list[str]:
    """What the ruleset's ``supplied_count`` patterns find in ``text``'s key."""
    found = []
    for pattern in load_ruleset().classes["supplied_count"].patterns:
        found += [m.group(0) for m in pattern.finditer(normalise(text).text)]
    return found


@pytest.mark.parametrize("text", ["We post 5-star reviews on your Google page", "we write 4-5 star reviews",
    "we deliver 5★ reviews weekly", "we add 5 star positive reviews a month", "wir schreiben 5 Sterne Bewertungen"])
def test_a_star_value_is_no_count(text: str) -> None:
    assert _supplied_counts(text) == []


@pytest.mark.parametrize("text", ["we post 50 five-star reviews", "we post 10 5-star reviews",
    "20 new reviews every week", "wir schreiben 10 neue Bewertungen", "20 5 star reviews per month"])
def test_a_count_of_pieces_is_read(text: str) -> None:
    assert _supplied_counts(text)


def test_an_honest_frame_holds_beside_star_values() -> None:
    """Customers invited to write 4-5 star reviews: the invitation frame explains them (it did not when "4-5"
    read as a count of reviews supplied)."""
    verdict = Scanner(load_ruleset()).scan(
        {"title": "Automated review invitations so customers write 4-5 star reviews", "description": ""})
    assert verdict.grade == "clear"


_FAR = {"title": "Reviews for your webshop", "description": (
    "A webshop without reviews does not sell. Our panel of shoppers places experiences about your store, spread "
    "over a few weeks, and you see your score rise week after week.\n\nPACKAGES\nStart - 10 experiences - €99\n"
    "Growth - 30 experiences - €259\nPro - 60 experiences - €449")}


def _price_list_fires(ruleset) -> bool:  # noqa: ANN001 - a Ruleset
    return any(r.rule_id == "price-list-of-reviews" for r in Scanner(ruleset).scan(_FAR).reasons)


def test_a_whole_field_class_is_read_far_from_the_rating_terms() -> None:
    """A price list sits lines away from a page's first "reviews" (more than ``field.ZONE`` characters): the
    ``price_list`` class (``whole_field = true``) reads the whole field; read near the rating terms only, as other
    pattern classes are, it would not be found."""
    from dataclasses import replace

    ruleset = load_ruleset()
    assert ruleset.classes["price_list"].whole_field
    assert _price_list_fires(ruleset)
    near = replace(ruleset, classes={**ruleset.classes,
                                     "price_list": replace(ruleset.classes["price_list"], whole_field=False)})
    assert not _price_list_fires(near)
