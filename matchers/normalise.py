"""Turn hostile listing text into match keys, keeping a map back to the text as written.

Sellers disguise what they sell: homoglyphs ("Аmazon" with a Cyrillic А), zero-width characters, accents,
letters spaced out ("r e v i e w s"), masked ("r**views") or swapped for digits ("rev1ews"). Matching runs on a
*key* where those disguises are undone, and every key character maps back to the original string, so a reason
always quotes the text exactly as the seller wrote it. The input string is never altered.

Two keys exist:

- the **ascii key**: NFKC, casefold, format characters and marks dropped, visual homoglyphs mapped to the Latin
  letter they imitate, everything else transliterated with ``anyascii``, punctuation turned into spaces, then
  the disguises repaired;
- the **native key** (only for text with non-Latin letters): NFKC + casefold + marks stripped, script kept, so
  native-script terms ("отзывы") match as written rather than as a transliteration ("otzyvy").

Both are built with ``translate`` over a per-character table (one C pass; the table for non-ASCII characters
fills itself on first use). The offset map back to the original is only computed when a reason needs it.
"""

from __future__ import annotations

import codecs
import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import Any

import ahocorasick_rs
from anyascii import anyascii

#: Characters kept in the ascii key: stand-ins for letters ("rev1ews", "am@zon"), "*" masking letters, and
#: "%" / "+" so that "100% real" and "30+" stay one phrase. Every other punctuation mark becomes a space.
KEEP = "$@!|*%+"
#: Symbols that mean a rating star ("5⭐", "★★★★★"); every other symbol or emoji becomes a space.
STARS = "⭐★☆✩✪✫✬✭✮✯✰🌟✴"
#: Digit/symbol-for-letter swaps, applied only between letters inside one word (never to "5 star").
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i", "|": "l"}
#: Second readings, tried when the first one does not give a known term ("goog1e" -> "google").
LEET_ALT = {"1": "l", "|": "i"}

#: Visual homoglyphs that anyascii would transliterate by sound (Cyrillic "с" -> "s"), mapped by looks instead.
#: Whole native-script words are matched on the native key, so this only has to serve disguised Latin words.
HOMOGLYPHS = dict(
    zip(
        "АВЕКМНОРСТХУІЈЅԚԜаеорсухіјѕԁһԛԝӏкмтнвΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοριυνκτχεօոս",
        "abekmhopctxyijsqwaeopcyxijsdhqwlkmthbabezhikmnoptyxaopiuvktxeonu",
        strict=True,
    )
)

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_DROP = {"Cf", "Mn", "Me", "Cc", "Cs", "Co", "Cn"}


def _punct_to_space(text: str) -> str:
    return "".join(c if c.isalnum() or c in KEEP else " " for c in text)


def _ascii_fold(char: str) -> str:
    if char in HOMOGLYPHS:
        return HOMOGLYPHS[char]
    if char.isspace():
        return " "
    if unicodedata.category(char) in _DROP:
        return ""
    if char in STARS:
        return " star"
    folded = unicodedata.normalize("NFKC", char).casefold()
    if folded.isascii():
        return _punct_to_space(folded)
    if unicodedata.category(char)[0] in "SP":
        return " "
    return _punct_to_space(anyascii(folded).lower())


def _native_fold(char: str) -> str:
    if char.isspace():
        return " "
    if unicodedata.category(char) in _DROP:
        return ""
    if unicodedata.category(char)[0] in "SP":
        return " "
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", char).casefold())
    return "".join(c if c.isalnum() else " " for c in folded if unicodedata.category(c) != "Mn")


def _non_latin_letter(char: str) -> str | None:
    return char if char.isalpha() and not unicodedata.name(char, "LATIN").startswith("LATIN") else None


class _LazyTable(dict):
    """A ``str.translate`` table that computes each character's replacement on first use and keeps it."""

    def __init__(self, fold: Callable[[str], str | None]) -> None:
        super().__init__()
        self.fold = fold

    def __missing__(self, code: int) -> str | None:
        value = self.fold(chr(code))
        self[code] = value
        return value


