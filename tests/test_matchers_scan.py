"""The scanner: disguised sellers are flagged, honest look-alikes are not, reasons quote the text as written."""

from __future__ import annotations

import json

import pytest

from matchers import Reason, Scanner, Verdict, load_ruleset


def fields_of(doc: dict) -> dict[str, str]:
    return {"title": doc.get("title", ""), "description": doc.get("description", ""),
            "tags": ", ".join(doc.get("tags", []))}


def assert_quotes_original(doc: dict, verdict: Verdict) -> None:
    texts = fields_of(doc)
    assert verdict.reasons
    for reason in verdict.reasons:
        assert texts[reason.field][reason.start : reason.end] == reason.text


SELLERS = [
    "I will post 5 star reviews on your Amazon product",
    "Verified purchase feedback from real USA accounts",
    "Google Maps rating boost, non-drop",
    "App store rating with lifetime refill",
    "Buy Trustpilot testimonials, 100% real",
    "Need 50 reviews from different IPs",
    "Looking for people to write reviews of our dental clinic on Google, $5 per review",
    "Refund after review: buy on Amazon, leave a 5 star review, full refund by PayPal",
]


@pytest.mark.parametrize("title", SELLERS)
def test_sellers_and_buyers_of_reviews_are_flagged(scanner: Scanner, title: str) -> None:
    doc = {"title": title, "description": ""}
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons
    assert_quotes_original(doc, verdict)


# Each text is only flagged because its disguise is undone: without that there is no review term at all.
DISGUISED = [
    ("I will post 10 R**views on your Amazon product", "R**views"),
    ("I will post 10 rev1ews on your Amazon product", "rev1ews"),
    ("I will post 10 r e v i e w s on your Amazon product", "r e v i e w s"),
    ("I will post 10 r.e.v.i.e.w.s on your Amazon product", "r.e.v.i.e.w.s"),
    ("I will post 10 re\u200bviews on your Amazon product", "re\u200bviews"),
    ("I will post 10 reveiws on your Amazon product", "reveiws"),  # misspelt: fuzzy
]


@pytest.mark.parametrize(("title", "written"), DISGUISED)
def test_disguised_review_terms_are_flagged_and_quoted_as_written(
    scanner: Scanner, title: str, written: str
) -> None:
    doc = {"title": title, "description": ""}
    verdict = scanner.scan(doc)
    assert verdict.flagged
    assert any(written in r.text for r in verdict.reasons)
    assert_quotes_original(doc, verdict)


def test_homoglyph_platform_is_recognised(scanner: Scanner) -> None:
    doc = {"title": "Positive Fасеbook reviews for your page", "description": ""}  # Cyrillic а, с, е
    verdict = scanner.scan(doc)
    reason = next(r for r in verdict.reasons if r.rule_id == "platform-rating")
    assert "Fасеbook" in reason.text
    assert "platform 'Fасеbook'" in reason.explanation


def test_emoji_stars_are_a_star_rating(scanner: Scanner) -> None:
    doc = {"title": "Trustpilot ⭐⭐⭐⭐⭐ reviews", "description": ""}
    reason = next(r for r in scanner.scan(doc).reasons if r.rule_id == "star-reviews")
    assert reason.text.startswith("⭐") and reason.text.endswith("reviews")


@pytest.mark.parametrize(
    "title",
    [
        "Bewertungen kaufen: echte positive Google Bewertungen",
        "Comprar reseñas de Google positivas",
        "Acheter des avis Google positifs",
        "Recensioni positive su TripAdvisor per il tuo ristorante",
        "Comprar avaliações 5 estrelas no Google",
        "Купить отзывы на Яндекс Картах",
    ],
)
def test_other_languages_are_flagged(scanner: Scanner, title: str) -> None:
    doc = {"title": title, "description": ""}
    verdict = scanner.scan(doc)
    assert verdict.flagged, verdict.reasons
    assert_quotes_original(doc, verdict)


HONEST = [
    "I will review your resume and cover letter",
    "I will do a code review of your pull request",
    "I will edit and proofread your book manuscript",
    "I will beta read your novel and give detailed feedback",
    "I will write your Amazon listing and bullet points",
    "I will design Amazon A+ content and EBC",
    "I will write review request emails for your Amazon store",
    "I will respond to your customer reviews on Google",
    "I will manage and reply to your Yelp reviews",
    "I will create a reputation report of your Google reviews",
    "I will remove negative reviews from your Google business profile",
    "I will scrape Google Maps reviews into a spreadsheet",
    "I have 500+ five star reviews from happy clients",
]


@pytest.mark.parametrize("title", HONEST)
def test_honest_look_alikes_are_not_flagged(scanner: Scanner, title: str) -> None:
    assert not scanner.scan({"title": title, "description": ""}).flagged


def test_negative_context_is_explained(scanner: Scanner) -> None:
    verdict = scanner.scan({"title": "I will respond to your Google reviews", "description": ""})
    negative = [r for r in verdict.reasons if r.kind == "negative"]
    assert negative and negative[0].weight < 0
    assert verdict.score < scanner.threshold


def test_description_and_tags_offsets(scanner: Scanner) -> None:
    doc = {
        "title": "Local marketing help",
        "description": "Hello! I’m Sam 😊\nI will post 20 Google reviews for your business, non-drop.",
        "tags": ["seo", "buy google reviews"],
    }
    verdict = scanner.scan(doc)
    assert verdict.flagged
    assert {r.field for r in verdict.reasons} >= {"description", "tags"}
    assert_quotes_original(doc, verdict)


def test_proximity_does_not_reach_across_sentences(scanner: Scanner) -> None:
    far = scanner.scan({"title": "I design logos for Amazon sellers. Reviews welcome", "description": ""})
    assert not any(r.rule_id == "platform-rating" for r in far.reasons)


def test_verdict_is_json_ready(scanner: Scanner) -> None:
    verdict = scanner.scan({"title": "Buy Google reviews", "description": ""})
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["flagged"] is True
    assert data["ruleset_version"] == scanner.version
    assert data["reasons"][0].keys() == Reason.__dataclass_fields__.keys()
    assert 0 <= data["score"] <= 1


def test_scan_many_keeps_order(scanner: Scanner) -> None:
    docs = [{"title": t, "description": ""} for t in ["Buy Google reviews", "logo design", "Buy Yelp reviews"]]
    assert [v.flagged for v in scanner.scan_many(iter(docs))] == [True, False, True]


def test_empty_and_missing_fields(scanner: Scanner) -> None:
    assert scanner.scan({}).to_dict() == {"flagged": False, "grade": "clear", "score": 0.0, "reasons": [],
                                          "ruleset_version": scanner.version}
    assert not scanner.scan({"title": None, "description": None, "tags": None}).flagged


def _class_hits(text: str, names: tuple[str, ...]) -> list[tuple[str, str]]:
    scanner = Scanner(load_ruleset())
    f = scanner.preparer.field("title", text)
    assert f is not None
    scanner.preparer.add_context(f)
    return [(h.cls, h.text) for h in scanner.table.hits(f, names)]


def test_a_class_with_terms_and_patterns_keeps_the_matches_of_both() -> None:
    """A term of a class ("four", "per review") does not hide what the class's patterns find ("12", "$40")."""
    quantity = _class_hits("12 Google reviews, in four languages", ("quantity",))
    assert ("quantity", "12") in quantity and ("quantity", "four") in quantity
    price = [text for _, text in _class_hits("Google reviews, $40 per review", ("price",))]
    assert any("40" in text for text in price) and any("per review" in text for text in price)
