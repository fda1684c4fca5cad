"""Where is the deal? A page that only talks about reviews is no offer, however many rating words it has.

An offer or a buyer's post has the structure of a transaction somewhere in it: a supplier's or buyer's voice
("we deliver", "I need", "we pay"), a price or a package, a call to order or contact. News of a lawsuit, a
warning, a platform's policy or an advice page ("how to get more Google reviews") talks about the trade in the
third person or in advice's second person, with none of that anywhere. A listing of at least ``min_words``
words (a page, not a marketplace listing's few lines) that would be flagged but holds no term of the ruleset's
``[transaction]`` classes is held at ``cap``: an analyst may look, nothing is exported. Its title may say what
it is about (an honest frame there: how to ask one's customers, a warning): then it is held at ``framed_cap``.
The same page with less evidence, that would only be suspect, is cleared: the review queue is for offers and
requests, not for pages about them. A buyer's post is the request itself and is never held (the scanner's side
classes).

Who speaks (r14a): a text under ``min_words`` (a forum question, a headline and its lead) is held the same way
when its voice is an onlooker's or a reporter's: an onlooker's question ("is it safe to buy Google reviews?",
"anyone tried these $5 sellers?", "口コミ代行は大丈夫?"; a sentence that ends in a question mark and that the
writer does not answer, as a seller's FAQ does) or enough of a reporter's, a victim's or an adviser's words. The
price or the chat app such a question names is asked about, not offered. A supplier's hook ("Need Google
reviews? DM me") and a buyer's ask ("Who can post 20 reviews for my shop?") hold a deal, and stay offers.

Only listings that would be flagged or suspect are checked, so the whole text (not just the stretches near
rating terms) is read for transaction terms at little cost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from .classes import ClassTable, pattern_hits
from .field import FieldScan
from .normalise import unspaced_letter
from .outline import GREEK_LETTERS, SCRIPT_SENTENCE_MARKS, WORD_WRITTEN
from .prepare import FieldPreparer
from .ruleset import Transaction
from .terms import Hit, TermIndex
from .verdict import Reason

_WORD = re.compile(WORD_WRITTEN)  # a word with its combining marks ("नहीं" is one word)


def words(text: str, enough: int | None = None) -> int:
    """Words in ``text`` (counting stops at ``enough``); letters of a script written without spaces
    (``normalise.unspaced_letter``: Han, kana, Hangul, Thai) count one word per two."""
    count = 0
    for _ in _WORD.finditer(text):
        count += 1
        if enough is not None and count >= enough:
            return count
    return count + (sum(map(unspaced_letter, text)) // 2 if not text.isascii() else 0)


class _Finder:
    """The first term of some classes anywhere in a listing's fields (not only near rating terms); ``told``: the
    reporter's frame that makes the terms of its ``told_over`` classes in its sentences told, not offered."""

    def __init__(self, classes: tuple[str, ...], table: ClassTable, preparer: FieldPreparer,
                 told: _Frame | None = None, besides: frozenset[str] = frozenset()) -> None:
        """``besides``: terms left out (those another reading claims)."""
        self.classes = classes
        self.table = table
        self.preparer = preparer
        self.index = TermIndex.build({n: [t for t in table.classes[n].terms if t not in besides] for n in classes},
                                     set())
        self.told = told

    def field_hits(self, f: FieldScan) -> list[Hit]:
        """Every hit of the classes in one keyed field: its terms in order, then its patterns (a price)."""
        return list(self.hits(f))

    def hits(self, f: FieldScan, story: bool = False) -> Iterator[Hit]:
        """``field_hits`` one class's patterns at a time: a reader that needs only the first few stops early;
        ``story``: the listing is the writer's own story, whose ``story_over`` terms are told wherever they stand."""
        told = self.told.sentences(f, story) if self.told is not None else None
        yield from _offered(sorted(self.preparer.whole_hits(f, self.index), key=lambda h: h.start), told)
        for cls_name in self.classes:
            yield from _offered(pattern_hits(f, self.table.classes[cls_name], whole=True, gates=self.table.gates), told)

    def first(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan], story: bool = False) -> Hit | None:
        """The first term found (None: none anywhere)."""
        found = self.distinct(texts, 1, keyed, story)
        return found[0] if found else None

    def distinct(self, texts: Mapping[str, str], enough: int, keyed: Callable[[str], FieldScan],
                 story: bool = False) -> list[Hit]:
        """Hits of up to ``enough`` different terms (as keyed), field by field; ``keyed``: a field's keyed scan by
        name (the scan's, or the document reader's: each field is keyed once per listing)."""
        seen: dict[str, Hit] = {}
        for name, text in texts.items():
            if not text:
                continue
            for hit in self.hits(keyed(name), story):
                seen.setdefault(hit.term, hit)
                if len(seen) >= enough:
                    return list(seen.values())
        return list(seen.values())


