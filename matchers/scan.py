"""Scan listings with a ruleset: term hits -> rules -> a score, a verdict and reasons a lawyer can read.

Per field: one Aho-Corasick pass over the ascii key (and over the native key for non-Latin text) finds every
class's terms; rules only run when the classes they need are present, regular expressions and fuzzy matching
only when cheap signals point at them. Every reason quotes the original text, as written, with its offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from bisect import bisect_right
from functools import cached_property
from itertools import product
from typing import Any, NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .normalise import MatchKey, native_key, normalise
from .ruleset import FIELDS, Problem, Rule, Ruleset, TermClass
from .terms import Hit, TermIndex, find_hits

_WORD = re.compile(r"[^\W_]+")
_KEY_WORD = re.compile(r"[a-z0-9]+")
_LAST_WORD = re.compile(r"([^\W_]+)[\W_]*$")
_FIRST_WORD = re.compile(r"^[\W_]*([^\W_]+)")
#: Where one sentence, line or list item ends and the next begins: proximity never reaches across it.
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|[\n\r•|✅✔]|\s[-–—]\s")
#: Where a clause ends: phrases that need their words together ("positive reviews") never reach across it.
_CLAUSE_END = re.compile(_SENTENCE_END.pattern + r"|[,;:()\[\]{}<>\"“”«»]")
_FAR = 1_000_000
_EXPLAINED_NOTE = "(Honest context nearby explains this term, so it only counts beyond that explanation.)"
#: Characters either side of an anchor term searched for pattern classes (more than the widest rule window).
_ZONE = 100
#: Characters either side of a watched term searched for misspelt terms (a few words: the rules are near).
_FUZZY_ZONE = 60
#: Characters per word used to skip hit pairs that cannot be within a window (a cheap upper bound).
_MAX_CHARS_PER_WORD = 40


@dataclass(frozen=True)
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    flagged: bool
    score: float
    reasons: list[Reason]
    ruleset_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
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


class _Found(NamedTuple):
    """A rule that fired, and the anchor hits (field, start) it rests on: what honest context may explain."""

    reason: Reason
    anchors: frozenset[tuple[str, int]]


@dataclass(frozen=True)
class _FuzzyVocabulary:
    by_initial: dict[str, list[str]]
    initials: frozenset[str]
    shortest: int
    longest: int


@dataclass
class _Field:
    """One field of one listing while it is being scanned."""

    name: str
    original: str
    key: MatchKey
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    anchor_hits: list[Hit] = field(default_factory=list)
    native: MatchKey | None = None
    fuzzy_done: set[str] = field(default_factory=set)
    _distances: dict[tuple[int, int, bool], int] = field(default_factory=dict)
    _sentence_starts: list[int] | None = None
    #: Starts of anchor hits hidden from rules while looking for evidence that honest context does not explain.
    hidden: frozenset[int] = frozenset()

    def distance(self, first: Hit, second: Hit, clause: bool = False) -> int:
        """Words from the end of one hit to the start of a later one (1 = adjacent, 0 = overlapping);
        effectively infinite across a sentence, line or list-item break (and, for ``clause``, across a comma,
        colon, bracket or quote)."""
        if second.start < first.end:
            return 0
        pair = (first.end, second.start, clause)
        known = self._distances.get(pair)
        if known is None:
            gap = self.original[first.end : second.start]
            breaks = _CLAUSE_END if clause else _SENTENCE_END
            known = _FAR if breaks.search(gap) else len(_WORD.findall(gap)) + 1
            self._distances[pair] = known
        return known

    def sentence(self, position: int) -> int:
        """Which sentence (line, list item) of the field ``position`` is in."""
        if self._sentence_starts is None:
            self._sentence_starts = [m.end() for m in _SENTENCE_END.finditer(self.original)]
        return bisect_right(self._sentence_starts, position)

    def zones(
        self, around: Iterable[Hit] | None = None, margin: int = 0, original: bool = False
    ) -> list[tuple[int, int]]:
        """Stretches of the key (or of the original) around anchor hits, merged and in order: where context
        words can matter. Native-key hits count in the original only."""
        margin = margin or _ZONE
        merged: list[tuple[int, int]] = []
        hits = self.anchor_hits if around is None else around
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

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.version = ruleset.version
        self.threshold = ruleset.threshold
        self.classes = ruleset.classes
        self.anchors = {name for name, c in ruleset.classes.items() if c.anchor}
        watched = self.anchors | {name for name, c in ruleset.classes.items() if c.watch}
        self.index = TermIndex.build({name: list(c.terms) for name, c in ruleset.classes.items()}, watched)
        self._lazy = {name for name, c in ruleset.classes.items() if c.patterns}
        self._skipping = {name for name, c in ruleset.classes.items() if c.skip_after or c.skip_before}
        self._fuzzy = [r for r in ruleset.rules if r.kind == "fuzzy"]
        self._positive = [r for r in ruleset.rules if r.kind in ("keyword", "proximity")]
        self._negative = [r for r in ruleset.rules if r.kind == "negative"]
        self._rules = {r.id: r for r in ruleset.rules}
        self._anchor_names = sorted(self.anchors)
        self._needs = {
            r.id: [frozenset(entry) for entry in r.classes] for r in ruleset.rules
        }
        self._fuzzy_vocab = {
            r.id: self._vocabulary_by_initial(ruleset.classes[r.target]) for r in self._fuzzy
        }

    @staticmethod
    def _vocabulary_by_initial(cls: TermClass) -> _FuzzyVocabulary:
        terms = sorted({t.casefold().replace(" ", "") for t in cls.terms if t.isascii() and
                        t.replace(" ", "").isalpha()})
        by_initial: dict[str, list[str]] = {}
        for term in terms:
            by_initial.setdefault(term[0], []).append(term)
        return _FuzzyVocabulary(by_initial, frozenset(by_initial), min(map(len, terms), default=0),
                                max(map(len, terms), default=0) + 2)

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
        fields = [f for f in (self._field(name, text) for name, text in field_texts(doc).items() if text) if f.hits]
        for rule in self._fuzzy:  # misspelt anchors, where watched terms point at them
            self._run_fuzzy(rule, fields)
        fields = [f for f in fields if f.anchor_hits]
        if not fields:
            return Verdict(False, 0.0, [], self.version), set()
        for f in fields:
            self._add_context(f)
        for rule in self._fuzzy:  # and misspellings that only context words point at
            self._run_fuzzy(rule, fields)
        present = {name for f in fields for name in f.hits} | self._lazy
        found = [x for x in (self._evaluate(rule, fields, present) for rule in self._positive) if x]
        found += [x for x in (self._fuzzy_reason(rule, fields) for rule in self._fuzzy) if x]
        if not found and not everything:
            return Verdict(False, 0.0, [], self.version), set()
        honest = [x.reason for x in (self._evaluate(rule, fields, present) for rule in self._negative) if x]
        explained = self._explained(fields, present) if honest else {}
        reasons, score = self._weigh(found, explained, fields, present)
        reasons += honest
        score = round(min(1.0, max(0.0, score)), 3)
        verdict = Verdict(score >= self.threshold, score, reasons, self.version)
        return verdict, {r.rule_id for r in reasons}

    def _weigh(
        self, found: list[_Found], explained: dict[tuple[str, int], float], fields: list[_Field], present: set[str]
    ) -> tuple[list[Reason], float]:
        """Evidence that no honest context explains counts in full. Evidence resting only on explained terms
        counts together, less the strongest explanation (explanations do not add up)."""
        full = partial = strongest = 0.0
        reasons: list[Reason] = []
        for item in found:
            by = max((explained.get(k, 0.0) for k in item.anchors), default=0.0)
            if by and item.reason.rule_id in self._rules:
                elsewhere = self._unexplained(self._rules[item.reason.rule_id], fields, present, explained)
                if elsewhere is not None:
                    item, by = elsewhere, 0.0
            reason = item.reason
            if by:
                partial += reason.weight
                strongest = max(strongest, by)
                reason = replace(reason, explanation=f"{reason.explanation} {_EXPLAINED_NOTE}")
            else:
                full += reason.weight
            reasons.append(reason)
        return reasons, full + max(0.0, partial - strongest)

    def _unexplained(
        self, rule: Rule, fields: list[_Field], present: set[str], explained: dict[tuple[str, int], float]
    ) -> _Found | None:
        """The rule again, on terms that honest context does not explain (None if it needs explained ones)."""
        for f in fields:
            f.hidden = frozenset(start for name, start in explained if name == f.name)
        try:
            return self._evaluate(rule, fields, present)
        finally:
            for f in fields:
                f.hidden = frozenset()

    def _explained(self, fields: list[_Field], present: set[str]) -> dict[tuple[str, int], float]:
        """Anchor hits (field, start) that honest-context rules explain, with the strongest explanation's weight:
        the rating terms a negative rule matches, and the others in the same sentence."""
        out: dict[tuple[str, int], float] = {}
        for rule in self._negative:
            if not self._possible(rule, present):
                continue
            for f in fields:
                if f.name not in rule.fields:
                    continue
                for hit in self._explained_by(rule, f):
                    key = (f.name, hit.start)
                    out[key] = max(out.get(key, 0.0), rule.weight)
        return out

    def _explained_by(self, rule: Rule, f: _Field) -> list[Hit]:
        anchors = self._hits(f, self._anchor_names)
        if rule.scope == "document" or len(rule.classes) == 1:
            return anchors if all(self._hits(f, entry) for entry in rule.classes) else []
        candidates = [self._hits(f, entry) for entry in rule.classes]
        direct: list[Hit] = []
        clause = rule.span == "clause"
        for i, first in enumerate(candidates):
            for second in candidates[i + 1 :]:
                for a in first:
                    for b in second:
                        if (rule.ordered and a.start > b.start) or (a.start == b.start and a.end == b.end):
                            continue
                        if f.near(a, b, rule.window, clause) is not None:
                            direct.extend(h for h in (a, b) if h.cls in self.anchors)
        sentences = {f.sentence(h.start) for h in direct}
        return [h for h in anchors if f.sentence(h.start) in sentences]

    def _field(self, name: str, text: str) -> _Field:
        """Anchor and watched terms, looked for everywhere (one automaton pass)."""
        index = self.index
        key = normalise(text, index.vocabulary)
        native = native_key(text, key) if index.anchor_native or index.context_native else None
        hits = self._kept(find_hits(key, index.anchor) + find_hits(native, index.anchor_native), text)
        f = _Field(name, text, key, native=native)
        for hit in hits:
            f.hits.setdefault(hit.cls, []).append(hit)
        f.anchor_hits = [h for h in hits if h.cls in self.anchors]
        return f

    def _add_context(self, f: _Field) -> None:
        """The common context words, only around anchors (most fields have none, so most skip this)."""
        index = self.index
        context = [h for zone in f.zones() for h in find_hits(f.key, index.context, *zone)]
        context += find_hits(f.native, index.context_native)
        for hit in self._kept(context, f.original):
            f.hits.setdefault(hit.cls, []).append(hit)

    def _kept(self, hits: list[Hit], text: str) -> list[Hit]:
        return [h for h in hits if h.cls not in self._skipping or not self._skipped(h, text)]

    def _skipped(self, hit: Hit, text: str) -> bool:
        """A hit right after a word such as "will" ("I will review your CV") is a verb, not the noun."""
        cls = self.classes[hit.cls]
        if cls.skip_terms and hit.term not in cls.skip_terms:
            return False
        if cls.skip_after:
            before = _LAST_WORD.search(text, max(0, hit.start - 30), hit.start)
            if before and before.group(1).casefold() in cls.skip_after:
                return True
        if cls.skip_before:
            after = _FIRST_WORD.match(text[hit.end : hit.end + 30])
            if after and after.group(1).casefold() in cls.skip_before:
                return True
        return False

    def _hits(self, f: _Field, names: Iterable[str]) -> list[Hit]:
        out: list[Hit] = []
        for name in names:
            if name in self._lazy and name not in f.hits:
                f.hits[name] = self._pattern_hits(f, self.classes[name])
            out.extend(f.hits.get(name, ()))
        if f.hidden:
            return [h for h in out if h.start not in f.hidden or h.cls not in self.anchors]
        return out

    def _pattern_hits(self, f: _Field, cls: TermClass) -> list[Hit]:
        found: list[Hit] = []
        for pattern in cls.patterns:
            if cls.on_original:
                for zone in f.zones(original=True):
                    for m in pattern.finditer(f.original, *zone):
                        found.append(Hit(cls.name, pattern.pattern, m.start(), m.end(), m.group(), -1))
            else:
                for zone_start, zone_end in f.zones():
                    for m in pattern.finditer(f.key.text, zone_start, zone_end):
                        text, start, end = f.key.quote(m.start(), m.end())
                        found.append(Hit(cls.name, pattern.pattern, start, end, text, m.start()))
        return found

    def _possible(self, rule: Rule, present: set[str]) -> bool:
        return all(not entry.isdisjoint(present) for entry in self._needs[rule.id])

    def _evaluate(self, rule: Rule, fields: list[_Field], present: set[str]) -> _Found | None:
        if not self._possible(rule, present):
            return None
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
        for a in firsts:
            for b in seconds:
                if (rule.ordered and a.start > b.start) or (a.start == b.start and a.end == b.end):
                    continue
                d = f.near(a, b, rule.window, rule.span == "clause")
                if d is not None and (best is None or d < best[0]):
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

    def _context(self, rule: Rule, f: _Field, start: int, end: int, used: list[Hit]) -> Hit | None | bool:
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
        found_anchors = frozenset((g.name, h.start) for g, h in found if h.cls in self.anchors)
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
        return _Found(reason, frozenset((f.name, h.start) for h in hits if h.cls in self.anchors))

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
                    f.anchor_hits.extend(found)

    def _fuzzy_hits(self, rule: Rule, f: _Field, vocab: _FuzzyVocabulary) -> Iterator[Hit]:
        """Words (and adjacent pairs run together: "trust pilot") that read as a target term, compared in bulk."""
        first: dict[str, tuple[int, int]] = {}
        previous: tuple[str, int, int] | None = None
        known = self.index.vocabulary
        triggers = [h for name in rule.when_any for h in f.hits.get(name, ()) if h.key_start >= 0]
        for m in (m for zone in f.zones(triggers, _FUZZY_ZONE) for m in _KEY_WORD.finditer(f.key.text, *zone)):
            word, start, end = m.group(), m.start(), m.end()
            if previous is not None and len(previous[0]) + len(word) <= vocab.longest:
                first.setdefault(previous[0] + word, (previous[1], end))
            previous = (word, start, end)
            if word not in known and word[0] in vocab.initials:
                first.setdefault(word, (start, end))
        candidates = [w for w in first if vocab.shortest <= len(w) and w[0] in vocab.initials and
                      len(w) >= rule.min_length and w not in rule.ignore]
        if not candidates:
            return
        taken: list[tuple[int, int]] = []
        for word in candidates:
            best = process.extractOne(word, vocab.by_initial[word[0]], scorer=OSA.normalized_similarity,
                                      score_cutoff=rule.score_cutoff)
            start, end = first[word]
            if best is None or any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            text, o_start, o_end = f.key.quote(start, end)
            yield Hit(rule.target, best[0], o_start, o_end, text, start, fuzzy=round(float(best[1]), 3))

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


def _overlapping(hits: tuple[Hit, ...]) -> bool:
    """Two parts of a rule played by the same words ("5 star" as both a count and a star rating)."""
    return len({(h.start, h.end) for h in hits}) < len(hits)


def _line_of(source: str, header: str) -> int | None:
    for number, line in enumerate(source.splitlines(), 1):
        if line.strip() == header:
            return number
    return None


__all__ = ["FIELDS", "Reason", "Scanner", "Verdict", "field_texts"]
