"""evaluate(): counts, per-category figures and the list of misses, on rows whose outcome is known."""

from __future__ import annotations

from matchers import evaluate

ROWS = [
    {"id": "a", "title": "Buy Google reviews, non-drop", "label": 1, "category": "google"},
    {"id": "b", "title": "Buy Yelp reviews from real accounts", "label": 1, "category": "yelp"},
    {"id": "c", "title": "I will design your logo", "label": 1, "category": "yelp"},
    {"id": "d", "title": "I will review your resume", "label": 0, "category": "honest"},
    {"id": "e", "title": "Buy Trustpilot reviews", "label": 0, "category": "mislabeled"},
]


def test_confusion_and_scores() -> None:
    result = evaluate(ROWS)
    assert (result.tp, result.fp, result.fn, result.tn) == (2, 1, 1, 1)
    assert result.precision == 2 / 3
    assert result.recall == 2 / 3
    assert abs(result.f1 - 2 / 3) < 1e-9


def test_per_category_and_misses() -> None:
    result = evaluate(ROWS)
    by_name = {(c.category, c.label): c for c in result.categories}
    assert by_name[("yelp", 1)].recall == 0.5
    assert by_name[("mislabeled", 0)].flagged == 1 and by_name[("mislabeled", 0)].recall is None
    assert {m.id for m in result.misses} == {"c", "e"}
    data = result.to_dict()
    assert data["confusion"] == {"tp": 2, "fp": 1, "fn": 1, "tn": 1}
    assert next(c for c in data["categories"] if c["category"] == "mislabeled")["false_positives"] == 1
