"""Positive and negative rules on a listing's fields: which hits satisfy a rule, and the reason it gives.

A keyword rule needs one class; a proximity rule needs a hit of each of its classes within ``window`` words,
in one sentence (or clause); a document rule needs each class anywhere in the listing. The reason quotes the
stretch of the text as written that holds the chosen hits, and says in words which terms it saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import product
from typing import Literal, NamedTuple

from .classes import ClassTable
from .document import Document
from .field import CHARS_PER_WORD, FieldScan
from .ruleset import Rule
from .terms import Hit
from .verdict import Reason


@dataclass(slots=True)
class Found:
    """A rule that fired, and the anchor hits (field, start) it rests on: what honest context may explain;
    ``trade``: it rests on a supplier's own act (a term of a ``trade = true`` class: ``ClassTable.trade``)."""

    reason: Reason
    anchors: frozenset[tuple[str, int]]
    trade: bool = False


class RuleMatcher:
    """Applies one rule at a time to a listing's fields."""

    def __init__(self, table: ClassTable, untold: Callable[[FieldScan, list[Hit]], list[Hit]] | None = None) -> None:
        self.table = table
        #: A field's hits less those a reporter's sentence tells (r12b: "scammers add you on WhatsApp"): an
        #: ``absent`` class's term told so is no offer (None: every term counts)
        self.untold = untold
        #: Per rule, the bits of its class entries without a pattern class: a field without a hit for one of
        #: them cannot match the rule, and no regular expression needs to run.
        self._eager: dict[str, tuple[int, ...]] = {}

    def apply(self, rule: Rule, fields: list[FieldScan], document: Document | None = None) -> Found | None:
        """The rule on these fields (its classes are known to be present in the listing); never when a term
        of one of its ``absent`` classes is in one of its fields. A document rule reads every field of the
        listing (``document``; without it, only the fields given)."""
        if rule.scope == "document" and document is not None:
            names = [name for name in document.names() if name in rule.fields]
            found = self._whole_document(rule, names, document)
            if found is None or (rule.absent and any(self._offers_in(document, name, rule.absent) for name in names)):
                return None
            return found
        found = self._document(rule, fields) if rule.scope == "document" else self._first(rule, fields)
        # the absent classes (pattern classes, mostly) are read only for a rule that would fire: most rules naming
        # them are honest frames, which find nothing in most fields
        if found is None or (rule.absent and any(self._offers(f, self.table.hits(f, rule.absent)) for f in fields
                                                 if f.name in rule.fields)):
            return None
        return found

    def _first(self, rule: Rule, fields: list[FieldScan]) -> Found | None:
        """The rule's first find in the fields it reads, in order."""
        for f in fields:
            if f.name not in rule.fields:
                continue
            found = self._single(rule, f) if len(rule.classes) == 1 else self._proximity(rule, f)
            if found is not None:
                return found
        return None

    def _offers_in(self, document: Document, name: str, absent: tuple[str, ...]) -> bool:
        """A term of ``absent`` in the document's field ``name`` that no reporter's sentence tells."""
        hits = document.hits(name, absent)
        return bool(hits) and self._offers(document.field(name), hits)

    def _offers(self, f: FieldScan, hits: list[Hit]) -> bool:
        """Some of ``hits`` (a rule's ``absent`` classes' terms in ``f``) is not told in a reporter's sentence."""
        if not hits or self.untold is None:
            return bool(hits)
        return bool(self.untold(f, hits))

    def _single(self, rule: Rule, f: FieldScan) -> Found | None:
        for hit in self.table.hits(f, rule.classes[0]):
            context = self._context(rule, f, hit.start, hit.end, [hit])
            if context is False:
                continue
            chosen = [hit] + ([context] if context else [])
            return self._found(rule, f, chosen, self._describe(rule, [hit], context))
        return None

    def _eager_bits(self, rule: Rule) -> tuple[int, ...]:
        known = self._eager.get(rule.id)
        if known is None:
            lazy = self.table.lazy
            known = self._eager[rule.id] = tuple(
                self.table.bits_of(entry) for entry in rule.classes if lazy.isdisjoint(entry)
            )
        return known

    def _proximity(self, rule: Rule, f: FieldScan) -> Found | None:
        # Term classes first: the regular expressions of pattern classes only run if those are all present.
        if not all(need & f.mask for need in self._eager_bits(rule)):
            return None
        candidates = [self.table.hits(f, entry) for entry in rule.classes]
        if not all(candidates):
            return None
        if len(candidates) == 2 and not rule.context:
            return self._pair(rule, f, candidates[0], candidates[1])
        combos = sorted(self._combos(rule, f, candidates), key=lambda c: (c[0], c[1][0].start))
        for _, combo in combos:
            start, end = min(h.start for h in combo), max(h.end for h in combo)
            context = self._context(rule, f, start, end, list(combo))
            if context is False:
                continue
            chosen = list(combo) + ([context] if context else [])
            return self._found(rule, f, chosen, self._describe(rule, list(combo), context))
        return None

    def _combos(self, rule: Rule, f: FieldScan, candidates: list[list[Hit]]) -> Iterator[tuple[int, tuple[Hit, ...]]]:
        """(words spanned, hits) of every combination of one hit per class within the window, in the order of
        a full walk; only the hits within reach of each first hit are combined with it."""
        # Every hit of a combination within the window starts within the reach plus the longest hit of the
        # first one's start (the first and last hit by position are at most that far apart).
        longest = max(h.end - h.start for hits in candidates for h in hits)
        reach = rule.window * CHARS_PER_WORD + longest
        for first in candidates[0]:
            rest = [f.within_reach(hits, first.start, first.start, reach) for hits in candidates[1:]]
            for others in product(*rest):
                combo = (first, *others)
                if rule.ordered and any(combo[i].start > combo[i + 1].start for i in range(len(combo) - 1)):
                    continue
                if len({(h.start, h.end) for h in combo}) < len(combo):
                    continue  # one piece of text cannot play two parts
                span = _span(f, combo, rule.window, rule.span_in(f.name))
                if span is not None:
                    yield span, combo

    def _pair(self, rule: Rule, f: FieldScan, firsts: list[Hit], seconds: list[Hit]) -> Found | None:
        """Two-class proximity without context (most rules): the closest pair; the first one found wins a tie.
        Once a pair of adjacent words is found, only overlapping pairs (distance 0) can do better."""
        best: tuple[int, Hit, Hit] | None = None
        window = rule.window
        for a in firsts:
            reach = window * CHARS_PER_WORD if best is None or best[0] > 1 else 0
            for b in self.pairable(rule, f, a, seconds, reach):
                d = f.near(a, b, window, rule.span_in(f.name))
                if d is not None and (best is None or d < best[0]):
                    best = (d, a, b)
                    if d == 0:
                        break
            if best is not None and best[0] == 0:
                break
        if best is None:
            return None
        core = [best[1], best[2]]
        return self._found(rule, f, core, self._describe(rule, core, None))

    @staticmethod
    def pairable(rule: Rule, f: FieldScan, a: Hit, seconds: list[Hit], reach: int) -> Iterator[Hit]:
        """The hits of ``seconds`` that may pair with ``a``: within ``reach`` characters, in order if the rule
        says so, and not the very same words."""
        for b in f.within_reach(seconds, a.start, a.end, reach):
            if (rule.ordered and a.start > b.start) or (a.start == b.start and a.end == b.end):
                continue
            yield b

    def _context(self, rule: Rule, f: FieldScan, start: int, end: int,
                 used: list[Hit]) -> Hit | None | Literal[False]:
        """The nearest context hit (None when the rule needs none; False when it needs one and has none)."""
        if not rule.context:
            return None
        core = Hit("", "", start, end, "", -1)
        best: tuple[int, Hit] | None = None
        reach = rule.context_window * CHARS_PER_WORD
        for hit in f.within_reach(self.table.hits(f, rule.context), start, end, reach):
            if any(hit.start < u.end and u.start < hit.end for u in used):
                continue
            d = f.near(core, hit, rule.context_window, "field" if rule.span_in(f.name) == "field" else "sentence")
            if d is not None and (best is None or d < best[0]):
                best = (d, hit)
        return best[1] if best else False

    def _whole_document(self, rule: Rule, names: list[str], document: Document) -> Found | None:
        """A document rule over every field of the listing (``document``), each class entry in the first field
        that has it."""
        if rule.window and rule.kind == "negative":
            fields = [document.field(name) for name in names]
            return self._near(rule, fields, lambda f, entry: document.hits(f.name, entry))
        found: list[tuple[FieldScan, Hit]] = []
        for entry in rule.classes:
            hit = next(((name, h) for name in names for h in document.hits(name, entry)), None)
            if hit is None:
                return None
            found.append((document.field(hit[0]), hit[1]))
        return self._document_found(rule, found)

    def _document(self, rule: Rule, fields: list[FieldScan]) -> Found | None:
        if rule.window and rule.kind == "negative":
            return self._near(rule, [f for f in fields if f.name in rule.fields], self.table.hits)
        found: list[tuple[FieldScan, Hit]] = []
        for entry in rule.classes:
            hit = next(((f, h) for f in fields if f.name in rule.fields for h in self.table.hits(f, entry)), None)
            if hit is None:
                return None
            found.append(hit)
        return self._document_found(rule, found)

    def _near(self, rule: Rule, fields: list[FieldScan],
              hits: Callable[[FieldScan, tuple[str, ...]], list[Hit]]) -> Found | None:
        """r19e: a negative document rule with a ``window``: its two class entries within it in one field, whichever
        field (a frame that a phrase, not two words far apart, makes: "I never write or post reviews" explains the
        listing, "never" and "reviews" a page apart do not)."""
        for f in fields:
            firsts, seconds = hits(f, rule.classes[0]), hits(f, rule.classes[1])
            found = self._pair(rule, f, firsts, seconds) if firsts and seconds else None
            if found is not None:
                return found
        return None

    def _document_found(self, rule: Rule, found: list[tuple[FieldScan, Hit]]) -> Found:
        f, first = found[0]
        label = self.table.label
        others = "; ".join(f"{label(h)} '{h.text}' ({other.name})" for other, h in found[1:])
        explanation = f"{rule.explain}: {label(first)} '{first.text}'"
        explanation += f" in a listing that also has {others}." if others else "."
        anchors = frozenset(key for g, h in found for key in self.table.anchor_keys(g, [h]))
        trade = any(h.cls in self.table.trade for _, h in found)
        return Found(self._found(rule, f, [first], explanation).reason, anchors, trade)

    def _describe(self, rule: Rule, core: list[Hit], context: Hit | None) -> str:
        label = self.table.label
        parts = " and ".join(f"{label(h)} '{h.text}'" for h in sorted(core, key=lambda h: h.start))
        if len(core) > 1:
            parts += f" within {rule.window} words"
        if context is not None:
            parts += f"{' of' if len(core) > 1 else ' within'} "
            parts += f"{'' if len(core) > 1 else f'{rule.context_window} words of '}{label(context)} "
            parts += f"'{context.text}'"
        return f"{rule.explain}: {parts}."

    def _found(self, rule: Rule, f: FieldScan, hits: list[Hit], explanation: str) -> Found:
        start, end = min(h.start for h in hits), max(h.end for h in hits)
        if rule.kind == "negative":
            kind = "negative"
        elif rule.scope == "document":
            kind = "proximity"
        else:
            kind = "keyword" if len(rule.classes) == 1 and not rule.context else "proximity"
        reason = Reason(rule.id, f.name, f.original[start:end], start, end, kind, rule.signed_weight, explanation)
        trade = any(h.cls in self.table.trade for h in hits)
        return Found(reason, self.table.anchor_keys(f, hits), trade)


