"""Misspelt rating terms ("Trustpilott", "amazn"), looked for only where a watched word points at them.

A fuzzy rule names a target class (platforms, say) and the classes whose hits make a misspelling worth
looking for (``when_any``). Near those hits, every word (and every two words run together: "trust pilot")
that is not a known term is compared with the target's terms by OSA similarity (rapidfuzz). Words repeat
across listings, so each word's answer is remembered; a set of one-edit variants and a set of known misses
answer most words without a comparison.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .classes import ClassTable
from .field import FieldScan
from .ruleset import Rule, TermClass
from .terms import Hit
from .verdict import Reason

_KEY_WORD = re.compile(r"[a-z0-9]+")
#: Characters either side of a watched term searched for misspelt terms (a few words: the rules are near).
FUZZY_ZONE = 60
#: Words remembered per fuzzy rule (word -> closest term or None); real text repeats its words.
MEMO_MAX = 100_000
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_edit(terms: Iterable[str]) -> frozenset[str]:
    """Every string one OSA edit from a term that keeps its first letter (and the terms themselves)."""
    out: set[str] = set()
    for term in terms:
        out.add(term)
        for i in range(1, len(term) + 1):
            out.add(term[:i] + term[i + 1 :])  # deletion (i < len) or the term itself
            out.update(term[:i] + c + term[i:] for c in _LETTERS)  # insertion
            if i < len(term):
                out.update(term[:i] + c + term[i + 1 :] for c in _LETTERS)  # substitution
            if i + 1 < len(term):
                out.add(term[:i] + term[i + 1] + term[i] + term[i + 2 :])  # transposition
    return frozenset(out)


@dataclass(frozen=True)
class Vocabulary:
    """A target class's single-word ASCII terms, by first letter, for comparisons."""

    by_initial: dict[str, list[str]]
    shortest: int
    longest: int
    #: Every string one edit from a term (keeping its first letter): a set lookup instead of a comparison.
    near: frozenset[str]

    @classmethod
    def of(cls, target: TermClass) -> Vocabulary:
        terms = sorted({t.casefold().replace(" ", "") for t in target.terms
                        if t.isascii() and t.replace(" ", "").isalpha()})
        by_initial: dict[str, list[str]] = {}
        for term in terms:
            by_initial.setdefault(term[0], []).append(term)
        longest = max(map(len, terms), default=0) + 2
        return cls(by_initial, min(map(len, terms), default=0), longest, one_edit(terms))


