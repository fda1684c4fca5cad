"""Hostile text stays cheap: scanning is linear in the length of a field, whatever the text is made of, and
user regular expressions (ruleset classes, site profiles) cannot stall a scan or a crawl."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import regex
from typer.testing import CliRunner

import gigscan.commands.detect  # noqa: F401  (registers the commands)
import gigscan.commands.profile  # noqa: F401
from crawler.pages.profile import ProfileError, parse_profile
from gigscan.app import app
from matchers import PatternError, RulesetError, Scanner, compile_pattern, load_ruleset, patterns
from matchers.patterns import SafePattern

runner = CliRunner()
_SPEC = importlib.util.spec_from_file_location(
    "bench_scan", Path(__file__).resolve().parent.parent / "bench" / "bench_scan.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bench_scan = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench_scan)

#: Shapes of hostile text, each a unit repeated to the wanted size: many terms close together, the disguises
#: the key repairs (spaced out, digits for letters, masked), a non-Latin script, and ordinary listing text.
UNITS = {
    "listing": "I will write SEO articles. Check my reviews on this platform, over 300 five star reviews. "
               "I can optimize your listing for Google and Amazon search with researched keywords.\n",
    "dense": "buy 5 star google reviews, trustpilot reviews 100 reviews $5 per review. ",
    "spaced": "r e v i e w s  g o o g l e  5 s t a r ",
    "leet": "g00gle rev1ews tr5stp1l0t r4t1ngs amaz0n ",
    "masked": "r**views g**gle 5 st*r ",
    "cyrillic": "Купить отзывы на Яндекс Картах 5 звезд ",
}


def text_of(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _seconds(scanner: Scanner, text: str) -> float:
    """CPU seconds of this thread (not wall time: other processes on a busy machine must not fail the test)."""
    started = time.thread_time()
    scanner.scan({"title": "x", "description": text})
    return time.thread_time() - started


def _bare_seconds(scanner: Scanner, text: str) -> float:
    """The benchmark's bare pass (bench/bench_scan.py): lower-case the text, run every term through one
    automaton and keep the word-bounded matches: the least any keyword scanner does."""
    automaton = bench_scan.bare_automaton(scanner)
    started = time.thread_time()
    bench_scan.bare_pass(automaton, [{"title": "x", "description": text}])
    return time.thread_time() - started


@pytest.mark.parametrize("kind", sorted(UNITS))
def test_scan_time_grows_linearly_with_the_text(scanner: Scanner, kind: str) -> None:
    small, large = text_of(UNITS[kind], 50_000), text_of(UNITS[kind], 400_000)
    _seconds(scanner, small)  # warm: the memos and tables fill on first use
    ratio = min(_seconds(scanner, large) for _ in range(2)) / min(_seconds(scanner, small) for _ in range(3))
    assert ratio < 20, f"{kind}: 8x the text took {ratio:.1f}x the time (linear is 8x, quadratic 64x)"


@pytest.mark.slow
def test_a_10_mb_description_scans_within_a_budget_of_a_bare_pass(scanner: Scanner) -> None:
    block = 100_000
    text = "".join(text_of(UNITS[kind], block) for _ in range(17) for kind in sorted(UNITS))[:10_000_000]
    bare = sorted(_bare_seconds(scanner, text) for _ in range(3))[1]
    took = _seconds(scanner, text)
    assert took < bare * 300, f"10 MB took {took:.1f} s, a bare pass {bare:.2f} s"


# -- user patterns -----------------------------------------------------------------------------------------

CATASTROPHIC = [r"^(a+)+$", r"(a|aa)+$", r"(\w+\s?)+$", r"^(\d+)*$", r"(x+x+)+y", r"(.*,){12}x", r"\s*\s*\s*$"]


@pytest.mark.parametrize("source", CATASTROPHIC)
def test_a_pattern_that_backtracks_catastrophically_is_refused(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(PatternError, match="backtracks catastrophically"):
        compile_pattern(source)
    assert time.perf_counter() - started < 5


def test_the_shipped_patterns_and_ordinary_ones_are_accepted() -> None:
    assert all(p.pattern for c in load_ruleset().classes.values() for p in c.patterns)
    for source in [r"/gig/([a-z0-9_-]+)", r"(\d+)\s*reviews?", r"^@(\w+)$", r"(?<![\w.])\d{1,6}(?!\s*star)"]:
        assert compile_pattern(source).search("x /gig/abc 12 reviews") is not None or source.startswith("^@")
    with pytest.raises(PatternError, match="bad regular expression"):
        compile_pattern("(unclosed")


def _timed_as(seconds_per: Callable[[int], float]) -> Callable[[object, str], float]:
    """A stand-in for the probe's clock: a search of a text of ``n`` characters takes ``seconds_per(n)``."""
    return lambda compiled, text: seconds_per(len(text))


