"""Exact term matching: every class's terms in one Aho-Corasick automaton per key, word-bounded.

One pass over a key finds every term of every class at once; a hit only counts at word boundaries, where a
boundary is a non-alphanumeric neighbour in the key, a digit/letter change ("5star") or a case change in the
text as written ("REALFacebook", "BuyGoogleReviews").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from operator import itemgetter
from typing import Any

import ahocorasick_rs

from .normalise import (
    ENCLOSED,
    HOMOGLYPHS,
    MatchKey,
    fold_ascii,
    fold_native,
    has_non_latin_letters,
    unspaced_letter,
)
from .repair import segment

_GROUP = re.compile(r"\(([^()]*)\)")


def expand(term: str) -> list[str]:
    """Spell out a compact term: "review(s)" -> review, reviews; "отзыв(|ы|ов)" -> отзыв, отзывы, отзывов."""
    parts = _GROUP.split(term)
    literals, groups = parts[0::2], parts[1::2]
    options = [g.split("|") if "|" in g else ["", g] for g in groups]
    out = []
    for choice in product(*options):
        out.append("".join(lit + (choice[i] if i < len(choice) else "") for i, lit in enumerate(literals)))
    return list(dict.fromkeys(out))


def term_key(term: str) -> tuple[str, bool]:
    """(key, native): native-script terms are matched on the native key, everything else on the ascii key."""
    if has_non_latin_letters(term):
        return " ".join(fold_native(term).split()), True
    return " ".join(fold_ascii(term).split()), False


@dataclass(slots=True)
class Hit:
    """One occurrence of a class's term: offsets into the original field text and the text as written;
    ``key_start`` is where it starts in the key (-1 for hits found on the original), ``fuzzy`` the similarity
    of a misspelt term."""

    cls: str
    term: str
    start: int
    end: int
    text: str
    key_start: int
    fuzzy: float | None = None


#: A term of the ascii key this short (letters) only matches a word written as plain Latin letters (see
#: ``Automaton.short``).
SHORT_TERM = 3


@lru_cache(maxsize=4096)
def plain_latin(written: str) -> bool:
    """Is ``written`` Latin letters as such, or disguised by look-alikes ("bυy", "ｂｕｙ", zero-width characters),
    rather than a word of another script or with diacritics that the ascii key reads away ("từ", "दो", "つ星")?"""
    for char in unicodedata.normalize("NFC", written):
        if char.isascii() or char in HOMOGLYPHS or char in ENCLOSED or not char.isalnum():
            continue
        if unicodedata.category(char) in ("Mn", "Me", "Mc") or unicodedata.normalize("NFKC", char).isascii():
            continue
        return False
    return True


@lru_cache(maxsize=4096)
def as_written(written: str) -> str:
    """A word as written, for comparing with a term's spelling: composed, casefolded, without format characters
    (zero-width spaces)."""
    return "".join(c for c in unicodedata.normalize("NFC", written).casefold() if unicodedata.category(c) != "Cf")


class Automaton:
    """Terms in one Aho-Corasick automaton (Rust ``ahocorasick_rs``): every overlapping occurrence in one C
    pass, each pattern with what it stands for (its classes' terms). Terms in plain ASCII (the ascii key's)
    are matched as bytes, which skips the character-offset bookkeeping of string haystacks."""

    __slots__ = ("_automaton", "native", "owners", "short")

    def __init__(self, entries: dict[str, list[tuple[str, str]]], implementation: Any = None) -> None:
        keys = list(entries)
        #: Some term is not plain ASCII: match on the text (the native key), not on bytes.
        self.native = not all(k.isascii() for k in keys)
        if self.native:
            self._automaton: Any = ahocorasick_rs.AhoCorasick(keys, implementation=implementation)
        else:
            self._automaton = ahocorasick_rs.BytesAhoCorasick(
                [k.encode("ascii") for k in keys], implementation=implementation
            )
        #: Per pattern index: the (class name, term as written in the ruleset) pairs it stands for.
        self.owners: list[tuple[tuple[str, str], ...]] = [tuple(entries[k]) for k in keys]
        #: Short ascii terms ("tu", "do", "mua"), by pattern index, with the spellings with diacritics the ruleset
        #: writes for them ("más", "yüz"): the ascii key reads "từ" as "tu" and "दो" as "do", so a short term only
        #: matches a word written as plain Latin letters, or as the ruleset writes it.
        self.short: dict[int, frozenset[str]] = {} if self.native else {
            i: frozenset(as_written(term) for _, term in self.owners[i] if not term.isascii())
            for i, k in enumerate(keys) if sum(c.isalpha() for c in k) <= SHORT_TERM
        }

    def matches(self, haystack: str | bytes) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) of every occurrence, overlapping ones too, by end then longest first.
        ``haystack``: bytes for an ASCII automaton, text for a native one."""
        found = self._automaton.find_matches_as_indexes(haystack, overlapping=True)
        if len(found) > 1:
            found.sort(key=_BY_END_LONGEST_FIRST)
        return found


