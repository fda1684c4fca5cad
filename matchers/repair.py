"""Stage two of the ascii key: undo the disguises of words in the folded text, keeping a map back.

Sellers write "r e v i e w s" (spaced out), "r**views" (masked) and "rev1ews" / "g00gle" (digits for letters);
"5*" is a star rating, read as "5 star".
A byte-level "shape" test decides whether the (slower) expressions run at all; then each disguised stretch is
replaced by the word it stands for, and a ``Piece`` records where it came from. Every step is linear in the
text: a stretch is checked against the earlier repairs by bisection, and a masked word is only compared with
the known terms that share its first letter.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import ahocorasick_rs

#: Digit/symbol-for-letter swaps, applied only between letters inside one word (never to "5 star").
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i", "|": "l"}
#: Second readings, tried when the first one does not give a known term ("goog1e" -> "google").
LEET_ALT = {"1": "l", "|": "i"}

_SHAPE = bytes(
    ord("a") if chr(c).isalpha() and c < 128 else ord("0") if chr(c) in "0123456789$@|" else
    ord("1") if c == ord("!") else
    ord("*") if c == ord("*") else 32
    for c in range(256)
)
#: Four or more single characters separated by spaces or asterisks: "r e v i e w s", "r.e.v.i", "r*e*v*i"
#: (three would also join "I'm a" -> "i m a").
_SPACED = re.compile(r"(?<![a-z0-9*$@!|])[a-z](?:[ *]{1,3}[a-z0-9$@!|](?![a-z0-9$@!|])){3,}")
_GAP = re.compile(r"[ *]+")
#: A word with a digit-like between letters: "rev1ews", "g00gle", "am@zon".
_MIXED = re.compile(r"[a-z0-9$@!|]*[a-z][0-9$@!|]+[a-z][a-z0-9$@!|]*")
#: A word of letters with one digit (or "$") for its first or last letter: "googl3", "5tars", "review5". Read only
#: as a known term ("top5", "mp3", "3rd" stay as written).
_EDGE = re.compile(r"(?<![a-z0-9$@!|*])(?:[0-9$][a-z]{3,}|[a-z]{3,}[0-9$])(?![a-z0-9$@!|*])")
#: A word with masked letters: "r**views", "rev**ws".
_MASKED = re.compile(r"[a-z]+(?:\*+[a-z]+)+\**|[a-z]+\*+")
#: A star rating written with an asterisk: "5*", "4 *" (one digit 1-5 right before it, and no number or word
#: glued to either side: "5*3", "25*", "x5*", "price*" and "5 * 3" are no stars). Read as "5 star".
_STAR = re.compile(r"(?<![a-z0-9*$@!|%+])[1-5]( ?\*)(?![a-z0-9*])(?! *[0-9])")


def _shape_patterns() -> list[bytes]:
    """What ``repair_shape`` looks for in a padded shape (letters "a", digit-likes "0", "!" "1", the rest
    spaces). A "!" counts as a digit-like between letters ("rev!ews"), not at a word's end ("now!")."""
    patterns = [b"*", b"a0a", b"a00a", b"a000a", b"a0000"]  # a mask; digit-likes between letters
    for gaps in product((b" ", b"  ", b"   "), repeat=3):  # four single characters, one to three spaces apart
        for chars in product(b"a0", repeat=3):
            patterns.append(b" a" + b"".join(gap + bytes([c]) for gap, c in zip(gaps, chars, strict=True)) + b" ")
    patterns = sorted({bytes(v) for p in patterns
                       for v in product(*[b"01" if c == ord("0") else bytes([c]) for c in p])})
    return [*patterns, b" 0aaa", b"aaa0 "]  # a digit (or "$") for the first or last letter


_SHAPE_AUTOMATON = ahocorasick_rs.BytesAhoCorasick(_shape_patterns(), implementation=ahocorasick_rs.Implementation.DFA)


def repair_shape(data: bytes) -> bool:
    """True if the stage-one key (as bytes) may hold spaced-out, masked or digit-swapped words (most do not): a
    "*", a digit-like between letters or for a word's first or last letter, or four single characters one to
    three spaces apart. A superset of what ``_MASKED``, ``_MIXED``, ``_EDGE`` and ``_SPACED`` match, found in one
    automaton pass over the text's shape (``re`` and repeated substring searches are several times slower on these
    letter-dense shapes)."""
    shape = b" " + data.translate(_SHAPE) + b" "
    return bool(_SHAPE_AUTOMATON.find_matches_as_indexes(shape, overlapping=False))


