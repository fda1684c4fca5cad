"""What a regular expression cannot match without: cheap searches that rule out a stretch of text first.

Most stretches a ruleset's patterns run over hold no match: a price pattern needs a digit, an accounts pattern
the word "account". A C search for that one thing (a digit, a literal) is several times cheaper than the
pattern with its alternations and lookarounds, so ``SafePattern.may_match`` asks it first.

The requirements are read off the pattern's syntax tree (``re``'s parser: the ``regex`` syntax the ruleset uses is
``re``'s), taking only what every match must hold: a digit or a run of literal letters outside any optional,
alternative (unless every alternative has it) or lookaround part. A pattern the parser does not read exactly as
``regex`` would (an error, a warning, a brace ``regex`` may read as a fuzzy constraint) gets no gate: it always
runs. A gate is a search of the ``regex`` engine itself, case-insensitive, so it finds whatever the pattern's own
digit or letters would match there.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
import warnings
from collections.abc import Iterable

import regex

#: The digit gate: what ``\\d`` matches in the pattern (the same engine and character tables).
DIGIT = regex.compile(r"\d")
#: Literal runs shorter than this are too common to rule anything out.
LITERAL_MIN = 3
#: A character range this wide is not checked character by character (it is no digit class).
_RANGE_MAX = 64
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
#: Nodes with nothing inside them that a match must hold (any character, an anchor, a back reference).
_LEAVES = (sre.ANY, sre.AT, sre.NOT_LITERAL, sre.GROUPREF)
_BRACES = (ord("{"), ord("}"))


class _Unreadable(Exception):
    """The parser may not read the pattern as ``regex`` does."""


def gates(source: str) -> tuple[regex.Pattern[str], ...]:
    """Searches each of which must find something in a stretch of text for ``source`` to match in it: the digit
    gate and a search for each run of literals (three or more) every match holds, in the pattern's order (none:
    the pattern always runs)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # ("possible nested set": a syntax of ``regex`` read otherwise)
            tree = sre_parse.parse(source)
        digit, runs = _needs(tree)
    except (_Unreadable, re.error, Warning, RecursionError):
        return ()
    found = [DIGIT] if digit else []
    found += [regex.compile(regex.escape(run), regex.VERSION0 | regex.IGNORECASE)
              for run in runs if len(run) >= LITERAL_MIN]
    return tuple(found)


def _needs(items: Iterable[tuple[object, object]]) -> tuple[bool, dict[str, None]]:
    """(a digit, literal runs in order) that every match of this sequence of nodes holds."""
    digit: bool = False
    runs: dict[str, None] = {}
    run: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            if av in _BRACES:  # "{e<=1}": a fuzzy constraint to ``regex``, two literals to ``re``
                raise _Unreadable
            run.append(chr(av))  # type: ignore[arg-type]
            digit = digit or _is_digit(chr(av))  # type: ignore[arg-type]
            continue
        if run:
            runs["".join(run)] = None
            run = []
        inner: tuple[bool, dict[str, None]] | None = None
        if op is sre.IN:
            digit = digit or _digits_only(av)  # type: ignore[arg-type]
        elif op is sre.SUBPATTERN:
            inner = _needs(av[-1])  # type: ignore[index]
        elif op is sre.ATOMIC_GROUP:
            inner = _needs(av)  # type: ignore[arg-type]
        elif op in _REPEATS:
            low, _, item = av  # type: ignore[misc]
            inner = _needs(item) if low >= 1 else _check(item)
        elif op is sre.BRANCH:
            inner = _common([_needs(branch) for branch in av[1]])  # type: ignore[index]
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _check(av[1])  # type: ignore[index]
        elif op not in _LEAVES:  # (a conditional group, anything newer): read no further
            raise _Unreadable
        if inner is not None:
            digit = digit or inner[0]
            runs.update(inner[1])
    if run:
        runs["".join(run)] = None
    return digit, runs


def _check(items: Iterable[tuple[object, object]]) -> tuple[bool, dict[str, None]]:
    """A part no match needs (optional, a lookaround), read only for what makes the pattern unreadable."""
    _needs(items)
    return False, {}


def _common(branches: list[tuple[bool, dict[str, None]]]) -> tuple[bool, dict[str, None]]:
    """What every alternative needs: a digit if each does, a literal run that each holds."""
    digit = bool(branches) and all(d for d, _ in branches)
    runs = {run: None for run in branches[0][1] if all(run in r for _, r in branches[1:])} if branches else {}
    return digit, runs


def _is_digit(char: str) -> bool:
    return DIGIT.fullmatch(char) is not None


def _digits_only(members: list[tuple[object, object]]) -> bool:
    """A character class every member of which the digit gate matches (``\\d``, "0-9", "０-９")."""
    for op, av in members:
        if op is sre.CATEGORY:
            if av is not sre.CATEGORY_DIGIT:
                return False
        elif op is sre.LITERAL:
            if not _is_digit(chr(av)):  # type: ignore[arg-type]
                return False
        elif op is sre.RANGE:
            low, high = av  # type: ignore[misc]
            if high - low > _RANGE_MAX or not all(_is_digit(chr(c)) for c in range(low, high + 1)):
                return False
        else:  # a negated class, anything else
            return False
    return bool(members)
