"""TOML read for validation: parsed with ``tomllib``, with the line of each table, array entry and key found in
the text, so a validator can name the line of every problem it reports.

``tomllib`` returns plain dicts without positions; a person fixing a ruleset or a site profile needs the line.
Shared by the ruleset (:mod:`matchers.ruleset`) and the site profiles (``crawler.pages.profile``); it imports
nothing of the project, so both layers can use it.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

_HEADER = re.compile(r"^\s*\[")
_LINE = re.compile(r"line (\d+)")


class TomlSyntaxError(ValueError):
    """The text is not TOML; ``line`` is where ``tomllib`` stopped (None when it does not say)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


def parse(text: str) -> dict[str, Any]:
    """The TOML document, or :class:`TomlSyntaxError` with its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _LINE.search(str(exc))
        raise TomlSyntaxError(int(found.group(1)) if found else None, str(exc)) from exc


class TomlLines:
    """Finds the (1-based) line of a table, an array-of-tables entry or a key in a TOML text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table(self, dotted: str) -> int | None:
        """The line of ``[a.b]`` (spaces allowed around the dots and brackets)."""
        parts = r"\s*\.\s*".join(map(re.escape, dotted.split(".")))
        return self._first(re.compile(rf"^\s*\[\s*{parts}\s*\]"))

    def entry(self, name: str, index: int) -> int | None:
        """The line of the ``index``-th (0-based) ``[[name]]``."""
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
        numbers = [number for number, line in enumerate(self.lines, 1) if pattern.match(line)]
        return numbers[index] if index < len(numbers) else None

    def key(self, start: int | None, key: str) -> int | None:
        """The line of ``key = ...`` in the table whose header is on line ``start`` (the header's line when the
        key is not written there); with no ``start``, the key's first line anywhere."""
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        if start is None:
            return self._first(pattern)
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            if _HEADER.match(line):
                break
            if pattern.match(line):
                return number + 1
        return start

    def _first(self, pattern: re.Pattern[str]) -> int | None:
        for number, line in enumerate(self.lines, 1):
            if pattern.match(line):
                return number
        return None