def _beside_letter(word: str, index: int, step: int) -> bool:
    """Is there a letter on this side of ``index`` past any further digit-likes?"""
    j = index + step
    while 0 <= j < len(word) and word[j] in LEET:
        j += step
    return 0 <= j < len(word) and word[j].isalpha()


def unleet(word: str, vocabulary: Collection[str] = ()) -> str:
    """Swap digit-likes that sit between letters; prefer the reading that gives a known term."""
    swappable = [
        i for i, c in enumerate(word) if c in LEET and _beside_letter(word, i, -1) and _beside_letter(word, i, 1)
    ]
    first = list(word)
    for i in swappable:
        first[i] = LEET[word[i]]
    candidate = "".join(first)
    if not vocabulary or candidate in vocabulary:
        return candidate
    second = list(first)
    for i in swappable:
        second[i] = LEET_ALT.get(word[i], first[i])
    alternative = "".join(second)
    if alternative in vocabulary:
        return alternative
    everywhere = "".join(LEET.get(c, c) for c in word)  # at the edges of the word too: "m4p5" -> "maps"
    if everywhere in vocabulary:
        return everywhere
    guessed = _guess(word, vocabulary if isinstance(vocabulary, frozenset) else frozenset(vocabulary))
    return guessed if guessed is not None else candidate


@lru_cache(maxsize=4096)
def _guess(word: str, vocabulary: frozenset[str]) -> str | None:
    """The known term a word with every letter-like swapped reads as ("tr5stp1l0t" -> "trustpilot",
    "r3v13w5" -> "reviews"): each digit-like stands for one letter, whichever fits (the usual swaps first);
    at least three real letters."""
    if len(word) < 5 or sum(c not in LEET for c in word) < 3:
        return None
    initial = "" if word[0] in LEET else word[0]
    fits = [t for t in _known(vocabulary, initial, range(len(word), len(word) + 1))
            if all(c == letter or c in LEET for c, letter in zip(word, t, strict=True))]
    if not fits:
        return None

    def usual(term: str) -> int:  # how many swaps are the usual ones (LEET, LEET_ALT)
        return sum(c in LEET and t in (LEET[c], LEET_ALT.get(c)) for c, t in zip(word, term, strict=True))

    return min(fits, key=lambda t: (-usual(t), t))


@lru_cache(maxsize=4096)
def _mask_pattern(word: str) -> re.Pattern[str]:
    parts = re.split(r"(\*+)", word)
    return re.compile(
        "".join(f"[a-z]{{{max(1, len(p) - 1)},{len(p) + 1}}}" if p.startswith("*") else re.escape(p) for p in parts)
    )


def unmask(word: str, vocabulary: Collection[str]) -> str | None:
    """The longest known term that "r**views" can stand for, if at least three letters are visible."""
    if sum(c.isalpha() for c in word) < 3:
        return None
    letters = sum(c != "*" for c in word)
    masks = [len(run) for run in re.findall(r"\*+", word)]
    shortest, longest = letters + sum(max(1, n - 1) for n in masks), letters + sum(n + 1 for n in masks)
    head, tail = word.split("*", 1)[0], word.rsplit("*", 1)[1]
    candidates = [t for t in _known(vocabulary, word[0], range(shortest, longest + 1))
                  if t.startswith(head) and t.endswith(tail)]  # cheap tests first: most words have none
    matches = [t for t in candidates if _mask_pattern(word).fullmatch(t)]
    return max(sorted(matches), key=len) if matches else None  # sorted: ties resolve the same in every run


def _known(vocabulary: Collection[str], initial: str, lengths: range) -> list[str]:
    """The known terms of these lengths that start with ``initial`` (any start, if it is no letter)."""
    if not isinstance(vocabulary, frozenset):
        vocabulary = frozenset(vocabulary)
    index = _by_initial_and_length(vocabulary)
    first = initial if initial.isalpha() else ""
    return [t for length in lengths for t in index.get((first, length), ())]


