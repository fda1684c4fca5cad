"""Measure a scanner against labeled listings: precision, recall, F1, per-category results, the misses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .scan import Scanner, Verdict


@dataclass(frozen=True)
class Miss:
    """A misclassified row: a false positive (label 0, flagged) or a false negative (label 1, not flagged)."""

    id: str
    label: int
    category: str
    score: float
    title: str
    reasons: list[str]


@dataclass(frozen=True)
class CategoryResult:
    category: str
    label: int
    rows: int
    flagged: int

    @property
    def recall(self) -> float | None:
        """Share of label-1 rows flagged (None for label-0 categories, whose ``flagged`` are false positives)."""
        return self.flagged / self.rows if self.label == 1 and self.rows else None


@dataclass(frozen=True)
class Evaluation:
    tp: int
    fp: int
    fn: int
    tn: int
    categories: list[CategoryResult] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "confusion": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
            "categories": [
                {**asdict(c), "recall": None if c.recall is None else round(c.recall, 4),
                 "false_positives": c.flagged if c.label == 0 else None}
                for c in self.categories
            ],
            "misses": [asdict(m) for m in self.misses],
        }


def evaluate(rows: Iterable[Mapping[str, Any]], scanner: Scanner | None = None) -> Evaluation:
    """Scan every labeled row (``label`` 0/1, optional ``category``) and count what the scanner got right."""
    if scanner is None:
        from .ruleset import load_ruleset

        scanner = Scanner(load_ruleset())
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    per_category: dict[tuple[str, int], list[int]] = {}
    misses: list[Miss] = []
    for index, row in enumerate(rows):
        label = int(row["label"])
        verdict = scanner.scan(row)
        category = str(row.get("category") or "uncategorised")
        tally = per_category.setdefault((category, label), [0, 0])
        tally[0] += 1
        tally[1] += verdict.flagged
        outcome = ("t" if verdict.flagged == bool(label) else "f") + ("p" if verdict.flagged else "n")
        counts[outcome] += 1
        if outcome in ("fp", "fn"):
            misses.append(_miss(row, index, label, category, verdict))
    categories = [CategoryResult(c, label, n, f) for (c, label), (n, f) in sorted(per_category.items(),
                                                                                   key=lambda i: (-i[0][1], i[0][0]))]
    return Evaluation(categories=categories, misses=misses, **counts)


def _miss(row: Mapping[str, Any], index: int, label: int, category: str, verdict: Verdict) -> Miss:
    return Miss(
        id=str(row.get("id", index)),
        label=label,
        category=category,
        score=verdict.score,
        title=str(row.get("title") or "")[:120],
        reasons=[f"{r.rule_id} ({r.weight:+.2f}): {r.text}" for r in verdict.reasons],
    )