#: (pattern, start, end) -> (end, start): by end, and at one end the longest (earliest start) first.
_BY_END_LONGEST_FIRST = itemgetter(2, 1)


def build_automaton(entries: dict[str, list[tuple[str, str]]], implementation: Any = None) -> Automaton | None:
    """``entries``: key -> [(class name, term as written in the ruleset)]."""
    return Automaton(entries, implementation) if entries else None


#: Categories of the marks that combine with the letter before them (a virama, a vowel sign, a tone mark).
_MARKS = frozenset(("Mn", "Mc", "Me"))
#: ... of which the keys drop these (a spacing vowel sign, "Mc", stays in its word: "রিভিউ").
_DROPPED_MARKS = frozenset(("Mn", "Me"))


def _wordish(char: str) -> bool:
    """A letter, a digit or a mark combining with one: the virama inside "রেস্টুরেন্টের" is no word break (the ascii
    key, which drops it, read "trente" inside that word)."""
    return char.isalnum() or (char > "\u02ff" and unicodedata.category(char) in _MARKS)


def _soft_boundary(original: str, position: int) -> bool:
    """A word may start at ``position`` of the text as written after a case or digit/letter change, or where
    a script written without spaces (Han, kana, Hangul) meets another."""
    if position <= 0 or position >= len(original):
        return True
    before, after = original[position - 1], original[position]
    if not _wordish(before) or not _wordish(after):
        return True
    if before.isdigit() != after.isdigit():
        return True
    if not (before.isascii() and after.isascii()) and unspaced_letter(before) != unspaced_letter(after):
        return True  # "Amazonレビュー"
    if before.islower() and after.isupper():
        return True
    return (
        before.isupper() and after.isupper() and position + 1 < len(original) and original[position + 1].islower()
    )


def past_marks(original: str, span: tuple[int, int]) -> tuple[int, int]:
    """``span`` widened over the non-spacing marks right after it: a key drops them ("அமேசான்" keys as "அமேசான"
    without its final virama, "ไม่" without its tone mark), so a hit would end before them and the next word
    would start at a mark the outline counts as a word of its own: every window in Tamil ran one word short."""
    start, end = span
    size = len(original)
    while end < size and original[end] > "\u02ff" and unicodedata.category(original[end]) in _DROPPED_MARKS:
        end += 1
    return start, end


