"""Scan listings with a ruleset: term hits -> rules -> a score, a verdict and reasons a lawyer can read.

The steps, each in its own module: ``prepare`` keys each field and finds its anchor terms (most fields have
none, and stop there); ``fuzzy`` adds misspelt terms near watched words; ``match`` applies the rules whose
classes are present; ``weigh`` discounts what honest context explains. Every reason quotes the original
text, as written, with its offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .classes import ClassTable, gate_misses
from .document import DocumentReader
from .field import FieldScan
from .fuzzy import FuzzyRule
from .match import Found, RuleMatcher, RuleSelection
from .prepare import FieldPreparer
from .ruleset import FIELDS, Problem, Rule, Ruleset
from .transaction import TransactionCheck
from .verdict import Reason, Verdict, field_texts
from .weigh import NOTHING_EXPLAINED, Weigher


class Scanner:
    """Scans listings with one ruleset. Build once (it compiles automata) and reuse."""

    def __init__(self, ruleset: Ruleset, prefilter: bool = True) -> None:
        """``prefilter=False`` forces the full path everywhere (the reference the fast paths are tested against):
        every field is keyed, every word near a trigger is compared, every zone searched by pattern classes."""
        self.ruleset = ruleset
        self.version = ruleset.version
        self.threshold = ruleset.threshold
        self.suspect_threshold = ruleset.suspect_threshold
        self.classes = ruleset.classes
        self.table = ClassTable(ruleset, gates=prefilter)
        self.rules = RuleSelection(ruleset.rules, self.table)
        self.preparer = FieldPreparer(self.table, ruleset.negation, prefilter)
        self.fuzzy = [FuzzyRule(rule, self.table, prefilter) for rule in self.rules.fuzzy]
        rule = ruleset.transaction
        self.transaction = TransactionCheck(rule, self.table, self.preparer) if rule is not None else None
        frame = self.transaction.frame if self.transaction is not None else None
        self.matcher = RuleMatcher(self.table, frame.untold if frame is not None else None)
        deal = self.transaction.deal.field_hits if self.transaction is not None else None
        self.weigher = Weigher(self.table, self.rules, self.matcher, deal)
        #: Document rules read every field of the listing (the scan keys fields with a rating term).
        self.document = DocumentReader(ruleset.rules, self.table, self.preparer)
        #: Side classes among the transaction's classes: a listing of such a side is a deal itself (a buyer's post).
        self.deal_sides = self.table.bits_of(n for n in rule.classes if self.classes[n].sides) if rule else 0

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.ruleset.rules]

    def scan(self, doc: Mapping[str, Any]) -> Verdict:
        """The verdict for one listing (``title``, ``description``, optional ``tags``, and optional
        ``listing_side``: "seller" for a gig, "buyer" for a job post, which the ruleset's side classes read)."""
        return self._scan(doc, everything=False)[0]

    def scan_many(self, docs: Iterable[Mapping[str, Any]]) -> Iterator[Verdict]:
        for doc in docs:
            yield self.scan(doc)

    def fired(self, text: str, side: str = "") -> set[str]:
        """Ids of every rule (negative ones too) that fires on ``text`` as a title (of a listing of that
        ``side``); used by rule examples."""
        return self._scan({"title": text, "listing_side": side}, everything=True)[1]

    def example_side(self, rule: Rule) -> str:
        """The side a rule's examples are listings of: the first side its side classes need ("" for a rule
        that needs none)."""
        for entry in rule.sides:
            for name in entry:
                sides = sorted(self.classes[name].sides)
                if sides:
                    return sides[0]
        return ""

    def check_examples(self) -> Iterator[Problem]:
        """Run every rule's ``must_match`` / ``must_not_match`` examples and the ruleset's own examples."""
        path = self.ruleset.path
        for rule in self.ruleset.rules:
            side = self.example_side(rule)
            for text in rule.must_match:
                if rule.id not in self.fired(text, side):
                    yield Problem(path, rule.line, f"rule {rule.id!r} should match {text!r} but does not", "example")
            for text in rule.must_not_match:
                if rule.id in self.fired(text, side):
                    yield Problem(path, rule.line, f"rule {rule.id!r} should not match {text!r} but does", "example")
        line = _line_of(self.ruleset.source, "[examples]")
        for text in self.ruleset.flagged_examples:
            if not self.scan({"title": text}).flagged:
                yield Problem(path, line, f"example should be flagged but is not: {text!r}", "example")
        for text in self.ruleset.unflagged_examples:
            if self.scan({"title": text}).flagged:
                yield Problem(path, line, f"example should not be flagged but is: {text!r}", "example")
        yield from self.check_gates(self.example_texts())

    def example_texts(self) -> list[str]:
        """Every example text of the ruleset: its rules' and its own."""
        texts = [text for rule in self.ruleset.rules for text in rule.must_match + rule.must_not_match]
        return texts + list(self.ruleset.flagged_examples) + list(self.ruleset.unflagged_examples)

    def check_gates(self, texts: Iterable[str]) -> Iterator[Problem]:
        """A pattern class's ``gate`` must be true of its patterns: a match of theirs in ``texts`` that holds no
        match of the gate would be lost where the scan skips the zones without one."""
        gated = [c for c in self.classes.values() if c.gate is not None]
        for text in texts if gated else ():
            f = self.preparer.keyed("title", text)
            for cls in gated:
                for miss in gate_misses(f, cls):
                    line = _line_of(self.ruleset.source, f"[classes.{cls.name}]")
                    yield Problem(self.ruleset.path, line, f"class {cls.name!r}: {miss!r}, a match of its patterns "
                                  f"in {text!r}, holds no match of its gate {cls.gate.pattern!r}", "example")

    # -- one listing --------------------------------------------------------------------------------------

    def _scan(self, doc: Mapping[str, Any], everything: bool) -> tuple[Verdict, set[str]]:
        """The verdict, and the ids of the rules behind it (``everything``: negative rules run even when
        nothing positive fired, for rule examples)."""
        texts = field_texts(doc)
        fields = self._fields(texts)
        if not fields:
            return self._clear(), set()  # most listings: no rating term, nothing to do
        present = self.table.lazy_mask | self.table.side_mask(doc.get("listing_side"))
        for f in fields:
            for name, hits in f.hits.items():
                present |= self.table.bits[name]
                if hits:
                    f.mask |= self.table.bits[name]
        document = None
        if len(fields) < sum(1 for text in texts.values() if text):  # document rules read the other fields too
            document = self.document.read(texts, fields)
            present |= document.present()
        positive, negative = self.rules.for_present(present)
        found = [x for x in (self.matcher.apply(rule, fields, document) for rule in positive) if x]
        found += [Found(*x) for x in (fuzzy.reason(fields) for fuzzy in self.fuzzy) if x]
        if not found and not everything:
            return self._clear(), set()
        honest = [x.reason for x in (self.matcher.apply(rule, fields, document) for rule in negative) if x]
        explained = self.weigher.explained(fields, present, document) if honest else NOTHING_EXPLAINED
        reasons, score = self.weigher.weigh(found, explained, fields, present, document)
        reasons += honest
        score = round(min(1.0, max(0.0, score)), 3)
        if self.transaction is not None and self._grade(score) != "clear" and not present & self.deal_sides:
            # with no document, every field with text was scanned (see above): each is keyed already
            keyed = document.field if document is not None else {f.name: f for f in fields}.__getitem__
            held = self.transaction.hold(texts, score, score >= self.threshold, honest, keyed)
            if held is not None:  # a page that talks about reviews, with no deal anywhere in it
                reasons.append(held)
                score = round(score + held.weight, 3)
        return self._verdict(score, reasons), {r.rule_id for r in reasons}

    def _fields(self, texts: Mapping[str, str]) -> list[FieldScan]:
        """The fields with a rating term, with every term hit (exact, misspelt, context) found."""
        fields = [f for name, text in texts.items() if text
                  if (f := self.preparer.field(name, text)) is not None]
        if not fields:
            return []
        for fuzzy in self.fuzzy:  # misspelt anchors, where watched terms point at them
            fuzzy.run(fields)
        kept = []
        for f in fields:
            if f.anchor_hits:
                self.preparer.add_context(f)
                kept.append(f)
            elif self.preparer.anchored_beside(f):  # (it adds the field's context itself)
                kept.append(f)
        fields = kept
        for fuzzy in self.fuzzy:  # and misspellings that only context words point at
            fuzzy.run(fields)
        return fields

    def _clear(self) -> Verdict:
        return Verdict(False, 0.0, [], self.version)

    def _verdict(self, score: float, reasons: list[Reason]) -> Verdict:
        return Verdict(score >= self.threshold, score, reasons, self.version, self._grade(score))

    def _grade(self, score: float) -> str:
        """``flagged``, ``suspect`` (some evidence, short of the threshold) or ``clear``."""
        if score >= self.threshold:
            return "flagged"
        suspect = self.suspect_threshold
        return "suspect" if suspect is not None and score > 0 and score >= suspect else "clear"


def _line_of(source: str, header: str) -> int | None:
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip() == header:
            return number
    return None


__all__ = ["FIELDS", "Reason", "Scanner", "Verdict", "field_texts"]
