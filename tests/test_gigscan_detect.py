"""The detect commands: classify streams JSON Lines in order, eval measures, rules check validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gigscan.commands.detect  # noqa: F401  (registers the commands)
from gigscan.app import app

runner = CliRunner()
TITLES = ["Buy Google reviews, non-drop", "I will design a modern logo", "I will review your resume",
          "Need 50 Trustpilot reviews from different IPs"]


def listing_lines(count: int):
    for i in range(count):
        yield json.dumps({"id": i, "title": TITLES[i % len(TITLES)], "description": "Fast delivery.",
                          "tags": ["x"]}) + "\n"


def test_classify_streams_one_line_per_input_line_in_order() -> None:
    result = runner.invoke(app, ["classify", "-"], input="".join(listing_lines(4000)))
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [row["id"] for row in out] == list(range(4000))
    assert [row["flagged"] for row in out[:4]] == [True, False, False, True]
    assert set(out[0]) == {"id", "flagged", "grade", "score", "reasons"}
    assert [row["grade"] for row in out[:4]] == ["flagged", "clear", "clear", "flagged"]
    reason = out[0]["reasons"][0]
    assert TITLES[0][reason["start"] : reason["end"]] == reason["text"]


def test_classify_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(listing_lines(5)), encoding="utf-8")
    result = runner.invoke(app, ["classify", str(path)])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 5


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "line 3: not valid JSON"),
        ('["a list"]', "line 3: expected a JSON object"),
        ('{"title": "no id"}', 'line 3: missing "id"'),
        ('{"id": 3, "title": 5}', 'line 3: "title" must be a string'),
        ('{"id": 3, "tags": "buy"}', 'line 3: "tags" must be a list of strings'),
    ],
)
def test_classify_bad_line_exits_2_naming_the_line(bad: str, message: str) -> None:
    text = "".join(listing_lines(2)) + bad + "\n" + "".join(listing_lines(1))
    result = runner.invoke(app, ["classify"], input=text)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stdout.splitlines()) == 2  # the good lines before it were already written


def test_classify_with_another_ruleset(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text(
        'version = "x"\nthreshold = 0.5\n[classes.logo]\nlabel = "logo"\nanchor = true\nterms = ["logo"]\n'
        '[[rules]]\nid = "logo"\nkind = "keyword"\nclasses = ["logo"]\nweight = 0.9\nexplain = "Logo"\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["classify", "--rules", str(rules)], input="".join(listing_lines(2)))
    assert [json.loads(line)["flagged"] for line in result.output.splitlines()] == [False, True]
    broken = runner.invoke(app, ["classify", "--rules", str(tmp_path / "missing.toml")], input="")
    assert broken.exit_code == 2 and "invalid ruleset" in broken.stderr


def labeled_file(tmp_path: Path, rows: list[dict]) -> Path:
    """Labeled rows as ``gigscan eval`` reads them (JSON Lines)."""
    path = tmp_path / "labeled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_eval_json_and_table(tmp_path: Path) -> None:
    rows = [{"id": "p", "title": "Buy Yelp reviews", "label": 1, "category": "yelp"},
            {"id": "n", "title": "I will review your CV", "label": 0, "category": "honest"}]
    path = labeled_file(tmp_path, rows)
    result = runner.invoke(app, ["eval", str(path), "--json"])
    data = json.loads(result.output)
    assert (data["precision"], data["recall"], data["confusion"]["tn"]) == (1.0, 1.0, 1)
    table = runner.invoke(app, ["eval", str(path)])
    assert table.exit_code == 0 and "precision 1.000" in table.output and "per category" in table.output
    assert "per source_type" not in table.output  # rows that do not say what kind of text they are


def test_eval_says_where_the_errors_sit_per_kind_of_text(tmp_path: Path) -> None:
    """Real sets mix listings, vendor pages and articles; the errors concentrate in one kind, so eval counts
    each ``source_type`` apart."""
    rows = [{"id": "v", "title": "Buy Yelp reviews", "label": 1, "source_type": "vendor_site"},
            {"id": "a", "title": "Buy Trustpilot reviews", "label": 0, "source_type": "article"},
            {"id": "b", "title": "I will review your CV", "label": 0, "source_type": "article"},
            {"id": "m", "title": "I will design your logo", "label": 0, "source_type": "marketplace_listing"}]
    path = labeled_file(tmp_path, rows)
    kinds = json.loads(runner.invoke(app, ["eval", str(path), "--json"]).output)["source_types"]
    assert [(k["category"], k["label"], k["rows"], k["flagged"]) for k in kinds] == [
        ("vendor_site", 1, 1, 1), ("article", 0, 2, 1), ("marketplace_listing", 0, 1, 0)]
    table = runner.invoke(app, ["eval", str(path)]).output
    assert "per source_type" in table and "marketplace_listing" in table
    assert "per listing_side" not in table  # no row says which side of the market wrote it


def test_eval_counts_buyers_posts_apart_from_sellers_gigs(tmp_path: Path) -> None:
    """A buyer's post procures reviews in other words than a seller's gig: eval counts each ``listing_side``."""
    rows = [{"id": "s", "title": "Buy Yelp reviews", "label": 1, "listing_side": "seller"},
            {"id": "b", "title": "Need people to rate our app, paid per review", "label": 1, "listing_side": "buyer"},
            {"id": "c", "title": "I will review your CV", "label": 0, "listing_side": "seller"}]
    path = labeled_file(tmp_path, rows)
    sides = json.loads(runner.invoke(app, ["eval", str(path), "--json"]).output)["listing_sides"]
    assert sorted((k["category"], k["label"], k["rows"]) for k in sides) == [
        ("buyer", 1, 1), ("seller", 0, 1), ("seller", 1, 1)]
    assert "per listing_side" in runner.invoke(app, ["eval", str(path)]).output


def test_eval_errors_and_split_parts(tmp_path: Path) -> None:
    rows = [{"id": "p", "title": "Buy Yelp reviews", "label": 1, "source": "https://a.example/1"},
            {"id": "m", "title": "I will design your logo", "label": 1, "source": "https://b.example/2"},
            {"id": "n", "title": "I will review your CV", "label": 0, "source": "repo:x/y:data.csv@1"},
            {"id": "f", "title": "Buy Trustpilot reviews", "label": 0, "source": "repo:x/y:data.csv@1"}]
    path = labeled_file(tmp_path, rows)
    data = json.loads(runner.invoke(app, ["eval", str(path), "--json", "--errors"]).output)
    assert [m["id"] for m in data["misses"]] == ["m", "f"] and data["misses"][0]["grade"] == "clear"
    assert any(reason.startswith("buy-reviews") for reason in data["misses"][1]["reasons"])
    assert set(data["parts"]) == {"tune", "measure"}
    assert sum(p["confusion"]["tp"] + p["confusion"]["fn"] for p in data["parts"].values()) == 2
    assert "misses" not in json.loads(runner.invoke(app, ["eval", str(path), "--json", "--no-split"]).output)
    table = runner.invoke(app, ["eval", str(path), "--errors"])
    assert "FALSE f " in table.output and "buy-reviews (+0.45): Buy Trustpilot reviews" in table.output
    assert "MISS  m " in table.output and "I will design your logo" in table.output
    assert "measure part" in table.output


def test_rules_check_exit_codes(tmp_path: Path) -> None:
    assert runner.invoke(app, ["rules", "check"]).exit_code == 0
    good = ('version = "x"\nthreshold = 0.5\n[classes.logo]\nlabel = "logo"\nanchor = true\nterms = ["logo"]\n'
            '[[rules]]\nid = "logo"\nkind = "keyword"\nclasses = ["logo"]\nweight = 0.9\nexplain = "Logo"\n')
    failing = tmp_path / "failing.toml"
    failing.write_text(good + 'must_match = ["banner"]\n', encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(failing)])
    assert result.exit_code == 1 and "should match 'banner'" in result.stderr
    invalid = tmp_path / "invalid.toml"
    invalid.write_text(good.replace("weight = 0.9", "weight = 9"), encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(invalid)])
    assert result.exit_code == 2 and f"{invalid}:11:" in result.stderr
