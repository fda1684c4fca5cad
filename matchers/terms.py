"""Exact term matching: every class's terms in one Aho-Corasick automaton per key, word-bounded.

One pass over a key finds every term of every class at once; a hit only counts at word boundaries, where a
boundary is a non-alphanumeric neighbour in the key, a digit/letter change ("5star") or a case change in the
text as written ("REALFacebook", "BuyGoogleReviews").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

import ahocorasick

from .normalise import MatchKey, fold_ascii, fold_native, has_non_latin_letters

_GROUP = re.compile(r"\(([^()]*)\)")


def expand(term: str) -> list[str]:
    """Spell out a compact term: "review(s)" -> review, reviews; "отзыв(|ы|ов)" -> отзыв, отзывы, отзывов."""
    parts = _GROUP.split(term)
    literals, groups = parts[0::2], parts[1::2]
    options = [g.split("|") if "|" in g else ["", g] for g in groups]
    out = []
    for choice in product(*options):
        out.append("".join(lit + (choice[i] if i < len(choice) else "") for i, lit in enumerate(literals)))
    return list(dict.fromkeys(out))


def term_key(term: str) -> tuple[str, bool]:
    """(key, native): native-script terms are matched on the native key, everything else on the ascii key."""
    if has_non_latin_letters(term):
        return " ".join(fold_native(term).split()), True
    return " ".join(fold_ascii(term).split()), False


@dataclass(slots=True)
class Hit:
    """One occurrence of a class's term: offsets into the original field text and the text as written."""

    cls: str
    term: str
    start: int
    end: int
    text: str
    key_start: int
    fuzzy: float | None = None


def build_automaton(entries: dict[str, list[tuple[str, str]]]) -> ahocorasick.Automaton | None:
    """``entries``: key -> [(class name, term as written in the ruleset)]."""
    if not entries:
        return None
    automaton = ahocorasick.Automaton()
    for key, owners in entries.items():
        automaton.add_word(key, (len(key), tuple(owners)))
    automaton.make_automaton()
    return automaton


def _soft_boundary(original: str, position: int) -> bool:
    """A word may start at ``position`` of the text as written after a case or digit/letter change."""
    if position <= 0 or position >= len(original):
        return True
    before, after = original[position - 1], original[position]
    if not before.isalnum() or not after.isalnum():
        return True
    if before.isdigit() != after.isdigit():
        return True
    if before.islower() and after.isupper():
        return True
    return (
        before.isupper() and after.isupper() and position + 1 < len(original) and original[position + 1].islower()
    )


def find_hits(
    key: MatchKey | None, automaton: ahocorasick.Automaton | None, start: int = 0, stop: int | None = None
) -> list[Hit]:
    """Word-bounded hits of every term in ``key`` (or in ``key.text[start:stop]``), with original offsets."""
    if automaton is None or key is None:
        return []
    text = key.text
    size = len(text)
    identity = key.identity
    original = key.original
    span = key.span
    hits: list[Hit] = []
    append = hits.append
    for end_index, (length, owners) in automaton.iter(text, start, size if stop is None else min(stop, size)):
        begin, end = end_index - length + 1, end_index + 1
        o_start, o_end = (begin, end) if identity else span(begin, end)
        glued_left = begin and text[begin - 1].isalnum() and text[begin - 1].isdigit() == text[begin].isdigit()
        if glued_left and not _soft_boundary(original, o_start):
            continue
        glued_right = end < size and text[end].isalnum() and text[end].isdigit() == text[end - 1].isdigit()
        if glued_right and not _soft_boundary(original, o_end):
            continue
        written = original[o_start:o_end]
        for cls, term in owners:
            append(Hit(cls, term, o_start, o_end, written, begin))
    return hits


@dataclass
class TermIndex:
    """Automata for a ruleset's terms: anchors (looked for everywhere) and context (only near anchors),
    each split into ascii-key terms and native-script terms."""

    anchor: ahocorasick.Automaton | None
    anchor_native: ahocorasick.Automaton | None
    context: ahocorasick.Automaton | None
    context_native: ahocorasick.Automaton | None
    vocabulary: frozenset[str]

    @classmethod
    def build(cls, class_terms: dict[str, list[str]], anchors: set[str]) -> TermIndex:
        entries: dict[tuple[bool, bool], dict[str, list[tuple[str, str]]]] = {
            (a, n): {} for a in (True, False) for n in (True, False)
        }
        vocabulary: set[str] = set()
        for name, terms in class_terms.items():
            for term in terms:
                key, native = term_key(term)
                if not key:
                    continue
                owners = entries[(name in anchors, native)].setdefault(key, [])
                if (name, term) not in owners:
                    owners.append((name, term))
                if not native:
                    vocabulary.update(w for w in key.split() if w.isalpha())
        return cls(
            build_automaton(entries[(True, False)]),
            build_automaton(entries[(True, True)]),
            build_automaton(entries[(False, False)]),
            build_automaton(entries[(False, True)]),
            frozenset(vocabulary),
        )
