"""From a field's text to its first hits: fold and key it, find anchor terms, and drop the hits that are
verbs rather than nouns ("I will review your CV") or negated ("I never buy reviews").

Most fields have no rating term at all: one automaton pass over the folded text says so, and nothing else
runs for them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .classes import ClassTable, pattern_hits
from .field import FieldScan
from .normalise import Folded, MatchKey, fold, native_key, normalise_folded, unspaced_letter
from .outline import WORD_WRITTEN, Boundaries
from .ruleset import Negation
from .terms import Hit, TermIndex, find_hits

_WORD = re.compile(WORD_WRITTEN)  # a word with its combining marks ("नहीं")
#: Characters looked back for a negation (a few words).
_NEGATION_CHARS = 60
#: Characters looked at for the word right before or after a hit.
_NEXT_WORD_CHARS = 30
#: Letters of a script written without spaces (Han, kana, Hangul) looked back from a hit for a negation glued
#: to it ("绝不出售", "不会代写"), and characters looked forward for one glued after it ("販売しません",
#: "판매하지 않습니다").
_GLUED_BEFORE = 6
_GLUED_AFTER = 12


def _short_latin(word: str) -> bool:
    """A word of at most two ASCII letters ("no", "ni"): a negation after a verb in one language, a preposition
    in another."""
    return len(word) <= 2 and word.isascii()


def _unspaced_word(word: str) -> bool:
    return bool(word) and all(unspaced_letter(c) for c in word)


class FieldPreparer:
    """Makes the ``FieldScan`` of a field: keys, anchor and watched hits, then context hits near anchors."""

    def __init__(self, table: ClassTable, negation: Negation, prefilter: bool = True) -> None:
        self.table = table
        self.negation = negation
        #: Negations written in a script without spaces are read inside its runs of letters, not as whole words;
        #: ``unless`` words there are compounds that hold a negation and are none ("不仅", "少ない", "안전").
        self.glued_before = tuple(w for w in negation.words if _unspaced_word(w))
        self.glued_after = tuple(w for w in negation.after if _unspaced_word(w))
        self.glued_unless = tuple(sorted((w for w in negation.unless if any(unspaced_letter(c) for c in w)),
                                         key=len, reverse=True))
        #: False: key every field even when the folded text has no term (the reference path, for tests).
        self.prefilter = prefilter
        #: The last text folded for each field name, with its fold (a reader of the same listing's other fields,
        #: the document rules, folds it once).
        self.folds: dict[str, tuple[str, Folded]] = {}

    def field(self, name: str, text: str) -> FieldScan | None:
        """Anchor and watched terms, looked for everywhere (one automaton pass); None when there are none."""
        index = self.table.index
        folded = fold(text)
        self.folds[name] = (text, folded)
        matches = None
        if index.anchor is not None and not folded.repair:
            # Nothing to repair: the stage-one fold is the whole key, so its matches are the key's.
            matches = index.anchor.matches(folded.data)
            if self.prefilter and not matches and not folded.non_latin:
                return None  # not even an unbounded anchor or watched term, and no native key: no hit
        key, native = self._keys(text, folded, native=bool(index.anchor_native or index.context_native))
        hits = find_hits(key, index.anchor, matches=matches, compounds=index.compounds)
        hits += find_hits(native, index.anchor_native)
        if not hits:
            return None
        bounds = Boundaries(text)  # (lazy: only outlined if a hit needs a look at the words around it)
        hits = self.kept(hits, bounds)
        if not hits:
            return None
        f = FieldScan(name, text, key, native, bounds)
        f.add_hits(hits)
        f.anchor_hits = [h for h in hits if h.cls in self.table.anchors]
        return f

    def folded(self, name: str, text: str) -> Folded:
        """The fold of a field's text (the one ``field`` just made for it, when it is the same text)."""
        known = self.folds.get(name)
        return known[1] if known is not None and known[0] is text else fold(text)

    def keyed(self, name: str, text: str) -> FieldScan:
        """A field keyed in full, with no term looked for yet: for a reader of the whole listing (the
        transaction check) where no anchor made the scan key it."""
        key, native = self._keys(text, self.folded(name, text), native=True)
        return FieldScan(name, text, key, native, Boundaries(text))

    def _keys(self, text: str, folded: Folded, native: bool) -> tuple[MatchKey, MatchKey | None]:
        """The field's ascii key (disguises undone with the ruleset's words) and, when asked, its native key."""
        key = normalise_folded(text, folded, self.table.index.vocabulary)
        return key, native_key(text, key) if native else None

    def add_context(self, f: FieldScan) -> None:
        """The common context words, only around anchors (most fields have none, so most skip this)."""
        index = self.table.index
        context = [h for start, end in f.zones()
                   for h in find_hits(f.key, index.context, start, end, compounds=index.compounds, names=True)]
        context += find_hits(f.native, index.context_native)
        f.add_hits(self.kept(context, f.boundaries()))

    def anchored_beside(self, f: FieldScan) -> bool:
        """r18e: a field with no anchor term, anchored by the terms of an ``anchor_beside`` class when a term or
        pattern match of one of its companions stands near one of them (a review site beside a supplier's terms:
        "Trustpilot, any quantity. DM"). Such a field gets its context words around them, as an anchored field
        does; a field without such a pair (the site named alone, as every honest text about reviews does) stays
        out. Patterns are only tried here, not kept: rules match them again around the field's final anchors."""
        beside = self.table.beside
        hits = [h for name in beside for h in f.hits.get(name, ())] if beside else []
        if not hits:
            return False
        f.add_anchors(hits)
        self.add_context(f)
        wanted = {n for h in hits for n in beside[h.cls]}
        for name in wanted:
            if f.hits.get(name):
                return True
        for name in wanted:
            cls = self.table.classes[name]
            if name in self.table.lazy and pattern_hits(f, cls, whole=cls.whole_field):
                return True
        f.anchor_hits = []
        return False

    def whole_hits(self, f: FieldScan, index: TermIndex) -> list[Hit]:
        """The terms of ``index`` anywhere in a keyed field (not only near rating terms), skips applied: for the
        readers of the whole listing (the transaction check, the document rules)."""
        hits = find_hits(f.key, index.context, compounds=index.compounds, names=True)
        hits += find_hits(f.native, index.context_native)
        return self.kept(hits, f.boundaries())

    def kept(self, hits: list[Hit], bounds: Boundaries) -> list[Hit]:
        skipping = self.table.skipping
        kept = [h for h in hits if h.cls not in skipping or not self.skipped(h, bounds)]
        into = self.table.negated_into
        if into and len(kept) < len(hits):
            kept += self.disclaimed([h for h in hits if h.cls in into], kept, bounds)
        return kept

    def disclaimed(self, hits: list[Hit], kept: list[Hit], bounds: Boundaries) -> list[Hit]:
        """r19e: the negated hits of ``hits`` as hits of the classes that take them (``TermClass.negated``): "I never
        write or post reviews" sells nothing, and says so; a frame reads that, where the negation only dropped the
        verb. A hit skipped for the word next to it ("will review") is no disclaimer; the negation is read strictly."""
        taken = {id(h) for h in kept}
        out: list[Hit] = []
        for h in hits:
            if id(h) in taken or not self.negated(h.start, h.end, bounds, strict=True):
                continue
            out += [replace(h, cls=name) for name, unless in self.table.negated_into[h.cls] if h.term not in unless]
        return out

    def skipped(self, hit: Hit, bounds: Boundaries) -> bool:
        """A hit right after a word such as "will" ("I will review your CV") is a verb, not the noun; a negated
        selling word ("I never post or buy reviews") sells nothing."""
        cls = self.table.classes[hit.cls]
        if cls.negatable and self.negated(hit.start, hit.end, bounds):
            return True
        if cls.skip_terms and hit.term not in cls.skip_terms:
            return False
        if cls.skip_after:
            before = bounds.word_before(hit.start, _NEXT_WORD_CHARS)
            if before is not None and before.casefold() in cls.skip_after:
                return True
        if cls.skip_before:
            after = bounds.word_after(hit.end, _NEXT_WORD_CHARS)
            if after is not None and after.casefold() in cls.skip_before:
                return True
        return False

    def negated(self, start: int, end: int, bounds: Boundaries, strict: bool = False) -> bool:
        """Is there a negation up to ``scope`` words before ``start`` in the same clause, or right after ``end``?
        ``strict`` (r19e, for a disclaimer): not a one-letter word before it (the "n" of a dotted word), nor a Latin
        one of two letters after it ("Compra no Mercado Livre": Portuguese "in the")."""
        negation = self.negation
        word = bounds.word_after(end, _NEXT_WORD_CHARS)
        if word is not None and word.casefold() in negation.after and not (strict and _short_latin(word)):
            return True
        glued = (self.glued_before or self.glued_after) and not bounds.text.isascii()  # (those scripts are not ASCII)
        if glued and self._glued_negation(start, end, bounds.text):
            return True
        if not negation.words:
            return False
        clause = bounds.clause_start(max(0, start - _NEGATION_CHARS), start)
        words = _WORD.findall(bounds.text[clause:start].casefold())[-negation.scope :]
        for i, word in enumerate(words):
            negates = (word in negation.words and not (strict and len(word) == 1)) or (
                word == "t" and i > 0 and words[i - 1].endswith("n"))
            if negates and (i + 1 >= len(words) or words[i + 1] not in negation.unless):
                return True
        return False

    def _glued_negation(self, start: int, end: int, text: str) -> bool:
        """A negation of a script without spaces glued to the hit: in the run of such letters right before it
        (up to ``_GLUED_BEFORE``), or in the text right after it up to a mark, a second space or
        ``_GLUED_AFTER`` characters ("판매하지 않습니다" has one space)."""
        if self.glued_before and start and unspaced_letter(text[start - 1]):
            first = start - 1
            while first > max(0, start - _GLUED_BEFORE) and unspaced_letter(text[first - 1]):
                first -= 1
            if self._holds(text[first:start], self.glued_before):
                return True
        if self.glued_after and end < len(text):
            last, spaces, seen, limit = end, 0, False, min(len(text), end + _GLUED_AFTER)
            while last < limit:
                char = text[last]
                if char.isspace():
                    spaces += 1
                    if spaces > 1:
                        break
                elif unspaced_letter(char):
                    seen = True
                else:
                    break
                last += 1
            if seen and self._holds(text[end:last], self.glued_after):
                return True
        return False

    def _holds(self, window: str, negations: tuple[str, ...]) -> bool:
        for compound in self.glued_unless:
            if compound in window:
                window = window.replace(compound, " ")
        return any(n in window for n in negations)
