"""Scan listings with a ruleset: term hits -> rules -> a score, a verdict and reasons a lawyer can read.

Per field: one Aho-Corasick pass over the ascii key (and over the native key for non-Latin text) finds every
class's terms; rules only run when the classes they need are present, regular expressions and fuzzy matching
only when cheap signals point at them. Every reason quotes the original text, as written, with its offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from itertools import product
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .normalise import MatchKey, native_key, normalise
from .ruleset import FIELDS, Problem, Rule, Ruleset, TermClass
from .terms import Hit, TermIndex, find_hits

_WORD = re.compile(r"[^\W_]+")
_KEY_WORD = re.compile(r"[a-z0-9]+")
_LAST_WORD = re.compile(r"([^\W_]+)[\W_]*$")
_FIRST_WORD = re.compile(r"^[\W_]*([^\W_]+)")
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


@dataclass
class _Field:
    """One field of one listing while it is being scanned."""

    name: str
    original: str
    key: MatchKey
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    _distances: dict[tuple[int, int], int] = field(default_factory=dict)

    def distance(self, first: Hit, second: Hit) -> int:
        """Words from the end of one hit to the start of a later one (1 = adjacent, 0 = overlapping)."""
        if second.start < first.end:
            return 0
        pair = (first.end, second.start)
        if pair not in self._distances:
            self._distances[pair] = len(_WORD.findall(self.original, first.end, second.start)) + 1
        return self._distances[pair]

    def near(self, first: Hit, second: Hit, window: int) -> int | None:
        a, b = (first, second) if first.start <= second.start else (second, first)
        if b.start - a.end > window * _MAX_CHARS_PER_WORD:
            return None
        d = self.distance(a, b)
        return d if d <= window else None


class Scanner:
    """Scans listings with one ruleset. Build once (it compiles automata) and reuse."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.version = ruleset.version
        self.threshold = ruleset.threshold
        self.classes = ruleset.classes
        self.index = TermIndex.build({name: list(c.terms) for name, c in ruleset.classes.items()})
        self._lazy = {name for name, c in ruleset.classes.items() if c.patterns}
        self._skipping = {name for name, c in ruleset.classes.items() if c.skip_after or c.skip_before}
        self._fuzzy = [r for r in ruleset.rules if r.kind == "fuzzy"]
        self._positive = [r for r in ruleset.rules if r.kind in ("keyword", "proximity")]
        self._negative = [r for r in ruleset.rules if r.kind == "negative"]
        self._fuzzy_vocab = {
            r.id: self._vocabulary_by_initial(ruleset.classes[r.target]) for r in self._fuzzy
        }

    @staticmethod
    def _vocabulary_by_initial(cls: TermClass) -> dict[str, list[str]]:
        vocab: dict[str, list[str]] = {}
        for term in cls.terms:
            word = term.casefold()
            if word.isascii() and word.replace(" ", "").isalpha():
                vocab.setdefault(word[0], []).append(word)
        return vocab

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
        if not fields:
            return Verdict(False, 0.0, [], self.version), set()
        for rule in self._fuzzy:
            self._run_fuzzy(rule, fields)
        present = {name for f in fields for name in f.hits}
        reasons: list[Reason] = []
        for rule in self._positive:
            reason = self._evaluate(rule, fields, present)
            if reason is not None:
                reasons.append(reason)
        positive = sum(r.weight for r in reasons)
        if positive > 0 or everything:
            for rule in self._negative:
                reason = self._evaluate(rule, fields, present)
                if reason is not None:
                    reasons.append(reason)
        for rule in self._fuzzy:
            reason = self._fuzzy_reason(rule, fields)
            if reason is not None:
                reasons.append(reason)
        score = round(min(1.0, max(0.0, sum(r.weight for r in reasons))), 3)
        verdict = Verdict(score >= self.threshold, score, reasons, self.version)
        return verdict, {r.rule_id for r in reasons}

    def _field(self, name: str, text: str) -> _Field:
        key = normalise(text, self.index.vocabulary)
        hits = find_hits(key, self.index.ascii)
        if self.index.native is not None:
            native = native_key(text)
            if native is not None:
                hits.extend(find_hits(native, self.index.native))
        by_class: dict[str, list[Hit]] = {}
        for hit in hits:
            if hit.cls in self._skipping and self._skipped(hit, text):
                continue
            by_class.setdefault(hit.cls, []).append(hit)
        return _Field(name, text, key, by_class)

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
        return out

    def _pattern_hits(self, f: _Field, cls: TermClass) -> list[Hit]:
        found: list[Hit] = []
        for pattern in cls.patterns:
            if cls.on_original:
                for m in pattern.finditer(f.original):
                    found.append(Hit(cls.name, pattern.pattern, m.start(), m.end(), m.group(), -1))
            else:
                for m in pattern.finditer(f.key.text):
                    text, start, end = f.key.quote(m.start(), m.end())
                    found.append(Hit(cls.name, pattern.pattern, start, end, text, m.start()))
        return found

    def _possible(self, rule: Rule, present: set[str]) -> bool:
        return all(any(n in present or n in self._lazy for n in entry) for entry in rule.classes)

    def _evaluate(self, rule: Rule, fields: list[_Field], present: set[str]) -> Reason | None:
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

    def _single(self, rule: Rule, f: _Field) -> Reason | None:
        for hit in self._hits(f, rule.classes[0]):
            context = self._context(rule, f, hit.start, hit.end, [hit])
            if context is False:
                continue
            chosen = [hit] + ([context] if context else [])
            return self._reason(rule, f, chosen, self._describe(rule, [hit], context))
        return None

    def _proximity(self, rule: Rule, f: _Field) -> Reason | None:
        candidates = [self._hits(f, entry) for entry in rule.classes]
        if not all(candidates):
            return None
        combos = []
        for combo in product(*candidates):
            if rule.ordered and any(combo[i].start > combo[i + 1].start for i in range(len(combo) - 1)):
                continue
            if _overlapping(combo):
                continue  # one piece of text cannot play two parts
            span = self._span(f, combo, rule.window)
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

    def _span(self, f: _Field, combo: tuple[Hit, ...], window: int) -> int | None:
        ordered = sorted(combo, key=lambda h: h.start)
        first, last = ordered[0], max(ordered, key=lambda h: h.start)
        if first is last:
            return 0
        return f.near(first, last, window)

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

    def _document_rule(self, rule: Rule, fields: list[_Field]) -> Reason | None:
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
        return self._reason(rule, f, [first], explanation)

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

    def _reason(self, rule: Rule, f: _Field, hits: list[Hit], explanation: str) -> Reason:
        start, end = min(h.start for h in hits), max(h.end for h in hits)
        kind = rule.kind if rule.kind == "negative" else ("keyword" if len(rule.classes) == 1 and
                                                             not rule.context else "proximity")
        if rule.scope == "document":
            kind = rule.kind if rule.kind == "negative" else "proximity"
        return Reason(rule.id, f.name, f.original[start:end], start, end, kind, rule.signed_weight, explanation)

    # -- fuzzy ----------------------------------------------------------------------------------------------

    def _run_fuzzy(self, rule: Rule, fields: list[_Field]) -> None:
        """Add misspelt target terms as hits, only in fields where cheap signals point at them."""
        vocab = self._fuzzy_vocab[rule.id]
        for f in fields:
            if f.name not in rule.fields or rule.target in f.hits:
                continue
            if not any(name in f.hits for name in rule.when_any):
                continue
            found = list(self._fuzzy_hits(rule, f, vocab))
            if found:
                f.hits[rule.target] = found

    def _fuzzy_hits(self, rule: Rule, f: _Field, vocab: dict[str, list[str]]) -> Iterator[Hit]:
        words = [(m.group(), m.start(), m.end()) for m in _KEY_WORD.finditer(f.key.text)]
        pairs = [(a + b, s, e) for (a, s, _), (b, _, e) in zip(words, words[1:], strict=False)]
        known = self.index.vocabulary
        taken: list[tuple[int, int]] = []
        for word, start, end in [*words, *pairs]:
            if len(word) < rule.min_length or not word[0].isalpha() or word in rule.ignore:
                continue
            if (word in known and end - start == len(word)) or word[0] not in vocab:
                continue  # a known word of another class is not a misspelling of this one
            if any(start < e and s < end for s, e in taken):
                continue
            best = process.extractOne(word, vocab[word[0]], scorer=OSA.normalized_similarity,
                                      score_cutoff=rule.score_cutoff)
            if best is None:
                continue
            taken.append((start, end))
            text, o_start, o_end = f.key.quote(start, end)
            yield Hit(rule.target, best[0], o_start, o_end, text, start, fuzzy=round(best[1], 3))

    def _fuzzy_reason(self, rule: Rule, fields: list[_Field]) -> Reason | None:
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
            return Reason(rule.id, f.name, hit.text, hit.start, hit.end, "fuzzy", rule.signed_weight, explanation)
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
