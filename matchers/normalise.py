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
from typing import Any

from anyascii import anyascii

from .repair import Piece, repair, repair_native, repair_shape

#: Characters kept in the ascii key: stand-ins for letters ("rev1ews", "am@zon"), "*" masking letters, and
#: "%" / "+" so that "100% real" and "30+" stay one phrase. Every other punctuation mark becomes a space.
KEEP = "$@!|*%+"
#: Symbols that mean a rating star ("5⭐", "★★★★★"); every other symbol or emoji becomes a space.
STARS = "⭐★☆✩✪✫✬✭✮✯✰🌟✴"

#: Visual homoglyphs that anyascii would transliterate by sound (Cyrillic "с" -> "s"), mapped by looks instead.
#: Whole native-script words are matched on the native key, so this only has to serve disguised Latin words.
HOMOGLYPHS = dict(
    zip(
        "АВЕКМНОРСТХУІЈЅԚԜаеорсухіјѕԁһԛԝӏкмтнвΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοριυνκτχεօոս",
        "abekmhopctxyijsqwaeopcyxijsdhqwlkmthbabezhikmnoptyxaopiuvktxeonu",
        strict=True,
    )
)

#: Marks written inside a word to cut it without a space ("re·vi·ews", "Goo‧gle"): dropped, so the word reads
#: whole (Catalan "paral·lel" too). Between spaced words ("Design · Logo") they leave the spaces around them.
INWORD = {"·": "", "‧": "", "∙": "", "⋅": "", "∞": "oo"}  # and "G∞gle": the sign looks like the two letters

#: Letters in negative circles and squares ("🅡🅔🅥🅘🅔🅦🅢", "🆁🅴🆅"): symbols with no decomposition, read as the
#: letters they show (the plain circled and squared ones decompose under NFKC).
ENCLOSED = {chr(base + i): chr(ord("a") + i) for base in (0x1F150, 0x1F170) for i in range(26)}

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
    if char in ENCLOSED:
        return ENCLOSED[char]
    if char in INWORD:
        return INWORD[char]
    folded = unicodedata.normalize("NFKC", char).casefold()
    if folded.isascii():
        return _punct_to_space(folded)
    if unicodedata.category(char)[0] in "SP":
        return " "
    return _punct_to_space(anyascii(folded).lower())


def _native_fold(char: str) -> str:
    if char.isspace():
        return " "
    if _vowel_marked(char) and unicodedata.category(char) in _KEPT_AS_WRITTEN:
        return char  # (its vowel signs kept: see _vowel_marked)
    if unicodedata.category(char) in _DROP:
        return ""
    if unicodedata.category(char)[0] in "SP":
        return " "
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", char).casefold())
    # a spacing vowel sign (Mc: Devanagari "ि", Bengali "া", Tamil "ா") belongs to its word: read as a space it
    # cut "রিভিউ" into three words and every window in Indic text ran short
    return "".join(c if c.isalnum() or unicodedata.category(c) == "Mc" else " " for c in folded
                   if unicodedata.category(c) != "Mn")


#: What a letter of those scripts is kept as written for: letters, vowel signs, digits (not their punctuation).
_KEPT_AS_WRITTEN = frozenset(("Lo", "Mn", "Mc", "Nd"))


def _vowel_marked(char: str) -> bool:
    """A letter or sign of Thai, Lao, Khmer or Burmese: scripts written without spaces whose vowels are mostly
    non-spacing marks. The native key keeps them as written: without them "รีวิว" (review) keyed as its consonants
    "รวว", and a term was found inside any word of the same consonants in a run of letters (Burmese "အတု", fake,
    inside "အတွက်", for; Khmer "មតិ", opinion, inside "សមត្ថភាព", capability)."""
    code = ord(char)
    return 0x0E01 <= code <= 0x0EFF or 0x1000 <= code <= 0x109F or 0x1780 <= code <= 0x17FF


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
        #: The key may hold spaced-out, masked or digit-swapped words (see ``repair.repair_shape``).
        self.repair = repair


def fold(text: str) -> Folded:
    """Stage one of the ascii key, by ASCII-encoding with a folding error handler and then one bytes-table
    pass: the per-character Python work is limited to the non-ASCII characters."""
    if text.isascii():
        data = text.encode("ascii").translate(_ASCII_BYTES)
        return Folded(data.decode("ascii"), data, False, False, repair_shape(data))
    notes = _NOTES
    notes.seen = 0
    data = text.encode("ascii", "gigscan.fold").translate(_ASCII_BYTES)
    seen = notes.seen
    return Folded(data.decode("ascii"), data, bool(seen & _UNEVEN), bool(seen & _NON_LATIN_LETTER),
                  repair_shape(data))


def fold_ascii(text: str) -> str:
    """Stage one of the ascii key (no disguise repair); also how the ruleset's own terms are folded."""
    return fold(text).text


def fold_native(text: str) -> str:
    return text.translate(NATIVE_TABLE)


def has_non_latin_letters(text: str) -> bool:
    return fold(text).non_latin


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
        latin = _latin_stretch(text, folded) if folded.non_latin and folded.uneven else None
        repaired, pieces = repair(folded.text, vocabulary, latin)
        key = MatchKey(text, repaired, table, pieces)
    else:
        key = MatchKey(text, folded.text, table)
        key._data = folded.data
    key.non_latin = folded.non_latin
    return key


def unspaced_letter(char: str) -> bool:
    """A character of a script written without spaces between words (Han, kana, Thai, Lao, Khmer, Burmese) or with
    particles glued to words (Hangul): a term in it may start or end inside a run of letters ("口コミを書きます",
    "리뷰를", Khmer "លក់ការវាយតម្លៃ": sell reviews, Burmese "ရီဗျူးရောင်းသည်": sells reviews)."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0x1100 <= code <= 0x11FF  # Hangul jamo
        or 0x3130 <= code <= 0x318F  # Hangul compatibility jamo
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x31F0 <= code <= 0x31FF  # katakana phonetic extensions
        or 0x0E01 <= code <= 0x0E5B  # Thai (written without spaces between words: "รับรีวิว")
        or 0x0E80 <= code <= 0x0EFF  # Lao
        or 0x1780 <= code <= 0x17FF  # Khmer (spaces part phrases, not words)
        or 0x1000 <= code <= 0x109F  # Myanmar (Burmese)
    )


def _latin_stretch(text: str, folded: Folded) -> Callable[[int, int], bool]:
    """Whether a stretch of the stage-one key comes from no Han, kana or Hangul letter: only there are disguised
    words repaired ("口コミ500件" reads as "koukomi500jian", whose "500" is a count, not leet)."""
    key = MatchKey(text, folded.text, ASCII_TABLE)

    def latin(start: int, end: int) -> bool:
        first, last = key.span(start, end)
        return not any(unspaced_letter(c) for c in text[first:last])

    return latin


def native_key(text: str, ascii_key: MatchKey | None = None) -> MatchKey | None:
    """The native-script key of ``text``, or None when it has no letters outside the Latin script."""
    if not (ascii_key.non_latin if ascii_key is not None else has_non_latin_letters(text)):
        return None
    uneven = any(len(NATIVE_TABLE[ord(c)] or "") != 1 for c in set(text) if c > "\x7f")
    repaired, pieces = repair_native(fold_native(text), None if uneven else text)
    return MatchKey(text, repaired, NATIVE_TABLE if uneven else None, pieces)