@lru_cache(maxsize=8)
def _by_initial_and_length(vocabulary: frozenset[str]) -> dict[tuple[str, int], list[str]]:
    """The terms by first letter and length, and by length alone (first ""): a disguised word whose first
    letter and length are known is only compared with the few terms that share them."""
    out: dict[tuple[str, int], list[str]] = {}
    for term in sorted(vocabulary):
        out.setdefault((term[:1], len(term)), []).append(term)
        out.setdefault(("", len(term)), []).append(term)
    return out


@dataclass(frozen=True)
class Piece:
    """One repaired stretch: ``key[start:end]`` replaces ``folded[source_start:source_end]``."""

    start: int
    end: int
    source_start: int
    source_end: int


def _spaced_words(match: re.Match[str]) -> list[tuple[int, int]]:
    """Split spaced-out letters into words where the gap is wider than between letters: "g o o g l e   r e v"."""
    gaps = list(_GAP.finditer(match.group()))
    narrow = min(len(g.group()) for g in gaps)
    words, start = [], match.start()
    for gap in gaps:
        if len(gap.group()) > narrow:
            words.append((start, match.start() + gap.start()))
            start = match.start() + gap.end()
    words.append((start, match.end()))
    return words


def repair(folded: str, vocabulary: Collection[str],
           written: Callable[[int, int], bool] | None = None) -> tuple[str, list[Piece]]:
    """The folded text with its disguised words undone, and the pieces that map the repairs back. ``written``:
    whether the folded stretch ``[start, end)`` may be repaired at all (the reading of Han or kana, "口コミ500件"
    folded to "koukomi500jian", holds no disguised Latin word)."""
    edits = _edits(folded, vocabulary)
    if written is not None:
        edits = [edit for edit in edits if written(edit[0], edit[1])]
    return _apply(folded, edits)


def _edits(folded: str, vocabulary: Collection[str]) -> list[tuple[int, int, str]]:
    """(start, end, word) of every repair, in text order: spaced-out words first, then masked and mixed words
    where no earlier repair already is."""
    edits = [edit for match in _SPACED.finditer(folded) for start, end in _spaced_words(match)
             for edit in _spaced_edits(folded, start, end, vocabulary)]
    if "*" in folded:
        taken = _Taken(edits)
        resolved: dict[str, str | None] = {}  # a hostile text repeats its masked words
        for match in _MASKED.finditer(folded):
            word = match.group()
            if word not in resolved:
                resolved[word] = unmask(word, vocabulary)
            if resolved[word] is not None and taken.free(match.start(), match.end()):
                edits.append((match.start(), match.end(), resolved[word] or ""))
        edits.sort()
        taken = _Taken(edits)
        edits += [(m.start(1), m.end(1), " star") for m in _STAR.finditer(folded) if taken.free(m.start(1), m.end(1))]
        edits.sort()
    taken = _Taken(edits)
    edits += [edit for m in _MIXED.finditer(folded) if taken.free(m.start(), m.end())
              for edit in _mixed_edits(m.start(), unleet(m.group(), vocabulary), vocabulary)]
    if vocabulary:
        edits.sort()
        taken = _Taken(edits)
        edits += [(m.start(), m.end(), word) for m in _EDGE.finditer(folded)
                  if (word := _edge_word(m.group(), vocabulary)) is not None and taken.free(m.start(), m.end())]
    return sorted(edits)


def _mixed_edits(start: int, reading: str, vocabulary: Collection[str]) -> list[tuple[int, int, str]]:
    """The repair of a digit-swapped word (one letter for one): whole, or, when it reads as no known term but
    cuts into known words ("buy5tarr3views" -> buy|star|reviews), one repair per word, so that each quotes its
    own letters as written."""
    if vocabulary and reading not in vocabulary and len(reading) <= _SEGMENT_MAX:
        reading = _last_letter(reading, vocabulary)
        if reading in vocabulary:
            return [(start, start + len(reading), reading)]
        words = segment(reading, vocabulary)
        if len(words) >= 2:
            return [(start + i, start + j, reading[i:j]) for i, j in words]
    return [(start, start + len(reading), reading)]


