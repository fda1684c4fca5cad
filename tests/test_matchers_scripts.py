"""Scripts and languages the ruleset barely knew (r14e, issue 15): Tamil, Bengali, Amharic, Hebrew, Hausa,
Swahili, Greek, Hungarian, Czech, Romanian, Swedish. The engine reads a word's combining marks as part of it (a
virama, a vowel sign) and counts glued to a Bengali classifier; the wordings are rows
``r14e-*`` of tests/data/labels/wordings.jsonl."""

from __future__ import annotations

import json

from matchers import Scanner
from matchers.terms import past_marks


def test_a_hit_ends_after_the_marks_that_combine_with_its_last_letter() -> None:
    """The keys drop marks: "அமேசான்" keys without its final virama, so its hit ended before it."""
    text = "அமேசான் தயாரிப்பு"
    assert past_marks(text, (0, 6)) == (0, 7)
    assert past_marks("ไม่ขาย", (0, 2)) == (0, 3)  # a Thai tone mark
    assert past_marks("review it", (0, 6)) == (0, 6)


def test_a_tamil_window_counts_words_not_viramas(scanner: Scanner) -> None:
    """Three words between a platform and a review, as in English: the virama after "அமேசான்" was counted as a
    word of its own, and every window in Tamil ran one word short."""
    assert "platform-rating" in scanner.fired("அமேசான் தயாரிப்புக்கு பாசிட்டிவ் ரிவ்யூ")
    assert "platform-rating" in scanner.fired("amazon product positive review")


def _hits(scanner: Scanner, text: str) -> set[tuple[str, str]]:
    field = scanner.preparer.field("title", text)
    assert field is not None
    scanner.preparer.add_context(field)
    return {(cls, h.text) for cls, hits in field.hits.items() for h in hits}


def test_a_mark_inside_a_word_is_no_word_break(scanner: Scanner) -> None:
    """The ascii key reads Bengali "রেস্টুরেন্টের" (restaurant's) as "restrenter"; the virama it drops is inside the
    word, so French "trente" (thirty) is no word there."""
    found = _hits(scanner, "আমার রেস্টুরেন্টের জন্য রিভিউ")
    assert not any(cls == "quantity" for cls, _ in found), found


def test_a_count_glued_to_the_bengali_classifier_is_a_count(scanner: Scanner) -> None:
    """"৫০টি রিভিউ" (50 reviews): the key reads "50ti", a word, not a count; the count is read as written."""
    assert "quantity-reviews" in scanner.fired("আমার রেস্টুরেন্টের জন্য ৫০টি রিভিউ")


def test_own_wordings_in_eleven_languages_hold(scanner: Scanner) -> None:
    """The r14e wordings: sellers, buyers and honest look-alikes in each language; floors under the figures
    measured when they were written."""
    from conftest import LABELS
    from matchers import evaluate

    with open(LABELS / "wordings.jsonl", encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r["id"].startswith("r14e-")]
    languages = {"el", "hu", "cs", "ro", "sv", "ta", "am", "ha", "bn", "he", "sw"}
    for label in (0, 1):
        assert languages <= {r["language"] for r in rows if r["label"] == label}
    result = evaluate(rows, scanner)
    assert result.precision >= 0.97 and result.recall >= 0.9, result.misses


def test_khmer_and_burmese_terms_match_inside_a_run_of_letters(scanner: Scanner) -> None:
    """Khmer and Burmese are written without spaces between words (r16c): "ទិញរីវីវ" is "buy" glued to "review",
    and "ရီဗျូးရောင်းသည်" is "review" glued to "sells"; read as words of a spaced script, no term was found."""
    assert "buy-reviews" in scanner.fired("ទិញរីវីវផេកហ្វេសប៊ុក ៥ផ្កាយ")
    assert "buy-reviews" in scanner.fired("Facebook Page ရီဗျူးရောင်းသည်")


def test_vowel_signs_of_thai_khmer_burmese_stay_in_the_key() -> None:
    """Their vowels are non-spacing marks: dropped, "รีวิว" keyed as its consonants "รวว" and "အတု" (fake) as
    "အတ", found inside "အတွက်" (for) in an unspaced run (r16c)."""
    from matchers.normalise import fold_native

    assert fold_native("รีวิว") == "รีวิว"
    assert fold_native("អតិថិជន។") == "អតិថិជន "  # (the sentence mark is a space, as punctuation is)
    assert fold_native("அமேசான்") == "அமேசான"  # (other scripts as before)


def test_a_burmese_term_is_not_found_inside_another_word(scanner: Scanner) -> None:
    """"အတု" (fake, a warning word) is no word inside "အတွက်" (for): the seller's "for your business" was read as
    a warning and explained the whole offer away."""
    found = _hits(scanner, "သင့်လုပ်ငန်းအတွက် Google ရီဗျူး ကြယ်ငါးပွင့် ရေးပေးပါတယ်")
    assert not any(cls == "warning" for cls, _ in found), found
    assert ("warning", "အတု") in _hits(scanner, "ရီဗျူးအတုဝယ်ခြင်းသည် လိမ်လည်မှုဖြစ်သည်")


def test_own_wordings_in_asian_and_african_languages_hold(scanner: Scanner) -> None:
    """The r16c wordings: sellers, buyers (task groups, refunds after a rating) and honest look-alikes (replies,
    warnings, policies) in te, ne, si, yo, mr, km, my, kk, uz, az, hi, ur and a few others; floors under the
    figures measured when they were written."""
    from conftest import LABELS
    from matchers import evaluate

    with open(LABELS / "wordings.jsonl", encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r["id"].startswith("r16c-")]
    languages = {"te", "ne", "si", "yo", "mr", "km", "my", "kk", "uz", "az"}
    for label in (0, 1):
        assert languages <= {r["language"] for r in rows if r["label"] == label}
    result = evaluate(rows, scanner)
    assert result.precision >= 0.97 and result.recall >= 0.95, result.misses
