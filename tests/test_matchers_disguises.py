"""Whole phrases disguised the way sellers do it are read as the words they hide, and every reason still quotes
the text exactly as written (its offsets slice the listing to the quote). One class of disguise per test."""

from __future__ import annotations

from typing import Any

import pytest

from matchers import Scanner, normalise
from matchers.normalise import native_key
from matchers.repair import segment, unleet
from matchers.ruleset import _Loader
from matchers.terms import skeleton, spelt, splits


def _read(scanner: Scanner, text: str) -> str:
    """The ascii key of ``text`` as the scanner makes it (its known words help undo disguises)."""
    return " ".join(normalise(text, scanner.table.index.vocabulary).text.split())


def _flagged_quoting_as_written(scanner: Scanner, doc: dict[str, Any]) -> None:
    verdict = scanner.scan(doc)
    assert verdict.flagged, (doc, verdict.reasons)
    for reason in verdict.reasons:
        assert doc[reason.field][reason.start : reason.end] == reason.text


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("Order T r i p a d v i s o r  R e v i e w s today", "order tripadvisor reviews today"),
        ("F a c e b o o k R a t i n g s from real profiles", "facebook ratings from real profiles"),
        ("we add G o o g l e   r a t i n g s weekly", "we add google ratings weekly"),
        ("Y e l p R e v i e w s for restaurants, fast", "yelp reviews for restaurants fast"),
    ],
)
def test_every_letter_spaced_out(scanner: Scanner, text: str, reads: str) -> None:
    assert _read(scanner, text) == reads
    _flagged_quoting_as_written(scanner, {"title": text})


def test_spaced_letters_split_into_the_known_words_they_run_together() -> None:
    assert segment("yelpratings", {"yelp", "ratings", "rat"}) == [(0, 4), (4, 11)]
    assert segment("50reviews", {"reviews"}) == [(0, 2), (2, 9)]
    assert segment("designer", {"design"}) == []  # no split unless every piece is a known word


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("Buy r.a.t.i.n.g.s for your app, 20 per week", "buy ratings for your app 20 per week"),
        ("Cheap A.m.a.z.o.n R.e.v.i.e.w.s, verified buyers", "cheap amazon reviews verified buyers"),
        ("t-r-u-s-t-p-i-l-o-t r_e_v_i_e_w_s delivered", "trustpilot reviews delivered"),
    ],
)
def test_dots_or_marks_inside_one_word(scanner: Scanner, text: str, reads: str) -> None:
    assert _read(scanner, text) == reads
    _flagged_quoting_as_written(scanner, {"title": text})


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("S3ll1ng Tr5stp1l0t R4t1ng5 for any company", "trustpilot ratings"),
        ("G00gl3 M4p5 r3v13w5 for your clinic, 10 per week", "google maps reviews"),
        ("P0s1t1v3 F4c3b00k r3v13w5 from USA profiles", "facebook reviews"),
    ],
)
def test_leet_on_every_letter(scanner: Scanner, text: str, reads: str) -> None:
    assert reads in _read(scanner, text)
    _flagged_quoting_as_written(scanner, {"title": text})


def test_a_digit_that_is_no_usual_swap_still_reads_as_the_term_it_fits() -> None:
    vocabulary = frozenset({"trustpilot", "ratings", "reviews"})
    assert unleet("tr5stp1l0t", vocabulary) == "trustpilot"  # 5 for u: no usual swap, but the only fit
    assert unleet("r4t1ng5", vocabulary) == "ratings"  # a trailing 5 too
    assert unleet("b2b", vocabulary) == "b2b"  # nothing fits: left as written


@pytest.mark.parametrize(
    "text",
    [
        "Вuу Тrиstріlоt rеvіеws nоw",  # Cyrillic В у Т і р о е, with one real и (not a look-alike)
        "Gооglе rеvіеws fоr уоur busіnеss",  # Cyrillic о е і у throughout
        "Αmazοn ratings, 5 ѕtars, from real accounts",  # Greek Α ο, Cyrillic ѕ
    ],
)
def test_cyrillic_and_greek_look_alike_letters(scanner: Scanner, text: str) -> None:
    _flagged_quoting_as_written(scanner, {"title": text})


def test_look_alikes_inside_real_russian_do_not_break_native_terms(scanner: Scanner) -> None:
    doc = {"title": "Напишу отзывы на Яндекс Картах для вашей компании"}
    _flagged_quoting_as_written(scanner, doc)