def test_a_slow_but_linear_pattern_is_accepted_and_a_quadratic_one_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a slow machine a long word alternation takes over ``CHECK_SECONDS`` on a probe; only growth faster than
    the text's length refuses it (the shipped ruleset was once refused so)."""
    words = "|".join(rf"\b{word}\b" for word in ["widget", "plugin", "setup", "fees", "a month", "per click"])
    monkeypatch.setattr(patterns, "_search_seconds", _timed_as(lambda n: n * 1e-5))  # 50 ms a probe, 12.5 a quarter
    assert compile_pattern(words).pattern == words
    assert compile_pattern(r"(\d+)\s*reviews?").pattern
    monkeypatch.setattr(patterns, "_search_seconds", _timed_as(lambda n: n * n * 2e-9))  # 50 ms, 3 ms a quarter
    with pytest.raises(PatternError, match="backtracks catastrophically"):
        compile_pattern(r"(\d+)\s*reviews?")
    monkeypatch.setattr(patterns, "_search_seconds", _timed_as(lambda n: 0.2))  # slow at any length: exponential
    with pytest.raises(PatternError, match="backtracks catastrophically"):
        compile_pattern(words)


def test_a_pattern_without_repeats_is_probed_once_and_one_with_repeats_with_each_of_its_characters() -> None:
    words = r"\bwidget\b|\bper\ click\b|\bв\ месяц\b|广告"
    assert len(list(patterns._probe_texts(words))) == 1
    for source in [r"\bwidgets?\b", r"\d{1,4}", r"(?:ab)+", r"a*", r"[?]x", r"(?:word){e<=1}"]:
        assert len(list(patterns._probe_texts(source))) > 10, source
    assert not patterns._repeats(r"\(\?\+\*\{(?:x|y)(?<!z)")


def test_a_search_that_slips_past_the_check_stops_at_its_time_limit(caplog: pytest.LogCaptureFixture) -> None:
    source = r"^(a+)+$"
    slow = SafePattern(source, regex.compile(source), limit=0.2)  # the check bypassed on purpose
    started = time.perf_counter()
    assert list(slow.finditer("a" * 200_000 + "!")) == []
    assert slow.search("a" * 200_000 + "!") is None
    assert time.perf_counter() - started < 3
    assert "ran over its 0.2 s limit" in caplog.text


def _ruleset_with(pattern: str) -> str:
    return (
        'version = "x"\nthreshold = 0.5\n[classes.logo]\nlabel = "logo"\nanchor = true\nterms = ["logo"]\n'
        f"[classes.evil]\nlabel = \"evil\"\npatterns = ['{pattern}']\n"
        '[[rules]]\nid = "logo"\nkind = "proximity"\nclasses = ["logo", "evil"]\nwindow = 3\nweight = 0.9\n'
        'explain = "Logo"\n'
    )


def test_classify_with_a_catastrophic_ruleset_pattern_fails_fast_and_clearly(tmp_path: Path) -> None:
    rules = tmp_path / "evil.toml"
    rules.write_text(_ruleset_with("^(a+)+$"), encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(rules)
    assert caught.value.problems[0].line == 9  # the patterns line
    started = time.perf_counter()
    line = '{"id": "1", "title": "logo ' + "a" * 50_000 + '!"}\n'
    result = runner.invoke(app, ["classify", "--rules", str(rules)], input=line)
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2 and "backtracks catastrophically" in result.stderr


def test_a_profile_with_a_catastrophic_pattern_is_refused(tmp_path: Path) -> None:
    source = (
        '[site]\nmarketplace = "demo"\nbase_url = "https://demo.example"\n[listing]\n'
        'id = { url = "/item/(\\\\d+)" }\ntitle = { css = "h1::text", regex = "^(a+)+$" }\n'
        'seller = { css = ".by::text" }\n'
    )
    with pytest.raises(ProfileError, match="backtracks catastrophically"):
        parse_profile(source)
    path = tmp_path / "evil.toml"
    path.write_text(source, encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text("<h1>" + "a" * 100_000 + "!</h1>", encoding="utf-8")
    started = time.perf_counter()
    result = runner.invoke(app, ["profile", "test", str(path), str(page)])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2 and "backtrackscatastrophically" in "".join(result.output.split())
