"""Load and validate a ruleset: the detection rules are data (a versioned TOML file), not code.

A bad file must fail loudly and precisely: every problem names the line it is on, so whoever edits the rules
can fix them without reading this module. ``check_ruleset`` also runs the examples every rule carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import regex

from .normalise import unspaced_letter
from .patterns import PatternError, SafePattern, WordGate, compile_pattern
from .terms import expand
from .toml_lines import TomlLines, TomlSyntaxError
from .toml_lines import parse as parse_toml
from .verdict import FIELDS

KINDS = ("keyword", "proximity", "fuzzy", "negative")
#: How far proximity may reach: within a sentence (list item, line), within a clause (no comma, colon...), or
#: anywhere in the field, across its breaks (the parts of a title: "Salon Reviews | 5 Stars | Any City").
SPANS = ("sentence", "clause", "field", "parts")
DEFAULT_NAME = "bundled:matchers/rules/default.toml"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a ruleset file; ``severity`` is "error" (invalid file) or "example" (a failing one)."""

    path: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class RulesetError(ValueError):
    """The ruleset file is invalid; ``problems`` lists every problem found, each with its line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class TermClass:
    name: str
    label: str
    terms: tuple[str, ...]
    patterns: tuple[SafePattern, ...] = ()
    on_original: bool = False
    #: Patterns matched on the text as written whatever ``on`` says, in fields with letters outside the Latin
    #: script: what the key reads away ("10件" keys as "10jian", so a count glued to a CJK counter is only seen as
    #: written).
    original_patterns: tuple[SafePattern, ...] = ()
    #: What every match of the class's patterns (both kinds) holds, declared in the ruleset ("\d": a price holds
    #: a digit), matched as written (case and all; the key is lower case): a zone of the text without a match of
    #: it is not searched by them (``gigscan rules check`` holds the patterns to it on every example).
    gate: SafePattern | WordGate | None = None
    #: The patterns read the whole field, not only the stretches around its rating terms (``field.ZONE``): what
    #: they find is a shape of the whole text ("10 reviews - $25 / 25 reviews - $50": a price list, whose tiers
    #: sit lines away from the page's first "reviews"), rare enough in honest text to be looked for everywhere.
    whole_field: bool = False
    skip_after: frozenset[str] = frozenset()
    skip_before: frozenset[str] = frozenset()
    skip_terms: frozenset[str] = frozenset()
    anchor: bool = False
    watch: bool = False
    #: ``anchor_beside`` (r18e): the class's terms are looked for everywhere, as a watched class's are, and anchor a
    #: field only when a term or pattern match of one of these classes stands near one of them (within
    #: ``field.ZONE``): a review site named beside a supplier's terms ("Trustpilot, any quantity. DM", "Yandex Maps -
    #: 150 rub"), where every honest text about reviews names the site alone.
    anchor_beside: tuple[str, ...] = ()
    negatable: bool = False
    #: A side class: no terms; present on every listing whose ``listing_side`` (seller, buyer, none) is one of
    #: these (a buyer's job post), absent elsewhere. Rules name it as a whole-listing condition, never for a
    #: position: in ``classes`` (the rule fires only on such listings) or in ``absent`` (never on them).
    sides: frozenset[str] = frozenset()
    #: A supplier's own act on reviews ("we write", "I post"): evidence resting on one, in a sentence with a deal
    #: word (the ``[transaction]`` classes), is the trade itself, which an honest title does not explain.
    trade: bool = False
    #: ``written = true`` (r17f): the class's words, matched on the text as written (``written``: one case-blind
    #: expression of them, each a whole word at ``\b``, a word of a script written without spaces anywhere in its
    #: run: "我", "저"), never on the key: short function words nobody disguises ("I", "my", "ja", "ko"), which the
    #: key would find inside repaired disguises, at case changes ("iOS") and with their accents folded away ("én"
    #: as "en"). Such a class has no ``terms`` (``words`` keeps them): they join no automaton, so no repair or
    #: misspelling vocabulary either.
    words: tuple[str, ...] = ()
    written: SafePattern | None = None
    #: ``negated`` (r19e): no terms of its own; its hits are the negated hits of these ``negatable`` classes (their
    #: terms but ``negated_except``): a supplier's or a buyer's act disclaimed ("I never write or post reviews", "no
    #: publico reseñas", "口コミ投稿の代行は行いません"), which a negation otherwise only drops. The negation words
    #: of every language read for the verbs of every language, where a list of phrases holds a few.
    negated: tuple[str, ...] = ()
    negated_except: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    explain: str
    weight: float
    classes: tuple[tuple[str, ...], ...] = ()
    window: int = 0
    ordered: bool = False
    span: str = "sentence"
    #: The span in a title, when it differs ("" = ``span``): the parts of a title ("Reviews - Google") read as one.
    title_span: str = ""
    act: bool = False
    context: tuple[str, ...] = ()
    context_window: int = 0
    scope: str = "field"
    fields: tuple[str, ...] = FIELDS
    target: str = ""
    when_any: tuple[str, ...] = ()
    #: Classes none of whose terms may be in the listing for the rule to fire ("no offer anywhere").
    absent: tuple[str, ...] = ()
    score_cutoff: float = 0.8
    min_length: int = 5
    ignore: frozenset[str] = frozenset()
    must_match: tuple[str, ...] = ()
    must_not_match: tuple[str, ...] = ()
    line: int | None = None
    #: Side classes the listing must have (one of each entry) and side classes it must not have: conditions on
    #: the whole listing (a buyer's post), kept apart from ``classes`` and ``absent``, which name term classes.
    sides: tuple[tuple[str, ...], ...] = ()
    absent_sides: tuple[str, ...] = ()

    def span_in(self, field: str) -> str:
        """The span of the rule's terms in this field."""
        return self.title_span if self.title_span and field == "title" else self.span

    @property
    def signed_weight(self) -> float:
        return -self.weight if self.kind == "negative" else self.weight

    @property
    def class_names(self) -> set[str]:
        names = {n for alternatives in self.classes + self.sides for n in alternatives} | set(self.context)
        names |= set(self.absent_sides)
        return names | ({self.target} if self.target else set()) | set(self.when_any) | set(self.absent)