@pytest.mark.parametrize(
    ("term", "bare"),
    [("reviews", "rvws"), ("ratings", "rtngs"), ("feedback", "fdbck"), ("testimonials", "tstmnls"),
     ("google", "ggl"), ("buy", None), ("rate", None), ("yelp", None), ("stars", None)],
)
def test_a_disemvowelled_spelling_is_only_kept_when_distinctive(term: str, bare: str | None) -> None:
    assert skeleton(term) == bare


def test_disemvowelled_words_read_as_the_ruleset_terms_they_strip() -> None:
    # a ruleset that names only the full words: the engine reads their stripped spellings itself
    ruleset = _Loader(
        'version = "t"\nthreshold = 0.5\n'
        '[classes.rating]\nlabel = "rating term"\nanchor = true\nterms = ["testimonial(s)", "endorsement(s)"]\n'
        '[classes.sell]\nlabel = "selling word"\nterms = ["sell", "buy"]\n'
        '[[rules]]\nid = "sold"\nkind = "proximity"\nclasses = ["sell", "rating"]\nwindow = 3\nweight = 0.9\n'
        'explain = "Sold"\n', "t.toml").load()
    scanner = Scanner(ruleset)
    for text in ["We sell tstmnls for landing pages", "buy ndrsmnts from influencers"]:
        verdict = scanner.scan({"title": text})
        assert verdict.flagged, text
        reason = verdict.reasons[0]
        assert text[reason.start : reason.end] == reason.text
    assert not scanner.scan({"title": "We sell tsts for landing pages"}).flagged


def test_default_ruleset_reads_disemvowelled_offers(scanner: Scanner) -> None:
    _flagged_quoting_as_written(scanner, {"title": "Buy ggl rvws and fdbck for your shop"})
    _flagged_quoting_as_written(scanner, {"title": "5 star Trstplt rtngs, drip fed"})


@pytest.mark.parametrize(
    "text",
    [
        "Buy G-o-o-g-l-e R-e-v-i-e-w-s",  # hyphens between letters
        "Buy G.o.o.g.l.e R.e.v.i.e.w.s",  # dots
        "Buy G🔥o🔥o🔥g🔥l🔥e R🔥e🔥v🔥i🔥e🔥w🔥s",  # an emoji between letters
        "Buy G o o g l e R e v i e w s",
    ],
)
def test_a_word_spelt_out_letter_by_letter_is_one_word_away(scanner: Scanner, text: str) -> None:
    """Distances count the disguised word as the one word it reads as: "Buy" sells the reviews three letters
    on, not twelve words away."""
    verdict = scanner.scan({"title": text})
    assert "buy-reviews" in {r.rule_id for r in verdict.reasons}, verdict.reasons
    _flagged_quoting_as_written(scanner, {"title": text})


def test_the_last_dot_of_a_dotted_word_ends_no_sentence(scanner: Scanner) -> None:
    doc = {"title": "R.E.V.I.E.W.S. for your Amazon listing, 20 per week"}
    reasons = {r.rule_id: r for r in scanner.scan(doc).reasons}
    assert "platform-rating" in reasons
    assert reasons["platform-rating"].text == "R.E.V.I.E.W.S. for your Amazon"


@pytest.mark.parametrize(
    "text",
    ["Trust-pilot re-views for your company, fast", "I will post Goo-gle rev.iews on your page",
     "Yelp rat_ings for restaurants"],
)
def test_a_word_cut_in_two(scanner: Scanner, text: str) -> None:
    """"re-views", "rev.iews", "Goo gle": a term cut once, one part short, reads as the term."""
    verdict = scanner.scan({"title": text})
    assert verdict.flagged, (text, verdict.reasons)
    assert any(r.rule_id == "platform-rating" for r in verdict.reasons)
    for reason in verdict.reasons:
        assert text[reason.start : reason.end] == reason.text


@pytest.mark.parametrize("text", ["Buy googlereviews cheap", "buy #googlereviews #5starreviews",
                                  "GOOGLEREVIEWS for your business, non drop"])
def test_words_glued_into_one(scanner: Scanner, text: str) -> None:
    """A word glued from known words (a hashtag, "GOOGLEREVIEWS") holds those words."""
    _flagged_quoting_as_written(scanner, {"title": text})


def test_a_proper_name_is_no_glued_word(scanner: Scanner) -> None:
    """"Karachi" is a city, not "kara" (Polish, a penalty: a warning word) glued to "chi": a word of a capital and
    lower-case letters holds no context word glued in it, and the seller's ad stays flagged; a platform or rating
    word glued in one still counts ("Amazonreviews"), and so do glued words in lower case ("buyreviews")."""
    offer = "Buy Google reviews for your restaurant in {}, 5 star reviews from real accounts, WhatsApp us"
    for city in ("Karachi", "Lahore"):
        verdict = scanner.scan({"title": offer.format(city)})
        assert verdict.flagged, (city, verdict.reasons)
        assert not any(r.weight < 0 for r in verdict.reasons), verdict.reasons
    _flagged_quoting_as_written(scanner, {"title": "Amazonreviews from verified buyers, any niche"})