ASCII_TABLE = _LazyTable(_ascii_fold)
NATIVE_TABLE = _LazyTable(_native_fold)
_NON_LATIN = _LazyTable(_non_latin_letter)
#: The same fold as ASCII_TABLE for ASCII input, as a bytes table (several times faster).
_ASCII_BYTES = bytes(
    (c + 32 if 65 <= c <= 90 else c if chr(c).isalnum() or chr(c) in KEEP else 32) if c < 128 else 32
    for c in range(256)
)


#: What a fold's run of non-ASCII characters can tell (bits of ``_FoldNotes.seen``).
_UNEVEN = 1  # some character folded to other than exactly one character (offsets need a map)
_NON_LATIN_LETTER = 2  # some letter outside the Latin script (a native key is worth building)


class _FoldNotes(threading.local):
    """What the encoder's error handler saw in the current fold on this thread (``_UNEVEN``,
    ``_NON_LATIN_LETTER`` bits; written only when a run has one, which few do)."""

    seen = 0


_NOTES = _FoldNotes()


#: Folded runs of non-ASCII characters ("’", "😊", "✅") and their bits: the same few recur in most listings.
_RUNS: dict[str, tuple[str, int]] = {}
_RUNS_MAX = 50_000


def _fold_chars(run: str) -> tuple[str, int]:
    parts = [ASCII_TABLE[ord(c)] for c in run]
    uneven = any(len(p) != 1 for p in parts)
    non_latin = any(_NON_LATIN[ord(c)] for c in run)
    return "".join(parts), (_UNEVEN if uneven else 0) | (_NON_LATIN_LETTER if non_latin else 0)


def run_result(memo: dict[str, Any], error: UnicodeError, compute: Callable[[str], Any]) -> Any:
    """What ``compute`` gives for the run of non-ASCII characters an encoder error handler was called for,
    kept in ``memo`` (the same few runs recur in most listings; a full memo starts again)."""
    run = error.object[error.start : error.end]  # type: ignore[attr-defined]  # a UnicodeEncodeError
    known = memo.get(run)
    if known is None:
        if len(memo) >= _RUNS_MAX:
            memo.clear()
        known = memo[run] = compute(run)
    return known


def _fold_run(error: UnicodeError) -> tuple[str, int]:
    """Encoder error handler: fold one run of non-ASCII characters (the ASCII around it stays in C)."""
    folded: tuple[str, int] = run_result(_RUNS, error, _fold_chars)
    if folded[1]:
        _NOTES.seen |= folded[1]
    return folded[0], error.end  # type: ignore[attr-defined]


codecs.register_error("gigscan.fold", _fold_run)


class Folded:
    """Stage one of the ascii key of a text, and what the fold saw."""

    __slots__ = ("text", "data", "uneven", "non_latin", "repair")

    def __init__(self, text: str, data: bytes, uneven: bool, non_latin: bool, repair: bool) -> None:
        self.text = text
        #: The same key as ASCII bytes: byte automata and the shape test work on it without another encode.
        self.data = data
        #: Some character folded to other than exactly one character (offsets back to the text need a map).
        self.uneven = uneven
        #: Some letter outside the Latin script (a native key is worth building).
        self.non_latin = non_latin
        #: The key may hold spaced-out, masked or digit-swapped words (see ``_repair_shape``).
        self.repair = repair


def fold(text: str) -> Folded:
    """Stage one of the ascii key, by ASCII-encoding with a folding error handler and then one bytes-table
    pass: the per-character Python work is limited to the non-ASCII characters."""
    if text.isascii():
        data = text.encode("ascii").translate(_ASCII_BYTES)
        return Folded(data.decode("ascii"), data, False, False, _repair_shape(data))
    notes = _NOTES
    notes.seen = 0
    data = text.encode("ascii", "gigscan.fold").translate(_ASCII_BYTES)
    seen = notes.seen
    return Folded(data.decode("ascii"), data, bool(seen & _UNEVEN), bool(seen & _NON_LATIN_LETTER),
                  _repair_shape(data))


