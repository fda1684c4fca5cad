"""The outline answers what the boundary expressions answer on the text as written, for any slice."""

from __future__ import annotations

import random
import re

from matchers.outline import CLAUSE_END, SENTENCE_END, WORD, WORD_WRITTEN, Boundaries, outline

#: The expressions over the text as written that the outline's stand for.
WRITTEN = {
    SENTENCE_END: re.compile(r"[.!?](?:\s|$)|[\n\r•|✅✔。｡！？]|\s[-–—]\s"),
    CLAUSE_END: re.compile(
        r"[.!?](?:\s|$)|[\n\r•|✅✔。｡！？]|\s[-–—]\s|[,;:()\[\]{}<>\"“”«»，、；：（）「」『』【】《》〈〉]"
    ),
    WORD: re.compile(WORD_WRITTEN),
}
PIECES = ["ab", "Z9", " ", "  ", "\t", "\x1c", "\xa0", "\u2003", ".", "!", "?", "\n", "\r", "-", "–", "—", "•", "|",
          "✅", "✔", ",", ";", "“", "»", "_", "é", "½", "٣", "😊", "’", "*", "$", "Ж", " - ", ". ",
          "स", "ि", "ा", "\u0301", "。", "！", "？", "，", "、", "；", "「", "口コミ", "好评"]


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
                m.span() for m in written.finditer(text[start:end])
            ], (text, start, end, written.pattern)


def test_a_gap_has_the_words_and_breaks_of_the_slice() -> None:
    for text, start, end in _texts(7, 3000):
        boundaries = Boundaries(text)
        for clause, breaks in ((False, WRITTEN[SENTENCE_END]), (True, WRITTEN[CLAUSE_END])):
            gap = text[start:end]
            expected = None if breaks.search(gap) else len(WRITTEN[WORD].findall(gap))
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
        ends = [m.end() for m in WRITTEN[CLAUSE_END].finditer(before)]
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
