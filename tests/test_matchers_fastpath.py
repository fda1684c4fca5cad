"""The scanner's fast paths (prefilter, fuzzy miss set and memo) never change a verdict: the full path is the
reference.

Texts: the labeled dev rows, the matcher tests' own texts, the rules' examples, and benchmark listings with
random disguises (spacing, masking, digits, homoglyphs, zero-width characters, case, emoji) applied.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import random
from pathlib import Path
from typing import Any

import pytest

from conftest import LABELS
from matchers import Scanner, load_ruleset
from matchers.repair import unmask

_TESTS = Path(__file__).resolve().parent
_SPEC = importlib.util.spec_from_file_location("bench_scan", _TESTS.parent / "bench" / "bench_scan.py")
assert _SPEC is not None and _SPEC.loader is not None
bench_scan = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench_scan)

HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і"}
DIGITS = {"e": "3", "i": "1", "o": "0", "a": "@", "s": "$"}


def _disguise_word(word: str, rng: random.Random) -> str:
    cut = rng.randrange(1, len(word))
    return rng.choice([
        " ".join(word),
        word[:cut] + "*" + word[cut + 1 :],
        "".join(DIGITS.get(c, c) if rng.random() < 0.5 else c for c in word),
        "".join(HOMOGLYPHS.get(c, c) if rng.random() < 0.5 else c for c in word),
        word[:cut] + "\u200b" + word[cut:],
        word.upper(),
        word.capitalize() + word[:cut].capitalize(),
        word + rng.choice(["⭐", "😊", "!", ",", "…", "’s"]),
        ".".join(word),
    ])


def disguise(text: str, rng: random.Random) -> str:
    """``text`` with one to three of its words disguised the way sellers do it."""
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        if len(words[i]) >= 3:
            words[i] = _disguise_word(words[i], rng)
    return " ".join(words)


def _test_texts() -> list[str]:
    """String literals with a space in the matcher tests (listing texts), and the ruleset's examples."""
    texts: list[str] = []
    for path in sorted(_TESTS.glob("test_matchers_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
                texts.append(node.value)
    ruleset = load_ruleset()
    texts += ruleset.flagged_examples + ruleset.unflagged_examples
    for rule in ruleset.rules:
        texts += rule.must_match + rule.must_not_match
    return list(dict.fromkeys(t for t in texts if 3 < len(t) < 3000))


def corpus() -> list[dict[str, Any]]:
    rng = random.Random(20250601)
    with open(LABELS / "dev.jsonl", encoding="utf-8") as handle:
        docs: list[dict[str, Any]] = [json.loads(line) for line in handle]
    texts = _test_texts()
    docs += [{"title": t} for t in texts]
    docs += [{"title": disguise(t, rng), "description": disguise(rng.choice(texts), rng)} for t in texts]
    listings = bench_scan.make_listings(1600, seed=5, review_share=0.2, mention_share=0.5)
    docs += listings
    docs += [{"title": disguise(d["title"], rng), "description": disguise(d["description"], rng)} for d in listings]
    return docs


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return corpus()


def _summary(scanner: Scanner, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v.to_dict() for v in scanner.scan_many(docs)]


def test_fast_path_gives_the_full_paths_verdicts(docs: list[dict[str, Any]]) -> None:
    ruleset = load_ruleset()
    fast, full = _summary(Scanner(ruleset), docs), _summary(Scanner(ruleset, prefilter=False), docs)
    assert len(docs) > 4000
    assert 300 < sum(v["flagged"] for v in full) < len(docs) - 1000  # the corpus is varied both ways
    for doc, a, b in zip(docs, fast, full, strict=True):
        assert a == b, doc  # flagged, score, every reason (rule id, quote, offsets, explanation)


def test_rule_examples_fire_the_same_rules_on_both_paths(docs: list[dict[str, Any]]) -> None:
    ruleset = load_ruleset()
    fast, full = Scanner(ruleset), Scanner(ruleset, prefilter=False)
    titles = [d["title"] for d in docs[:1500] if d.get("title")]
    assert [fast.fired(t) for t in titles] == [full.fired(t) for t in titles]


def test_fast_path_is_taken_for_plain_text_and_not_for_disguises() -> None:
    scanner = Scanner(load_ruleset())
    field = scanner.preparer.field
    assert field("title", "I will design a modern minimalist logo") is None
    assert field("title", "I will post r e v i e w s") is not None  # spaced out: repaired, then found
    assert field("title", "Buy G00gle rev1ews") is not None
    assert field("title", "Аmazon rеviews") is not None  # Cyrillic а and е


def test_a_warm_fuzzy_memo_gives_the_same_verdicts(docs: list[dict[str, Any]]) -> None:
    scanner = Scanner(load_ruleset())
    sample = [d for d in docs if "amaz" in str(d.get("title", "")).lower() or "star" in str(d).lower()][:400]
    cold = _summary(scanner, sample)
    assert any(fuzzy.memo for fuzzy in scanner.fuzzy)  # the memo filled up
    assert _summary(scanner, sample) == cold
    assert any(r["kind"] == "fuzzy" for v in cold for r in v["reasons"])


def test_a_masked_word_reads_the_same_whatever_the_vocabulary_order() -> None:
    # "o*er" fits "offer" and "order" equally well: the choice must not depend on set iteration order.
    assert unmask("o*er", ["order", "offer"]) == unmask("o*er", ["offer", "order"]) == "offer"