def _start(hit: Hit) -> int:
    return hit.start


def _span(f: FieldScan, combo: tuple[Hit, ...], window: int, span: str) -> int | None:
    """Words from the first hit of a combination to the last, if within ``window``."""
    first, last = min(combo, key=_start), max(combo, key=_start)  # (the first of equals, in combination order)
    if first is last:
        return 0
    return f.near(first, last, window, span)


class _Needs(NamedTuple):
    """What one rule needs of a listing's class bits: every bit of ``every`` (its class entries of one class), a
    bit of each mask of ``some`` (its entries of several classes), none of ``unless`` (its absent side classes).
    Single-class entries fold into one mask, so most rules are a couple of integer tests."""

    every: int
    some: tuple[int, ...]
    unless: int

    @classmethod
    def of(cls, entries: tuple[int, ...], unless: int, never: int) -> _Needs:
        """``entries``: the bits of each class entry; an entry with none (no known class) needs ``never``, a bit
        no listing has."""
        every = 0
        for bits in entries:
            if not bits & (bits - 1):  # one class, or none known
                every |= bits or never
        return cls(every, tuple(bits for bits in entries if bits & (bits - 1)), unless)


class RuleSelection:
    """Which rules can fire, given the classes a listing has (a bit per class): the rest need not run."""

    def __init__(self, rules: tuple[Rule, ...], table: ClassTable) -> None:
        self.fuzzy = [r for r in rules if r.kind == "fuzzy"]
        self.positive = [r for r in rules if r.kind in ("keyword", "proximity")]
        self.negative = [r for r in rules if r.kind == "negative"]
        self.by_id = {r.id: r for r in rules}
        #: Per rule, the bits of its class entries (one class of each entry must be present), side classes (the
        #: listing's side) included, and the bits of the side classes that must be absent.
        never = 1 << len(table.bits)
        self._needs = {r.id: _Needs.of(tuple(table.bits_of(entry) for entry in r.classes + r.sides),
                                       table.bits_of(r.absent_sides), never) for r in rules}
        self._positive = [(r, self._needs[r.id]) for r in self.positive]
        self._negative = [(r, self._needs[r.id]) for r in self.negative]
        self._by_present: dict[int, tuple[list[Rule], list[Rule]]] = {}

    def possible(self, rule: Rule, present: int) -> bool:
        """Every class entry of the rule has a class present (and none of its absent side classes is)."""
        return bool(self._possible([(rule, self._needs[rule.id])], present))

    @staticmethod
    def _possible(rules: list[tuple[Rule, _Needs]], present: int) -> list[Rule]:
        """The rules whose needs ``present`` meets (written inline: it runs for each new combination of classes)."""
        return [rule for rule, (every, some, unless) in rules
                if present & every == every and not present & unless and all(map(present.__and__, some))]

    def for_present(self, present: int) -> tuple[list[Rule], list[Rule]]:
        """The positive and negative rules possible with the classes in ``present`` (remembered)."""
        known = self._by_present.get(present)
        if known is None:
            if len(self._by_present) >= 100_000:
                self._by_present.clear()
            known = self._by_present[present] = (self._possible(self._positive, present),
                                                 self._possible(self._negative, present))
        return known