def test_a_glued_word_is_only_cut_into_known_words_of_three_letters_or_more(scanner: Scanner) -> None:
    for text in ["I will design your start page", "Corporate preview video", "Overview of the interview"]:
        assert not scanner.scan({"title": text}).flagged


def test_a_cut_is_read_only_where_one_part_is_short() -> None:
    assert "re views" in splits("reviews") and "goo gle" in splits("google")
    assert "face book" not in splits("facebook") and "glass door" not in splits("glassdoor")
    assert splits("yelp") == [] and splits("b2b") == []


@pytest.mark.parametrize(
    "text",
    [
        "I will post 🅡🅔🅥🅘🅔🅦🅢 on your Google page",  # negative circled letters
        "I will post 🆁🅴🆅🅸🅴🆆🆂 on your Google page",  # negative squared letters
        "I will post Ⓡⓔⓥⓘⓔⓦⓢ on your Google page",  # circled
        "I will post ʀᴇᴠɪᴇᴡꜱ on your Google page",  # small capitals
        "I will post 𝗥𝗲𝘃𝗶𝗲𝘄𝘀 on your Google page",  # mathematical sans-serif bold
    ],
)
def test_letters_in_circles_squares_and_other_alphabets(scanner: Scanner, text: str) -> None:
    _flagged_quoting_as_written(scanner, {"title": text})


@pytest.mark.parametrize(
    "text",
    [
        "I will design a m o d e r n logo for your brand",
        "Professional C.V. and r.e.s.u.m.e writing",
        "I will build your website in HTML, CSS and JS",
        "B2B lead generation with LinkedIn outreach",
        "Re-view of your thesis chapter: structure and citations",
        "Glass door installation, 5 year guarantee",
        "C.V. review and L.I.N.K.E.D.I.N. profile tips",
    ],
)
def test_honest_text_with_the_same_shapes_is_not_flagged(scanner: Scanner, text: str) -> None:
    assert not scanner.scan({"title": text}).flagged


@pytest.mark.parametrize("text", ["5* reviews delivered daily", "Salon 5* reviews pack. Order now"])
def test_five_asterisk_is_five_stars(scanner: Scanner, text: str) -> None:
    """r5a: "5*" reads as "5 star", as "5⭐" does (not as a count of five)."""
    title, _, description = text.partition(". ")
    verdict = scanner.scan({"title": title, "description": description})
    assert verdict.flagged and any(r.rule_id == "star-reviews" for r in verdict.reasons), verdict.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Продаю oтзывы на Авитo, без банов",  # Latin o inside Cyrillic words
        "Продаю 0тзывы на Авит0, без банов",  # a digit 0 for the Cyrillic о
        "Продаю о т з ы в ы на Яндекс Картах, без списаний",  # Cyrillic letters spaced out
        "Продаю о.т.з.ы.в.ы на Авито",  # Cyrillic letters dotted
        "П.р.о.д.а.ю о.т.з.ы.в.ы на Авито",  # two dotted words: the space as written parts them
    ],
)
def test_disguised_words_of_another_script(scanner: Scanner, text: str) -> None:
    """r8a: Cyrillic (and Greek) words disguised the way Latin ones are read in their own script."""
    _flagged_quoting_as_written(scanner, {"title": text})


def test_letters_of_any_spaced_script_spelt_out_are_joined() -> None:
    assert native_key("أبيع ت ق ي ي م ا ت جوجل").text == "ابيع تقييمات جوجل"  # Arabic
    assert native_key("口 コ ミ を 書 き ま す").text == "口 コ ミ を 書 き ま す"  # kana, Han: no disguise


def test_a_native_word_keeps_its_count_and_a_latin_word_its_ending() -> None:
    assert native_key("100отзывов на Авито").text == "100отзывов на авито"  # a count glued on stays a count
    assert native_key("Ремонт iPhoneов").text == "ремонт iphoneов"  # mostly Latin: no Cyrillic word


@pytest.mark.parametrize(
    ("text", "reads"),
    [("Buy Googl3 rvws cheap", "buy google rvws"), ("Buy Google review5 cheap", "google reviews"),
     ("Buy 5tar r3views fast", "star reviews")],
)
def test_a_digit_for_the_first_or_last_letter(scanner: Scanner, text: str, reads: str) -> None:
    """r8a: "googl3", "review5", "5tar": one digit at a word's edge reads as a letter when that gives a known term."""
    assert reads in _read(scanner, text)
    _flagged_quoting_as_written(scanner, {"title": text})


