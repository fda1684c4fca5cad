"""Literal probes: what every match of a pattern must contain, derived from the parsed expression.

A probe may only ever say "cannot match here" when the expression indeed cannot match: these tests check
that on the ruleset's own patterns and on shapes the derivation has to reason about (branches, optional and
repeated groups, lookarounds, case-insensitive letters).
"""

from __future__ import annotations

import random
import re

import pytest

from matchers import load_ruleset
from matchers.literals import Needs, probes, requirements


def _probes_allow(pattern: re.Pattern[str], text: str, lowercase_ascii: bool) -> bool:
    return all(p.found(text, 0, len(text)) for p in probes(pattern, lowercase_ascii))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"https?://\S*review", [Needs(frozenset({"://"}))]),  # letters under IGNORECASE: not on original text
        (r"[$€£]\s?\d+", [Needs(frozenset({"$", "€", "£"})), Needs(digit=True)]),
        (r"(?<![\w.])\d{1,6}(?!\s*star)", [Needs(digit=True)]),  # lookarounds add nothing
        # "many" is letters (no test on the original), so the branch as a whole adds none
        (r"(?:many|\d+) (?:[a-z]+ ){0,2}accounts?", [Needs(frozenset({" "}))]),
        (r"(?:abc)?xyz", []),  # an optional group adds nothing, letters on original text add nothing
    ],
)
def test_requirements_of_shapes_on_the_original(source: str, expected: list[Needs]) -> None:
    assert list(requirements(re.compile(source, re.IGNORECASE), lowercase_ascii=False)) == expected


def test_letters_count_on_the_lowercase_key() -> None:
    needs = requirements(re.compile(r"\b(?:old|real) accounts?\b", re.IGNORECASE), lowercase_ascii=True)
    assert needs == (Needs(frozenset({"old", "real"})), Needs(frozenset({" account"})))


def test_a_case_insensitive_letter_that_matches_outside_ascii_adds_no_test() -> None:
    # With IGNORECASE the Kelvin sign matches "k": a probe for "k" on the original text would be wrong.
    pattern = re.compile("k", re.IGNORECASE)
    assert pattern.search("\u212a")
    assert _probes_allow(pattern, "\u212a", lowercase_ascii=False)


def test_probes_never_reject_a_stretch_where_a_ruleset_pattern_matches() -> None:
    rng = random.Random(11)
    pieces = ["12", "$5", "€ 20", "50 usd", "https://", "google-reviews.example/", "real", "accounts",
              "different ", "account", "5 star", "I", "will", "x", "http://maps.google.com/review", " ", ", "]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(4000)]
    checked = rejected = 0
    for cls in load_ruleset().classes.values():
        for pattern in cls.patterns:
            for text in texts:
                key = text if cls.on_original else text.lower()
                allowed = _probes_allow(pattern, key, lowercase_ascii=not cls.on_original)
                if pattern.search(key):
                    checked += 1
                    assert allowed, (cls.name, pattern.pattern, key)
                elif not allowed:
                    rejected += 1
    assert checked > 1000 and rejected > 1000  # the probes are both safe and useful on this mix


def test_a_probe_finds_what_the_alternation_of_its_strings_finds_in_a_stretch() -> None:
    probe = Needs(frozenset({"ab", "c", "acc"}), digit=True).probe(ascii_text=True)
    alternation = re.compile("acc|ab|c|[0-9]")
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choice("abc9 x") for _ in range(rng.randint(0, 12)))
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text))
        assert probe.found(text, start, end) == bool(alternation.search(text, start, end)), (text, start, end)


def test_a_digit_probe_on_the_text_as_written_finds_digits_of_any_script() -> None:
    probe = Needs(digit=True).probe(ascii_text=False)
    rng = random.Random(4)
    for _ in range(3000):
        text = "".join(rng.choice(["a", "7", "٣", "😊", " ", "x"]) for _ in range(rng.randint(0, 10)))
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text))
        assert probe.found(text, start, end) == bool(re.search(r"\d", text[start:end])), (text, start, end)
