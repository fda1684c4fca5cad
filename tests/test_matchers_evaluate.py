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


def test_source_key_names_the_vendor_or_repository() -> None:
    from matchers.evaluate import source_key

    assert source_key("repo:Owner/Name:data/x.csv@abc123") == "owner/name"
    assert source_key("https://www.Example.com/a/b?c=1") == "example.com"
    assert source_key("http://shop.example.com:8080/") == "shop.example.com"
    assert source_key("written") == "written"


def test_split_keeps_each_source_on_one_side_and_halves_dev_positives() -> None:
    import json
    from collections import Counter

    from conftest import LABELS
    from matchers.evaluate import source_key, split_part, split_rows

    with open(LABELS / "dev.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    sides: dict[str, set[str]] = {}
    for row in rows:
        sides.setdefault(source_key(row["source"]), set()).add(split_part(row["source"]))
    assert all(len(parts) == 1 for parts in sides.values())
    parts = split_rows(rows)
    positives = Counter({name: sum(r["label"] for r in part) for name, part in parts.items()})
    assert sum(len(p) for p in parts.values()) == len(rows)
    assert 0.4 <= positives["measure"] / sum(positives.values()) <= 0.6, positives
    # stable: the same source always lands on the same side, whatever else is in the file
    assert split_rows(rows[:10])["measure"] == [r for r in parts["measure"] if r in rows[:10]]


def test_grades_are_counted_in_the_wide_cut(tmp_path) -> None:
    from matchers import Scanner, load_ruleset

    rules = tmp_path / "r.toml"
    rules.write_text(
        'version = "x"\nthreshold = 0.6\nsuspect_threshold = 0.3\n'
        '[classes.logo]\nlabel = "logo"\nanchor = true\nterms = ["logo"]\n'
        '[classes.cheap]\nlabel = "cheap"\nterms = ["cheap"]\n'
        '[[rules]]\nid = "logo"\nkind = "keyword"\nclasses = ["logo"]\nweight = 0.4\nexplain = "Logo"\n'
        '[[rules]]\nid = "cheap"\nkind = "proximity"\nclasses = ["cheap", "logo"]\nwindow = 2\nweight = 0.3\n'
        'explain = "Cheap logo"\n',
        encoding="utf-8",
    )
    scanner = Scanner(load_ruleset(rules))
    assert [scanner.scan({"title": t}).grade for t in ("cheap logo", "a logo", "a car")] == [
        "flagged", "suspect", "clear"]
    rows = [{"id": "1", "title": "cheap logo", "label": 1}, {"id": "2", "title": "a logo", "label": 1},
            {"id": "3", "title": "logo art", "label": 0}, {"id": "4", "title": "a car", "label": 0}]
    result = evaluate(rows, scanner)
    assert (result.tp, result.fn, result.fp) == (1, 1, 0)
    assert (result.wide.tp, result.wide.fn, result.wide.fp, result.wide.tn) == (2, 0, 1, 1)
    assert result.suspects == 2 and result.suspect_share == 1.0
    assert result.suspect_negatives == 1 and result.suspect_negative_share == 0.5
    assert [m.grade for m in result.misses] == ["suspect"]