def find_hits(
    key: MatchKey | None,
    automaton: Automaton | None,
    start: int = 0,
    stop: int | None = None,
    matches: list[tuple[int, int, int]] | None = None,
    compounds: Compounds | None = None,
    names: bool = False,
) -> list[Hit]:
    """Word-bounded hits of every term in ``key`` (or in ``key.text[start:stop]``), with original offsets;
    ``matches`` are the automaton's matches over the whole key when the caller already has them. With
    ``compounds`` (known words), a term glued to others also counts when its whole word is made of known words
    ("googlereviews", "#5starreviews"); with ``names``, not when that word is a proper name ("Karachi" holds no
    "kara"): the context words' hits, where a syllable of a name is no word; a platform or rating word glued in
    one ("Amazonreviews") still counts."""
    if automaton is None or key is None:
        return []
    text = key.text
    size = len(text)
    offset = 0
    if matches is None:
        haystack = text if automaton.native else key.data
        if start or (stop is not None and stop < size):
            matches, offset = automaton.matches(haystack[start:stop]), start
        else:
            matches = automaton.matches(haystack)
    if not matches:
        return []
    identity = key.identity
    original = key.original
    owners_of = automaton.owners
    native = automaton.native
    short = automaton.short
    hits: list[Hit] = []
    for index, begin, end in matches:
        if offset:
            begin += offset
            end += offset
        o_start, o_end = (begin, end) if identity else past_marks(original, key.span(begin, end))
        glued_left = begin and _wordish(text[begin - 1]) and text[begin - 1].isdigit() == text[begin].isdigit()
        # (in scripts without spaces, a native term may start or end inside a run of letters)
        glued_left = glued_left and not (native and (unspaced_letter(text[begin]) or unspaced_letter(text[begin - 1])))
        if glued_left and not _soft_boundary(original, o_start) and not glued_pair(
                text, begin, end, compounds, original, o_start, names):
            continue
        # (a vowel sign the native key keeps glues too: "বিনিময়" is no word inside "বিনিময়ে")
        glued_right = end < size and _wordish(text[end]) and text[end].isdigit() == text[end - 1].isdigit()
        glued_right = glued_right and not (native and (unspaced_letter(text[end - 1]) or unspaced_letter(text[end])))
        if glued_right and not _soft_boundary(original, o_end) and not glued_pair(
                text, begin, end, compounds, original, o_start, names):
            continue
        written = original[o_start:o_end]
        if short and index in short and not written.isascii() and not plain_latin(written) and (
                as_written(written) not in short[index]):
            continue  # "từ" is no "tu", "दो" no "do"
        for cls, term in owners_of[index]:
            hits.append(Hit(cls, term, o_start, o_end, written, begin))
    return hits


#: Glued words longer than this are not cut into known words.
COMPOUND_MAX = 32
#: Each part of a compound has at least this many letters (a number may be shorter: "5starreviews").
COMPOUND_PART_MIN = 3


class Compounds:
    """Known words, and where glued words cut into them ("googlereviews" -> google|reviews), remembered per
    word (the same few glued words recur)."""

    __slots__ = ("known", "_cuts")

    def __init__(self, known: frozenset[str]) -> None:
        self.known = known
        self._cuts: dict[str, frozenset[int]] = {}

    def cuts(self, word: str) -> frozenset[int]:
        """Where a glued word splits into known words of three letters or more (or numbers), if it does."""
        found = self._cuts.get(word)
        if found is None:
            if len(self._cuts) >= 50_000:
                self._cuts.clear()
            parts = segment(word, self.known)
            if len(parts) < 2 or any(e - s < COMPOUND_PART_MIN and not word[s:e].isdigit() for s, e in parts):
                found = frozenset()
            else:
                found = frozenset(i for part in parts for i in part)
            self._cuts[word] = found
        return found


def glued_pair(text: str, begin: int, end: int, compounds: Compounds | None, original: str, o_start: int,
               names: bool) -> bool:
    """Is the hit one of the known words a glued word is made of, written as a glued word is ("googlereviews",
    "#5starreviews", "GOOGLEREVIEWS")? A proper name of ordinary letters, one capital and the rest lower case
    ("Karachi", "Chittagong"), is one word, whatever known words it spells: "kara" (Polish, a penalty) and "chi"
    read in it cleared Pakistani sellers' ads as warnings."""
    return in_compound(text, begin, end, compounds) and not (names and proper_name(original, o_start))