def fold_ascii(text: str) -> str:
    """Stage one of the ascii key (no disguise repair); also how the ruleset's own terms are folded."""
    return fold(text).text


def fold_native(text: str) -> str:
    return text.translate(NATIVE_TABLE)


def has_non_latin_letters(text: str) -> bool:
    return fold(text).non_latin


# ---------------------------------------------------------------------------------------------------------
# Stage two: disguise repair. A byte-level "shape" test decides whether the (slower) regexes run at all.

_SHAPE = bytes(
    ord("a") if chr(c).isalpha() and c < 128 else ord("0") if chr(c) in "0123456789$@!|" else
    ord("*") if c == ord("*") else 32
    for c in range(256)
)
#: Four or more single characters separated by spaces or asterisks: "r e v i e w s", "r.e.v.i", "r*e*v*i"
#: (three would also join "I'm a" -> "i m a").
_SPACED = re.compile(r"(?<![a-z0-9*$@!|])[a-z](?:[ *]{1,3}[a-z0-9$@!|](?![a-z0-9$@!|])){3,}")
_GAP = re.compile(r"[ *]+")
#: A word with a digit-like between letters: "rev1ews", "g00gle", "am@zon".
_MIXED = re.compile(r"[a-z0-9$@!|]*[a-z][0-9$@!|]+[a-z][a-z0-9$@!|]*")
#: A word with masked letters: "r**views", "rev**ws".
_MASKED = re.compile(r"[a-z]+(?:\*+[a-z]+)+\**|[a-z]+\*+")


def _shape_patterns() -> list[bytes]:
    """What ``_repair_shape`` looks for in a padded shape (letters "a", digit-likes "0", the rest spaces)."""
    patterns = [b"*", b"a0a", b"a00a", b"a000a", b"a0000"]  # a mask; digit-likes between letters
    for gaps in product((b" ", b"  ", b"   "), repeat=3):  # four single characters, one to three spaces apart
        for chars in product(b"a0", repeat=3):
            patterns.append(b" a" + b"".join(gap + bytes([char]) for gap, char in zip(gaps, chars, strict=True)) + b" ")
    return patterns


_SHAPE_AUTOMATON = ahocorasick_rs.BytesAhoCorasick(_shape_patterns(), implementation=ahocorasick_rs.Implementation.DFA)


def _repair_shape(data: bytes) -> bool:
    """True if the stage-one key (as bytes) may hold spaced-out, masked or digit-swapped words (most do not): a
    "*", a digit-like between letters, or four single characters one to three spaces apart. A superset of
    what ``_MASKED``, ``_MIXED`` and ``_SPACED`` match, found in one automaton pass over the text's shape (``re``
    and repeated substring searches are several times slower on these letter-dense shapes)."""
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
    return alternative if alternative in vocabulary else candidate


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
    pattern = _mask_pattern(word)
    matches = [t for t in vocabulary if pattern.fullmatch(t)]
    return max(sorted(matches), key=len) if matches else None  # sorted: ties resolve the same in every run


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


def _edits(folded: str, vocabulary: Collection[str]) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e, _ in edits)

    for match in _SPACED.finditer(folded):
        for start, end in _spaced_words(match):
            joined = re.sub(r"[ *]+", "", folded[start:end])
            edits.append((start, end, unleet(joined, vocabulary) if _MIXED.fullmatch(joined) else joined))
    if "*" in folded:
        for match in _MASKED.finditer(folded):
            resolved = unmask(match.group(), vocabulary)
            if resolved is not None and free(match.start(), match.end()):
                edits.append((match.start(), match.end(), resolved))
    for match in _MIXED.finditer(folded):
        if free(match.start(), match.end()):
            edits.append((match.start(), match.end(), unleet(match.group(), vocabulary)))
    return sorted(edits)


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


