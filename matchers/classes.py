"""A ruleset's term classes, compiled once for scanning: automata, which classes are anchors, and class bits.

Each class gets one bit, so which classes a listing has and which a rule needs are integers to compare.
Pattern classes (regular expressions) are matched lazily, the first time a rule asks for them, and only in
the zones around anchor terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from .field import FieldScan
from .gates import GatePass
from .patterns import SafePattern
from .ruleset import Ruleset, TermClass
from .terms import Hit, TermIndex


class ClassTable:
    """What the scanner needs to know about a ruleset's classes, derived once."""

    def __init__(self, ruleset: Ruleset, gates: bool = True) -> None:
        """``gates=False``: pattern classes search every zone, whatever their ``gate`` (the reference path)."""
        self.classes = ruleset.classes if gates else {n: replace(c, gate=None) for n, c in ruleset.classes.items()}
        self.anchors = frozenset(name for name, c in ruleset.classes.items() if c.anchor)
        #: Anchors in name order (the order explanations and the title check walk them in).
        self.anchor_names = tuple(sorted(self.anchors))
        #: r18e: classes whose terms anchor a field only beside a term or pattern match of other classes (a review
        #: site beside a supplier's terms), by name: looked for everywhere, as watched classes are, but only as
        #: written (their disemvowelled names are other words: "jmd" for "jameda" is a currency).
        self.beside = {name: c.anchor_beside for name, c in ruleset.classes.items() if c.anchor_beside}
        watched = self.anchors | {name for name, c in ruleset.classes.items() if c.watch}
        # Classes only the whole-page transaction check reads (no rule names them) keep out of the automata run
        # on every field: that check builds its own, for the few listings it looks at.
        ruled = {name for rule in ruleset.rules for name in rule.class_names}
        everywhere = watched | set(self.beside)
        page_only = {n for n in _transaction_classes(ruleset) if n not in ruled and n not in everywhere}
        self.index = TermIndex.build(
            {name: list(c.terms) for name, c in ruleset.classes.items() if name not in page_only and not c.sides},
            watched, frozenset(self.beside),
        )
        #: Classes with patterns (or words matched as written), matched on first use.
        self.lazy = frozenset(name for name, c in ruleset.classes.items()
                              if c.patterns or c.original_patterns or c.written is not None)
        #: Classes whose hits may be skipped by the word next to them or a negation.
        self.skipping = frozenset(
            name for name, c in ruleset.classes.items() if c.skip_after or c.skip_before or c.negatable
        )
        #: r19e: per negatable class, the classes of negated hits that take its negated terms (``TermClass.negated``),
        #: each with the terms it leaves out: "never write or post reviews" is a disclaimer, not nothing.
        self.negated_into: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for name, c in ruleset.classes.items():
            for source in c.negated:
                self.negated_into.setdefault(source, []).append((name, c.negated_except))
        #: Classes of a supplier's own act on reviews (``trade = true``: "we write", "I post"): evidence resting on
        #: one, told next to a deal word, is what an honest title does not explain in another field.
        self.trade = frozenset(name for name, c in ruleset.classes.items() if c.trade)
        self.bits = {name: 1 << i for i, name in enumerate(ruleset.classes)}
        self.lazy_mask = self.bits_of(self.lazy)
        #: The gates of the pattern classes, answered once per zone for every class (``gates.GatePass``).
        self.gates = GatePass(self.classes.values())
        #: Per listing side ("buyer"), the bits of the side classes present on listings of that side.
        self._sides: dict[str, int] = {}
        for name, c in ruleset.classes.items():
            for side in c.sides:
                self._sides[side] = self._sides.get(side, 0) | self.bits[name]

    def side_mask(self, side: object) -> int:
        """The bits of the side classes present on a listing of this ``listing_side`` (0: none, or no side)."""
        return self._sides.get(side.strip().casefold(), 0) if isinstance(side, str) and self._sides else 0

    def bits_of(self, names: Iterable[str]) -> int:
        """The bits of these classes (unknown names have none)."""
        return sum(self.bits.get(n, 0) for n in set(names))

    def label(self, hit: Hit) -> str:
        """The class label of a hit as explanations show it."""
        label = self.classes[hit.cls].label
        return f"{label} (misspelt)" if hit.fuzzy is not None else label

    def hits(self, f: FieldScan, names: tuple[str, ...]) -> list[Hit]:
        """The hits of these classes (pattern classes matched on first use); callers must not alter the list."""
        if not f.hidden:
            known = f.by_names.get(names)
            if known is not None:
                return known
        out: list[Hit] = []
        for name in names:
            if name in self.lazy and name not in f.patterned:
                self._add_patterns(f, name)
            out.extend(f.hits.get(name, ()))
        if f.hidden:
            return [h for h in out if h.start not in f.hidden]
        f.by_names[names] = out
        return out

    def _add_patterns(self, f: FieldScan, name: str) -> None:
        """Run a class's patterns on the field once, adding their matches to its term hits: a class with both
        keeps both ("four" a quantity term does not hide the "12" its pattern finds). A span a term already holds
        is not added twice."""
        f.patterned.add(name)
        cls = self.classes[name]
        found = pattern_hits(f, cls, whole=cls.whole_field, gates=self.gates)
        terms = f.hits.get(name)
        if terms:
            spans = {(h.start, h.end) for h in terms}
            found = terms + [h for h in found if (h.start, h.end) not in spans]
        f.hits[name] = found
        if found:
            f.mask |= self.bits[name]
            f.anchor_starts = None

    def anchor_keys(self, f: FieldScan, hits: Iterable[Hit]) -> frozenset[tuple[str, int]]:
        """(field, start) of the hits that are rating terms (an anchor term, or another class's term on it)."""
        starts = f.anchor_starts
        if starts is None:
            starts = f.anchor_starts = {h.start for name in self.anchor_names for h in f.hits.get(name, ())}
        return frozenset((f.name, h.start) for h in hits if h.cls in self.anchors or h.start in starts)