def test_a_digit_at_a_word_edge_stays_unless_it_makes_a_known_term(scanner: Scanner) -> None:
    text = "Top5 mp3 players, 3rd edition, html5 and css3"
    assert _read(scanner, text) == "top5 mp3 players 3rd edition html5 and css3"


def test_a_number_glued_to_known_words(scanner: Scanner) -> None:
    """r8a: "5starreviews" is 5|star|reviews (a one-digit number is a part too)."""
    assert segment("5starreviews", {"star", "reviews"}) == [(0, 1), (1, 5), (5, 12)]
    _flagged_quoting_as_written(scanner, {"title": "5starreviews on your Google page, non drop"})


@pytest.mark.parametrize(("text", "reads"), [("Buy re·vi·ews on Google", "buy reviews on google"),
                                             ("Buy G∞gle reviews", "buy google reviews")])
def test_marks_inside_a_word_cut_nothing(scanner: Scanner, text: str, reads: str) -> None:
    """r8a: a middle dot cutting a word more than once ("re·vi·ews") is dropped; "∞" reads as the "oo" it draws.
    Between spaced words the dot leaves them apart ("Design · Logo")."""
    assert _read(scanner, text) == reads
    _flagged_quoting_as_written(scanner, {"title": text})
    assert _read(scanner, "Design · Logo · Web") == "design logo web"


def test_a_platform_name_cut_short(scanner: Scanner) -> None:
    _flagged_quoting_as_written(scanner, {"title": "T-pilot reviews from aged accounts, fast"})


def test_a_three_letter_term_spelt_out(scanner: Scanner) -> None:
    """r8a: "G.M.B", "B.U.Y" read as the terms (three letters are joined only into a term: "I m a" stays)."""
    assert spelt("gmb") == "g m b" and spelt("reviews") is None
    _flagged_quoting_as_written(scanner, {"title": "G.M.B reviews for sale"})
    assert not scanner.scan({"title": "I m a designer, A B C of branding"}).flagged


def test_a_digit_swapped_word_glued_from_known_words(scanner: Scanner) -> None:
    """r8a: "#Buy5tarR3views" (hashtag, camel case and leet at once) reads buy|star|reviews, each word quoting
    its own letters, so the selling word is found before the reviews."""
    verdict = scanner.scan({"title": "#Buy5tarR3views for Google, fast"})
    assert "buy-reviews" in {r.rule_id for r in verdict.reasons}, verdict.reasons
    _flagged_quoting_as_written(scanner, {"title": "#Buy5tarR3views for Google, fast"})


def test_a_leet_run_ending_in_a_digit(scanner: Scanner) -> None:
    """r9c: "G00gl3r3v13w5": the last "5" has no letter after it, yet the run reads google|reviews when that
    digit read as a letter cuts it into known words; a count glued to words stays a count."""
    assert _read(scanner, "G00gl3r3v13w5 fast") == "googlereviews fast"  # read as google|reviews
    _flagged_quoting_as_written(scanner, {"title": "G00gl3r3v13w5"})
    assert _read(scanner, "buyr3v13ws50") == "buyreviews50"


@pytest.mark.parametrize("text", ["Куплю от-зывы на Яндекс Картах", "Куплю отзы-вы на Яндекс Картах"])
def test_a_cyrillic_word_cut_in_two(scanner: Scanner, text: str) -> None:
    """r9c: "от-зывы", "отзы-вы": a Cyrillic rating word cut once, one part short, reads as the word, as
    "re-views" does; its reasons quote the text as written."""
    verdict = scanner.scan({"title": text})
    assert "buy-reviews" in {r.rule_id for r in verdict.reasons}, verdict.reasons
    for reason in verdict.reasons:
        assert text[reason.start : reason.end] == reason.text


def test_some_vowels_dropped(scanner: Scanner) -> None:
    """r9c: "Gogl rviews": one vowel of a rating word or platform dropped (a final "e" with it) reads as the
    term, as the full skeleton ("rvws") does; a real word one vowel short stays ("stern" is no "sterne")."""
    from matchers.terms import partial_skeletons

    assert "rviews" in partial_skeletons("reviews") and "gogl" in partial_skeletons("google")
    assert "stern" not in partial_skeletons("sterne") and partial_skeletons("stars") == []
    _flagged_quoting_as_written(scanner, {"title": "Gogl rviews"})
    _flagged_quoting_as_written(scanner, {"title": "Trstpilot revews from aged accounts"})