def proper_name(original: str, position: int) -> bool:
    """Is the word of the text as written around ``position`` a capital and lower-case ASCII letters only?"""
    start = stop = position
    while start > 0 and original[start - 1].isalpha():
        start -= 1
    while stop < len(original) and original[stop].isalpha():
        stop += 1
    word = original[start:stop]
    return len(word) > 1 and word.isascii() and word[0].isupper() and word[1:].islower()


def in_compound(text: str, begin: int, end: int, compounds: Compounds | None) -> bool:
    """Is ``text[begin:end]`` one of the known words a glued word is made of ("google|reviews")?"""
    if compounds is None or end - begin < COMPOUND_PART_MIN + 1:
        return False
    start, limit = begin, max(0, end - COMPOUND_MAX - 1)  # (a bounded walk: a long glued run is no compound)
    while start > limit and text[start - 1].isalnum():
        start -= 1
    stop, limit = end, min(len(text), begin + COMPOUND_MAX + 1)
    while stop < limit and text[stop].isalnum():
        stop += 1
    if stop - start > COMPOUND_MAX:
        return False
    cuts = compounds.cuts(text[start:stop])
    return begin - start in cuts and end - start in cuts


@dataclass
class TermIndex:
    """Automata for a ruleset's terms: anchors (looked for everywhere) and context (only near anchors),
    each split into ascii-key terms and native-script terms."""

    anchor: Automaton | None
    anchor_native: Automaton | None
    context: Automaton | None
    context_native: Automaton | None
    vocabulary: frozenset[str]
    #: The known words again, for reading glued words ("googlereviews").
    compounds: Compounds

    @classmethod
    def build(cls, class_terms: dict[str, list[str]], anchors: set[str],
              plain: frozenset[str] = frozenset()) -> TermIndex:
        """``anchors``: classes looked for everywhere, with their disguised spellings; ``plain`` (r18e): classes
        looked for everywhere as written only (a review site that anchors a field beside a supplier's terms: its
        disemvowelled names, "jmd" for "jameda", are other words)."""
        entries: dict[tuple[bool, bool], dict[str, list[tuple[str, str]]]] = {
            (a, n): {} for a in (True, False) for n in (True, False)
        }
        vocabulary: set[str] = set()
        aliases: list[tuple[bool, str, str, str]] = []
        #: One-word anchor terms ("reviews"): their split spellings count for every class that has them.
        anchor_words = {key for name in anchors for term in class_terms.get(name, ())
                        if not (key := term_key(term))[1] and splits(key[0])}
        watched_words = {key for name in anchors for term in class_terms.get(name, ())
                         if not (key := term_key(term))[1] and partial_skeletons(key[0])}
        for name, terms in class_terms.items():
            for term in terms:
                key, native = term_key(term)
                if not key:
                    continue
                bare_only = name in plain and name not in anchors
                anchor = name in anchors or bare_only
                _own(entries[(anchor, native)], key, name, term)
                if bare_only:
                    if not native:
                        vocabulary.update(w for w in key.split() if w.isalpha())
                    continue
                if native and anchor:  # "от-зывы", "отзы-вы": a Cyrillic or Greek rating word cut in two
                    aliases.extend((True, split, name, term) for split in native_splits(key))
                if not native:
                    vocabulary.update(w for w in key.split() if w.isalpha())
                    if anchor and (bare := skeleton(key)) is not None:  # rating terms, platforms
                        aliases.append((True, bare, name, term))
                    if (key, False) in watched_words:  # "rviews", "Gogl": some of its vowels dropped
                        aliases.extend((anchor, part, name, term) for part in partial_skeletons(key))
                    if (key, False) in anchor_words:
                        aliases.extend((anchor, split, name, term) for split in splits(key))
                    if (letters := spelt(key)) is not None:
                        aliases.append((anchor, letters, name, term))
        real = {key for entry in entries.values() for key in entry}
        for anchor, alias, name, term in aliases:  # after every term: a real term's spelling is never an alias
            if alias not in real:
                _own(entries[(anchor, not alias.isascii())], alias, name, term)
        return cls(
            # anchors are looked for in every field, whole: a DFA scans fastest; context only near anchors
            build_automaton(entries[(True, False)], ahocorasick_rs.Implementation.DFA),
            build_automaton(entries[(True, True)]),
            build_automaton(entries[(False, False)], ahocorasick_rs.Implementation.DFA),
            build_automaton(entries[(False, True)]),
            frozenset(vocabulary),
            Compounds(frozenset(vocabulary)),
        )


