"""Class gates (``gate``: what every match of a class's patterns holds) answered once per zone for every class.

A gate is asked of every zone of every keyed field for each gated class a rule reads, and the gates cost about
half of what pattern classes cost (a case-blind word list lowers the zone and searches it for each word; an
alternation of words is tried position by position). Two things make the answer per zone, not per class:

- word gates (``gate = ["account", ...]``, ``WordGate``) and gates written as plain alternations of literals
  (``'invit|link|mail|address'``: no character of regular expression syntax but ``|``) are one Aho-Corasick
  automaton each (words found in the lowered zone; literals as written), run once over a zone: the classes owning
  a word found there pass. The same question as before (is one of the words in this stretch?), asked once;
- any other gate (``'\\d'``, shared by several count and price classes) is searched once per zone and remembered
  by its source: classes with the same gate on the same zone share the answer.

What the memo is keyed by (the zone's bounds, which side of the field) is what the search reads, so the answers
are the searches' own.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick_rs

from .patterns import SafePattern, WordGate
from .ruleset import TermClass

#: Characters of regular expression syntax: a gate with none of them but "|" is an alternation of literals.
_SYNTAX = frozenset("\\()[]{}*+?^$.")


def literal_words(source: str) -> tuple[str, ...] | None:
    """The literals of a gate written as a plain alternation of them ("invit|link"), or None for any other."""
    if _SYNTAX.intersection(source):
        return None
    words = source.split("|")
    return tuple(words) if all(words) else None


class _Words:
    """One automaton over the words of several gates, and which classes own each word."""

    __slots__ = ("automaton", "owners")

    def __init__(self, owned: dict[str, set[str]]) -> None:
        words = sorted(owned)
        self.automaton = ahocorasick_rs.AhoCorasick(words)
        self.owners = [frozenset(owned[w]) for w in words]

    def passing(self, stretch: str) -> frozenset[str]:
        """The classes one of whose words is in ``stretch``."""
        found = self.automaton.find_matches_as_indexes(stretch, overlapping=True)
        if not found:
            return frozenset()
        owners = self.owners
        return frozenset().union(*(owners[i] for i in {m[0] for m in found}))


class GatePass:
    """The ruleset's gates, answered per zone: ``passes(memo, cls, text, original, zone)``."""

    def __init__(self, classes: Iterable[TermClass]) -> None:
        lowered: dict[str, set[str]] = {}
        exact: dict[str, set[str]] = {}
        #: Per class with a word or literal gate: True when its words are matched as written (literals).
        self.worded: dict[str, bool] = {}
        for cls in classes:
            gate = cls.gate
            if isinstance(gate, WordGate):
                for word in gate.words:
                    lowered.setdefault(word, set()).add(cls.name)
                self.worded[cls.name] = False
            elif isinstance(gate, SafePattern) and (words := literal_words(gate.pattern)) is not None:
                for word in words:
                    exact.setdefault(word, set()).add(cls.name)
                self.worded[cls.name] = True
        self._lowered = _Words(lowered) if lowered else None
        self._exact = _Words(exact) if exact else None

    def passes(self, memo: dict, cls: TermClass, text: str, original: bool, zone: tuple[int, int]) -> bool:
        """Does ``text[zone]`` hold a match of the class's gate? ``memo``: the field's answers so far (a field's
        key and original are two texts: ``original`` says which one ``text`` is)."""
        start, end = zone
        exact = self.worded.get(cls.name)
        gate = cls.gate
        key = (gate.pattern if exact is None else exact, original, start, end)  # type: ignore[union-attr]
        known = memo.get(key)
        if known is None:
            if exact is None:
                known = gate.search(text, start, end) is not None  # type: ignore[union-attr]
            elif exact:
                known = self._exact.passing(text[start:end])  # type: ignore[union-attr]
            else:
                known = self._lowered.passing(text[start:end].lower())  # type: ignore[union-attr]
            memo[key] = known
        return known if exact is None else cls.name in known
