"""Weighing the evidence: honest context ("I review resumes", "reply to your customer reviews") explains the
rating terms near it, and explained evidence counts less or not at all.

Evidence that no honest context explains counts in full. Explained evidence of an act (selling, posting,
paying) counts together less the strongest explanation; other explained evidence (a platform, a count, stars,
a tone) does not count: the honest service accounts for it. Before a rule's evidence is discounted, the rule
is tried again without the explained terms: if it still fires, it counts in full.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .classes import ClassTable
from .field import CHARS_PER_WORD, FieldScan
from .match import Found, RuleMatcher, RuleSelection
from .ruleset import Rule
from .terms import Hit
from .verdict import Reason

EXPLAINED_NOTE = "(Not counted: honest context in the listing explains this term.)"
ACT_NOTE = "(Counted only beyond the honest context next to it.)"


@dataclass(frozen=True)
class Explained:
    """Rating terms (field, start) that honest context explains, with the strongest explanation's weight, and
    the weight of an honest service named in the title (it explains the whole listing, except acts)."""

    terms: dict[tuple[str, int], float]
    listing: float


NOTHING_EXPLAINED = Explained({}, 0.0)


class Weigher:
    """Turns the rules that fired into reasons and a score, given what honest context explains."""

    def __init__(self, table: ClassTable, rules: RuleSelection, matcher: RuleMatcher) -> None:
        self.table = table
        self.rules = rules
        self.matcher = matcher

    def weigh(self, found: list[Found], explained: Explained, fields: list[FieldScan],
              present: int) -> tuple[list[Reason], float]:
        """The reasons (explained ones with a note) and the score before clamping."""
        full = acts = strongest = 0.0
        reasons: list[Reason] = []
        for item in found:
            rule = self.rules.by_id.get(item.reason.rule_id)
            act = rule is not None and rule.act
            by = max((explained.terms.get(k, 0.0) for k in item.anchors), default=0.0)
            if not act and explained.listing and item.anchors:
                by = max(by, explained.listing)
            elif by and rule is not None:
                elsewhere = self._unexplained(rule, fields, present, explained.terms)
                if elsewhere is not None:
                    item, by = elsewhere, 0.0
            reason = item.reason
            if not by:
                full += reason.weight
            else:
                if act:
                    acts += reason.weight
                    strongest = max(strongest, by)
                reason = replace(reason, explanation=f"{reason.explanation} {ACT_NOTE if act else EXPLAINED_NOTE}")
            reasons.append(reason)
        return reasons, full + max(0.0, acts - strongest)

    def _unexplained(self, rule: Rule, fields: list[FieldScan], present: int,
                     explained: dict[tuple[str, int], float]) -> Found | None:
        """The rule again, on terms that honest context does not explain (None if it needs explained ones)."""
        for f in fields:
            f.hidden = frozenset(start for name, start in explained if name == f.name)
        try:
            return self.matcher.apply(rule, fields) if self.rules.possible(rule, present) else None
        finally:
            for f in fields:
                f.hidden = frozenset()

    def explained(self, fields: list[FieldScan], present: int) -> Explained:
        """What honest-context rules explain: the rating terms a negative rule matches and the others in the
        same sentence; an honest service named in the title explains the listing (except acts)."""
        terms: dict[tuple[str, int], float] = {}
        for rule in self.rules.for_present(present)[1]:
            for f in fields:
                if f.name not in rule.fields:
                    continue
                for hit in self._explained_by(rule, f):
                    key = (f.name, hit.start)
                    terms[key] = max(terms.get(key, 0.0), rule.weight)
        listing = 0.0
        title = next((f for f in fields if f.name == "title"), None)
        if title is not None:  # an honest service named in the title, with no other rating term there
            weights = [terms.get(("title", h.start), 0.0) for h in self.table.hits(title, self.table.anchor_names)]
            listing = min(weights, default=0.0)
        return Explained(terms, listing)

    def _explained_by(self, rule: Rule, f: FieldScan) -> list[Hit]:
        """The anchor hits of ``f`` that a firing negative rule explains: every one in a sentence that has both
        a rating term and the rule's honest term ("a reply the owner can post under a customer review")."""
        anchors = self.table.hits(f, self.table.anchor_names)
        if rule.scope == "document" or len(rule.classes) == 1:
            return anchors if all(self.table.hits(f, entry) for entry in rule.classes) else []
        candidates = [self.table.hits(f, entry) for entry in rule.classes]
        if not all(candidates) or not self._pairs_near(rule, f, candidates):
            return []
        honest = [h for entry, hits in zip(rule.classes, candidates, strict=True)
                  if self.table.anchors.isdisjoint(entry) for h in hits]
        with_rating = {f.sentence(h.start) for h in anchors}
        sentences = {f.sentence(h.start) for h in honest} & with_rating
        return [h for h in anchors if f.sentence(h.start) in sentences]

    @staticmethod
    def _pairs_near(rule: Rule, f: FieldScan, candidates: list[list[Hit]]) -> bool:
        """Some hit of one class entry is within the window of a hit of another."""
        clause, reach = rule.span == "clause", rule.window * CHARS_PER_WORD
        for i, first in enumerate(candidates):
            for second in candidates[i + 1 :]:
                for a in first:
                    for b in RuleMatcher.pairable(rule, f, a, second, reach):
                        if f.near(a, b, rule.window, clause) is not None:
                            return True
        return False