def _last_letter(reading: str, vocabulary: Collection[str]) -> str:
    """A digit-swapped run whose last character is a digit-like too ("g00gl3r3v13w5": "googlereview5", unswapped
    for want of a letter after it): that one read as a letter when the run then is a known term or cuts into
    known words ending with it ("google|reviews"); a count stays ("buy|reviews|50" keeps "50": two digits)."""
    last = reading[-1:]
    if last not in LEET or len(reading) < 2 or not reading[-2].isalpha():
        return reading
    for letter in (LEET[last], LEET_ALT.get(last)):
        if letter is None:
            continue
        swapped = reading[:-1] + letter
        if swapped in vocabulary:
            return swapped
        words = segment(swapped, vocabulary)
        if len(words) >= 2 and words[-1][1] - words[-1][0] > 1:
            return swapped
    return reading


def _edge_word(word: str, vocabulary: Collection[str]) -> str | None:
    """The known term a word with a digit for its first or last letter reads as, if any ("googl3")."""
    edge = -1 if word[0].isalpha() else 0
    if word[edge] not in LEET:
        return None
    for letter in (LEET[word[edge]], LEET_ALT.get(word[edge])):
        if letter is not None:
            reading = letter + word[1:] if edge == 0 else word[:-1] + letter
            if reading in vocabulary:
                return reading
    return None


def _spaced_edits(folded: str, start: int, end: int, vocabulary: Collection[str]) -> list[tuple[int, int, str]]:
    """The repair of one spaced-out word: its letters joined ("r e v 1 e w s" -> "reviews"), or, when they join
    into no known term but split into known ones ("y e l p r a t i n g s"), one repair per word found."""
    letters = [i for i in range(start, end) if folded[i] not in " *"]
    joined = "".join(folded[i] for i in letters)
    reading = unleet(joined, vocabulary) if _MIXED.fullmatch(joined) else joined  # (one letter for one)
    if not vocabulary or reading in vocabulary or len(reading) > _SEGMENT_MAX:
        return [(start, end, reading)]
    words = segment(reading, vocabulary)
    if len(words) < 2:
        return [(start, end, reading)]
    return [(letters[i], letters[j - 1] + 1, reading[i:j]) for i, j in words]


#: Spaced-out runs longer than this are joined whole, not split into words (the split is quadratic-ish).
_SEGMENT_MAX = 60
#: The longest word a split looks for.
_WORD_MAX = 24


def segment(text: str, vocabulary: Collection[str]) -> list[tuple[int, int]]:
    """``text`` cut into the fewest known words of two characters or more, or numbers (of any length: "5" in
    "5starreviews"), as (start, end) pairs; [] when it cannot be cut that way."""
    best: list[list[tuple[int, int]] | None] = [[]] + [None] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - _WORD_MAX), end):
            before = best[start]
            piece = text[start:end]
            known = before is not None and (piece.isdigit() or (end - start > 1 and piece in vocabulary))
            if known and before is not None and (best[end] is None or len(before) + 1 < len(best[end] or ())):
                best[end] = [*before, (start, end)]
    return best[-1] or []


class _Taken:
    """Stretches already repaired (in order, none overlapping): does a new one overlap any? By bisection."""

    def __init__(self, edits: list[tuple[int, int, str]]) -> None:
        self.starts = [start for start, _, _ in edits]
        self.ends = [end for _, end, _ in edits]

    def free(self, start: int, end: int) -> bool:
        before = bisect_left(self.starts, end)  # the stretches that start before ``end``; the last ends latest
        return before == 0 or self.ends[before - 1] <= start


def _apply(folded: str, edits: list[tuple[int, int, str]]) -> tuple[str, list[Piece]]:
    out: list[str] = []
    pieces: list[Piece] = []
    position = length = 0
    for start, end, text in edits:
        out.append(folded[position:start])
        length += start - position
        out.append(text)
        pieces.append(Piece(length, length + len(text), start, end))
        length += len(text)
        position = end
    out.append(folded[position:])
    return "".join(out), pieces




