"""What a regular expression cannot match without: cheap substring tests that let a scan skip running it.

Python's ``re`` tries a pattern such as ``(?<![\\w.,$%])\\d{1,6}`` at every position of a text; a C substring
search for what every match must contain ("account", "://", a digit) answers "no match here" far sooner.
The tests are derived from the parsed pattern and are conservative: when a test fails, the pattern cannot
match; when it passes, the pattern still runs and decides. Anything the derivation does not understand
(lookarounds, back-references, flag groups) simply adds no test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]  # the parser's own vocabulary (Python >= 3.11)
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)}


@dataclass(frozen=True)
class Needs:
    """A match contains one of ``strings`` or, when ``digit``, a decimal digit."""

    strings: frozenset[str] = frozenset()
    digit: bool = False

    def probe(self, ascii_text: bool = False) -> Probe:
        """The search that finds any of it. ``ascii_text``: the searched text is ASCII (the match key), where
        a digit can only be one of 0-9."""
        strings = tuple(sorted(self.strings, key=lambda s: (-len(s), s)))
        digit = re.compile("[0-9]" if ascii_text else r"\d") if self.digit else None
        return Probe(strings, digit)

    def __or__(self, other: Needs) -> Needs:
        return Needs(self.strings | other.strings, self.digit or other.digit)


@dataclass(frozen=True)
class Probe:
    """A ``Needs`` as a search: a C substring search per string (``re`` tries an alternation of words at every
    position, far slower), and one ``re`` search for a digit."""

    strings: tuple[str, ...]
    digit: re.Pattern[str] | None

    def found(self, text: str, start: int, end: int) -> bool:
        """Does ``text[start:end]`` hold one of the strings or a digit?"""
        for string in self.strings:
            if text.find(string, start, end) >= 0:
                return True
        if self.digit is None:
            return False
        for digit in _ASCII_DIGITS:  # a C search each; most stretches hold an ASCII digit or are ASCII
            if text.find(digit, start, end) >= 0:
                return True
        return not text.isascii() and self.digit.search(text, start, end) is not None  # other scripts' digits


_ASCII_DIGITS = "0123456789"


def requirements(pattern: re.Pattern[str], lowercase_ascii: bool) -> tuple[Needs, ...]:
    """Every ``Needs`` that each match of ``pattern`` meets. ``lowercase_ascii``: the searched text is known
    to be lower-case ASCII (the match key), so case-insensitive letters can be tested in lower case."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError, ValueError):  # pragma: no cover - a compiled pattern parses
        return ()
    return tuple(_Derivation(bool(pattern.flags & re.IGNORECASE), lowercase_ascii).sequence(list(parsed)))


def probes(pattern: re.Pattern[str], lowercase_ascii: bool) -> tuple[Probe, ...]:
    """``requirements`` as searches: a match of ``pattern`` within a stretch of text is only possible if each
    of them finds something in that stretch."""
    return tuple(dict.fromkeys(n.probe(lowercase_ascii) for n in requirements(pattern, lowercase_ascii)))


@dataclass(frozen=True)
class _Derivation:
    ignorecase: bool
    lowercase_ascii: bool

    def char(self, code: int) -> str | None:
        """The character a literal needs in the text, or None when case folding makes that uncertain."""
        char = chr(code)
        if not self.ignorecase:
            return char
        if char.isalpha():  # some non-ASCII letters match ASCII ones ("K" Kelvin sign, "ſ")
            return char.lower() if self.lowercase_ascii and char.isascii() else None
        return char if char.lower() == char == char.upper() else None  # uncased: "$", "€", "/", "7"

    def sequence(self, items: list[tuple[Any, Any]]) -> list[Needs]:
        """Needs of a sequence: runs of literals as substrings, plus what each required item needs."""
        out: list[Needs] = []
        run: list[str] = []
        for op, av in items:
            char = self.char(av) if op == sre.LITERAL else None
            if char is not None:
                run.append(char)
                continue
            if run:
                out.append(Needs(frozenset({"".join(run)})))
                run = []
            out.extend(self.item(op, av))
        if run:
            out.append(Needs(frozenset({"".join(run)})))
        return out

    def item(self, op: Any, av: Any) -> list[Needs]:
        if op in _REPEATS:
            low, _, body = av
            return self.sequence(list(body)) if low >= 1 else []
        if op == sre.SUBPATTERN:
            _, add_flags, del_flags, body = av
            return [] if add_flags or del_flags else self.sequence(list(body))
        if op == sre.BRANCH:
            return self.branch(av[1])
        if op == sre.IN:
            needs = self.one_of(av)
            return [needs] if needs is not None else []
        return []  # lookarounds, anchors, any character, back-references...: no test

    def branch(self, alternatives: list[Any]) -> list[Needs]:
        """One of the alternatives matched, so one of their needs is met: the union of one need of each."""
        union = Needs()
        for alternative in alternatives:
            needs = self.sequence(list(alternative))
            if not needs:
                return []
            union = union | max(needs, key=lambda n: min((len(s) for s in n.strings), default=0))
        return [union]

    def one_of(self, members: list[tuple[Any, Any]]) -> Needs | None:
        """A character class as a need: its literal characters and digits, if that is all it holds."""
        chars: set[str] = set()
        digit = False
        for op, av in members:
            if op == sre.LITERAL and (char := self.char(av)) is not None:
                chars.add(char)
            elif op == sre.CATEGORY and av == sre.CATEGORY_DIGIT:
                digit = True
            else:
                return None
        return Needs(frozenset(chars), digit)
