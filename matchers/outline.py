"""Where sentences, clauses and words begin and end in a text as written, read off its outline.

Rules weigh how far apart two terms are: in words, and never across the end of a sentence (or, for phrases,
of a clause). Asking a regular expression about every gap is slow; so each field is outlined once, one byte
per character with offsets unchanged ("a" a letter or digit, " " a space, the marks as ``MARKS`` says, "#" the
rest), and every gap is then answered with a few C substring searches over that outline. The outline answers
exactly what ``[^\\W_]`` and ``\\s`` answer on the text itself (tested against them).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from bisect import bisect_right

from .normalise import run_result

#: Outline bytes for the characters that are neither word characters ("a"), spaces (" ") nor the rest ("#").
#: Line breaks stay themselves: they are spaces that also end a sentence.
MARKS = {"\n": "\n", "\r": "\r", ".": ".", "!": ".", "?": ".", "•": "|", "|": "|", "✅": "|", "✔": "|",
         "-": "-", "–": "-", "—": "-", "_": "_"} | dict.fromkeys(",;:()[]{}<>\"“”«»", ",")
#: Chinese and Japanese end a sentence with "。", "！", "？" and write no space after it (the next sentence starts
#: right after the mark), and mark clauses with "，", "、", "；", "：" and their brackets and quotes: the same
#: breaks as the ASCII marks (a paragraph is not one sentence, nor a list "A、B、C" one clause).
CJK_SENTENCE_MARKS = "。｡！？"
CJK_CLAUSE_MARKS = "，、；：（）「」『』【】《》〈〉"
MARKS |= dict.fromkeys(CJK_SENTENCE_MARKS, "|") | dict.fromkeys(CJK_CLAUSE_MARKS, ",")
#: The marks that end a sentence in other scripts, and only there (so whatever follows them): Urdu "۔", Ethiopic
#: "።" and its question mark "፧", the Devanagari and Bengali danda "।" and double danda "॥", Armenian "։",
#: Myanmar "။", Arabic "؟". Read as ``#`` (no break), a Hindi or Amharic page was one sentence. (Thai writes no
#: end mark; Ethiopic's word separator "፡" is no word character, so it already parts words.)
SCRIPT_SENTENCE_MARKS = "۔።፧।॥։။؟"
#: Greek asks with ";" (U+037E, which NFC makes ";"): after a Greek letter it is a "?", elsewhere a clause mark.
GREEK_LETTERS = "\u0370-\u03ff\u1f00-\u1fff"
_GREEK_QUESTION = re.compile("[" + GREEK_LETTERS + "];")
MARKS |= dict.fromkeys(SCRIPT_SENTENCE_MARKS, "|") | {"\u037e": "."}

# The boundaries as expressions over the outline: the specification that ``Boundaries`` answers with byte
# searches (not searched at scan time; the tests hold both to the same expressions over the text as written).

#: Where one sentence, line or list item ends and the next begins, in the outline: in the text as written,
#: ``(?:[.!?\u037e]|(?<=[GREEK_LETTERS]);)(?:\s|$)|[\n\r•|✅✔。｡！？SCRIPT_SENTENCE_MARKS]|\s[-–—]\s``.
SENTENCE_END = re.compile(rb"\.(?:\s|$)|[\n\r|]|\s-\s")
#: Where a clause ends: a sentence end, or one of ``,;:()[]{}<>"“”«»`` or ``CJK_CLAUSE_MARKS`` (an outline ",").
CLAUSE_END = re.compile(SENTENCE_END.pattern + rb"|,")
#: A sentence ended by a full stop, "!" or "?" (not by the marks that part a title: a dash, "|", a line break).
_STOP = re.compile("(?:[.!?。！？\u037e]|;(?<=[" + GREEK_LETTERS + "];))(?:\\s|$)|[" + SCRIPT_SENTENCE_MARKS + "]")
#: A word in the outline: ``WORD_WRITTEN`` in the text as written.
WORD = re.compile(rb"a+")

#: Combining vowel signs and other marks belong to their word ("समीक्षा" is one word, not four), though
#: ``\w`` does not match them.
_COMBINING = {"Mn", "Mc"}


def _mark_ranges() -> str:
    ranges, first, last = [], -1, -1
    for code in range(0x300, 0x20000):
        if unicodedata.category(chr(code)) in _COMBINING:
            if code != last + 1:
                if first >= 0:
                    ranges.append((first, last))
                first = code
            last = code
    ranges.append((first, last))
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)


#: A word in the text as written: letters and digits, with the marks that combine with them.
WORD_WRITTEN = "(?:[^\\W_]|[" + _mark_ranges() + "])+"


def _outline_char(char: str) -> str:
    if char in MARKS:
        return MARKS[char]
    if char.isalnum() or unicodedata.category(char) in _COMBINING:  # what ``WORD_WRITTEN`` matches
        return "a"
    return " " if char.isspace() else "#"  # ``\s`` is ``str.isspace``


def _outline_chars(run: str) -> str:
    return "".join(map(_outline_char, run))


_OUTLINE_BYTES = bytes(ord(_outline_char(chr(c))) for c in range(128)) + b"#" * 128
#: Outlines of runs of non-ASCII characters: the same few recur ("’", "😊", "✅").
_RUNS: dict[str, str] = {}


def _outline_run(error: UnicodeError) -> tuple[str, int]:
    """Encoder error handler: outline one run of non-ASCII characters (the ASCII around it stays in C)."""
    return run_result(_RUNS, error, _outline_chars), error.end  # type: ignore[attr-defined]


codecs.register_error("gigscan.outline", _outline_run)


def outline(text: str) -> bytes:
    """``text`` as one byte per character, offsets unchanged (see the module's docstring)."""
    shape = text.encode("ascii", "gigscan.outline").translate(_OUTLINE_BYTES)
    if ";" in text and not text.isascii():
        return _greek_questions(text, shape)
    return shape


def _greek_questions(text: str, shape: bytes) -> bytes:
    """``shape`` with each ";" that follows a Greek letter outlined as the "?" it is (a sentence end)."""
    found = [m.end() - 1 for m in _GREEK_QUESTION.finditer(text)]
    if not found:
        return shape
    marked = bytearray(shape)
    for at in found:
        marked[at] = 46  # "."
    return bytes(marked)


#: Outline -> break flags: "B" where a sentence ends at that byte whatever follows it (a line break, a bullet;
#: a sentence mark already marked "B" when a space follows it), "D" a dash (marked only between spaces), "C" a
#: clause mark; everything else a space.
_FLAGS = bytes(
    ord("B") if chr(c) in "B\n\r|" else ord("D") if chr(c) == "D" else ord("C") if chr(c) == "," else 32
    for c in range(256)
)
#: Outline -> "X" where a ``SENTENCE_END`` match can begin (or, for a dash, one character after it).
_SENTENCE_MARKS = bytes(ord("X") if chr(c) in ".\n\r|-" else 32 for c in range(256))
#: What ``\s`` matches in an outline.
_SPACES = b" \n\r"
#: Outline -> words: a word character stays "a", everything else becomes a space.
_WORDS = bytes(c if c == ord("a") else 32 for c in range(256))


class Boundaries:
    """Sentence, clause and word boundaries of one text, for many questions about its gaps and words. Each view
    of the outline is made on first use."""

    __slots__ = ("text", "_outline", "_flags", "_words", "_sentence_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        self._outline: bytes | None = None
        self._flags: bytes | None = None
        self._words: bytes | None = None
        self._sentence_starts: list[int] | None = None

    def outline(self) -> bytes:
        if self._outline is None:
            self._outline = outline(self.text)
        return self._outline

    def flags(self) -> bytes:
        """The outline's breaks as ``_FLAGS`` says."""
        if self._flags is None:
            marked = self.outline().replace(b". ", b"B ").replace(b" - ", b" D ")
            # A second pass marks the dashes whose leading space the first pass's previous match used (" - - ").
            self._flags = marked.replace(b" - ", b" D ").translate(_FLAGS)
        return self._flags

    def words(self) -> bytes:
        """The outline with word characters "a" and everything else a space."""
        if self._words is None:
            self._words = self.outline().translate(_WORDS)
        return self._words

    def gap(self, start: int, end: int, clause: bool = False) -> int | None:
        """The words in ``text[start:end]`` (one cut by an edge counts too), or None if a sentence (``clause``:
        a clause) ends in it: what ``SENTENCE_END`` / ``CLAUSE_END`` and ``WORD`` find in that slice."""
        if end <= start:
            return 0
        if self._ends_in_break(start, end, clause):
            return None
        return self.words_in(start, end)

    def part_gap(self, start: int, end: int) -> int | None:
        """The words in ``text[start:end]`` across the marks that part a title ("Reviews - Google", "Reviews |
        Trustpilot", a line break), or None if a sentence ends in it with a full stop, "!" or "?"."""
        if end <= start:
            return 0
        if _STOP.search(self.text, start, end):  # a stop at the very end matches too: "$" is at ``end``
            return None
        return self.words_in(start, end)

    def words_in(self, start: int, end: int) -> int:
        """The words in ``text[start:end]`` (one cut by an edge counts too), breaks or not."""
        if end <= start:
            return 0
        words = self.words()
        return words.count(b" a", start, end) + (words[start] == 97)  # 97: "a", a word cut by the start

    def _ends_in_break(self, start: int, end: int, clause: bool) -> bool:
        flags = self.flags()
        return (
            self.outline()[end - 1] == 46  # "." at the very end of the slice: "$" in the expression
            or flags.find(b"B", start, end) >= 0
            or flags.find(b"D", start + 1, end - 1) >= 0  # a dash needs its spaces inside the slice
            or (clause and flags.find(b"C", start, end) >= 0)
        )

    def clause_start(self, start: int, end: int) -> int:
        """Where the last clause of ``text[start:end]`` begins: after its last ``CLAUSE_END`` (give or take the
        marks and spaces next to it, which hold no word), ``start`` if it has none, ``end`` if it ends in one."""
        if end <= start or self.outline()[end - 1] == 46:
            return end
        flags = self.flags()
        last = max(flags.rfind(b"B", start, end), flags.rfind(b"C", start, end), flags.rfind(b"D", start + 1, end - 1))
        return last + 1 if last >= 0 else start

    def word_after(self, position: int, reach: int) -> str | None:
        """The first word in ``text[position:position + reach]`` (cut short at its end), if any."""
        words = self.words()
        limit = min(position + reach, len(words))
        start = words.find(b"a", position, limit)
        if start < 0:
            return None
        end = words.find(b" ", start, limit)
        return self.text[start : end if end >= 0 else limit]

    def word_before(self, position: int, reach: int) -> str | None:
        """The last word in ``text[position - reach:position]`` (cut short at its start), if any."""
        words = self.words()
        limit = max(0, position - reach)
        end = words.rfind(b"a", limit, position) + 1
        if not end:
            return None
        return self.text[max(limit, words.rfind(b" ", limit, end) + 1) : end]

    def sentence(self, position: int) -> int:
        """Which sentence (line, list item) ``position`` is in."""
        if self._sentence_starts is None:
            self._sentence_starts = self._sentence_ends()
        return bisect_right(self._sentence_starts, position)

    def _sentence_ends(self) -> list[int]:
        """Where each ``SENTENCE_END`` match ends, as ``finditer`` finds them (left to right, none overlapping),
        visiting only the marks that can start one: a C search from mark to mark instead of ``re`` at every
        character."""
        text = self.outline()
        size = len(text)
        ends: list[int] = []
        free = 0  # where the next match may start: earlier characters belong to the last match
        marks = text.translate(_SENTENCE_MARKS)
        at = marks.find(b"X")
        while at >= 0:
            mark = text[at]
            end = -1
            if mark == 46:  # "." before a space or at the end
                if at + 1 == size:
                    end = size
                elif text[at + 1] in _SPACES:
                    end = at + 2
            elif mark == 45:  # "-" between spaces: the match starts at the space before it
                if at - 1 >= free and text[at - 1] == 32 and at + 1 < size and text[at + 1] in _SPACES:
                    end = at + 2
            else:  # a line break or a bullet
                end = at + 1
            if end >= 0:
                ends.append(end)
                free = end
            at = marks.find(b"X", max(at + 1, free))
        return ends