def _transaction_classes(ruleset: Ruleset) -> set[str]:
    rule = ruleset.transaction
    if rule is None:
        return set()
    return (set(rule.classes) | set(rule.when_any) | set(rule.told) | set(rule.voice) | set(rule.asked)
            | set(rule.writer) | set(rule.addressed))


def pattern_hits(f: FieldScan, cls: TermClass, whole: bool = False, gates: GatePass | None = None) -> list[Hit]:
    """A pattern class's matches in the zones around the field's anchors (``whole``: anywhere in the field), on
    the key or on the original; its ``original_patterns`` always on the original, and only in a field with
    letters outside the Latin script. Zones without a match of the class's ``gate`` hold none: skipped. A
    ``written`` class's words are matched here too, on the original, whatever its gate (which speaks of patterns).
    ``gates``: the table's gates, answered per zone for every class (without: the class's gate searched here)."""

    def zones(original: bool) -> list[tuple[int, int]]:
        text = f.original if original else f.key.text
        found = [(0, len(text))] if whole else f.zones(original=original)
        if cls.gate is None:
            return found
        if gates is None:
            return [z for z in found if cls.gate.search(text, *z) is not None]
        return [z for z in found if gates.passes(f.gate_memo, cls, text, original, z)]

    found: list[Hit] = []
    if cls.patterns:
        on_original = cls.on_original
        areas = zones(on_original)
        for pattern in cls.patterns if areas else ():
            if on_original:
                for start, end in areas:
                    for m in pattern.matches(f.original, start, end):
                        found.append(Hit(cls.name, pattern.pattern, m.start(), m.end(), m.group(), -1))
            else:
                for start, end in areas:
                    for m in pattern.matches(f.key.text, start, end):
                        quoted, o_start, o_end = f.key.quote(m.start(), m.end())
                        found.append(Hit(cls.name, pattern.pattern, o_start, o_end, quoted, m.start()))
    if cls.original_patterns and f.key.non_latin:
        areas = zones(True)
        for pattern in cls.original_patterns if areas else ():
            for start, end in areas:
                for m in pattern.matches(f.original, start, end):
                    found.append(Hit(cls.name, pattern.pattern, m.start(), m.end(), m.group(), -1))
    if cls.written is not None:
        found += written_hits(f, cls, cls.written, whole)
    return found


def written_hits(f: FieldScan, cls: TermClass, written: SafePattern, whole: bool) -> list[Hit]:
    """A ``written`` class's words in the field as written (around its anchors, or ``whole``), each hit named by
    its word as the ruleset spells it (casefolded), so readers that count different terms count words."""
    areas = [(0, len(f.original))] if whole else f.zones(original=True)
    return [Hit(cls.name, m.group().casefold(), m.start(), m.end(), m.group(), -1)
            for start, end in areas for m in written.matches(f.original, start, end)]


def gate_misses(f: FieldScan, cls: TermClass) -> list[str]:
    """The matches of a class's patterns anywhere in a keyed field (its ``original_patterns`` whatever the field's
    script) that hold no match of the class's ``gate``: none, for a gate that is true of its patterns. What
    ``gigscan rules check`` and the tests hold each gate to."""
    if cls.gate is None:
        return []
    misses: list[str] = []
    runs = [(p, cls.on_original) for p in cls.patterns] + [(p, True) for p in cls.original_patterns]
    for pattern, original in runs:
        text = f.original if original else f.key.text
        misses += [m.group() for m in pattern.finditer(text) if cls.gate.search(text, m.start(), m.end()) is None]
    return misses

