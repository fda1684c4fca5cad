"""The outline answers what the boundary expressions answer on the text as written, for any slice."""

from __future__ import annotations

import random
import re

from matchers.outline import (
    CLAUSE_END,
    GREEK_LETTERS,
    SCRIPT_SENTENCE_MARKS,
    SENTENCE_END,
    WORD,
    WORD_WRITTEN,
    Boundaries,
    outline,
)

#: The expressions over the text as written that the outline's stand for (a ";" after a Greek letter is a "?").
_ENDS = (
    r"(?:[.!?\u037e]|(?<=[" + GREEK_LETTERS + r"]);)(?:\s|$)|[\n\r•|✅✔。｡！？" + SCRIPT_SENTENCE_MARKS + r"]|\s[-–—]\s"
)
WRITTEN = {
    SENTENCE_END: re.compile(_ENDS),
    CLAUSE_END: re.compile(
        _ENDS + r"|(?<![" + GREEK_LETTERS + r"]);|[,:()\[\]{}<>\"“”«»，、；：（）「」『』【】《》〈〉]"
    ),
    WORD: re.compile(WORD_WRITTEN),
}
PIECES = ["ab", "Z9", " ", "  ", "\t", "\x1c", "\xa0", "\u2003", ".", "!", "?", "\n", "\r", "-", "–", "—", "•", "|",
          "✅", "✔", ",", ";", "“", "»", "_", "é", "½", "٣", "😊", "’", "*", "$", "Ж", " - ", ". ",
          "स", "ि", "ा", "\u0301", "。", "！", "？", "，", "、", "；", "「", "口コミ", "好评", "α", "ή", "ἀ", "\u037e",
          "।", "॥", "۔", "።", "፧", "፡", "։", "။", "؟", "; "]


def _texts(seed: int, count: int) -> list[tuple[str, int, int]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25)))
        start = rng.randint(0, len(text))
        out.append((text, start, rng.randint(start, len(text))))
    return out


def test_the_outline_expressions_find_what_they_find_in_the_text() -> None:
    for text, start, end in _texts(5, 3000):
        shape = outline(text)
        assert len(shape) == len(text)
        for ours, written in WRITTEN.items():
            assert [m.span() for m in ours.finditer(shape[start:end])] == [
                (m.start() - start, m.end() - start) for m in written.finditer(text, start, end)
            ], (text, start, end, written.pattern)


def test_a_gap_has_the_words_and_breaks_of_the_slice() -> None:
    for text, start, end in _texts(7, 3000):
        boundaries = Boundaries(text)
        for clause, breaks in ((False, WRITTEN[SENTENCE_END]), (True, WRITTEN[CLAUSE_END])):
            gap = text[start:end]
            expected = None if breaks.search(text, start, end) else len(WRITTEN[WORD].findall(gap))
            assert boundaries.gap(start, end, clause) == expected, (text, start, end, clause)


def test_sentences_are_numbered_as_the_text_as_written_ends_them() -> None:
    texts = ["Buy reviews. Real ones!\nNo - drop ✅ fast. - ok", ". - x", " -\n- -", "a.\n"]
    for text in texts + [text for text, _, _ in _texts(3, 3000)]:
        boundaries = Boundaries(text)
        ends = [m.end() for m in WRITTEN[SENTENCE_END].finditer(text)]
        numbers = [sum(e <= i for e in ends) for i in range(len(text) + 1)]
        assert [boundaries.sentence(i) for i in range(len(text) + 1)] == numbers, text


def test_words_around_a_position_are_the_ones_the_expressions_find() -> None:
    for text, start, _ in _texts(13, 3000):
        boundaries = Boundaries(text)
        after = WRITTEN[WORD].search(text[start : start + 30])
        assert boundaries.word_after(start, 30) == (after.group(0) if after else None), (text, start)
        before = WRITTEN[WORD].findall(text, max(0, start - 30), start)
        assert boundaries.word_before(start, 30) == (before[-1] if before else None), (text, start)


def test_the_last_clause_holds_the_words_after_the_last_clause_end() -> None:
    for text, start, end in _texts(17, 3000):
        before = text[start:end]
        ends = [m.end() - start for m in WRITTEN[CLAUSE_END].finditer(text, start, end)]
        expected = WRITTEN[WORD].findall(before[ends[-1] :] if ends else before)
        clause = Boundaries(text).clause_start(start, end)
        assert WRITTEN[WORD].findall(text[clause:end]) == expected, (text, start, end)


def test_chinese_and_japanese_marks_end_sentences_and_clauses_with_no_space_after_them() -> None:
    text = "我们回复差评。另外提供好评，五十条！口コミ、レビュー"
    boundaries = Boundaries(text)
    reply, offer = text.index("差评"), text.index("好评")
    assert boundaries.sentence(reply) != boundaries.sentence(offer)
    assert boundaries.gap(reply, offer) is None
    assert boundaries.gap(offer, text.index("五十"), clause=True) is None
    assert boundaries.gap(offer + 2, text.index("五十")) == 0  # a clause mark, no sentence end
    assert boundaries.gap(text.index("口コミ"), text.index("レビュー"), clause=True) is None


def test_the_end_marks_of_other_scripts_end_sentences() -> None:
    texts = {
        "हम समीक्षा नहीं बेचते। पाँच स्टार रेटिंग": "।",  # Hindi danda
        "আমরা রিভিউ বিক্রি করি না॥ পাঁচ তারকা": "॥",  # Bengali double danda
        "ہم ریویو نہیں بیچتے۔ پانچ ستارے": "۔",  # Urdu full stop
        "ግምገማ አንሸጥም። አምስት ኮከብ": "።",  # Ethiopic full stop
        "ግምገማ ይሸጣሉ፧ አምስት ኮከብ": "፧",  # Ethiopic question mark
        "Մենք կարծիքներ չենք վաճառում։ Հինգ աստղ": "։",  # Armenian full stop
        "သုံးသပ်ချက် မရောင်းပါ။ ကြယ်ငါး": "။",  # Myanmar full stop
        "هل هذا آمن؟ خمس نجوم": "؟",  # Arabic question mark
        "Είναι ασφαλές; Πέντε αστέρια": ";",  # Greek question mark
        "Είναι ασφαλές\u037e Πέντε αστέρια": "\u037e",  # ... as its own code point
    }
    for text, mark in texts.items():
        boundaries = Boundaries(text)
        at = text.index(mark)
        assert boundaries.sentence(0) != boundaries.sentence(len(text) - 1), text
        assert boundaries.gap(0, len(text)) is None, text
        assert boundaries.part_gap(0, len(text)) is None, text
        assert boundaries.clause_start(0, len(text)) > at, text
        assert len(outline(text)) == len(text), text


def test_a_semicolon_is_a_question_mark_only_after_a_greek_letter() -> None:
    latin = "Buy reviews; five stars"
    assert Boundaries(latin).gap(0, len(latin)) == 4  # a clause mark, no sentence end
    assert Boundaries(latin).gap(0, len(latin), clause=True) is None
    mixed = "Αγοράζετε κριτικές; Buy reviews; 5 stars"
    boundaries = Boundaries(mixed)
    first, second = mixed.index(";"), mixed.rindex(";")
    assert boundaries.gap(0, first + 2) is None
    assert boundaries.gap(first + 2, len(mixed)) == 4
    assert boundaries.sentence(second - 1) == boundaries.sentence(second + 2)


def test_ethiopic_word_separator_parts_words() -> None:
    text = "ግምገማ፡አንሸጥም"
    assert Boundaries(text).words_in(0, len(text)) == 2
