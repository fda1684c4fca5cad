"""Weighing the evidence: honest context ("I review resumes", "reply to your customer reviews") explains the
rating terms near it, and explained evidence counts less or not at all.

Evidence that no honest context explains counts in full. Explained evidence of an act (selling, posting,
paying) counts together less the strongest explanation; other explained evidence (a platform, a count, stars,
a tone) does not count: the honest service accounts for it. Before a rule's evidence is discounted, the rule
is tried again without the explained terms: if it still fires, it counts in full.

A title sums up its description: an honest service named in the title explains the listing, and a description
whose rating terms honest context explains every one of explains the title's rating terms ("How to get more
reviews" over an official invitation flow). Neither explains acts (selling, posting, paying) in the other field.

A negative rule of ``scope = "document"`` is a frame of the whole text: when it fires (its classes anywhere, none
of its ``absent`` classes anywhere: news of a lawsuit with no offer in it), it explains every rating term of
the listing, acts included, as a frame explains the acts in its own sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .classes import ClassTable
from .document import Document
from .field import CHARS_PER_WORD, FieldScan
from .match import Found, RuleMatcher, RuleSelection
from .ruleset import Rule
from .terms import Hit
from .verdict import Reason

EXPLAINED_NOTE = "(Not counted: honest context in the listing explains this term.)"
ACT_NOTE = "(Counted only beyond the honest context next to it.)"
# A description explains its title only by a clear honest frame (asking customers, software, removal), not by
# a passing boast ("happy client ratings" explains a track record, not a headline).
SUMS_UP = 0.45
# ... and not a title that places an order ("Need 10 reviews on my book"): a count is no headline.
ORDER = ("quantity",)
# A clear honest frame (a warning, asking customers, building a review feature) explains the acts in its own
# sentences one by one ("why buying reviews, paying for them or offering them gets you banned"); a weaker one
# (software, a blog) only the strongest of them, pooled over the listing.
FRAMES_ACTS = 0.6


@dataclass(frozen=True)
class Explained:
    """Rating terms (field, start) that honest context explains, with the strongest explanation's weight, and
    the weight of an honest service named in the title (it explains the whole listing, except acts);
    ``passive`` adds, for evidence that is not an act, the title's terms a fully explained description
    explains."""

    terms: dict[tuple[str, int], float]
    listing: float
    passive: dict[tuple[str, int], float]


NOTHING_EXPLAINED = Explained({}, 0.0, {})


class Weigher:
    """Turns the rules that fired into reasons and a score, given what honest context explains."""

    def __init__(self, table: ClassTable, rules: RuleSelection, matcher: RuleMatcher,
                 deal: Callable[[FieldScan], list[Hit]] | None = None) -> None:
        self.table = table
        self.rules = rules
        self.matcher = matcher
        #: The deal words of a field (the ``[transaction]`` classes: a supplier's or buyer's voice, a price), when
        #: the ruleset has them: an honest title does not explain an act told next to them in another field.
        self.deal = deal

    def weigh(self, found: list[Found], explained: Explained, fields: list[FieldScan],
              present: int, document: Document | None = None) -> tuple[list[Reason], float]:
        """The reasons (explained ones with a note) and the score before clamping."""
        full = acts = strongest = 0.0
        reasons: list[Reason] = []
        dealt = _Deals(self.deal, fields) if explained.listing else None
        for item in found:
            rule = self.rules.by_id.get(item.reason.rule_id)
            act = rule is not None and rule.act
            terms = explained.terms if act else explained.passive
            by = max((terms.get(k, 0.0) for k in item.anchors), default=0.0)
            if not act and dealt is not None and item.anchors and not dealt.trade(item):
                by = max(by, explained.listing)
            elif by and rule is not None:
                elsewhere = self._unexplained(rule, fields, present, terms, document)
                if elsewhere is not None:
                    item, by = elsewhere, 0.0
            reason = item.reason
            if not by:
                full += reason.weight
            else:
                if act and any(name == "title" for name, _ in item.anchors):
                    acts += reason.weight  # a title's own offer: pooled, less the strongest explanation
                    strongest = max(strongest, by)
                elif act and min(terms.get(k, 0.0) for k in item.anchors) >= FRAMES_ACTS:
                    # every rating term of the act sits with an honest frame: the frame explains the act
                    full += max(0.0, reason.weight - min(terms[k] for k in item.anchors))
                elif act:
                    acts += reason.weight
                    strongest = max(strongest, by)
                reason = replace(reason, explanation=f"{reason.explanation} {ACT_NOTE if act else EXPLAINED_NOTE}")
            reasons.append(reason)
        return reasons, full + max(0.0, acts - strongest)

    def _unexplained(self, rule: Rule, fields: list[FieldScan], present: int,
                     explained: dict[tuple[str, int], float], document: Document | None = None) -> Found | None:
        """The rule again, on terms that honest context does not explain (None if it needs explained ones)."""
        if not rule.classes:  # fuzzy rules find misspellings, not class terms: nothing to hide
            return None
        for f in fields:
            f.hidden = frozenset(start for name, start in explained if name == f.name)
        try:
            return self.matcher.apply(rule, fields, document) if self.rules.possible(rule, present) else None
        finally:
            for f in fields:
                f.hidden = frozenset()

    def explained(self, fields: list[FieldScan], present: int, document: Document | None = None) -> Explained:
        """What honest-context rules explain: the rating terms a negative rule matches and the others in the
        same sentence; an honest service named in the title explains the listing (except acts)."""
        terms: dict[tuple[str, int], float] = {}
        for rule in self.rules.for_present(present)[1]:
            frame = rule.scope == "document"  # a frame of the whole text ("news of a lawsuit, no offer in it")
            if frame and self.matcher.apply(rule, fields, document) is None:
                continue
            for f in fields:
                if f.name not in rule.fields:
                    continue
                hits = self.table.hits(f, self.table.anchor_names) if frame else self._explained_by(rule, f)
                for hit in hits:
                    key = (f.name, hit.start)
                    terms[key] = max(terms.get(key, 0.0), rule.weight)
        title = next((f for f in fields if f.name == "title"), None)
        listing = self._all_explained(title, terms)  # an honest service named in the title, nothing else there
        passive = terms
        summed_up = max((self._all_explained(f, terms) for f in fields if f is not title), default=0.0)
        if title is not None and summed_up >= SUMS_UP and not self._orders(title):
            passive = dict(terms)
            for h in self.table.hits(title, self.table.anchor_names):
                passive[("title", h.start)] = max(passive.get(("title", h.start), 0.0), summed_up)
        return Explained(terms, listing, passive)

    def _orders(self, title: FieldScan) -> bool:
        """The title names a count of something (the ruleset's ``quantity`` class, when it has one)."""
        names = tuple(name for name in ORDER if name in self.table.classes)
        return bool(names) and bool(self.table.hits(title, names))

    def _all_explained(self, f: FieldScan | None, terms: dict[tuple[str, int], float]) -> float:
        """The weakest explanation of ``f``'s rating terms when honest context explains every one (else 0)."""
        if f is None:
            return 0.0
        weights = [terms.get((f.name, h.start), 0.0) for h in self.table.hits(f, self.table.anchor_names)]
        return min(weights, default=0.0)

    def _explained_by(self, rule: Rule, f: FieldScan) -> list[Hit]:
        """The anchor hits of ``f`` that a firing negative rule explains: every one in a sentence that has both
        a rating term and the rule's honest term ("a reply the owner can post under a customer review")."""
        anchors = self.table.hits(f, self.table.anchor_names)
        if len(rule.classes) == 1:
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
        reach = rule.window * CHARS_PER_WORD
        for i, first in enumerate(candidates):
            for second in candidates[i + 1 :]:
                for a in first:
                    for b in RuleMatcher.pairable(rule, f, a, second, reach):
                        if f.near(a, b, rule.window, rule.span_in(f.name)) is not None:
                            return True
        return False


class _Deals:
    """Where a listing's fields other than the title hold a deal word, by sentence (read on first question)."""

    def __init__(self, deal: Callable[[FieldScan], list[Hit]] | None, fields: list[FieldScan]) -> None:
        self.deal = deal
        self.fields = {f.name: f for f in fields if f.name != "title"}
        self._sentences: dict[str, set[int]] = {}

    def trade(self, item: Found) -> bool:
        """Evidence outside the title that rests on a supplier's act (``Found.trade``: a term of a ``trade = true``
        class, "write", "post") in a sentence with a deal word (the ``[transaction]`` classes: a supplier's or
        buyer's voice, a price): "we write the reviews, your customers post them". An honest title explains the
        passive mentions of its description ("your customers write their own reviews"), not the trade it tells
        of itself."""
        f = self.fields.get(item.reason.field)
        if not item.trade or f is None or self.deal is None:
            return False
        sentences = self._sentences.get(f.name)
        if sentences is None:
            sentences = self._sentences[f.name] = {f.sentence(h.start) for h in self.deal(f)}
        first, last = f.sentence(item.reason.start), f.sentence(max(item.reason.start, item.reason.end - 1))
        return any(first <= sentence <= last for sentence in sentences)
