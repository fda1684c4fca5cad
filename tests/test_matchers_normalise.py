"""Normalisation: every disguise is undone on the key, and every key span maps back to the text as written."""

from __future__ import annotations

import random
import re

import pytest

from matchers import normalise
from matchers.normalise import native_key

VOCABULARY = {"review", "reviews", "amazon", "google", "trustpilot", "rating", "ratings", "facebook"}


def quotes(text: str, word: str) -> list[str]:
    """The original text behind every occurrence of ``word`` in the key of ``text``."""
    key = normalise(text, VOCABULARY)
    return [key.quote(m.start(), m.end())[0] for m in re.finditer(rf"\b{word}\b", key.text)]


@pytest.mark.parametrize(
    ("text", "word", "written"),
    [
        ("Buy Аmazon reviews", "amazon", "Аmazon"),  # Cyrillic А
        ("Fасеbook page", "facebook", "Fасеbook"),  # Cyrillic а, с, е: anyascii alone would say "fasebook"
        ("re\u200bvie\u200dws", "reviews", "re\u200bvie\u200dws"),  # zero-width space and joiner
        ("ＡＭＡＺＯＮ", "amazon", "ＡＭＡＺＯＮ"),  # fullwidth (NFKC)
        ("5 star révïews", "reviews", "révïews"),  # accents
        ("r e v i e w s", "reviews", "r e v i e w s"),
        ("r.e.v.i.e.w", "review", "r.e.v.i.e.w"),
        ("R-E-V-I-E-W-S", "reviews", "R-E-V-I-E-W-S"),
        ("r  e  v  i  e  w  s", "reviews", "r  e  v  i  e  w  s"),  # two spaces apart
        ("G...o...o...g...l...e", "google", "G...o...o...g...l...e"),  # three marks apart
        ("r . e . v . i . e . w", "review", "r . e . v . i . e . w"),
        ("good r - e - v - i - e - w - s", "reviews", "r - e - v - i - e - w - s"),
        ("R**views", "reviews", "R**views"),
        ("rev**ws", "reviews", "rev**ws"),
        ("rev1ews", "reviews", "rev1ews"),
        ("r3v13ws", "reviews", "r3v13ws"),
        ("goog1e", "google", "goog1e"),  # 1 read as l because "googie" is no known term
        ("am@zon", "amazon", "am@zon"),
        ("g00gle r@tings", "ratings", "r@tings"),
    ],
)
def test_disguises_are_undone_and_quoted_as_written(text: str, word: str, written: str) -> None:
    assert quotes(text, word) == [written]


def test_digit_swaps_only_inside_words_that_mix_letters_and_digits() -> None:
    key = normalise("I give 5 star reviews for $5, 24/7, in 100% English", VOCABULARY)
    assert "5 star" in key.text
    assert "$5" in key.text
    assert "100%" in key.text
    assert "s star" not in key.text


def test_text_with_nothing_to_repair_keeps_one_key_character_per_character() -> None:
    text = "I will design a modern logo, fast delivery!"
    key = normalise(text)
    assert len(key.text) == len(text)
    assert key.identity


def test_emoji_stars_become_the_word_star_and_other_emoji_spaces() -> None:
    key = normalise("⭐⭐⭐⭐⭐ reviews 🔥")
    assert key.text.split() == ["star"] * 5 + ["reviews"]
    start = key.text.index("reviews")
    assert key.quote(start, start + 7) == ("reviews", 6, 13)


def test_input_is_never_altered() -> None:
    text = "R**views on Аmazon \u200b"
    copy = str(text)
    normalise(text, VOCABULARY)
    assert text == copy


def test_native_key_keeps_the_script_and_maps_back() -> None:
    text = "Купить ОТЗЫВЫ на Яндекс"
    key = native_key(text)
    assert key is not None
    start = key.text.index("отзывы")
    assert key.quote(start, start + 6) == ("ОТЗЫВЫ", 7, 13)
    assert native_key("only latin reviews, café") is None


def test_expanding_characters_still_map_back() -> None:
    text = "Straße ﬁne reviews"  # ß -> ss and the ligature ﬁ -> fi change lengths
    key = normalise(text)
    start = key.text.index("reviews")
    assert key.quote(start, start + 7) == ("reviews", 11, 18)
    assert key.quote(0, 7) == ("Straße", 0, 6)


def test_the_shape_test_lets_through_every_text_with_a_disguise_to_repair() -> None:
    # fold()'s cheap shape test decides whether the repair expressions run at all: it may let through texts
    # with nothing to repair, never miss one with something to repair.
    from matchers.normalise import fold
    from matchers.repair import _edits

    rng = random.Random(9)
    pieces = ["r", "e", "v", "I", " ", "  ", "   ", "    ", "*", "1", "0", "ab", "$", ".", "%", "+", "-", "é", "x9"]
    repaired = 0
    for _ in range(20000):
        folded = fold("".join(rng.choice(pieces) for _ in range(rng.randint(1, 16))))
        if _edits(folded.text, VOCABULARY):
            repaired += 1
            assert folded.repair, folded.text
    assert repaired > 1000


@pytest.mark.parametrize(
    ("text", "reads", "written"),
    [("5* reviews", "5 star reviews", "5*"), ("Get 5 * ratings", "get 5 star ratings", "5 *"),
     ("4* and 5* ratings", "4 star and 5 star ratings", "4*")],
)
def test_a_digit_then_an_asterisk_is_a_star_rating(text: str, reads: str, written: str) -> None:
    """r5a: "5*" is how sellers write five stars; it reads as "5 star", and quotes back as written."""
    key = normalise(text, VOCABULARY)
    assert key.text == reads
    start = key.text.index("star") - 2
    assert key.quote(start, start + 6)[0] == written


@pytest.mark.parametrize("text", ["=5*3 and review", "25* reviews", "x5* reviews", "Price* and review",
                                  "5 * 3 reviews", "r**views"])
def test_arithmetic_footnotes_and_masks_are_no_stars(text: str) -> None:
    assert "star" not in normalise(text, VOCABULARY).text


def test_digits_in_the_reading_of_han_or_kana_are_no_leet() -> None:
    """r5a: "口コミ500件" folds to "koukomi500jian"; its "500" is a count between CJK letters, not "soo"; a
    disguised Latin word next to CJK text is still repaired."""
    key = normalise("口コミ500件の人気店", VOCABULARY)
    assert "500" in key.text and not key.pieces
    assert normalise("Аmаz0n 评价", VOCABULARY).text.startswith("amazon ")