#: Latin letters and digits that look like a Cyrillic or Greek letter, as they read inside a word of that script
#: ("oтзывы" with a Latin o, "Авит0", "oтзыв3" in the casefolded native key).
_LOOKS_CYRILLIC = dict(zip("aeopcxykmthbinur036", "аеорсхукмтнвіпиг0зб", strict=True))
_LOOKS_CYRILLIC["0"] = "о"
_LOOKS_GREEK = dict(zip("aeoiktnuxyvp0", "αεοικτηυχγνρο", strict=True))
#: A native-key word where a Latin letter or digit touches a letter of another script, and a run of four or
#: more single letters one to three spaces apart ("о т з ы в ы", "п.р.о.д.а.ю" after the fold).
_TOUCH = re.compile(r"[a-z0-9](?=[^\W\d_a-z])|[^\W\d_a-z](?=[a-z0-9])")
_LATIN_RUN = re.compile(r"[a-z0-9]{3}")
_SPACED_NATIVE = re.compile(r"(?<![^\W_])[^\W\d_](?: {1,3}[^\W\d_](?![^\W_])){3,}")


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return "cyrillic" if name.startswith("CYRILLIC") else "greek" if name.startswith("GREEK") else ""


def _spelt_script(char: str) -> bool:
    """A letter of an alphabet whose words are spelt out to disguise them ("о т з ы в ы", "ت ق ي ي م ا ت"); not
    Han, kana, Hangul or Thai (written without spaces) nor Indic scripts (whose vowel signs the native key turns
    into spaces, leaving single letters that are no disguise)."""
    return unicodedata.name(char, "").startswith(("CYRILLIC", "GREEK", "ARABIC", "HEBREW", "ARMENIAN", "GEORGIAN"))


def _native_word(word: str) -> str | None:
    """A Cyrillic or Greek word with Latin look-alikes or digits in it, in its own script ("0тзывы" ->
    "отзывы"); None if it is no such word (Latin letters or digits at most two in a row; a digit only where it stands
    alone between or beside letters, so "100отзывов" keeps its count)."""
    scripts = [_script(c) for c in word if not c.isascii()]
    if len(scripts) < 2 or len(set(scripts)) != 1 or not scripts[0]:
        return None
    if _LATIN_RUN.search(word):
        return None  # a Latin word glued to a native one ("SEOпродвижение", "iPhoneов"): no look-alikes
    swaps = _LOOKS_CYRILLIC if scripts[0] == "cyrillic" else _LOOKS_GREEK
    out = []
    for i, char in enumerate(word):
        if char.isdigit():
            alone = not (i and word[i - 1].isdigit()) and not (i + 1 < len(word) and word[i + 1].isdigit())
            if not alone or char not in swaps or (char != "0" and not (0 < i < len(word) - 1)):
                return None
        out.append(swaps.get(char, char) if char.isascii() else char)
    return "".join(out)


def _written_words(match: re.Match[str], written: str) -> list[tuple[int, int]]:
    """Split letters spelt out with marks into words where the text as written has a space between them and not
    between letters ("п.р.о.д.а.ю о.т.з.ы.в.ы"); ``written`` is the text, one character per key character."""
    gaps = list(_GAP.finditer(match.group()))
    spaced = [any(c.isspace() for c in written[match.start() + g.start() : match.start() + g.end()]) for g in gaps]
    if all(spaced) or not any(spaced):
        return _spaced_words(match)
    words, start = [], match.start()
    for gap, space in zip(gaps, spaced, strict=True):
        if space:
            words.append((start, match.start() + gap.start()))
            start = match.start() + gap.end()
    words.append((start, match.end()))
    return words


def repair_native(text: str, written: str | None = None) -> tuple[str, list[Piece]]:
    """The native key with its disguised Cyrillic or Greek words undone: Latin look-alikes and digits inside
    them read in their script, and letters spelt out one by one joined (only letters of the alphabets in
    ``_spelt_script``, and not Latin ones alone: the ascii key already joins those). ``written``: the text
    as written when it folded one character for one (its spaces tell words spelt out with marks apart)."""
    edits: list[tuple[int, int, str]] = []
    for match in _SPACED_NATIVE.finditer(text):
        for start, end in (_written_words(match, written) if written is not None else _spaced_words(match)):
            letters = text[start:end].replace(" ", "")
            if all(c.isascii() or _spelt_script(c) for c in letters) and not letters.isascii():
                edits.append((start, end, _native_word(letters) or letters))
    taken, seen = _Taken(sorted(edits)), -1
    for touch in _TOUCH.finditer(text):  # a Latin letter or digit touching another script: read its whole word
        if touch.start() < seen:
            continue
        start = end = touch.start()
        while start and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        seen = end
        if taken.free(start, end) and (word := _native_word(text[start:end])) is not None:
            edits.append((start, end, word))
    return _apply(text, sorted(edits)) if edits else (text, [])