class FuzzyRule:
    """One fuzzy rule with its vocabulary and its memory of the words it has judged."""

    def __init__(self, rule: Rule, table: ClassTable, prefilter: bool = True) -> None:
        self.rule = rule
        self.table = table
        self.prefilter = prefilter
        self.vocab = Vocabulary.of(table.classes[rule.target])
        #: word -> (closest term, similarity) or None.
        self.memo: dict[str, tuple[str, float] | None] = {}
        #: Words known to read as no target term (a set, so a zone's words are filtered against it in bulk).
        self.misses: set[str] = set()

    def run(self, fields: list[FieldScan]) -> None:
        """Add misspelt target terms as hits, only in fields where a watched word points at them."""
        rule = self.rule
        for f in fields:
            if f.name not in rule.fields or rule.target in f.hits or rule.id in f.fuzzy_done:
                continue
            if not any(name in f.hits for name in rule.when_any):
                continue
            f.fuzzy_done.add(rule.id)
            found = list(self.hits(f))
            if found:
                f.hits[rule.target] = found
                if self.table.classes[rule.target].anchor:
                    f.add_anchors(found)

    def hits(self, f: FieldScan) -> Iterator[Hit]:
        """Words (and adjacent pairs run together) near the triggers that read as a target term. Each distinct
        word counts at its first occurrence only; one that overlaps an earlier find is left out."""
        triggers = [h for name in self.rule.when_any for h in f.hits.get(name, ()) if h.key_start >= 0]
        zones = f.zones(triggers, FUZZY_ZONE)
        text = f.key.text
        if self.prefilter and not self._may_find([w for zone in zones for w in _KEY_WORD.findall(text, *zone)]):
            return
        words = [(m.group(), m.start(), m.end()) for start, end in zones for m in _KEY_WORD.finditer(text, start, end)]
        taken_end = -1
        for start, end, best in self._candidates(words):
            if start < taken_end:
                continue  # overlaps an earlier find (finds come in text order)
            taken_end = max(taken_end, end)
            quoted, o_start, o_end = f.key.quote(start, end)
            yield Hit(self.rule.target, best[0], o_start, o_end, quoted, start, fuzzy=round(float(best[1]), 3))

    def _candidates(self, words: list[tuple[str, int, int]]) -> Iterator[tuple[int, int, tuple[str, float]]]:
        """(start, end, closest term) of each word or pair that reads as a term, in text order."""
        known, longest = self.table.index.vocabulary, self.vocab.longest
        seen: set[str] = set()
        previous, previous_start = "", -1
        for word, start, end in words:
            if previous_start >= 0 and len(previous) + len(word) <= longest:
                pair = previous + word
                if pair not in seen:
                    seen.add(pair)
                    if (best := self.judge(pair)) is not None:
                        yield previous_start, end, best
            previous, previous_start = word, start
            if word[0] in self.vocab.by_initial and word not in known and word not in seen:
                seen.add(word)
                if (best := self.judge(word)) is not None:
                    yield start, end, best

    def _may_find(self, words: list[str]) -> bool:
        """False when no word or pair near the triggers reads as a term: the words ``hits`` would judge, less the
        known misses (most of them, taken away in bulk before any word is looked at)."""
        vocab, misses = self.vocab, self.misses
        initials, longest = vocab.by_initial, vocab.longest
        shortest = max(vocab.shortest, self.rule.min_length)  # shorter words cannot read as a term
        fresh = set(words) - misses - self.table.index.vocabulary
        considered = {w for w in fresh if w[0] in initials and len(w) >= shortest}
        for a, b in zip(words, words[1:], strict=False):
            if a[0] in initials and shortest <= len(a) + len(b) <= longest:
                pair = a + b
                if pair not in misses:
                    considered.add(pair)
        return any(self.judge(word) is not None for word in considered)

    def judge(self, word: str) -> tuple[str, float] | None:
        """The target term ``word`` reads as, if any (remembered: a pure function of the word)."""
        if word in self.memo:
            return self.memo[word]
        best = self._closest(word)
        if len(self.memo) >= MEMO_MAX:
            self.memo.clear()
        self.memo[word] = best
        if best is None:
            if len(self.misses) >= MEMO_MAX:
                self.misses.clear()
            self.misses.add(word)
        return best

    def _closest(self, word: str) -> tuple[str, float] | None:
        rule, vocab = self.rule, self.vocab
        if len(word) < vocab.shortest or len(word) < rule.min_length or word[0] not in vocab.by_initial:
            return None
        if word in rule.ignore:
            return None
        if (1 - rule.score_cutoff) * (len(word) + 1) < 2 and word not in vocab.near:
            return None  # only one edit allowed, and no term is one edit away: skip the costly comparison
        best = process.extractOne(word, vocab.by_initial[word[0]], scorer=OSA.normalized_similarity,
                                  score_cutoff=rule.score_cutoff)
        return None if best is None else (best[0], best[1])

    def reason(self, fields: list[FieldScan]) -> tuple[Reason, frozenset[tuple[str, int]]] | None:
        """The rule's reason: the closest misspelling in the first field that has one, and its anchor key."""
        rule = self.rule
        for f in fields:
            hits = [h for h in f.hits.get(rule.target, ()) if h.fuzzy is not None]
            if not hits:
                continue
            hit = max(hits, key=lambda h: h.fuzzy or 0)
            trigger = next(h for name in rule.when_any for h in f.hits.get(name, ()))
            label = self.table.classes[rule.target].label
            explanation = (
                f"{rule.explain}: '{hit.text}' reads as {label} '{hit.term}' "
                f"(similarity {hit.fuzzy:.0%}) next to {self.table.classes[trigger.cls].label} '{trigger.text}'."
            )
            reason = Reason(rule.id, f.name, hit.text, hit.start, hit.end, "fuzzy", rule.signed_weight, explanation)
            return reason, frozenset({(f.name, hit.start)})
        return None
