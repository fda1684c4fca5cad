"""Scan listings with a ruleset: term hits -> rules -> a score, a verdict and reasons a lawyer can read.

Per field: one Aho-Corasick pass over the ascii key (and over the native key for non-Latin text) finds every
class's terms; rules only run when the classes they need are present, regular expressions and fuzzy matching
only when cheap signals point at them. Every reason quotes the original text, as written, with its offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from itertools import product
from typing import Any, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .literals import Probe, probes
from .normalise import MatchKey, fold, native_key, normalise_folded
from .outline import Boundaries
from .ruleset import FIELDS, Problem, Rule, Ruleset, TermClass
from .terms import Hit, TermIndex, find_hits

_WORD = re.compile(r"[^\W_]+")
_KEY_WORD = re.compile(r"[a-z0-9]+")
#: A bytes table that makes every byte but [a-z0-9] a space: split, the words of ``_KEY_WORD``.
_KEY_SPACES = bytes(c if chr(c).isascii() and (chr(c).islower() or chr(c).isdigit()) else 32 for c in range(256))
_FAR = 1_000_000
#: Characters looked back for a negation (a few words).
_NEGATION_CHARS = 60
_EXPLAINED_NOTE = "(Not counted: honest context in the listing explains this term.)"
_ACT_NOTE = "(Counted only beyond the honest context next to it.)"
#: Characters either side of an anchor term searched for pattern classes (more than the widest rule window).
_ZONE = 100
#: Characters either side of a watched term searched for misspelt terms (a few words: the rules are near).
_FUZZY_ZONE = 60
#: Characters per word used to skip hit pairs that cannot be within a window (a cheap upper bound).
_MAX_CHARS_PER_WORD = 40
#: Words remembered per fuzzy rule (word -> closest term or None); real text repeats its words.
_MEMO_MAX = 100_000


# Records made on every scan (``Reason``, ``Verdict``, ``Hit``...) have a written ``__init__``: the one a
# dataclass generates runs as interpreted Python even in the compiled build, and cost more than the rest.


@dataclass(init=False)
class Reason:
    """Why a rule fired: the text as written in ``field`` at ``[start, end)``, and one plain sentence."""

    rule_id: str
    field: str
    text: str
    start: int
    end: int
    kind: str
    weight: float
    explanation: str

    def __init__(
        self, rule_id: str, field: str, text: str, start: int, end: int, kind: str, weight: float, explanation: str
    ) -> None:
        self.rule_id = rule_id
        self.field = field
        self.text = text
        self.start = start
        self.end = end
        self.kind = kind
        self.weight = weight
        self.explanation = explanation

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(init=False)
class Verdict:
    """``grade``: ``flagged`` (score reaches the threshold: what exports take), ``suspect`` (score reaches the
    ruleset's ``suspect_threshold``: worth an analyst's look) or ``clear``."""

    flagged: bool
    score: float
    reasons: list[Reason]
    ruleset_version: str
    grade: str

    def __init__(
        self, flagged: bool, score: float, reasons: list[Reason], ruleset_version: str, grade: str = ""
    ) -> None:
        self.flagged = flagged
        self.score = score
        self.reasons = reasons
        self.ruleset_version = ruleset_version
        self.grade = grade or ("flagged" if flagged else "clear")

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "grade": self.grade,
            "score": self.score,
            "reasons": [r.to_dict() for r in self.reasons],
            "ruleset_version": self.ruleset_version,
        }


def field_texts(doc: Mapping[str, Any]) -> dict[str, str]:
    """The scanned fields of a listing; tags are scanned as one text, joined with ", "."""
    tags = doc.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return {
        "title": str(doc.get("title") or ""),
        "description": str(doc.get("description") or ""),
        "tags": ", ".join(str(t) for t in tags),
    }


class _Found:
    """A rule that fired, and the anchor hits (field, start) it rests on: what honest context may explain."""

    __slots__ = ("reason", "anchors")

    def __init__(self, reason: Reason, anchors: frozenset[tuple[str, int]]) -> None:
        self.reason = reason
        self.anchors = anchors


class _Explained:
    """Rating terms (field, start) that honest context explains, with the strongest explanation's weight, and
    the weight of an honest service named in the title (it explains the whole listing, except acts)."""

    __slots__ = ("terms", "listing")

    def __init__(self, terms: dict[tuple[str, int], float], listing: float) -> None:
        self.terms = terms
        self.listing = listing


@dataclass(frozen=True)
class _FuzzyVocabulary:
    by_initial: dict[str, list[str]]
    initials: frozenset[str]
    shortest: int
    longest: int
    #: Every string one edit (OSA) from a term that keeps its first letter: a set lookup instead of a comparison.
    near: frozenset[str]


def _one_edit(terms: Iterable[str]) -> frozenset[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out: set[str] = set()
    for term in terms:
        out.add(term)
        for i in range(1, len(term) + 1):
            out.add(term[: i] + term[i + 1 :])  # deletion (i < len) or the term itself
            out.update(term[:i] + c + term[i:] for c in letters)  # insertion
            if i < len(term):
                out.update(term[:i] + c + term[i + 1 :] for c in letters)  # substitution
            if i + 1 < len(term):
                out.add(term[:i] + term[i + 1] + term[i] + term[i + 2 :])  # transposition
    return frozenset(out)


class _Field:
    """One field of one listing while it is being scanned (a plain slots class: one is made per field with a
    hit, so its construction is on the hot path)."""

    __slots__ = (
        "name", "original", "key", "hits", "anchor_hits", "native", "fuzzy_done", "_distances",
        "hidden", "mask", "_by_names", "_anchor_starts", "_anchor_zones", "_boundaries",
    )

    def __init__(
        self, name: str, original: str, key: MatchKey, native: MatchKey | None = None,
        boundaries: Boundaries | None = None,
    ) -> None:
        self.name = name
        self.original = original
        self.key = key
        self.native = native
        self.hits: dict[str, list[Hit]] = {}
        self.anchor_hits: list[Hit] = []
        self.fuzzy_done: set[str] = set()
        self._distances: dict[tuple[int, int, bool], int] = {}
        #: Starts of anchor hits hidden from rules while looking for evidence that honest context does not
        #: explain.
        self.hidden: frozenset[int] = frozenset()
        #: Bits (see ``Scanner._bits``) of the classes with hits, set once term matching is over.
        self.mask = 0
        #: Hits per class-name tuple, once term matching is over (rules ask for the same few tuples again).
        self._by_names: dict[tuple[str, ...], list[Hit]] = {}
        #: Starts of the hits of anchor classes (None: not known yet, or a lazy anchor class was added since).
        self._anchor_starts: set[int] | None = None
        #: ``zones()`` around the anchor hits, on the key (False) and on the original (True).
        self._anchor_zones: dict[bool, list[tuple[int, int]]] = {}
        #: Sentence and word boundaries of the original (``_field`` hands over the ones its skip checks used;
        #: each view of them is made on first use).
        self._boundaries = boundaries

    def add_anchors(self, hits: list[Hit]) -> None:
        """More anchor hits (misspelt terms): the zones around anchors change."""
        self.anchor_hits.extend(hits)
        self._anchor_zones.clear()

    def distance(self, first: Hit, second: Hit, clause: bool = False) -> int:
        """Words from the end of one hit to the start of a later one (1 = adjacent, 0 = overlapping);
        effectively infinite across a sentence, line or list-item break (and, for ``clause``, across a comma,
        colon, bracket or quote)."""
        if second.start < first.end:
            return 0
        pair = (first.end, second.start, clause)
        known = self._distances.get(pair)
        if known is None:
            words = self.boundaries().gap(first.end, second.start, clause)
            known = self._distances[pair] = _FAR if words is None else words + 1
        return known

    def boundaries(self) -> Boundaries:
        if self._boundaries is None:
            self._boundaries = Boundaries(self.original)
        return self._boundaries

    def sentence(self, position: int) -> int:
        """Which sentence (line, list item) of the field ``position`` is in."""
        return self.boundaries().sentence(position)

    def zones(
        self, around: Iterable[Hit] | None = None, margin: int = 0, original: bool = False
    ) -> list[tuple[int, int]]:
        """Stretches of the key (or of the original) around anchor hits, merged and in order: where context
        words can matter. Native-key hits count in the original only."""
        if around is None and not margin:
            known = self._anchor_zones.get(original)
            if known is None:
                known = self._anchor_zones[original] = self._zones(self.anchor_hits, _ZONE, original)
            return known
        return self._zones(self.anchor_hits if around is None else around, margin or _ZONE, original)

    @staticmethod
    def _zones(hits: Iterable[Hit], margin: int, original: bool) -> list[tuple[int, int]]:
        merged: list[tuple[int, int]] = []
        starts = [h.start for h in hits] if original else [h.key_start for h in hits if h.key_start >= 0]
        for start in sorted(starts):
            zone = (max(0, start - margin), start + margin)
            if merged and zone[0] <= merged[-1][1]:
                merged[-1] = (merged[-1][0], zone[1])
            else:
                merged.append(zone)
        return merged

    def near(self, first: Hit, second: Hit, window: int, clause: bool = False) -> int | None:
        a, b = (first, second) if first.start <= second.start else (second, first)
        if b.start - a.end > window * _MAX_CHARS_PER_WORD:
            return None
        d = self.distance(a, b, clause)
        return d if d <= window else None


class Scanner:
    """Scans listings with one ruleset. Build once (it compiles automata) and reuse."""

    def __init__(self, ruleset: Ruleset, prefilter: bool = True) -> None:
        """``prefilter=False`` forces the full path everywhere (the reference the fast paths are tested against):
        every field is keyed, every pattern runs in every zone, every word near a trigger is compared."""
        self.ruleset = ruleset
        self.prefilter = prefilter
        self.version = ruleset.version
        self.threshold = ruleset.threshold
        self.suspect_threshold = ruleset.suspect_threshold
        self.classes = ruleset.classes
        self.anchors = {name for name, c in ruleset.classes.items() if c.anchor}
        watched = self.anchors | {name for name, c in ruleset.classes.items() if c.watch}
        self.index = TermIndex.build({name: list(c.terms) for name, c in ruleset.classes.items()}, watched)
        self._lazy = {name for name, c in ruleset.classes.items() if c.patterns}
        #: Per pattern class, per pattern: searches for what every match contains (see ``literals``).
        self._pattern_probes = {
            name: tuple(probes(p, lowercase_ascii=not c.on_original) for p in c.patterns)
            for name, c in ruleset.classes.items()
        }
        self._skipping = {name for name, c in ruleset.classes.items() if c.skip_after or c.skip_before or c.negatable}
        self._negation = ruleset.negation
        self._fuzzy = [r for r in ruleset.rules if r.kind == "fuzzy"]
        self._positive = [r for r in ruleset.rules if r.kind in ("keyword", "proximity")]
        self._negative = [r for r in ruleset.rules if r.kind == "negative"]
        self._rules = {r.id: r for r in ruleset.rules}
        self._anchor_names = sorted(self.anchors)
        #: One bit per class: which classes a listing has, and which each rule needs, as integers.
        self._bits = {name: 1 << i for i, name in enumerate(ruleset.classes)}
        self._lazy_mask = sum(self._bits[name] for name in self._lazy)
        self._needs = {
            r.id: tuple(sum(self._bits.get(n, 0) for n in set(entry)) for entry in r.classes) for r in ruleset.rules
        }
        #: Per rule, the bits of its class entries that have no pattern class (all-term entries): a field
        #: without a hit for one of them cannot match the rule, and no regular expression needs to run.
        self._eager = {
            r.id: tuple(self._bits_of(entry) for entry in r.classes if self._lazy.isdisjoint(entry))
            for r in ruleset.rules
        }
        self._anchor_tuple = tuple(self._anchor_names)
        #: ``present`` (a bit per class) -> the positive and negative rules whose classes it has.
        self._by_present: dict[int, tuple[list[Rule], list[Rule]]] = {}
        self._fuzzy_memo: dict[str, dict[str, tuple[str, float] | None]] = {}
        #: Per fuzzy rule, words known to read as no target term (the memo's None entries, as a set).
        self._fuzzy_negatives: dict[str, set[str]] = {}
        self._fuzzy_vocab = {
            r.id: self._vocabulary_by_initial(ruleset.classes[r.target]) for r in self._fuzzy
        }

    def _bits_of(self, names: Iterable[str]) -> int:
        return sum(self._bits.get(n, 0) for n in set(names))

    @staticmethod
    def _vocabulary_by_initial(cls: TermClass) -> _FuzzyVocabulary:
        terms = sorted({t.casefold().replace(" ", "") for t in cls.terms if t.isascii() and
                        t.replace(" ", "").isalpha()})
        by_initial: dict[str, list[str]] = {}
        for term in terms:
            by_initial.setdefault(term[0], []).append(term)
        return _FuzzyVocabulary(by_initial, frozenset(by_initial), min(map(len, terms), default=0),
                                max(map(len, terms), default=0) + 2, _one_edit(terms))

    # -- public API -----------------------------------------------------------------------------------------

    def scan(self, doc: Mapping[str, Any]) -> Verdict:
        """The verdict for one listing (``title``, ``description``, optional ``tags``)."""
        return self._scan(doc, everything=False)[0]

    def scan_many(self, docs: Iterable[Mapping[str, Any]]) -> Iterator[Verdict]:
        for doc in docs:
            yield self.scan(doc)

    def fired(self, text: str) -> set[str]:
        """Ids of every rule (negative ones too) that fires on ``text`` as a title; used by rule examples."""
        _, fired = self._scan({"title": text}, everything=True)
        return fired

    def check_examples(self) -> Iterator[Problem]:
        """Run every rule's ``must_match`` / ``must_not_match`` examples and the ruleset's own examples."""
        path = self.ruleset.path
        for rule in self.ruleset.rules:
            for text in rule.must_match:
                if rule.id not in self.fired(text):
                    yield Problem(path, rule.line, f"rule {rule.id!r} should match {text!r} but does not", "example")
            for text in rule.must_not_match:
                if rule.id in self.fired(text):
                    yield Problem(path, rule.line, f"rule {rule.id!r} should not match {text!r} but does", "example")
        line = _line_of(self.ruleset.source, "[examples]")
        for text in self.ruleset.flagged_examples:
            if not self.scan({"title": text}).flagged:
                yield Problem(path, line, f"example should be flagged but is not: {text!r}", "example")
        for text in self.ruleset.unflagged_examples:
            if self.scan({"title": text}).flagged:
                yield Problem(path, line, f"example should not be flagged but is: {text!r}", "example")

    # -- scanning -------------------------------------------------------------------------------------------

    def _scan(self, doc: Mapping[str, Any], everything: bool) -> tuple[Verdict, set[str]]:
        fields: list[_Field] = []
        for name, text in field_texts(doc).items():
            if text and (f := self._field(name, text)) is not None:
                fields.append(f)
        if not fields:
            return Verdict(False, 0.0, [], self.version), set()  # most listings: no rating term, nothing to do
        for rule in self._fuzzy:  # misspelt anchors, where watched terms point at them
            self._run_fuzzy(rule, fields)
        fields = [f for f in fields if f.anchor_hits]
        if not fields:
            return Verdict(False, 0.0, [], self.version), set()
        for f in fields:
            self._add_context(f)
        for rule in self._fuzzy:  # and misspellings that only context words point at
            self._run_fuzzy(rule, fields)
        bits = self._bits
        present = self._lazy_mask
        for f in fields:
            for name, hits in f.hits.items():
                present |= bits[name]
                if hits:
                    f.mask |= bits[name]
        positive, negative = self._rules_for(present)
        found = [x for x in (self._apply(rule, fields) for rule in positive) if x]
        found += [x for x in (self._fuzzy_reason(rule, fields) for rule in self._fuzzy) if x]
        if not found and not everything:
            return Verdict(False, 0.0, [], self.version), set()
        honest = [x.reason for x in (self._apply(rule, fields) for rule in negative) if x]
        explained = self._explained(fields, present) if honest else _Explained({}, 0.0)
        reasons, score = self._weigh(found, explained, fields, present)
        reasons += honest
        score = round(min(1.0, max(0.0, score)), 3)
        verdict = Verdict(score >= self.threshold, score, reasons, self.version, self._grade(score))
        return verdict, {r.rule_id for r in reasons}

    def _grade(self, score: float) -> str:
        """``flagged``, ``suspect`` (some evidence, short of the threshold) or ``clear``."""
        if score >= self.threshold:
            return "flagged"
        suspect = self.suspect_threshold
        return "suspect" if suspect is not None and score > 0 and score >= suspect else "clear"

    def _weigh(
        self, found: list[_Found], explained: _Explained, fields: list[_Field], present: int
    ) -> tuple[list[Reason], float]:
        """Evidence that no honest context explains counts in full. Explained evidence of an act (selling,
        posting, paying) counts together less the strongest explanation; other explained evidence (a platform,
        a count, stars, a tone) does not count: the honest service accounts for it."""
        full = acts = strongest = 0.0
        reasons: list[Reason] = []
        for item in found:
            rule = self._rules.get(item.reason.rule_id)
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
                reason = replace(reason, explanation=f"{reason.explanation} {_ACT_NOTE if act else _EXPLAINED_NOTE}")
            reasons.append(reason)
        return reasons, full + max(0.0, acts - strongest)

    def _unexplained(
        self, rule: Rule, fields: list[_Field], present: int, explained: dict[tuple[str, int], float]
    ) -> _Found | None:
        """The rule again, on terms that honest context does not explain (None if it needs explained ones)."""
        for f in fields:
            f.hidden = frozenset(start for name, start in explained if name == f.name)
        try:
            return self._evaluate(rule, fields, present)
        finally:
            for f in fields:
                f.hidden = frozenset()

    def _explained(self, fields: list[_Field], present: int) -> _Explained:
        """What honest-context rules explain: the rating terms a negative rule matches and the others in the
        same sentence; an honest service named in the title explains the listing (except acts)."""
        terms: dict[tuple[str, int], float] = {}
        listing = 0.0
        for rule in self._rules_for(present)[1]:
            for f in fields:
                if f.name not in rule.fields:
                    continue
                for hit in self._explained_by(rule, f):
                    key = (f.name, hit.start)
                    terms[key] = max(terms.get(key, 0.0), rule.weight)
        title = next((f for f in fields if f.name == "title"), None)
        if title is not None:  # an honest service named in the title, with no other rating term there
            weights = [terms.get(("title", h.start), 0.0) for h in self._hits(title, self._anchor_tuple)]
            listing = min(weights, default=0.0)
        return _Explained(terms, listing)

    def _explained_by(self, rule: Rule, f: _Field) -> list[Hit]:
        """The anchor hits of ``f`` that a firing negative rule explains: every one in a sentence that has both
        a rating term and the rule's honest term ("a reply the owner can post under a customer review")."""
        anchors = self._hits(f, self._anchor_tuple)
        if rule.scope == "document" or len(rule.classes) == 1:
            return anchors if all(self._hits(f, entry) for entry in rule.classes) else []
        candidates = [self._hits(f, entry) for entry in rule.classes]
        if not all(candidates) or not self._pairs_near(rule, f, candidates):
            return []
        honest = [h for entry, hits in zip(rule.classes, candidates, strict=True)
                  if self.anchors.isdisjoint(entry) for h in hits]
        with_rating = {f.sentence(h.start) for h in anchors}
        sentences = {f.sentence(h.start) for h in honest} & with_rating
        return [h for h in anchors if f.sentence(h.start) in sentences]

    @staticmethod
    def _pairs_near(rule: Rule, f: _Field, candidates: list[list[Hit]]) -> bool:
        clause = rule.span == "clause"
        for i, first in enumerate(candidates):
            for second in candidates[i + 1 :]:
                for a in first:
                    for b in second:
                        if (rule.ordered and a.start > b.start) or (a.start == b.start and a.end == b.end):
                            continue
                        if f.near(a, b, rule.window, clause) is not None:
                            return True
        return False

    def _field(self, name: str, text: str) -> _Field | None:
        """Anchor and watched terms, looked for everywhere (one automaton pass); None when there are none."""
        index = self.index
        folded = fold(text)
        matches = None
        if index.anchor is not None and not folded.repair:
            # Nothing to repair: the stage-one fold is the whole key, so its matches are the key's.
            matches = index.anchor.matches(folded.data)
            if self.prefilter and not matches and not folded.non_latin:
                return None  # not even an unbounded anchor or watched term, and no native key: no hit
        key = normalise_folded(text, folded, index.vocabulary)
        native = native_key(text, key) if index.anchor_native or index.context_native else None
        hits = find_hits(key, index.anchor, matches=matches) + find_hits(native, index.anchor_native)
        if not hits:
            return None
        bounds = Boundaries(text)  # (lazy: only outlined if a hit needs a look at the words around it)
        hits = self._kept(hits, bounds)
        if not hits:
            return None
        f = _Field(name, text, key, native=native, boundaries=bounds)
        for hit in hits:
            f.hits.setdefault(hit.cls, []).append(hit)
        f.anchor_hits = [h for h in hits if h.cls in self.anchors]
        return f

    def _add_context(self, f: _Field) -> None:
        """The common context words, only around anchors (most fields have none, so most skip this)."""
        index = self.index
        context = [h for start, end in f.zones() for h in find_hits(f.key, index.context, start, end)]
        context += find_hits(f.native, index.context_native)
        for hit in self._kept(context, f.boundaries()):
            f.hits.setdefault(hit.cls, []).append(hit)

    def _kept(self, hits: list[Hit], bounds: Boundaries) -> list[Hit]:
        return [h for h in hits if h.cls not in self._skipping or not self._skipped(h, bounds)]

    def _skipped(self, hit: Hit, bounds: Boundaries) -> bool:
        """A hit right after a word such as "will" ("I will review your CV") is a verb, not the noun; a negated
        selling word ("I never post or buy reviews") sells nothing."""
        cls = self.classes[hit.cls]
        if cls.negatable and self._negated(hit.start, hit.end, bounds):
            return True
        if cls.skip_terms and hit.term not in cls.skip_terms:
            return False
        if cls.skip_after:
            before = bounds.word_before(hit.start, 30)
            if before is not None and before.casefold() in cls.skip_after:
                return True
        if cls.skip_before:
            after = bounds.word_after(hit.end, 30)
            if after is not None and after.casefold() in cls.skip_before:
                return True
        return False

    def _negated(self, start: int, end: int, bounds: Boundaries) -> bool:
        """Is there a negation up to ``scope`` words before ``start`` in the same clause, or right after ``end``?"""
        negation = self._negation
        after = bounds.word_after(end, 30)
        if after is not None and after.casefold() in negation.after:
            return True
        if not negation.words:
            return False
        clause = bounds.clause_start(max(0, start - _NEGATION_CHARS), start)
        words = _WORD.findall(bounds.text[clause:start].casefold())[-negation.scope :]
        for i, word in enumerate(words):
            negates = word in negation.words or (word == "t" and i > 0 and words[i - 1].endswith("n"))
            if negates and (i + 1 >= len(words) or words[i + 1] not in negation.unless):
                return True
        return False

    def _hits(self, f: _Field, names: tuple[str, ...]) -> list[Hit]:
        """The hits of these classes (pattern classes matched on first use); callers must not alter the list."""
        if not f.hidden:
            known = f._by_names.get(names)
            if known is not None:
                return known
        out: list[Hit] = []
        for name in names:
            if name in self._lazy and name not in f.hits:
                f.hits[name] = self._pattern_hits(f, self.classes[name])
                if f.hits[name]:
                    f.mask |= self._bits[name]
                    f._anchor_starts = None
            out.extend(f.hits.get(name, ()))
        if f.hidden:
            return [h for h in out if h.start not in f.hidden]
        f._by_names[names] = out
        return out

    def _pattern_hits(self, f: _Field, cls: TermClass) -> list[Hit]:
        found: list[Hit] = []
        for pattern, needs in zip(cls.patterns, self._pattern_probes[cls.name], strict=True):
            if cls.on_original:
                for start, end in f.zones(original=True):  # (no *zone: a star call is a slow generic call)
                    if not self.prefilter or _could_match(needs, f.original, start, end):
                        for m in pattern.finditer(f.original, start, end):
                            found.append(Hit(cls.name, pattern.pattern, m.start(), m.end(), m.group(), -1))
            else:
                for start, end in f.zones():
                    if not self.prefilter or _could_match(needs, f.key.text, start, end):
                        for m in pattern.finditer(f.key.text, start, end):
                            quoted, o_start, o_end = f.key.quote(m.start(), m.end())
                            found.append(Hit(cls.name, pattern.pattern, o_start, o_end, quoted, m.start()))
        return found

    def _possible(self, rule: Rule, present: int) -> bool:
        """Every class entry of the rule has a class present (``present``: a bit per class, see ``_bits``)."""
        return all(need & present for need in self._needs[rule.id])

    def _rules_for(self, present: int) -> tuple[list[Rule], list[Rule]]:
        """The positive and negative rules possible with the classes in ``present`` (a pure function of it)."""
        known = self._by_present.get(present)
        if known is None:
            if len(self._by_present) >= _MEMO_MAX:
                self._by_present.clear()
            known = self._by_present[present] = (
                [r for r in self._positive if self._possible(r, present)],
                [r for r in self._negative if self._possible(r, present)],
            )
        return known

    def _evaluate(self, rule: Rule, fields: list[_Field], present: int) -> _Found | None:
        if not self._possible(rule, present):
            return None
        return self._apply(rule, fields)

    def _apply(self, rule: Rule, fields: list[_Field]) -> _Found | None:
        """The rule on these fields (its classes are known to be present in the listing)."""
        if rule.scope == "document":
            return self._document_rule(rule, fields)
        for f in fields:
            if f.name not in rule.fields:
                continue
            reason = self._single(rule, f) if len(rule.classes) == 1 else self._proximity(rule, f)
            if reason is not None:
                return reason
        return None

    def _single(self, rule: Rule, f: _Field) -> _Found | None:
        for hit in self._hits(f, rule.classes[0]):
            context = self._context(rule, f, hit.start, hit.end, [hit])
            if context is False:
                continue
            chosen = [hit] + ([context] if context else [])
            return self._reason(rule, f, chosen, self._describe(rule, [hit], context))
        return None

    def _proximity(self, rule: Rule, f: _Field) -> _Found | None:
        # Term classes first: the regular expressions of pattern classes only run if those are all present.
        mask = f.mask
        for need in self._eager[rule.id]:
            if not need & mask:
                return None
        candidates = [self._hits(f, entry) for entry in rule.classes]
        if not all(candidates):
            return None
        if len(candidates) == 2 and not rule.context:
            return self._pair(rule, f, candidates[0], candidates[1])
        combos = []
        for combo in product(*candidates):
            if rule.ordered and any(combo[i].start > combo[i + 1].start for i in range(len(combo) - 1)):
                continue
            if _overlapping(combo):
                continue  # one piece of text cannot play two parts
            span = self._span(f, combo, rule.window, rule.span == "clause")
            if span is not None:
                combos.append((span, combo))
        for _, combo in sorted(combos, key=lambda c: (c[0], c[1][0].start)):
            start, end = min(h.start for h in combo), max(h.end for h in combo)
            context = self._context(rule, f, start, end, list(combo))
            if context is False:
                continue
            chosen = list(combo) + ([context] if context else [])
            return self._reason(rule, f, chosen, self._describe(rule, list(combo), context))
        return None

    def _pair(self, rule: Rule, f: _Field, firsts: list[Hit], seconds: list[Hit]) -> _Found | None:
        """Two-class proximity without context (most rules): the closest pair, found in one sweep."""
        best: tuple[int, Hit, Hit] | None = None
        ordered, window, clause = rule.ordered, rule.window, rule.span == "clause"
        reach = window * _MAX_CHARS_PER_WORD
        for a in firsts:
            a_start, a_end = a.start, a.end
            for b in seconds:
                b_start = b.start
                if (ordered and a_start > b_start) or (a_start == b_start and a_end == b.end):
                    continue
                if a_start <= b_start:  # f.near, inlined: the pair in text order, a cheap bound, then words
                    if b_start - a_end > reach:
                        continue
                    d = f.distance(a, b, clause)
                elif a_start - b.end > reach:
                    continue
                else:
                    d = f.distance(b, a, clause)
                if d <= window and (best is None or d < best[0]):
                    best = (d, a, b)
        if best is None:
            return None
        core = [best[1], best[2]]
        return self._reason(rule, f, core, self._describe(rule, core, None))

    def _span(self, f: _Field, combo: tuple[Hit, ...], window: int, clause: bool) -> int | None:
        ordered = sorted(combo, key=lambda h: h.start)
        first, last = ordered[0], max(ordered, key=lambda h: h.start)
        if first is last:
            return 0
        return f.near(first, last, window, clause)

    def _context(
        self, rule: Rule, f: _Field, start: int, end: int, used: list[Hit]
    ) -> Hit | None | Literal[False]:
        """The nearest context hit (None when the rule needs none; False when it needs one and has none)."""
        if not rule.context:
            return None
        core = Hit("", "", start, end, "", -1)
        best: tuple[int, Hit] | None = None
        for hit in self._hits(f, rule.context):
            if any(hit.start < u.end and u.start < hit.end for u in used):
                continue
            d = f.near(core, hit, rule.context_window)
            if d is not None and (best is None or d < best[0]):
                best = (d, hit)
        return best[1] if best else False

    def _document_rule(self, rule: Rule, fields: list[_Field]) -> _Found | None:
        found: list[tuple[_Field, Hit]] = []
        for entry in rule.classes:
            hit = next(((f, h) for f in fields if f.name in rule.fields for h in self._hits(f, entry)), None)
            if hit is None:
                return None
            found.append(hit)
        f, first = found[0]
        others = "; ".join(
            f"{self._label(h)} '{h.text}' ({other.name})" for other, h in found[1:]
        )
        explanation = f"{rule.explain}: {self._label(first)} '{first.text}'"
        explanation += f" in a listing that also has {others}." if others else "."
        found_anchors = frozenset(key for g, h in found for key in self._anchor_keys(g, [h]))
        return _Found(self._reason(rule, f, [first], explanation).reason, found_anchors)

    def _label(self, hit: Hit) -> str:
        label = self.classes[hit.cls].label
        return f"{label} (misspelt)" if hit.fuzzy is not None else label

    def _describe(self, rule: Rule, core: list[Hit], context: Hit | None) -> str:
        parts = " and ".join(f"{self._label(h)} '{h.text}'" for h in sorted(core, key=lambda h: h.start))
        if len(core) > 1:
            parts += f" within {rule.window} words"
        if context is not None:
            parts += f"{' of' if len(core) > 1 else ' within'} "
            parts += f"{'' if len(core) > 1 else f'{rule.context_window} words of '}{self._label(context)} "
            parts += f"'{context.text}'"
        return f"{rule.explain}: {parts}."

    def _reason(self, rule: Rule, f: _Field, hits: list[Hit], explanation: str) -> _Found:
        start, end = min(h.start for h in hits), max(h.end for h in hits)
        kind = rule.kind if rule.kind == "negative" else ("keyword" if len(rule.classes) == 1 and
                                                             not rule.context else "proximity")
        if rule.scope == "document":
            kind = rule.kind if rule.kind == "negative" else "proximity"
        reason = Reason(rule.id, f.name, f.original[start:end], start, end, kind, rule.signed_weight, explanation)
        return _Found(reason, self._anchor_keys(f, hits))

    def _anchor_keys(self, f: _Field, hits: Iterable[Hit]) -> frozenset[tuple[str, int]]:
        """(field, start) of the hits that are rating terms (an anchor term, or another class's term on it)."""
        starts = f._anchor_starts
        if starts is None:
            starts = f._anchor_starts = {h.start for name in self._anchor_names for h in f.hits.get(name, ())}
        return frozenset((f.name, h.start) for h in hits if h.cls in self.anchors or h.start in starts)

    # -- fuzzy ----------------------------------------------------------------------------------------------

    def _run_fuzzy(self, rule: Rule, fields: list[_Field]) -> None:
        """Add misspelt target terms as hits, only in fields where cheap signals point at them."""
        vocab = self._fuzzy_vocab[rule.id]
        for f in fields:
            if f.name not in rule.fields or rule.target in f.hits or rule.id in f.fuzzy_done:
                continue
            if not any(name in f.hits for name in rule.when_any):
                continue
            f.fuzzy_done.add(rule.id)
            found = list(self._fuzzy_hits(rule, f, vocab))
            if found:
                f.hits[rule.target] = found
                if self.classes[rule.target].anchor:
                    f.add_anchors(found)

    def _fuzzy_hits(self, rule: Rule, f: _Field, vocab: _FuzzyVocabulary) -> Iterator[Hit]:
        """Words (and adjacent pairs run together: "trust pilot") that read as a target term, compared in bulk.
        Each distinct word counts at its first occurrence only; one that overlaps an earlier find is left out."""
        known, initials, longest = self.index.vocabulary, vocab.initials, vocab.longest
        memo = self._fuzzy_memo.setdefault(rule.id, {})
        seen: set[str] = set()
        found: list[tuple[int, int, tuple[str, float]]] = []

        def consider(word: str, start: int, end: int) -> None:
            seen.add(word)
            if word in memo:
                best = memo[word]
            else:
                best = memo[word] = self._candidate(rule, vocab, word)
                if len(memo) > _MEMO_MAX:
                    memo.clear()
            if best is not None:
                found.append((start, end, best))

        text = f.key.text
        previous, previous_start = "", -1
        triggers = [h for name in rule.when_any for h in f.hits.get(name, ()) if h.key_start >= 0]
        zones = f.zones(triggers, _FUZZY_ZONE)
        if self.prefilter and self._no_misspelling(rule, vocab, f.key.data, zones):
            return
        for zone in zones:
            for m in _KEY_WORD.finditer(text, zone[0], zone[1]):
                word = m.group()
                start, end = m.span()
                if previous_start >= 0 and len(previous) + len(word) <= longest:
                    pair = previous + word
                    if pair not in seen:
                        consider(pair, previous_start, end)
                previous, previous_start = word, start
                if word[0] in initials and word not in known and word not in seen:
                    consider(word, start, end)
        taken: list[tuple[int, int]] = []
        for start, end, best in found:
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            quoted, o_start, o_end = f.key.quote(start, end)
            yield Hit(rule.target, best[0], o_start, o_end, quoted, start, fuzzy=round(float(best[1]), 3))

    def _no_misspelling(self, rule: Rule, vocab: _FuzzyVocabulary, key: bytes, zones: list[tuple[int, int]]) -> bool:
        """True when no word (or pair run together) in ``zones`` reads as a target term: the words the loop in
        ``_fuzzy_hits`` would consider, checked as one set against the words known not to (most of them)."""
        # ``_KEY_WORD.findall`` per zone of the key (ASCII bytes), as C translate and split.
        words = [w for start, end in zones for w in key[start:end].translate(_KEY_SPACES).decode("ascii").split()]
        known, initials, longest = self.index.vocabulary, vocab.initials, vocab.longest
        shortest = max(vocab.shortest, rule.min_length)  # shorter words, or other initials: ``_candidate`` is None
        negatives = self._fuzzy_negatives.setdefault(rule.id, set())  # (large: filtered against, never walked)
        considered = {
            w for w in words if w[0] in initials and len(w) >= shortest and w not in known and w not in negatives
        }
        for a, b in zip(words, words[1:], strict=False):
            if a[0] in initials and shortest <= len(a) + len(b) <= longest and a + b not in negatives:
                considered.add(a + b)
        if not considered:
            return True
        memo = self._fuzzy_memo.setdefault(rule.id, {})
        for word in considered:
            best = memo[word] if word in memo else self._candidate(rule, vocab, word)
            if best is not None:
                memo[word] = best  # the loop in ``_fuzzy_hits`` runs next and will want it
                return False
            if len(negatives) >= _MEMO_MAX:
                negatives.clear()
            negatives.add(word)
        return True

    @classmethod
    def _candidate(cls, rule: Rule, vocab: _FuzzyVocabulary, word: str) -> tuple[str, float] | None:
        """``_closest`` for a word long enough and not ignored, else None (a pure function of the word)."""
        if len(word) < vocab.shortest or len(word) < rule.min_length or word[0] not in vocab.initials:
            return None
        if word in rule.ignore:
            return None
        return cls._closest(rule, vocab, word)

    @staticmethod
    def _closest(rule: Rule, vocab: _FuzzyVocabulary, word: str) -> tuple[str, float] | None:
        """The target term ``word`` reads as, if any (a pure function of the word: the scanner memoises it)."""
        if (1 - rule.score_cutoff) * (len(word) + 1) < 2 and word not in vocab.near:
            return None  # only one edit allowed, and no term is one edit away: skip the costly comparison
        best = process.extractOne(word, vocab.by_initial[word[0]], scorer=OSA.normalized_similarity,
                                  score_cutoff=rule.score_cutoff)
        return None if best is None else (best[0], best[1])

    def _fuzzy_reason(self, rule: Rule, fields: list[_Field]) -> _Found | None:
        for f in fields:
            hits = [h for h in f.hits.get(rule.target, ()) if h.fuzzy is not None]
            if not hits:
                continue
            hit = max(hits, key=lambda h: h.fuzzy or 0)
            trigger = next(h for name in rule.when_any for h in f.hits.get(name, ()))
            label = self.classes[rule.target].label
            explanation = (
                f"{rule.explain}: '{hit.text}' reads as {label} '{hit.term}' "
                f"(similarity {hit.fuzzy:.0%}) next to {self.classes[trigger.cls].label} '{trigger.text}'."
            )
            reason = Reason(rule.id, f.name, hit.text, hit.start, hit.end, "fuzzy", rule.signed_weight, explanation)
            return _Found(reason, frozenset({(f.name, hit.start)}))
        return None

    @cached_property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self.ruleset.rules]


def _could_match(probes: tuple[Probe, ...], text: str, start: int, end: int) -> bool:
    """Does ``text[start:end]`` hold what every match of an expression contains (see ``literals.probes``)?"""
    return all(probe.found(text, start, end) for probe in probes)


def _overlapping(hits: tuple[Hit, ...]) -> bool:
    """Two parts of a rule played by the same words ("5 star" as both a count and a star rating)."""
    return len({(h.start, h.end) for h in hits}) < len(hits)


def _line_of(source: str, header: str) -> int | None:
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip() == header:
            return number
    return None


__all__ = ["FIELDS", "Reason", "Scanner", "Verdict", "field_texts"]
