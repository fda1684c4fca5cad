"""Ruleset loading and validation: the bundled rules load and pass their examples; bad files name their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchers import RulesetError, Scanner, check_ruleset, load_ruleset
from matchers.ruleset import _bundled_source
from matchers.terms import expand

GOOD = '''version = "t1"
threshold = 0.5

[seeds]
queries = ["buy reviews"]

[classes.rating]
label = "rating term"
anchor = true
terms = ["review(s)"]

[classes.buy]
label = "buying word"
terms = ["buy"]

[[rules]]
id = "buy-reviews"
kind = "proximity"
classes = ["buy", "rating"]
window = 2
weight = 0.6
explain = "Reviews for sale"
must_match = ["buy reviews"]
must_not_match = ["reviews"]
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_ruleset_loads_with_version_and_seeds() -> None:
    ruleset = load_ruleset()
    assert ruleset.version and ruleset.version in _bundled_source()
    assert "amazon reviews" in ruleset.seed_queries
    assert {"trustpilot", "口コミ", "구글 리뷰", "recenze google", "đánh giá google"} <= set(ruleset.seed_queries)
    folded = [query.casefold() for query in ruleset.seed_queries]
    assert len(folded) == len(set(folded)), "each seed query is searched once"
    assert {"platform", "rating", "honest_object"} <= ruleset.classes.keys()
    assert all(r.must_match for r in ruleset.rules), "every rule carries examples"


def test_bundled_ruleset_passes_its_own_examples() -> None:
    assert check_ruleset(None) == []


def test_a_small_ruleset_file_loads_and_scans(tmp_path: Path) -> None:
    ruleset = load_ruleset(write(tmp_path, GOOD))
    assert ruleset.version == "t1"
    assert Scanner(ruleset).scan({"title": "Buy reviews"}).flagged
    assert check_ruleset(write(tmp_path, GOOD)) == []


def test_syntax_error_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(RulesetError) as caught:
        load_ruleset(write(tmp_path, GOOD.replace('weight = 0.6', 'weight = = 0.6')))
    problem = caught.value.problems[0]
    assert problem.line == GOOD.splitlines().index("weight = 0.6") + 1
    assert "syntax" in problem.message


@pytest.mark.parametrize(
    ("change", "message", "line_text"),
    [
        (('window = 2', 'windw = 2'), "unknown key 'windw'", "windw = 2"),
        (('classes = ["buy", "rating"]', 'classes = ["buy", "ratings"]'), "unknown class 'ratings'", "[[rules]]"),
        (('weight = 0.6', 'weight = 3'), "'weight' must be in (0, 1]", "weight = 3"),
        (('terms = ["buy"]', 'terms = "buy"'), "'terms' must be list", 'terms = "buy"'),
        (('terms = ["buy"]', 'patterns = ["(unclosed"]'), "bad regular expression", 'patterns = ["(unclosed"]'),
        (('kind = "proximity"', 'kind = "magic"'), "'kind' must be one of", 'kind = "magic"'),
        (('version = "t1"', 'version = ""'), "'version' must not be empty", 'version = ""'),
        (('window = 2', 'window = 2\nspan = "paragraph"'), "'span' must be one of", 'span = "paragraph"'),
        (('window = 2', 'window = 2\ntitle_span = "page"'), "'title_span' must be one of", 'title_span = "page"'),
        (("[seeds]", "[negation]\nscope = 0\n\n[seeds]"), "'scope' must be >= 1", "scope = 0"),
        (('window = 2', 'window = 2\nabsent = ["offers"]'), "unknown class 'offers'", "[[rules]]"),
    ],
)
def test_schema_errors_name_their_line(tmp_path: Path, change, message: str, line_text: str) -> None:
    text = GOOD.replace(*change)
    problems = check_ruleset(write(tmp_path, text))
    assert problems and all(p.severity == "error" for p in problems)
    hit = next(p for p in problems if message in p.message)
    assert hit.line == text.splitlines().index(line_text) + 1
    assert str(hit).startswith(f"{tmp_path / 'rules.toml'}:{hit.line}: ")


def test_failing_examples_are_reported_with_the_rule_line(tmp_path: Path) -> None:
    text = GOOD.replace('must_not_match = ["reviews"]', 'must_not_match = ["buy reviews now"]')
    problems = check_ruleset(write(tmp_path, text))
    assert [p.severity for p in problems] == ["example"]
    assert problems[0].line == text.splitlines().index("[[rules]]") + 1
    assert "buy reviews now" in problems[0].message


def test_missing_file_is_a_clear_problem(tmp_path: Path) -> None:
    problems = check_ruleset(tmp_path / "nope.toml")
    assert len(problems) == 1 and "cannot read" in problems[0].message


def test_negation_table_cancels_a_selling_word(tmp_path: Path) -> None:
    negated = GOOD.replace("[seeds]", '[negation]\nwords = ["never"]\n\n[seeds]').replace(
        'terms = ["buy"]', 'terms = ["buy"]\nnegatable = true')
    scanner = Scanner(load_ruleset(write(tmp_path, negated)))
    assert not scanner.scan({"title": "we never buy reviews"}).flagged
    assert scanner.scan({"title": "we buy reviews"}).flagged


def test_term_expansion() -> None:
    assert expand("review(s)") == ["review", "reviews"]
    assert expand("отзыв(|ы|ов)") == ["отзыв", "отзывы", "отзывов"]
    assert expand("5 star(s)") == ["5 star", "5 stars"]


def test_toml_lines_find_tables_entries_and_keys_for_rules_and_profiles():
    from matchers.toml_lines import TomlLines, TomlSyntaxError, parse

    text = 'version = "1"\n[ seeds ]\nfiverr = []\n[[rules]]\nid = "a"\n[[rules]]\n# id = "x"\nkind = "k"\n'
    lines = TomlLines(text)
    assert (lines.table("seeds"), lines.entry("rules", 0), lines.entry("rules", 1), lines.entry("rules", 2)) == (
        2, 4, 6, None)
    assert (lines.key(None, "version"), lines.key(2, "fiverr"), lines.key(6, "kind"), lines.key(6, "id")) == (
        1, 3, 8, 6)  # a key not written in its table: the table's line
    assert parse(text)["rules"][1] == {"kind": "k"}
    with pytest.raises(TomlSyntaxError) as raised:
        parse('a = 1\n\nb = = 2\n')
    assert raised.value.line == 3


def test_suspect_threshold_must_not_exceed_the_threshold(tmp_path) -> None:
    import pytest

    from matchers import RulesetError, load_ruleset

    base = ('version = "x"\nthreshold = 0.5\n{extra}[classes.logo]\nlabel = "logo"\nanchor = true\n'
            'terms = ["logo"]\n[[rules]]\nid = "logo"\nkind = "keyword"\nclasses = ["logo"]\nweight = 0.9\n'
            'explain = "Logo"\n')
    path = tmp_path / "r.toml"
    path.write_text(base.format(extra="suspect_threshold = 0.7\n"), encoding="utf-8")
    with pytest.raises(RulesetError, match="suspect_threshold"):
        load_ruleset(path)
    path.write_text(base.format(extra=""), encoding="utf-8")
    assert load_ruleset(path).suspect_threshold is None


def test_a_rule_does_not_fire_with_a_term_of_an_absent_class(tmp_path: Path) -> None:
    """``absent``: a frame of the whole text ("news of a lawsuit") only where nobody offers anything."""
    text = GOOD.replace('[[rules]]', '''[classes.news]
label = "news word"
terms = ["lawsuit"]

[classes.offer]
label = "offer word"
terms = ["order now"]

[[rules]]
id = "news-frame"
kind = "negative"
scope = "document"
classes = ["news"]
absent = ["offer"]
weight = 0.9
explain = "News about the trade"
must_match = ["lawsuit over buy reviews"]
must_not_match = ["lawsuit? buy reviews, order now"]

[[rules]]''', 1)
    scanner = Scanner(load_ruleset(write(tmp_path, text)))
    assert check_ruleset(write(tmp_path, text)) == []
    news = scanner.scan({"title": "Buy reviews", "description": "A lawsuit names those who buy reviews."})
    assert not news.flagged and "news-frame" in {r.rule_id for r in news.reasons}
    assert scanner.scan({"title": "Buy reviews", "description": "No lawsuit ever. Order now."}).flagged
