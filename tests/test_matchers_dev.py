"""Detection quality on the real labeled texts (tests/data/labels/dev.jsonl): the issue's acceptance figures."""

from __future__ import annotations

import json

import pytest

from conftest import LABELS
from matchers import Scanner, evaluate, load_ruleset


@pytest.fixture(scope="module")
def result():
    with open(LABELS / "dev.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return evaluate(rows, Scanner(load_ruleset())), rows


def test_precision_and_recall_reach_095(result) -> None:
    evaluation, rows = result
    assert evaluation.tp + evaluation.fp + evaluation.fn + evaluation.tn == len(rows) == 290
    assert evaluation.precision >= 0.95, evaluation.misses
    assert evaluation.recall >= 0.95, evaluation.misses


def test_no_hard_negative_category_is_flagged(result) -> None:
    evaluation, _ = result
    for category in ("legit_review_service", "amazon_seller_services", "review_removal", "local_seo"):
        found = [c for c in evaluation.categories if c.category == category and c.label == 0]
        assert found and found[0].flagged == 0, category


def test_misses_are_only_texts_without_any_review_word(result) -> None:
    """The rows still missed never mention reviews or ratings (their label rests on context outside the text)."""
    evaluation, rows = result
    by_id = {r["id"]: r for r in rows}
    for miss in evaluation.misses:
        row = by_id[miss.id]
        assert row["ambiguous"] and row["label"] == 1, miss
        text = (row["title"] + " " + row["description"]).lower()
        assert "review" not in text and "recension" not in text, miss


def test_measured_part_of_the_source_split_reaches_the_targets(result) -> None:
    """The part of dev.jsonl never tuned on (whole sources held out): precision 0.95 and recall 0.90 flagged;
    the suspect queue stays under 10% of its negatives."""
    from matchers.evaluate import split_rows

    _, rows = result
    measured = evaluate(split_rows(rows)["measure"], Scanner(load_ruleset()))
    assert measured.tp + measured.fn >= 15 and measured.negatives >= 100
    assert measured.precision >= 0.95 and measured.recall >= 0.90, measured.misses
    assert measured.suspect_share < 0.10
