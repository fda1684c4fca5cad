"""User regular expressions (ruleset classes, site profiles) that cannot stall a scan or a crawl.

A pattern such as ``^(a+)+$`` backtracks for ever on a long run of "a"s. Patterns here are compiled with the
``regex`` library (the same syntax as ``re``, lookarounds included, and a time limit per search), and
``compile_pattern`` refuses a pattern that already backtracks badly on a few long, repetitive probe texts made
from its own characters. What that check misses, the time limit stops: a search that runs over it ends with
no further match and a logged warning, so one hostile text costs at most ``limit`` seconds per pattern.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import regex

__all__ = ["CHECK_SECONDS", "LIMIT_SECONDS", "PatternError", "SafePattern", "WordGate", "compile_pattern"]

log = logging.getLogger(__name__)

#: How long a search may run before it is cut short (seconds).
LIMIT_SECONDS = 1.0
#: How long one probe search may take at compile time before the pattern is refused (seconds): a sane pattern
#: takes well under 2 ms on a probe text, one with nested repeats hundreds.
CHECK_SECONDS = 0.025
#: Length of the probe texts: long enough for a quadratic pattern to show, short for a sane one.
PROBE_LENGTH = 5000
#: How many times longer a probe may take than a quarter of it before the pattern counts as backtracking: linear
#: is 4, quadratic 16.
SUPERLINEAR = 8
#: Characters every pattern is probed with, besides the literal characters of its own source.
_PROBE_CHARS = "a1 .,-_/é\t"
#: Characters of a pattern's source that are syntax, not text it looks for.
_SYNTAX = set("\\()[]{}|*+?^$")


class PatternError(ValueError):
    """A pattern that does not compile, or that backtracks catastrophically (one line, for the user)."""


@dataclass(frozen=True)
class SafePattern:
    """A compiled user pattern whose searches stop after ``limit`` seconds."""

    pattern: str
    compiled: regex.Pattern[str] = field(repr=False)
    limit: float = LIMIT_SECONDS

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> regex.Match[str] | None:
        """The first match in ``text[pos:endpos]``, or None (also when the search ran over its time limit)."""
        try:
            return self.compiled.search(text, pos, len(text) if endpos is None else endpos, timeout=self.limit)
        except TimeoutError:
            self._warn(text)
            return None

    def matches(self, text: str, pos: int = 0, endpos: int | None = None) -> list[regex.Match[str]]:
        """``finditer``'s matches as a list, with no generator between the search and its caller: pattern classes
        search every zone of every field with each of their patterns, most of them finding nothing."""
        found: list[regex.Match[str]] = []
        try:  # (a search cut short keeps the matches found before it: list.extend keeps what it took)
            found.extend(self.compiled.finditer(text, pos, len(text) if endpos is None else endpos, timeout=self.limit))
        except TimeoutError:
            self._warn(text)
        return found

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[regex.Match[str]]:
        """Every match in ``text[pos:endpos]``, up to the first search that runs over the time limit."""
        matches = self.compiled.finditer(text, pos, len(text) if endpos is None else endpos, timeout=self.limit)
        try:
            yield from matches
        except TimeoutError:
            self._warn(text)

    def _warn(self, text: str) -> None:
        log.warning("pattern %r ran over its %.1f s limit on a %d-character text: no further match taken",
                    self.pattern, self.limit, len(text))


@dataclass(frozen=True)
class WordGate:
    """A class's gate given as plain strings (``gate = ["account", "konto", ...]``): a stretch of text holds one of
    them, whatever its case. Why not one regular expression: ``regex`` searches an alternation of many words, or a
    case-blind one, position by position (an alternation of 30 account words, case-blind: 1.75 s on the 20,000
    listings of ``bench/bench_scan.py``), where a substring search per word runs in C (0.18 s)."""

    words: tuple[str, ...]

    @property
    def pattern(self) -> str:
        """The words as one line, for messages."""
        return " | ".join(self.words)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> str | None:
        """The first of the words found in ``text[pos:endpos]`` (ignoring case), or None."""
        stretch = text[pos:endpos].lower()
        return next((word for word in self.words if word in stretch), None)


def compile_pattern(source: str, ignorecase: bool = False, limit: float = LIMIT_SECONDS) -> SafePattern:
    """``source`` compiled for time-limited searches; PatternError if it does not compile or backtracks badly."""
    flags = regex.VERSION0 | (regex.IGNORECASE if ignorecase else 0)
    try:
        compiled = regex.compile(source, flags)
    except (regex.error, TypeError, ValueError, OverflowError) as exc:
        raise PatternError(f"bad regular expression {source!r}: {exc}") from None
    slow = _slow_probe(compiled)
    if slow is not None:
        raise PatternError(
            f"regular expression {source!r} backtracks catastrophically (over {CHECK_SECONDS} s on a "
            f"{len(slow):,}-character text of {slow[:6]!r}...): rewrite it without nested or overlapping repeats"
        )
    return SafePattern(source, compiled, limit)


def _repeats(source: str) -> bool:
    """Whether ``source`` may repeat anything (``*``, ``+``, ``?`` or braces, escapes aside). In doubt (a ``?``
    or a brace in a character class, a fuzzy ``{e<=1}``), it counts as a repeat."""
    bare = regex.sub(r"\\.", "x", source).replace("(?", "(")
    return any(char in bare for char in "*+?{")


def _probe_texts(source: str) -> Iterator[str]:
    """Long repetitive texts made of the pattern's own letters and digits and a few common characters: where
    nested or overlapping repeats show their cost. Each ends in a character few patterns expect.

    A pattern without a repeat gets only the first: at each position of a text it tries at most the paths of its
    own alternations, so the text's length cannot make it backtrack (the one probe left is a cheap guard against
    the unforeseen). Probing the long word alternations of a ruleset with every character they hold was most of
    its load time: 14 of 20 s on a slow machine."""
    own = "".join(dict.fromkeys(c for c in source if c.isprintable() and not c.isspace() and c not in _SYNTAX))
    if own:
        yield (own * (PROBE_LENGTH // len(own) + 1))[:PROBE_LENGTH] + "\x00"
    if not _repeats(source):
        return
    for char in dict.fromkeys(own + _PROBE_CHARS):
        yield char * PROBE_LENGTH + "\x00"
        yield (char + " ") * (PROBE_LENGTH // 2) + "\x00"


def _slow_probe(compiled: regex.Pattern[str]) -> str | None:
    """The first probe text on which ``compiled`` is both slow and slower than linear, or None.

    Slow alone is not enough: a long alternation of plain words is linear, yet on a slow or busy machine it can
    take over ``CHECK_SECONDS`` on a probe, and refusing it would refuse the shipped ruleset. So a slow probe is
    searched again at a quarter of its length: linear time falls about fourfold, quadratic sixteenfold, and an
    exponential pattern is still slow. A slow time is the best of three (``_best_seconds``): a cold cache slows a
    sane pattern now and then, never three times over."""
    for text in _probe_texts(compiled.pattern):
        full = _best_seconds(compiled, text)
        if full <= CHECK_SECONDS:
            continue
        quarter = _best_seconds(compiled, text[: len(text) // 4] + text[-1])
        if quarter > CHECK_SECONDS or full > SUPERLINEAR * quarter:
            return text
    return None


def _best_seconds(compiled: regex.Pattern[str], text: str) -> float:
    """``_search_seconds``, and if that is over ``CHECK_SECONDS`` the least of three: the time the search needs,
    without the machine's hiccups. Most probes are far under, and are searched once."""
    first = _search_seconds(compiled, text)
    if first <= CHECK_SECONDS:
        return first
    return min(first, _search_seconds(compiled, text), _search_seconds(compiled, text))


def _search_seconds(compiled: regex.Pattern[str], text: str) -> float:
    """The CPU time this thread spends finding every match in ``text``: CPU time, not wall time, so that other
    processes on a busy machine never make a sane pattern look slow. The search is cut short after
    ``CHECK_SECONDS * 8`` of wall time, room enough for a backtracking one to spend its ``CHECK_SECONDS`` of CPU
    even when it gets an eighth of a core."""
    started = time.thread_time()
    try:
        for _ in compiled.finditer(text, timeout=CHECK_SECONDS * 8):
            pass
    except TimeoutError:
        pass
    return time.thread_time() - started
