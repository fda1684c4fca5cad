"""One scanner per ruleset file, shared by the pipelines of a crawl (loading a ruleset builds automata)."""

from __future__ import annotations

from functools import lru_cache

from matchers import Scanner, load_ruleset


@lru_cache(maxsize=4)
def scanner_for(rules_path: str | None) -> Scanner:
    return Scanner(load_ruleset(rules_path))
