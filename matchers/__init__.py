"""gigscan's detection engine: pure text analysis, no I/O beyond reading a ruleset.

normalise -> exact terms (Aho-Corasick) + misspellings (rapidfuzz) -> rules -> score -> verdict with reasons.
The rules are data: a versioned TOML ruleset (``matchers/rules/default.toml`` unless told otherwise).
The hot modules run compiled when a fresh mypyc build exists (see ``compiled``); ``ENGINE`` says which runs.
"""

from pathlib import Path

from .compiled import native_path

_native = native_path(Path(__file__).resolve().parent)
if _native is not None:
    __path__.insert(0, str(_native))  # compiled modules first: the same names, built from these sources
#: "compiled" (mypyc build of these sources) or "python".
ENGINE = "compiled" if _native is not None else "python"

from .evaluate import Evaluation, evaluate  # noqa: E402  (after the engine is chosen)
from .normalise import MatchKey, normalise  # noqa: E402
from .ruleset import Problem, Rule, Ruleset, RulesetError, TermClass, check_ruleset, load_ruleset  # noqa: E402
from .scan import Reason, Scanner, Verdict  # noqa: E402

__all__ = [
    "ENGINE",
    "Evaluation",
    "MatchKey",
    "Problem",
    "Reason",
    "Rule",
    "Ruleset",
    "RulesetError",
    "Scanner",
    "TermClass",
    "Verdict",
    "check_ruleset",
    "evaluate",
    "load_ruleset",
    "normalise",
]