@dataclass(frozen=True)
class Negation:
    """Words that cancel a following selling or posting word ("I never post or buy reviews"), looked for up to
    ``scope`` words back within the same clause; ``unless`` words right after one undo it ("not only");
    ``after`` words cancel the selling word they follow ("wir kaufen keine Bewertungen")."""

    words: frozenset[str] = frozenset()
    unless: frozenset[str] = frozenset()
    after: frozenset[str] = frozenset()
    scope: int = 4


@dataclass(frozen=True)
class Transaction:
    """Where the deal is: a text of at least ``min_words`` words (a page, not a marketplace listing's few lines)
    is only ``flagged`` when a term of one of ``classes`` is somewhere in it (a supplier's or buyer's voice, a
    price, a call to order or contact); without one, and with a term of one of ``when_any`` (it talks about the
    trade), its score is held at ``cap`` (an analyst's look at most): news, warnings, policies and advice that
    talk about reviews sell and buy nothing."""

    classes: tuple[str, ...] = ()
    min_words: int = 0
    cap: float = 0.0
    explain: str = ""
    #: ... and only when a term of one of these classes is in it too: a reporter's, a judge's or an adviser's
    #: words (the page talks about the trade); empty: any page without a transaction.
    when_any: tuple[str, ...] = ()
    #: ... that many different terms of them (each worth one point, or ``strong_points`` in a ``talk_strong`` class)
    talk_terms: int = 1
    #: classes of ``when_any`` whose terms count ``strong_points`` each (a reporter's words proper: "said",
    #: "according to", "a court"), where the words a vendor's page or a buyer shares with a reporter count one
    #: ("consumers", "companies", "they", "moderation")
    talk_strong: frozenset[str] = frozenset()
    strong_points: float = 1.0
    #: ... held lower still, at ``framed_cap``, when an honest frame of at least ``framed_weight`` fired in its
    #: title (how to ask one's own customers, a warning, replying to reviews: the headline says what the page is
    #: about); None: always ``cap``
    framed_cap: float | None = None
    framed_weight: float = 0.45
    #: r12b: a reporter's frame ("the company said", "sellers charge", "they quoted me", "according to"): a term of
    #: one of ``told`` makes its sentence a told one, and a term of a ``told_over`` class in such a sentence (a
    #: price, a channel, the terms of a deal) is told, not offered: it is no deal, nor an offer that a rule's
    #: ``absent`` classes rule out
    told: tuple[str, ...] = ()
    told_over: frozenset[str] = frozenset()
    #: r14a: who speaks in a short text (under ``min_words``: a forum question, a headline and its lead): an
    #: onlooker's or a reporter's words (``voice`` classes, a point per different term) and an onlooker's
    #: questions (a term of an ``asked`` class in a sentence that ends in a question mark: "is it safe?", "anyone
    #: tried these?", ``asked_points`` each) reaching ``voice_points``, with no deal anywhere, hold it as
    #: ``min_words`` does a page; an asked question is told as a reporter's sentence is (the price it names is
    #: asked about, not offered)
    voice: tuple[str, ...] = ()
    voice_points: float = 2.0
    asked: tuple[str, ...] = ()
    asked_points: float = 2.0
    #: the classes an onlooker's question tells (a price, a chat app, a deal's terms it asks about; not a buyer's
    #: "for my shop", "where can I buy", which stay a request when asked)
    asked_over: frozenset[str] = frozenset()
    #: ... and a would-be flagged short text that asks such a question is held at ``asked_cap`` (None: ``cap``)
    asked_cap: float | None = None
    #: ... and a would-be flagged page whose talk weighs ``told_points`` (0: never) is held at ``framed_cap``
    told_points: float = 0.0
    #: r15e: a figure cited: a page whose only deal is one term of a ``cited`` class (one price: "fined 9,90 Euro
    #: per review", "500 rubles a review") and that holds ``cited_told`` different terms of the ``told`` classes (a
    #: reporter's frames: "said", "according to", "fined") cites it, as news does; a price list is an offer
    cited: frozenset[str] = frozenset()
    cited_told: int = 2
    #: w3a: the writer's own story (a victim's or an onlooker's post): a term of a ``story`` class (the writer as the
    #: one who paid, bought or was offered, in the past: "I paid", "we bought", "charged me") and one of an
    #: ``outcome`` class (what came of it: "removed", "suspended", "vanished", "never again") anywhere in the post
    #: tell every term of its ``story_over`` classes (a price, a deal's terms, the writer's own shop) wherever it
    #: stands; a supplier's call or a buyer's "will pay" stays a deal. Such a post with no deal left is held at
    #: ``framed_cap``
    story: tuple[str, ...] = ()
    outcome: tuple[str, ...] = ()
    story_over: frozenset[str] = frozenset()
    #: r16d, r17f: the writer in the first person singular ("I", "my", "ich", "je", "我"), as a forum post speaks
    #: (a vendor's article says "we" and "you"): a post of ``min_words`` or more in this voice that asks an onlooker's
    #: question, with no deal anywhere, is held as a short text that asks is. Empty: no long post is held so
    writer: tuple[str, ...] = ()
    #: r17d: the writer's own business ("my shop", "our listing"), no deal anywhere in a post that asks an onlooker's
    #: question ("My shop sells candles. Is it okay to message buyers to ask?"): the case the onlooker asks about;
    #: a buyer's post holds a request beside it ("need", "will pay"), which stays a deal
    asked_owned: frozenset[str] = frozenset()
    #: r17g: the writer's own answers ("yes", "ja", "oui", "はい", "نعم"), ``written`` classes: a question followed by
    #: one of their words (after spaces and punctuation, the word not running on into letters) is a seller's FAQ
    #: ("Is it safe? Yes, 100%"), no onlooker's. Empty: every question is unanswered
    answer: tuple[str, ...] = ()
    #: the particles that end a question asked with no question mark ("か", "吗", "까요", "ไหม"): an ``asked`` term
    #: that ends in one asks, wherever its sentence ends; strings, compared with the term as written
    particles: tuple[str, ...] = ()
    #: r18d: how many of ``cited_told``'s frames an onlooker's question counts (r17d: one) in a post that addresses
    #: no buyer (no term of an ``addressed`` class anywhere: "your", "Ihr", "您的"): "They offer 30 reviews for
    #: 1500. Is it safe?" cites its one price; a vendor's page asks its customers' questions ("Is it safe? Our
    #: accounts are real") and speaks to them
    asked_cites: int = 1
    addressed: tuple[str, ...] = ()
    #: r18d: a quotation a field reports (a ``told`` term or an onlooker's question outside its quotation marks)
    #: tells the ``told_over`` terms inside it: a seller's offer quoted by the post that tells of it
    quoted: bool = False