#: r18d: a quotation, as the writer marks one: straight or curly double quotes, guillemets, German and CJK corner
#: quotes, on one line; r19b: and single quotes, straight or curly ("Saw gigs like 'I will add 5 stars on Google'"),
#: one opening after no letter or digit and closing before none: an apostrophe inside a word ("don't", "it's") or
#: after one ("sellers' accounts" before a letter) opens nothing
_QUOTED = re.compile('"[^"\n]{3,}?"|\u201c[^\u201d\n]{3,}?\u201d|\u201e[^\u201c\u201d\n]{3,}?[\u201c\u201d]'
                     '|\u00ab[^\u00bb\n]{3,}?\u00bb|\u300c[^\u300d\n]{2,}?\u300d|\u300e[^\u300f\n]{2,}?\u300f'
                     "|(?<![^\\W_])['\u2018](?=\\S)[^'\u2018\u2019\n]{3,}?(?<=\\S)['\u2019](?![^\\W_])")


def quotations(text: str) -> list[tuple[int, int]]:
    """The stretches of ``text`` inside quotation marks (start, end; the marks included)."""
    return [m.span() for m in _QUOTED.finditer(text)]


class _Told:
    """One field's told sentences (those with a term of the frame's classes) and its onlooker's questions (an
    ``asked`` term in a sentence that ends in a question mark), found on the first question; r18d: and the
    quotations it reports (a told term or an onlooker's question outside them)."""

    __slots__ = ("frame", "f", "story", "_sentences", "_questions", "_quoted")

    def __init__(self, frame: _Frame, f: FieldScan, story: bool = False) -> None:
        self.frame = frame
        self.f = f
        self.story = story
        self._sentences: set[int] | None = None
        self._questions: set[int] | None = None
        self._quoted: list[tuple[int, int]] | None = None

    def quoted(self, hit: Hit) -> bool:
        """r18d: is ``hit`` inside a quotation that the field reports: a seller's offer quoted by a post that tells
        or asks about it outside the quotation marks ("It says \"Leave 5 stars and get $20 on WhatsApp\". Is that
        allowed?", "看到有人在賣「五星評論 一則100元」，會被抓嗎？")? A vendor's copy quotes its customers'
        praise, not its own offer, and its offer stands outside any quotation."""
        if self._quoted is None:
            spans = quotations(self.f.original) if self.frame.quoted else []
            outside = [h for h in self.frame.finder.field_hits(self.f) + self.frame.questions(self.f)
                       if not any(s <= h.start < e for s, e in spans)] if spans else []
            self._quoted = spans if outside else []
        return any(s <= hit.start and hit.end <= e for s, e in self._quoted)

    def told(self, hit: Hit) -> bool:
        """Is ``hit`` a term of a ``told_over`` class in a told sentence, or of an ``asked_over`` class in an
        onlooker's question? Or of a ``story_over`` class in the writer's own story (anywhere in it)?"""
        f, frame = self.f, self.frame
        if self.story and hit.cls in frame.story_over:
            return True
        if hit.cls in frame.over:
            if frame.quoted and self.quoted(hit):
                return True
            if self._sentences is None:
                self._sentences = {f.sentence(h.start) for h in frame.finder.field_hits(f)}
            if self._sentences and f.sentence(hit.start) in self._sentences:
                return True
        if hit.cls in frame.asked_over:
            if self._questions is None:
                self._questions = {f.sentence(h.start) for h in frame.questions(f)}
            return bool(self._questions) and f.sentence(hit.start) in self._questions
        return False


