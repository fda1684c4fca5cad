"""Pattern gates (a class's ``gate`` in the ruleset): what every match of the class's patterns holds, so a zone
without it is not searched. A gate must be true of its patterns wherever they match, and scanning with the gates
must give the verdicts scanning without them gives."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import LABELS
from matchers import RulesetError, Scanner, compile_pattern, load_ruleset
from matchers.classes import gate_misses
from matchers.gates import GatePass
from matchers.patterns import WordGate
from matchers.ruleset import Ruleset


def _labeled_rows() -> list[dict[str, str]]:
    """Title and description of every labeled row (the scan reads nothing else of them)."""
    rows = []
    for path in sorted(LABELS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append({k: row[k] for k in ("title", "description") if isinstance(row.get(k), str)})
    return rows


def _labeled_texts() -> list[str]:
    return [text for row in _labeled_rows() for text in row.values() if text]


def _without_gates(ruleset: Ruleset) -> Ruleset:
    return replace(ruleset, classes={n: replace(c, gate=None) for n, c in ruleset.classes.items()})


def test_the_bundled_ruleset_declares_gates() -> None:
    gated = {n for n, c in load_ruleset().classes.items() if c.gate is not None}
    assert {"price", "count_after", "rating_target", "sourcing"} <= gated


def test_every_gate_is_true_of_its_patterns_on_every_labeled_text() -> None:
    scanner = Scanner(load_ruleset())
    texts = _labeled_texts()
    assert len(texts) > 10_000
    problems = list(scanner.check_gates(texts))
    assert not problems, problems[:5]


def test_a_gate_that_patterns_break_is_reported() -> None:
    ruleset = load_ruleset()
    price = ruleset.classes["price"]
    link = compile_pattern("://")
    wrong = replace(ruleset, classes=ruleset.classes | {"price": replace(price, gate=link)})
    scanner = Scanner(wrong)
    assert gate_misses(scanner.preparer.keyed("title", "Google reviews for $5 each"), price) == []
    problems = list(scanner.check_gates(["Google reviews for $5 each"]))
    assert problems and "'$5'" in problems[0].message and "gate '://'" in problems[0].message


def test_gates_change_no_verdict_on_the_labeled_texts() -> None:
    docs = _labeled_rows()
    assert len(docs) > 10_000
    gated, plain = Scanner(load_ruleset()), Scanner(_without_gates(load_ruleset()))
    for doc in docs:
        assert gated.scan(doc).to_dict() == plain.scan(doc).to_dict(), doc


def test_a_word_gate_finds_any_of_its_words_in_any_case_inside_the_stretch_only() -> None:
    gate = WordGate(("account", "телефон"))
    text = "Fresh ACCOUNTS here; new Телефоны there"
    assert gate.search(text, 0, 16) == "account"
    assert gate.search(text, 6, 12) is None, "a word cut by the stretch's end is not in it"
    assert gate.search(text, 20) == "телефон"
    assert gate.search("nothing to see", 0, None) is None


GATED = '''version = "t1"
threshold = 0.5

[classes.rating]
label = "rating term"
anchor = true
terms = ["review(s)"]

[classes.sourcing]
label = "accounts"
patterns = ['\\b\\d+ accounts?\\b']
gate = GATE

[[rules]]
id = "reviews-from-accounts"
kind = "proximity"
classes = ["sourcing", "rating"]
window = 4
weight = 0.6
explain = "Reviews from many accounts"
must_match = ["reviews from 40 accounts"]
must_not_match = ["reviews from our accountant"]
'''


def test_a_gate_given_as_words_loads_and_gates_the_patterns(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GATED.replace("GATE", '["Account", "konto"]'), encoding="utf-8")
    ruleset = load_ruleset(path)
    assert ruleset.classes["sourcing"].gate == WordGate(("account", "konto"))
    assert Scanner(ruleset).scan({"title": "reviews from 40 accounts"}).flagged
    path.write_text(GATED.replace("GATE", '["konto"]'), encoding="utf-8")
    problems = list(Scanner(load_ruleset(path)).check_gates(["reviews from 40 accounts"]))
    assert problems and "gate 'konto'" in problems[0].message, "a word gate its patterns break is reported"


@pytest.mark.parametrize("gate", ["[]", '["account", ""]', "[1, 2]"])
def test_a_gate_of_no_words_is_refused(tmp_path: Path, gate: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GATED.replace("GATE", gate), encoding="utf-8")
    with pytest.raises(RulesetError, match="gate"):
        load_ruleset(path)


def test_the_gate_pass_answers_as_each_gate_searches() -> None:
    """``gates.GatePass`` (one automaton pass per zone for every word or literal gate, one search per zone for a
    gate several classes share) gives each class's own gate's answer on every stretch."""
    ruleset = load_ruleset()
    gates = GatePass(ruleset.classes.values())
    gated = [c for c in ruleset.classes.values() if c.gate is not None]
    assert {"sourcing", "invite_pool"} <= set(gates.worded), "word gates and literal alternations are in the pass"
    texts = _labeled_texts()[::40] + ["Fresh ACCOUNTS, new Телефоны", "İNVİTE LİNK 5 ACCOUNT", "ΟΣ accountΣ"]
    for text in texts:
        memo: dict = {}
        size = len(text)
        zones = [(0, size), (0, size // 2), (size // 3, size + 5), (max(0, size - 60), size)]
        for cls in gated:
            for zone in zones:
                assert gates.passes(memo, cls, text, False, zone) == (cls.gate.search(text, *zone) is not None), (
                    cls.name, zone, text[:80])


class _CountedGate:
    """A regular expression gate that counts its searches."""

    def __init__(self, source: str) -> None:
        self.pattern = source
        self.searches = 0
        self._compiled = compile_pattern(source)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> object:
        self.searches += 1
        return self._compiled.search(text, pos, endpos)


def test_a_zone_is_searched_once_for_every_class_that_shares_its_gate() -> None:
    price = load_ruleset().classes["price"]
    digit = _CountedGate(r"\d")
    counts = [replace(price, name=name, gate=digit) for name in ("a", "b", "c")]
    words = [replace(price, name=name, gate=WordGate(words)) for name, words in
             (("w1", ("account", "konto")), ("w2", ("konto", "profile")), ("w3", ("nowhere",)))]
    gates = GatePass(counts + words)
    passes: list[str] = []
    automaton = gates._lowered
    assert automaton is not None

    class Counted:
        def passing(self, stretch: str) -> frozenset[str]:
            passes.append(stretch)
            return automaton.passing(stretch)

    gates._lowered = Counted()  # type: ignore[assignment]
    memo: dict = {}
    text = "reviews from 40 KONTO accounts"
    assert [gates.passes(memo, c, text, False, (0, 30)) for c in counts] == [True] * 3
    assert digit.searches == 1, "one search of the shared gate on the zone, for three classes"
    assert [gates.passes(memo, c, text, False, (0, 30)) for c in words] == [True, True, False]
    assert len(passes) == 1, "one automaton pass on the zone for every word gate"
    assert not gates.passes(memo, counts[0], text, True, (0, 12)) and digit.searches == 2, "another zone: searched"