_VOWELS = str.maketrans("", "", "aeiou")


def skeleton(key: str) -> str | None:
    """How sellers write a one-word term without its vowels to slip past filters ("reviews" -> "rvws",
    "feedback" -> "fdbck"), when that spelling is distinctive: at least two vowels gone and three letters left
    ("buy" -> "by" or "rate" -> "rt" would read ordinary words as terms)."""
    if not key.isalpha() or not key.isascii():
        return None
    bare = key.translate(_VOWELS)
    return bare if len(key) - len(bare) >= 2 and len(bare) >= 3 else None


def partial_skeletons(key: str) -> list[str]:
    """How sellers drop some of a one-word term's vowels ("rviews", "revews", "Gogl"): one of the vowels inside
    it gone, and with it a final "e" or not ("gogl", not "googl": "sterne" would read "stern"); only of terms
    of six letters or more (the full skeleton, "rvws", is ``skeleton``'s)."""
    if not key.isalpha() or not key.isascii() or len(key) < SPLIT_MIN:
        return []
    out: set[str] = set()
    for i in range(1, len(key) - 1):
        if key[i] in "aeiou" and key[i - 1] != key[i]:  # one of "oo" is a typo's, not a disguise's
            bare = key[:i] + key[i + 1 :]
            out.add(bare)
            if bare.endswith("e") and len(bare) > 4 and any(c in "aeiou" for c in bare[:-1]):
                out.add(bare[:-1])
    return sorted(out)


#: A one-word term is only read split in two ("re-views") from this length on.
SPLIT_MIN = 6
#: ... and where one part is this short: "goo gle", "re views", "ama zon" (two whole words such as "glass door"
#: or "good reads" are other things).
SPLIT_PART_MAX = 3


def splits(key: str) -> list[str]:
    """How sellers cut a one-word term in two to slip past filters ("re-views", "rat.ings", "goo gle"): one
    cut, each part two letters or more, one of them short."""
    if not key.isalpha() or not key.isascii():
        return []
    return _cuts(key)


def native_splits(key: str) -> list[str]:
    """``splits`` of a one-word term written in Cyrillic or Greek, whose words sellers cut the same way
    ("от-зывы", "отзы-вы"); not of scripts whose words are no runs of letters (Han, Thai, Indic vowel signs)."""
    if not key.isalpha() or key.isascii():
        return []
    if not all(unicodedata.name(c, "").startswith(("CYRILLIC", "GREEK")) for c in key):
        return []
    return _cuts(key)


def _cuts(word: str) -> list[str]:
    """One word cut once, each part two letters or more and one of them short; none of a short word."""
    if len(word) < SPLIT_MIN:
        return []
    return [f"{word[:i]} {word[i:]}" for i in range(2, len(word) - 1) if min(i, len(word) - i) <= SPLIT_PART_MAX]


def spelt(key: str) -> str | None:
    """A three-letter term spelt out letter by letter ("G.M.B", "B U Y" fold to "g m b", "b u y"): longer
    words spelt out are joined by ``repair``, but three single letters are too common ("I'm a") to join all."""
    return " ".join(key) if len(key) == 3 and key.isalpha() and key.isascii() else None


def _own(entries: dict[str, list[tuple[str, str]]], key: str, name: str, term: str) -> None:
    """Record that ``key`` stands for ``term`` of class ``name``."""
    owners = entries.setdefault(key, [])
    if (name, term) not in owners:
        owners.append((name, term))