class _Frame:
    """A reporter's frame (r12b): "sellers charge $5 per review", "they quoted me $300", "the company said it
    paid ...": a price, a channel or the terms of a deal (the ``told_over`` classes) in a sentence with a term of
    the ``told`` classes is told, not offered. r14a: and an onlooker's question ("anyone tried these $5 review
    sellers?", "口コミ代行は大丈夫?") asks about the price, the channel or the terms it names (``asked_over``), it
    makes no deal; a buyer's own words in it ("for my shop", "where can I buy") stay a request."""

    def __init__(self, told: tuple[str, ...], over: frozenset[str], table: ClassTable,
                 preparer: FieldPreparer, asked: _Finder | None = None,
                 asked_over: frozenset[str] = frozenset(), story_over: frozenset[str] = frozenset(),
                 answered: re.Pattern[str] | None = None, particles: tuple[str, ...] = (),
                 quoted: bool = False) -> None:
        self.finder = _Finder(told, table, preparer)
        #: r18d: a quotation the field reports tells what it holds
        self.quoted = quoted
        #: the writer's own answers after a question (``answers``; None: none read), and the particles that end a
        #: question asked with no mark
        self.answered = answered
        self.particles = particles
        self.over = over
        self.story_over = story_over
        self.asked = asked
        self.asked_over = asked_over if asked is not None else frozenset()

    def sentences(self, f: FieldScan, story: bool = False) -> _Told:
        return _Told(self, f, story)

    def questions(self, f: FieldScan, answer: str = "") -> list[Hit]:
        """The ``asked`` terms of one field that stand in an onlooker's question (none: the ruleset has no
        ``asked``); ``answer``: the text of the next field, where a seller answers the question its title asks."""
        if self.asked is None:
            return []
        return [h for h in self.asked.field_hits(f) if asks(f.original, h, answer, self.answered, self.particles)]

    def untold(self, f: FieldScan, hits: list[Hit]) -> list[Hit]:
        """``hits`` of one field less the told ones (what the field offers, not what it reports)."""
        if not any(h.cls in self.over or h.cls in self.asked_over for h in hits):
            return hits
        return _offered(hits, self.sentences(f))


#: Where a sentence ends, as a writer marks it: a question's or an exclamation's mark, a full stop before a space
#: or at the end (not "4.9"), a line break, the end marks of other scripts (a Hindi "।" ends a statement: the
#: "?" of a later sentence does not make it a question)
_END_MARKS = "!?\n\u3002\uff01\uff1f\u037e" + SCRIPT_SENTENCE_MARKS
_SENTENCE_END = re.compile(f"[{_END_MARKS}]" + r"|\.(?=\s|$)")
#: ... in Greek, whose question mark is ";"
_GREEK_END = re.compile(f"[;{_END_MARKS}]" + r"|\.(?=\s|$)")
_GREEK = re.compile("[" + GREEK_LETTERS + "]")
#: "?", Arabic "؟", the full-width "？", Greek ";" (and its own code point), Ethiopic "፧"
_QUESTION_MARKS = frozenset("?\u061f\uff1f\u037e;\u1367")
def answers(words: Iterable[str]) -> re.Pattern[str] | None:
    """The writer's own answer right after a question, from the words of the ``answer`` classes (r17g: data, read
    as written): a seller's FAQ asks "Is it safe?" and answers "Yes, ...". Matched at the start of what follows
    the question, after spaces and punctuation, in any case; a word does not run on into letters of any script
    ("ja" is no "jamais", "네" glued to more Hangul no "yes"), unlike a ``written`` class's words elsewhere (``\\b``
    only in spaced scripts). None: no words, no answer read."""
    spelled = sorted(set(words), key=lambda w: (-len(w), w))
    if not spelled:
        return None
    return re.compile(r"[\s\W]*(?:" + "|".join(re.escape(w) for w in spelled) + r")(?![^\W\d_])", re.IGNORECASE)


