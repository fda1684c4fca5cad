"""Gates: the cheap searches a pattern is ruled out by never rule out a stretch of text the pattern matches in.

A gate (``matchers.gates``) is a digit or a literal run that every match of a pattern holds, read off the
pattern's syntax tree; a pattern the parser may not read as ``regex`` does gets none. These tests hold every
pattern of the bundled ruleset, and tricky hand-written ones, to that: wherever the pattern finds a match in a
stretch, its gates pass there."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from matchers import compile_pattern, load_ruleset
from matchers.gates import DIGIT, gates

LABELS = Path(__file__).resolve().parent / "data" / "labels"


def _gate_sources(source: str) -> list[str]:
    return [g.pattern for g in gates(source)]


@pytest.mark.parametrize(("source", "expected"), [
    (r"\d+ usd", [r"\d", r"\ usd"]),
    (r"(?:x\s?\d{1,5}|\d{1,5}\s?pcs)", [r"\d"]),  # every alternative holds a digit
    (r"[0-9０-９]+", [r"\d"]),
    (r"\baccounts?\b", ["account"]),
    (r"https?://\S+review", ["http", "://", "review"]),
    (r"(?:abc|abd)x", []),  # "ab" is too short; no run common to both
    (r"(?:\d|x)yz", []),  # one alternative holds no digit; "yz" too short
    (r"(?:account)?\d?", []),  # optional parts hold nothing a match needs
    (r"(?=\d)abc", ["abc"]),  # a lookahead's digit is no part of the match
    (r"(?<!\d)\w+", []),
    (r"[^0-9]+", []),  # a negated class
    (r"[a-z0-9]", []),  # a class with non-digits
    (r"(?i:kč|czk)\d", [r"\d"]),
])
def test_gates_of_a_pattern(source: str, expected: list[str]) -> None:
    assert _gate_sources(source) == expected


@pytest.mark.parametrize("source", [
    r"(?:account){e<=1}",  # a fuzzy constraint to ``regex``: "account" is not needed
    r"account{1<=e<=2}",
    r"[[:digit:]]abc",  # a POSIX class to ``regex``
    r"\p{L}+abc",  # no ``re`` syntax
    r"(?(1)abc|abd)",  # a conditional group
    r"(?|(abc)|(abd))",  # a branch reset
])
def test_no_gate_where_the_parser_may_read_otherwise(source: str) -> None:
    assert gates(source) == ()


def test_literal_gates_ignore_case() -> None:
    pattern = compile_pattern(r"account")
    assert pattern.may_match("ACCOUNT") and not pattern.may_match("acount")
    pattern = compile_pattern(r"(?-i:Price) \d")
    assert pattern.may_match("price 5") and not pattern.search("price 5")  # a gate may pass where it does not


def test_digit_gate_is_the_engines_digit() -> None:
    for char in "0٣९０":
        assert DIGIT.search(char) and compile_pattern(r"\d+ usd").may_match(f"{char} usd")


def _texts() -> list[str]:
    """Rule examples, labeled rows and a few listings with prices, counts and links in many scripts."""
    ruleset = load_ruleset()
    texts = [t for rule in ruleset.rules for t in rule.must_match + rule.must_not_match]
    rows = [json.loads(line) for line in (LABELS / "wordings.jsonl").read_text(encoding="utf-8").splitlines() if line]
    texts += [f"{r.get('title', '')}\n{r.get('description', '')}" for r in rows]
    texts += ["50 Google reviews for $25", "Preis: 25 €, 10 Stück", "口コミ10件 3000円", "отзывы 10 шт за 500 ₽",
              "see https://best-google-reviews.example/review", "x5 Trustpilot reviews, 20 pcs, 1.5k accounts"]
    return texts


def test_gates_pass_wherever_a_ruleset_pattern_matches() -> None:
    ruleset = load_ruleset()
    patterns = [p for c in ruleset.classes.values() for p in c.patterns + c.original_patterns]
    assert any(p.gates for p in patterns)
    rng = random.Random(5)
    for text in _texts():
        stretches = [(0, len(text))] + [sorted(rng.sample(range(len(text) + 1), 2)) for _ in range(3)]
        for pattern in patterns:
            for start, end in stretches:
                if pattern.compiled.search(text, start, end):
                    assert pattern.may_match(text, start, end), (pattern.pattern, text[start:end])
                    assert list(pattern.finditer(text, start, end))
                else:
                    assert not list(pattern.finditer(text, start, end))