# ---------------------------------------------------------------------------------------------------------


class MatchKey:
    """The key for one original string, with the map from key offsets back to original offsets.

    ``table`` is the per-character fold that made stage one (None when it was one character for one);
    ``pieces`` are the stage-two repairs.
    """

    __slots__ = ("original", "text", "table", "pieces", "_origin", "_starts", "identity", "non_latin", "_data")

    def __init__(self, original: str, text: str, table: dict | None = None, pieces: list[Piece] | None = None) -> None:
        self.original = original
        self.text = text
        self.table = table
        self.pieces: list[Piece] = pieces if pieces is not None else []
        self._origin: list[int] | None = None
        self._starts = [p.start for p in self.pieces]
        self.identity = table is None and not self.pieces
        self.non_latin = False
        self._data: bytes | None = None

    def __repr__(self) -> str:
        return f"MatchKey(original={self.original!r}, text={self.text!r})"

    @property
    def data(self) -> bytes:
        """The ascii key as bytes, for byte automata (a native key has none: its byte offsets would not be
        character offsets, so asking fails loudly)."""
        if self._data is None:
            self._data = self.text.encode("ascii")
        return self._data

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` for key ``[start, end)``, widened to whole characters as written."""
        if end <= start:
            raise ValueError("empty key span")
        first, last = self._unrepair(start, True), self._unrepair(end, False)
        if self.table is None:
            return first, last
        origin = self._origin_map()
        return origin[first], origin[last - 1] + 1

    def quote(self, start: int, end: int) -> tuple[str, int, int]:
        """The original text for a key span, exactly as written, with its offsets."""
        s, e = self.span(start, end)
        return self.original[s:e], s, e

    def _unrepair(self, position: int, is_start: bool) -> int:
        index = bisect_right(self._starts, position if is_start else position - 1) - 1
        if index < 0:
            return position
        piece = self.pieces[index]
        if position < piece.end or (not is_start and position == piece.end):
            return piece.source_start if is_start else piece.source_end
        return position - piece.end + piece.source_end

    def _origin_map(self) -> list[int]:
        if self._origin is None:
            table = self.table
            assert table is not None
            # ASCII characters fold one for one, so only the non-ASCII ones need a look (few, in real text).
            origin: list[int] = []
            position = 0
            for match in _NON_ASCII.finditer(self.original):
                index = match.start()
                origin.extend(range(position, index))
                origin.extend([index] * len(table[ord(match.group())] or ""))
                position = index + 1
            origin.extend(range(position, len(self.original)))
            self._origin = origin
        return self._origin


def normalise(text: str, vocabulary: Collection[str] = ()) -> MatchKey:
    """The ascii match key of ``text``; ``vocabulary`` (known single-word terms) helps undo disguises."""
    return normalise_folded(text, fold(text), vocabulary)


def normalise_folded(text: str, folded: Folded, vocabulary: Collection[str] = ()) -> MatchKey:
    """``normalise`` for a text already folded with ``fold`` (the scanner folds once and reuses it)."""
    table = ASCII_TABLE if folded.uneven else None  # offsets need a map only if some character changed length
    if folded.repair:
        repaired, pieces = _apply(folded.text, _edits(folded.text, vocabulary))
        key = MatchKey(text, repaired, table, pieces)
    else:
        key = MatchKey(text, folded.text, table)
        key._data = folded.data
    key.non_latin = folded.non_latin
    return key


def native_key(text: str, ascii_key: MatchKey | None = None) -> MatchKey | None:
    """The native-script key of ``text``, or None when it has no letters outside the Latin script."""
    if not (ascii_key.non_latin if ascii_key is not None else has_non_latin_letters(text)):
        return None
    uneven = any(len(NATIVE_TABLE[ord(c)] or "") != 1 for c in set(text) if c > "\x7f")
    return MatchKey(text, fold_native(text), NATIVE_TABLE if uneven else None)