def asks(text: str, hit: Hit, answer: str = "", answered: re.Pattern[str] | None = None,
         particles: tuple[str, ...] = ()) -> bool:
    """Is ``hit`` (an onlooker's question word) in an onlooker's question: does its sentence end in a question
    mark (or the term in one of the ruleset's question ``particles``: "大丈夫ですか", "靠谱吗", "ปลอดภัยไหม", asked
    with no mark), with no answer of the writer's own after it ("Is it safe? Yes, 100% safe": a seller's FAQ;
    ``answered``, from ``answers``: None reads none)? ``answer``: the text that follows the field (a title's
    question answered in the description). "is it safe" in a seller's "It is safe." asks nothing."""
    if particles and hit.text.endswith(particles):
        after = hit.end
    else:
        end = (_GREEK_END if _GREEK.search(text) else _SENTENCE_END).search(text, hit.end)
        if end is None or end.group() not in _QUESTION_MARKS:
            return False
        after = end.end()
    rest = text[after:]
    if not rest.strip():
        rest = answer
    return answered is None or answered.match(rest) is None


def _offered(hits: list[Hit], told: _Told | None) -> list[Hit]:
    """``hits`` less those told in a reporter's sentence (``told`` None: every one)."""
    return hits if told is None else [h for h in hits if not told.told(h)]


#: r19b: a figure's number: digits with their separators ("2 000", "1.500,00", "$0.80")
_NUMBER = re.compile(r"\d+(?:[.,\s\u00a0\u202f']\d+)*")
#: ... and the separators that group thousands in it (one before exactly three digits: "2 000", "1.500", "2,000")
_THOUSANDS = re.compile(r"[.,\s\u00a0\u202f'](?=\d{3}(?!\d))")


def _figure(hit: Hit) -> str:
    """A figure compared by its number (r19b): a post names one price as "250 €" and again as "250 euro", "2.000 TL"
    and "2000 lira", "$150" and "150 dollars", which is one price cited twice, no price list; thousands grouped
    any way ("2 000", "2.000", "2,000") are one number, a decimal comma a decimal point. A figure with no digit
    ("per review") compares as written, case- and space-blind."""
    text = " ".join(hit.text.lower().split())
    number = _NUMBER.search(text)
    if number is None:
        return text
    return _THOUSANDS.sub("", number.group()).replace(",", ".")


