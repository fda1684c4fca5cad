"""gigscan's detection engine: pure text analysis, no I/O beyond reading a ruleset.

normalise -> exact terms (Aho-Corasick) + misspellings (rapidfuzz) -> rules -> score -> verdict with reasons.
The rules are data: a versioned TOML ruleset (``matchers/rules/default.toml`` unless told otherwise).
"""

from .evaluate import Evaluation, evaluate
from .normalise import MatchKey, normalise
from .patterns import PatternError, compile_pattern
from .ruleset import Problem, Rule, Ruleset, RulesetError, TermClass, check_ruleset, load_ruleset
from .scan import Scanner
from .verdict import Reason, Verdict

__all__ = [
    "Evaluation",
    "MatchKey",
    "PatternError",
    "Problem",
    "Reason",
    "Rule",
    "Ruleset",
    "RulesetError",
    "Scanner",
    "TermClass",
    "Verdict",
    "check_ruleset",
    "compile_pattern",
    "evaluate",
    "load_ruleset",
    "normalise",
]