@dataclass(frozen=True)
class Ruleset:
    version: str
    threshold: float
    classes: dict[str, TermClass]
    rules: tuple[Rule, ...]
    seed_queries: tuple[str, ...] = ()
    negation: Negation = field(default_factory=Negation)
    flagged_examples: tuple[str, ...] = ()
    unflagged_examples: tuple[str, ...] = ()
    path: str = DEFAULT_NAME
    source: str = field(default="", repr=False, compare=False)
    #: Scores from here up to ``threshold`` grade a listing ``suspect`` (an analyst's look); None: no suspects.
    suspect_threshold: float | None = None
    #: Flagged pages need a transaction somewhere in them (None: no such check).
    transaction: Transaction | None = None


# ---------------------------------------------------------------------------------------------------------


class _Reader:
    """Reads typed values out of one TOML table, recording a located problem for each bad one."""

    def __init__(self, table: dict[str, Any], line: int | None, where: str, loader: _Loader) -> None:
        self.table, self.line, self.where, self.loader = table, line, where, loader

    def problem(self, key: str | None, message: str) -> None:
        line = self.loader.locator.key(self.line, key) if key else self.line
        self.loader.problems.append(Problem(self.loader.path, line, f"{self.where}: {message}"))

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        if key not in self.table:
            if required:
                self.problem(None, f"missing required key {key!r}")
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem(key, f"{key!r} must be {names}, not {type(value).__name__}")
            return default
        return value

    def strings(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.get(key, list, [], required)
        if not all(isinstance(v, str) for v in value):
            self.problem(key, f"{key!r} must be a list of strings")
            return ()
        return tuple(value)

    def unknown(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                self.problem(key, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")


#: The ``[transaction]`` keys that name classes, in the order ``Transaction`` takes them
_TRANSACTION_LISTS = ("classes", "when_any", "talk_strong", "told", "told_over", "voice", "asked", "asked_over",
                      "cited", "story", "outcome", "story_over", "writer", "asked_owned", "answer", "addressed")
_CLASS_KEYS = {
    "label", "description", "terms", "patterns", "on", "skip_after", "skip_before", "skip_terms", "anchor", "watch",
    "anchor_beside", "negatable", "original_patterns", "sides", "trade", "gate", "whole_field", "written",
    "negated", "negated_except",
}
_RULE_KEYS = {
    "id", "kind", "explain", "weight", "classes", "window", "ordered", "context", "context_window", "scope",
    "fields", "target", "when_any", "absent", "span", "title_span", "act", "score_cutoff", "min_length", "ignore",
    "must_match", "must_not_match", "description",
}
_TOP_KEYS = {
    "version", "description", "threshold", "suspect_threshold", "seeds", "classes", "rules", "examples", "negation",
    "transaction",
}


class _Loader:
    def __init__(self, source: str, path: str) -> None:
        self.source, self.path = source, path
        self.locator = TomlLines(source)
        self.problems: list[Problem] = []

    def load(self) -> Ruleset:
        try:
            data = parse_toml(self.source)
        except TomlSyntaxError as exc:
            raise RulesetError([Problem(self.path, exc.line, f"TOML syntax error: {exc}")]) from exc
        top = _Reader(data, None, "ruleset", self)
        top.unknown(_TOP_KEYS)
        version = top.get("version", str, "", required=True)
        if "version" in data and not str(data["version"]).strip():
            top.problem("version", "'version' must not be empty")
        threshold = top.get("threshold", float, 0.5, required=True)
        if not 0 < threshold <= 1:
            top.problem("threshold", "'threshold' must be in (0, 1]")
        suspect = top.get("suspect_threshold", float, None)
        if suspect is not None and not 0 < suspect <= threshold:
            top.problem("suspect_threshold", "'suspect_threshold' must be in (0, threshold]")
        classes = self._classes(top.get("classes", dict, {}, required=True))
        rules = tuple(self._rules(top.get("rules", list, [], required=True), classes))
        anchors = {name for name, c in classes.items() if c.anchor}
        if classes and not anchors:
            top.problem("classes", "at least one class needs 'anchor = true'")
        for name in sorted(anchors):
            if not classes[name].terms:
                _Reader({}, self.locator.table(f"classes.{name}"), f"[classes.{name}]", self).problem(
                    None, "an anchor class needs 'terms' (anchors are looked for everywhere, patterns only near them)"
                )
        seeds = _Reader(top.get("seeds", dict, {}), self.locator.table("seeds"), "[seeds]", self)
        seeds.unknown({"queries"})
        negation = self._negation(top.get("negation", dict, {}))
        examples = _Reader(top.get("examples", dict, {}), self.locator.table("examples"), "[examples]", self)
        examples.unknown({"flagged", "not_flagged"})
        transaction = self._transaction(top, classes, threshold)
        ruleset = Ruleset(
            version=version,
            threshold=threshold,
            classes=classes,
            rules=rules,
            seed_queries=seeds.strings("queries"),
            negation=negation,
            flagged_examples=examples.strings("flagged"),
            unflagged_examples=examples.strings("not_flagged"),
            path=self.path,
            source=self.source,
            suspect_threshold=suspect,
            transaction=transaction,
        )
        if self.problems:
            raise RulesetError(self.problems)
        return ruleset

    def _transaction(self, top: _Reader, classes: dict[str, TermClass], threshold: float) -> Transaction | None:
        if "transaction" not in top.table:
            return None
        reader = _Reader(top.get("transaction", dict, {}), self.locator.table("transaction"), "[transaction]", self)
        reader.unknown(set(_TRANSACTION_LISTS) | {"min_words", "cap", "explain", "description", "talk_terms",
                                                  "strong_points", "framed_cap", "framed_weight", "voice_points",
                                                  "asked_points", "asked_cap", "told_points", "cited_told",
                                                  "particles", "asked_cites", "quoted"})
        lists = self._transaction_lists(reader, classes)
        names, when_any, talk_strong, told, told_over, voice, asked, asked_over, cited, story, outcome, story_over, \
            writer, asked_owned, answer, addressed = (lists[key] for key in _TRANSACTION_LISTS)
        min_words = reader.get("min_words", int, 0)
        if min_words < 0:
            reader.problem("min_words", "'min_words' must be >= 0")
        cap = reader.get("cap", float, 0.0, required=True)
        if not 0 <= cap < threshold:
            reader.problem("cap", "'cap' must be in [0, threshold)")
        talk_terms = reader.get("talk_terms", int, 1)
        if talk_terms < 1:
            reader.problem("talk_terms", "'talk_terms' must be >= 1")
        strong_points = reader.get("strong_points", float, 1.0)
        if strong_points < 1:
            reader.problem("strong_points", "'strong_points' must be >= 1")
        explain = reader.get("explain", str, "", required=True)
        framed_cap = reader.get("framed_cap", float, None)
        if framed_cap is not None and not 0 <= framed_cap <= cap:
            reader.problem("framed_cap", "'framed_cap' must be in [0, cap]")
        framed_weight = reader.get("framed_weight", float, 0.45)
        voice_points = reader.get("voice_points", float, 2.0)
        asked_points = reader.get("asked_points", float, 2.0)
        if voice_points <= 0 or asked_points <= 0:
            reader.problem("voice_points", "'voice_points' and 'asked_points' must be > 0")
        told_points = reader.get("told_points", float, 0.0)
        asked_cap = reader.get("asked_cap", float, None)
        if asked_cap is not None and not 0 <= asked_cap <= cap:
            reader.problem("asked_cap", "'asked_cap' must be in [0, cap]")
        particles = reader.strings("particles")
        if not all(particles):
            reader.problem("particles", "'particles' must not hold an empty string (every term would end in it)")
        cited_told = reader.get("cited_told", int, 2)
        if cited and (not told or cited_told < 1):
            reader.problem("cited", "'cited' needs 'told' and a 'cited_told' >= 1")
        quoted = reader.get("quoted", bool, False)
        asked_cites = reader.get("asked_cites", int, 1)
        if asked_cites < 0:
            reader.problem("asked_cites", "'asked_cites' must be >= 0")
        return Transaction(names, min_words, cap, explain, when_any, talk_terms, frozenset(talk_strong),
                           strong_points, framed_cap, framed_weight, told, frozenset(told_over), voice, voice_points,
                           asked, asked_points, frozenset(asked_over), asked_cap, told_points, frozenset(cited),
                           cited_told, story, outcome, frozenset(story_over), writer, frozenset(asked_owned), answer,
                           particles, asked_cites, addressed, quoted)

    @staticmethod
    def _transaction_lists(reader: _Reader, classes: dict[str, TermClass]) -> dict[str, Any]:
        """The ``[transaction]`` keys that name classes (``_TRANSACTION_LISTS``), each name known, the keys that go
        together given together."""
        lists = {key: reader.strings(key, required=key == "classes") for key in _TRANSACTION_LISTS}
        for name in lists["answer"]:
            if name in classes and classes[name].written is None:
                reader.problem("answer", f"class {name!r} must be 'written': answers are words as written")
        if lists["asked_owned"] and not lists["asked"]:
            reader.problem("asked_owned", "'asked_owned' needs 'asked' (the questions that make a post an onlooker's)")
        if bool(lists["story"]) != bool(lists["outcome"]) or bool(lists["story"]) != bool(lists["story_over"]):
            reader.problem("story", "'story', 'outcome' and 'story_over' go together")
        if lists["told_over"] and not lists["told"]:
            reader.problem("told_over", "'told_over' needs 'told' (the classes that make a sentence a told one)")
        for name in (name for names in lists.values() for name in names):
            if name not in classes:
                reader.problem("classes", f"unknown class {name!r}")
        return lists

    def _negation(self, raw: dict[str, Any]) -> Negation:
        reader = _Reader(raw, self.locator.table("negation"), "[negation]", self)
        reader.unknown({"words", "unless", "after", "scope", "description"})
        scope = reader.get("scope", int, 4)
        if scope < 1:
            reader.problem("scope", "'scope' must be >= 1 (words)")
        return Negation(
            frozenset(w.casefold() for w in reader.strings("words")),
            frozenset(w.casefold() for w in reader.strings("unless")),
            frozenset(w.casefold() for w in reader.strings("after")),
            scope,
        )

    def _classes(self, raw: dict[str, Any]) -> dict[str, TermClass]:
        classes: dict[str, TermClass] = {}
        for name, table in raw.items():
            line = self.locator.table(f"classes.{name}")
            reader = _Reader(table if isinstance(table, dict) else {}, line, f"[classes.{name}]", self)
            if not isinstance(table, dict):
                reader.problem(None, "must be a table")
                continue
            classes[name] = self._class(name, reader)
        for name, cls in classes.items():
            unknown = [n for n in cls.anchor_beside if n not in raw or n == name]
            if unknown:
                _Reader({}, self.locator.table(f"classes.{name}"), f"[classes.{name}]", self).problem(
                    "anchor_beside", f"'anchor_beside' names no other class: {', '.join(unknown)}")
            wrong = [n for n in cls.negated if n not in classes or not classes[n].negatable]
            if wrong:
                _Reader({}, self.locator.table(f"classes.{name}"), f"[classes.{name}]", self).problem(
                    "negated", f"'negated' names no negatable class: {', '.join(wrong)}")
        return classes

    def _class(self, name: str, reader: _Reader) -> TermClass:
        """One ``[classes.NAME]`` table, each key checked (problems are gathered on the reader)."""
        reader.unknown(_CLASS_KEYS)
        terms = tuple(t for raw_term in reader.strings("terms") for t in expand(raw_term))
        patterns, original_patterns = [], []
        for key, found in (("patterns", patterns), ("original_patterns", original_patterns)):
            for source in reader.strings(key):
                try:
                    found.append(compile_pattern(source, ignorecase=True))
                except PatternError as exc:
                    reader.problem(key, str(exc))
        words, written = (), None
        if reader.get("written", bool, False):
            words, terms = terms, ()
            written = _written(reader, words)
        sides = frozenset(side.strip().casefold() for side in reader.strings("sides"))
        negated = tuple(reader.strings("negated"))
        if sides and (terms or words or patterns or original_patterns):
            reader.problem("sides", "a side class ('sides') has no 'terms' or 'patterns': it is the listing's side")
        elif negated and (terms or words or patterns or original_patterns or sides):
            reader.problem("negated", "a class of negated hits ('negated') has no 'terms', 'patterns' or 'sides'")
        elif not sides and not negated and not terms and not words and not patterns and not original_patterns:
            reader.problem(None, "needs 'terms' or 'patterns' (or 'sides', or 'negated')")
        if "" in sides:
            reader.problem("sides", "'sides' must name sides (seller, buyer, none...), not empty strings")
        gate = self._gate(reader, bool(patterns or original_patterns))
        on = reader.get("on", str, "key")
        if on not in ("key", "original"):
            reader.problem("on", "'on' must be \"key\" or \"original\"")
        cls = TermClass(
            name=name,
            label=reader.get("label", str, name, required=True),
            terms=terms,
            patterns=tuple(patterns),
            on_original=on == "original",
            original_patterns=tuple(original_patterns),
            gate=gate,
            whole_field=reader.get("whole_field", bool, False),
            skip_after=frozenset(reader.strings("skip_after")),
            skip_before=frozenset(reader.strings("skip_before")),
            skip_terms=frozenset(t for raw_term in reader.strings("skip_terms") for t in expand(raw_term)),
            anchor=reader.get("anchor", bool, False),
            watch=reader.get("watch", bool, False),
            anchor_beside=tuple(reader.strings("anchor_beside")),
            negatable=reader.get("negatable", bool, False),
            sides=sides,
            trade=reader.get("trade", bool, False),
            words=words,
            written=written,
            negated=negated,
            negated_except=frozenset(t for raw_term in reader.strings("negated_except") for t in expand(raw_term)),
        )
        if sides and (cls.anchor or cls.watch):
            reader.problem("anchor", "a side class cannot be an anchor or watched: it has no terms")
        if negated and (cls.anchor or cls.watch or cls.negatable):
            reader.problem("negated", "a class of negated hits is no anchor, watched or negatable: it has no terms")
        if written is not None and (cls.anchor or cls.watch):
            reader.problem("written", "a written class is no anchor, nor watched: no automaton holds its words")
        self._check_beside(reader, cls)
        return cls

    @staticmethod
    def _check_beside(reader: _Reader, cls: TermClass) -> None:
        """A class that anchors beside others needs terms of its own (looked for everywhere), and is no anchor."""
        if not cls.anchor_beside:
            return
        if not cls.terms:
            reader.problem("anchor_beside", "'anchor_beside' needs 'terms' (they are looked for everywhere)")
        if cls.anchor or cls.sides:
            reader.problem("anchor_beside", "an anchor or a side class cannot anchor beside others")

    @staticmethod
    def _gate(reader: _Reader, patterned: bool) -> SafePattern | WordGate | None:
        """A class's ``gate``: what every match of its patterns holds, matched case and all (a literal or a character
        class: a case-blind search costs several times more, on every zone of every field); or a list of words
        (``WordGate``), any of them in any case, where one expression would be an alternation of many words."""
        source = reader.get("gate", (str, list), None)
        if source is None:
            return None
        if not patterned:
            reader.problem("gate", "'gate' needs 'patterns' or 'original_patterns' (it says what their matches hold)")
        if isinstance(source, list):
            words = reader.strings("gate")
            if words and all(words):
                return WordGate(tuple(dict.fromkeys(word.lower() for word in words)))
            reader.problem("gate", "'gate' as a list needs at least one word, and no empty one")
            return None
        try:
            return compile_pattern(source)
        except PatternError as exc:
            reader.problem("gate", str(exc))
            return None

    def _rules(self, raw: list[Any], classes: dict[str, TermClass]) -> Iterator[Rule]:
        seen: set[str] = set()
        for index, table in enumerate(raw):
            line = self.locator.entry("rules", index)
            rule_id = table.get("id", f"#{index + 1}") if isinstance(table, dict) else f"#{index + 1}"
            reader = _Reader(table if isinstance(table, dict) else {}, line, f"rule {rule_id!r}", self)
            if not isinstance(table, dict):
                reader.problem(None, "must be a table")
                continue
            reader.unknown(_RULE_KEYS)
            if rule_id in seen:
                reader.problem("id", f"duplicate rule id {rule_id!r}")
            seen.add(rule_id)
            rule = _split_sides(reader, self._rule(reader, rule_id, line), classes)
            self._check_rule(reader, rule, classes)
            yield rule

    def _rule(self, reader: _Reader, rule_id: str, line: int | None) -> Rule:
        kind = reader.get("kind", str, "keyword", required=True)
        if kind not in KINDS:
            reader.problem("kind", f"'kind' must be one of {', '.join(KINDS)}")
        weight = reader.get("weight", float, 0.0, required=True)
        if not 0 < weight <= 1:
            reader.problem("weight", "'weight' must be in (0, 1] (negative rules subtract it)")
        scope = reader.get("scope", str, "field")
        if scope not in ("field", "document"):
            reader.problem("scope", "'scope' must be \"field\" or \"document\"")
        span = reader.get("span", str, "sentence")
        if span not in SPANS:
            reader.problem("span", f"'span' must be one of {', '.join(SPANS)}")
        title_span = reader.get("title_span", str, "")
        if title_span and title_span not in SPANS:
            reader.problem("title_span", f"'title_span' must be one of {', '.join(SPANS)}")
        fields = reader.strings("fields") or FIELDS
        if any(f not in FIELDS for f in fields):
            reader.problem("fields", f"'fields' may only name {', '.join(FIELDS)}")
        return Rule(
            id=str(rule_id),
            kind=kind,
            explain=reader.get("explain", str, "", required=True),
            weight=weight,
            classes=tuple(tuple(entry.split("|")) for entry in reader.strings("classes")),
            window=reader.get("window", int, 0),
            ordered=reader.get("ordered", bool, False),
            span=span,
            title_span=title_span,
            act=reader.get("act", bool, False),
            context=reader.strings("context"),
            context_window=reader.get("context_window", int, 0),
            scope=scope,
            fields=fields,
            target=reader.get("target", str, ""),
            when_any=reader.strings("when_any"),
            absent=reader.strings("absent"),
            score_cutoff=reader.get("score_cutoff", float, 0.8),
            min_length=reader.get("min_length", int, 5),
            ignore=frozenset(reader.strings("ignore")),
            must_match=reader.strings("must_match"),
            must_not_match=reader.strings("must_not_match"),
            line=line,
        )

    def _check_rule(self, reader: _Reader, rule: Rule, classes: dict[str, TermClass]) -> None:
        for name in sorted(rule.class_names - set(classes)):
            reader.problem(None, f"unknown class {name!r}")
        if rule.kind == "fuzzy":
            if not rule.target or not rule.when_any:
                reader.problem(None, "a fuzzy rule needs 'target' and 'when_any'")
            if not 0 < rule.score_cutoff <= 1:
                reader.problem("score_cutoff", "'score_cutoff' must be in (0, 1]")
            return
        if not rule.classes:
            reader.problem("classes", "needs 'classes'")
        if rule.kind == "keyword" and len(rule.classes) != 1:
            reader.problem("classes", "a keyword rule names exactly one class")
        if rule.kind == "proximity" and len(rule.classes) < 2:
            reader.problem("classes", "a proximity rule names at least two classes")
        if len(rule.classes) > 1 and rule.scope == "field" and rule.window < 1:
            reader.problem("window", "needs 'window' (words) >= 1 for classes to be near each other")
        if rule.scope == "document" and rule.kind == "negative" and rule.window and len(rule.classes) != 2:
            reader.problem("window", "a negative document rule with a 'window' pairs two class entries in one field")
        if rule.context and rule.context_window < 1:
            reader.problem("context_window", "'context' needs 'context_window' >= 1")
        if rule.window < 0 or rule.context_window < 0:
            reader.problem("window", "windows must not be negative")


def _written(reader: _Reader, words: tuple[str, ...]) -> SafePattern | None:
    """A ``written`` class's words as one case-blind expression on the text as written: a word bounded by ``\\b``
    where it starts or ends in a letter of a spaced script, unbounded where in one written without spaces (the
    engine reads a term of Han, kana or Hangul inside its run of letters: "我" in "我买了", "저" in "저는");
    longest first, so a hit quotes the whole word ("myself", not "my")."""
    if not words:
        return None

    def bounded(word: str) -> str:
        left = "" if unspaced_letter(word[0]) else r"\b"
        right = "" if unspaced_letter(word[-1]) else r"\b"
        return f"{left}{regex.escape(word)}{right}"

    source = "|".join(bounded(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))
    try:
        return compile_pattern(source, ignorecase=True)
    except PatternError as exc:
        reader.problem("written", str(exc))
        return None


def _split_sides(reader: _Reader, rule: Rule, classes: dict[str, TermClass]) -> Rule:
    """Side classes (the listing's side, no terms) out of ``classes`` and ``absent`` into ``sides`` and
    ``absent_sides``: conditions on the whole listing, never a position in it."""

    def side(name: str) -> bool:
        return name in classes and bool(classes[name].sides)

    entries, sides = [], []
    for entry in rule.classes:
        if not any(side(n) for n in entry):
            entries.append(entry)
        elif all(side(n) for n in entry):
            sides.append(entry)
        else:
            reader.problem("classes", f"{'|'.join(entry)!r}: a side class is only an alternative to a side class")
    for name in (*rule.context, *rule.when_any, rule.target):
        if side(name):
            reader.problem(None, f"side class {name!r} may only be named in 'classes' or 'absent'")
    if not sides and not any(side(n) for n in rule.absent):
        return rule
    return replace(rule, classes=tuple(entries), sides=tuple(sides),
                   absent=tuple(n for n in rule.absent if not side(n)),
                   absent_sides=tuple(n for n in rule.absent if side(n)))


def _bundled_source() -> str:
    return resources.files("matchers").joinpath("rules", "default.toml").read_text(encoding="utf-8")


def load_ruleset(path: str | Path | None = None) -> Ruleset:
    """Load and validate a ruleset (None = the bundled default); raises RulesetError with located problems."""
    if path is None:
        return _Loader(_bundled_source(), DEFAULT_NAME).load()
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError([Problem(str(path), None, f"cannot read ruleset: {exc}")]) from exc
    return _Loader(source, str(path)).load()


def check_ruleset(path: str | Path | None = None) -> list[Problem]:
    """Every problem with a ruleset: invalid content (severity "error") or a failing example ("example")."""
    try:
        ruleset = load_ruleset(path)
    except RulesetError as exc:
        return exc.problems
    from .scan import Scanner  # the scanner needs a loaded ruleset; import late to keep loading light

    return list(Scanner(ruleset).check_examples())