class TransactionCheck:
    """Is there a deal anywhere in a long listing that talks about the trade?"""

    def __init__(self, rule: Transaction, table: ClassTable, preparer: FieldPreparer) -> None:
        self.rule = rule
        asked = _Finder(tuple(rule.asked), table, preparer) if rule.asked else None
        #: The reporter's frame (None: the ruleset has none): what a told sentence holds is no deal
        answered = answers(w for n in rule.answer for w in table.classes[n].words)
        self.frame = (_Frame(tuple(rule.told), rule.told_over, table, preparer, asked, rule.asked_over,
                             rule.story_over, answered, rule.particles, rule.quoted) if rule.told else None)
        #: w3a: the writer's own past deal, and what came of it (None: the ruleset reads no stories)
        self.story = (_Finder(tuple(rule.story), table, preparer), _Finder(tuple(rule.outcome), table, preparer)) \
            if rule.story and self.frame is not None else None
        #: ... and the voice that unmakes it: a supplier's or a buyer's words (the ``told_over`` classes that are no
        #: deal alone and that a story does not tell: "we can", "your listing") outside a told sentence; the writer's
        #: own shop ("my listing"), a term of a ``story_over`` class too, is the story's
        voiced = tuple(sorted(rule.told_over - set(rule.classes) - rule.story_over))
        owned = frozenset(t for n in rule.story_over for t in table.classes[n].terms)
        self.voiced = (_Finder(voiced, table, preparer, self.frame, owned)
                       if self.story is not None and voiced else None)
        self.deal = _Finder(tuple(rule.classes), table, preparer, self.frame)
        #: r15e: what else a page that cites a figure may not hold untold: the ``told_over`` classes that are no deal
        #: alone (a chat app, a supplier's voice: "write to us on WhatsApp", "our clients")
        pitch = tuple(sorted(rule.told_over - set(rule.classes))) if rule.cited else ()
        self.pitch = _Finder(pitch, table, preparer, self.frame) if pitch else None
        self.talk = _Finder(tuple(rule.when_any), table, preparer) if rule.when_any else None
        #: An onlooker's or a reporter's words, read in a short text (None: short texts are never held)
        self.voice = _Finder(tuple(rule.voice), table, preparer) if rule.voice else None
        #: r16d: the writer in the first person singular, as a forum post speaks (None: no long post is held for
        #: the questions it asks)
        self.writer = _Finder(tuple(rule.writer), table, preparer) if rule.writer else None
        #: r18d: a word that speaks to a buyer ("your", "Ihr"): a post holding one is a vendor's, whose questions are
        #: its customers' (None: the ruleset names none; a question lends one frame)
        self.addressed = _Finder(tuple(rule.addressed), table, preparer) if rule.addressed else None

    def long(self, texts: Mapping[str, str]) -> bool:
        """At least ``min_words`` words in the listing."""
        count = 0
        for text in texts.values():
            count += words(text, self.rule.min_words - count) if text else 0
            if count >= self.rule.min_words:
                return True
        return False

    def found(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan] | None = None) -> Hit | None:
        """The first transaction term in the listing's fields (None: nowhere)."""
        return self.deal.first(texts, keyed or self._keyer(texts))

    def hold(self, texts: Mapping[str, str], score: float, flagged: bool, honest: list[Reason],
             keyed: Callable[[str], FieldScan] | None = None) -> Reason | None:
        """The reason that moves a long page which talks about the trade, or a short text in an onlooker's or a
        reporter's voice, with no deal anywhere in it (None: a transaction, or too little talk); its weight takes
        the score there. A
        would-be ``flagged`` page is held at ``cap`` (an analyst's look at most), or at ``framed_cap`` when its
        title carries an honest frame ("How to ask your customers for Google reviews": the headline says what the
        page is about); a page whose evidence only reaches suspect is cleared (a warning, a news item, a guide).
        r14a: a short text that asks an onlooker's question is held at ``asked_cap``, and a page whose talk weighs
        ``told_points`` at ``framed_cap``."""
        rule = self.rule
        if flagged and score <= rule.cap:
            return None
        talk = self._talk(texts, keyed or self._keyer(texts))
        if talk is None:
            return None
        name = "description" if texts.get("description") else "title"
        said = f" ({', '.join(repr(h.text) for h in talk)})" if talk else ""
        explanation = f"{rule.explain}{said}."
        if not flagged:
            return Reason("no-transaction", name, "", 0, 0, "negative", -score,
                          f"Not for review, short of flagging: {explanation}")
        cap = rule.cap
        if rule.framed_cap is not None and any(
                -r.weight >= rule.framed_weight and r.field == "title" for r in honest):
            cap = rule.framed_cap
        if rule.asked_cap is not None and any(h.cls in rule.asked for h in talk):
            cap = min(cap, rule.asked_cap)  # r14a: an onlooker's question, and no deal anywhere
        if rule.framed_cap is not None and rule.told_points and self._points(talk) >= rule.told_points:
            cap = min(cap, rule.framed_cap)  # r14a: a page told from end to end by a reporter, no deal anywhere
        if rule.framed_cap is not None and any(h.cls in rule.outcome for h in talk):
            cap = min(cap, rule.framed_cap)  # w3a: the writer's own story, and no deal left in it
        return Reason("no-transaction", name, "", 0, 0, "negative", round(cap - score, 3), explanation)

    def _keyer(self, texts: Mapping[str, str]) -> Callable[[str], FieldScan]:
        """Each field keyed on first use, once (for a caller with no keyed fields of its own)."""
        keyed: dict[str, FieldScan] = {}

        def field(name: str) -> FieldScan:
            if name not in keyed:
                keyed[name] = self.deal.preparer.keyed(name, texts[name])
            return keyed[name]

        return field

    def _talk(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan]) -> list[Hit] | None:
        """The words that talk about the trade in a long page, or the onlooker's or reporter's voice of a short
        text, with no deal anywhere (None: a transaction, or too little talk). w3a: the writer's own story (a
        victim's or an onlooker's post) is such talk where it told the post's deal words (its price, its shop), or
        where the post says too little else to be held; a page held for its talk is held as before."""
        long = self.long(texts)
        if not long and self.voice is None:
            return None
        story = self._story(texts, keyed)
        if self._dealt(texts, keyed, bool(story)):
            return None
        if story and self._dealt(texts, keyed):
            return story
        talk = self._said(texts, keyed, long)
        return story if talk is None and story else talk

    def _said(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan], long: bool) -> list[Hit] | None:
        """The talk of a listing with no deal in it: a page's words about the trade, a short text's voice (None:
        too little)."""
        if not long:
            return self._voice(texts, keyed)
        if self.talk is None:
            return []
        # several different ones: a page about the trade is full of them, a vendor's page names one in passing;
        # a reporter's words proper count more than those a vendor or a buyer uses too ("consumers", "they")
        need = self.rule.talk_terms
        talk = self.talk.distinct(texts, max(need, int(self.rule.told_points)), keyed)
        points = self._points(talk)
        if points < need:
            return self._questioned(texts, keyed)
        asked = self._questioned(texts, keyed)  # r17d: one that talks and asks is an onlooker's
        return talk + asked if asked else talk

    def _questioned(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan]) -> list[Hit] | None:
        """r16d: a long post in the writer's own voice ("I", "my", "me") that asks onlookers ("Some agency quoted
        Rs 50 per review. Is this allowed or will Google ban me?"), with no deal anywhere, is an onlooker's post
        however long the story before its question (None: too few questions, or no writer in it). A vendor's
        article asks its customers' questions in the second person and answers them as "we". The writer's words are
        the ``writer`` classes' (r17f: data, read as written)."""
        if self.voice is None or self.frame is None or self.writer is None:
            return None
        asked = self._asked(texts, keyed)
        if not asked or self.rule.asked_points * len(asked) < self.rule.voice_points:
            return None
        return asked if self.writer.first(texts, keyed) is not None else None

    def _story(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan]) -> list[Hit]:
        """The writer's own story, told across the post (w3a): a term of the ``story`` classes (the writer paid,
        bought or was offered: "I paid", "charged me", "ich habe ... bezahlt") and one of the ``outcome`` classes
        (what came of it: "all removed", "account suspended", "never again"), anywhere in it; [] when either is
        missing, or when a supplier's or buyer's voice stands outside a told sentence. A victim's or an onlooker's
        post tells its price so; a seller's success story ("it worked, now I sell them: DM me", "we can do it right")
        and a buyer still asking ("who is reliable? will pay") hold a deal, or a voice, that stays one."""
        if self.story is None:
            return []
        told, outcome = self.story
        said = told.first(texts, keyed)
        end = outcome.first(texts, keyed) if said is not None else None
        if said is None or end is None:
            return []
        if self.voiced is not None and self.voiced.first(texts, keyed) is not None:
            return []  # a supplier's or a buyer's own words beside it: a story that sells, or asks
        return [said, end] if not self._price_list(texts, keyed) else []

    def _price_list(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan]) -> bool:
        """More than two different figures of the ``cited`` classes: a price list, which a seller's story leads to
        ("I lost my money elsewhere: 10 reviews $30, 50 for $120, 100 for $220"); a victim names what was paid and
        what it was for, two at most."""
        figures: set[str] = set()
        for hit in self._deal_hits(texts, keyed):
            if hit.cls in self.rule.cited:
                figures.add(_figure(hit))
                if len(figures) > 2:
                    return True
        return False

    def _deal_hits(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan],
                   story: bool = False) -> Iterator[Hit]:
        """The deal's hits, field by field and lazily (a reader stops at what it needs)."""
        for name, text in texts.items():
            if text:
                yield from self.deal.hits(keyed(name), story)

    def _dealt(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan], story: bool = False) -> bool:
        """Is there a deal anywhere? r15e: not when the only one is a single figure of a ``cited`` class (one
        price, however often written) on a page with ``cited_told`` different reporter's frames and no untold
        chat app or supplier's voice (the other ``told_over`` classes): "the court fined the agency, which charged
        9,90 Euro per review, the judge said" cites a figure; a vendor's price list, or a price with a call to
        order or "write to us on WhatsApp", is a deal. ``story``: the writer's own story tells its price (w3a).
        r17d: an onlooker's question counts as a frame ("An agency wants 200 € for 40. Will Google notice? Will my
        profile be banned?"): the one price a forum question names is asked about; a seller's FAQ answers its own;
        and so is the writer's own business (``asked_owned``: "My shop sells candles. Is it okay to ask buyers?")."""
        rule = self.rule
        if not rule.cited or self.frame is None:
            return self.deal.first(texts, keyed, story) is not None
        figures: set[str] = set()
        owned = False
        for hit in self._deal_hits(texts, keyed, story):
            if hit.cls in rule.asked_owned:
                owned = True  # r17d: the writer's own business: a deal unless the post asks an onlooker's question
                continue
            if hit.cls not in rule.cited:
                return True
            figures.add(_figure(hit))
            if len(figures) > 1:
                return True
        if owned and not self._asked(texts, keyed):
            return True
        if not figures:
            return False
        if self.pitch is not None and self.pitch.first(texts, keyed, story) is not None:
            return True  # a price with a chat app or a supplier's voice beside it: an offer
        frames = len(self.frame.finder.distinct(texts, rule.cited_told, keyed))
        if frames < rule.cited_told:  # r17d: an onlooker's question is a frame too ("they want 200 €. Is it legal?")
            frames += self._asked_frames(texts, keyed)
        return frames < rule.cited_told

    def _asked_frames(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan]) -> int:
        """The frames an onlooker's questions lend a post's one price (r17d: one each). r18d: ``asked_cites`` each
        in a post that addresses no buyer ("They offer 30 reviews for 1500. Who has tried?": the writer asks peers
        about a pitch); one each where a term of an ``addressed`` class speaks to a customer ("your shop", "Ihr
        Profil"): a vendor's page or cold e-mail asks its customers' questions ("Is it safe? Our accounts ...")."""
        asked = len(self._asked(texts, keyed))
        if not asked or self.addressed is None or self.addressed.first(texts, keyed) is not None:
            return asked
        return self.rule.asked_cites * asked

    def _points(self, talk: list[Hit]) -> float:
        """What words that talk about the trade weigh: a reporter's words proper more than the others."""
        strong = self.rule.talk_strong
        return sum(self.rule.strong_points if h.cls in strong else 1.0 for h in talk)

    def _asked(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan]) -> list[Hit]:
        """The onlooker's questions of a listing (one hit per different term), each field's read with the text of
        the next (a title's question that the description answers is a seller's)."""
        assert self.frame is not None
        names = [name for name, text in texts.items() if text]
        said: dict[str, Hit] = {}
        for i, name in enumerate(names):
            answer = texts[names[i + 1]] if i + 1 < len(names) else ""
            for hit in self.frame.questions(keyed(name), answer):
                said.setdefault(hit.term, hit)
        return list(said.values())

    def _voice(self, texts: Mapping[str, str], keyed: Callable[[str], FieldScan]) -> list[Hit] | None:
        """Who speaks in a short text with no deal in it (r14a): an onlooker's questions ("is it safe to buy Google
        reviews?", "anyone tried these?") and a reporter's, a victim's or an adviser's words, enough of them
        (None: too few; a vendor's title has none, and its offer is a deal). A term that is a rating word too
        ("notes", French ratings) says nothing of the voice."""
        rule = self.rule
        assert self.voice is not None
        asked = self._asked(texts, keyed) if self.frame is not None else []
        points = rule.asked_points * len(asked)
        said: dict[str, Hit] = {h.term: h for h in asked}
        if points >= rule.voice_points:
            return asked
        for name, text in texts.items():
            if not text:
                continue
            f = keyed(name)
            rated = [(h.start, h.end) for h in f.anchor_hits]
            for hit in self.voice.hits(f):
                if hit.term not in said and not any(s <= hit.start and hit.end <= e for s, e in rated):
                    said[hit.term] = hit
                    points += 1
            if points >= rule.voice_points:
                return list(said.values())
        return None
