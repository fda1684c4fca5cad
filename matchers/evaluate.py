"""Measure a scanner against labeled listings: precision and recall per grade, per category and language, the
errors with the rules that fired; and the tune/measure split of a labeled set by source.

Why grades are measured twice: ``flagged`` is what exports and exhibits take (precision matters most), while
``flagged`` + ``suspect`` is what an analyst's queue catches (recall matters, at the cost of the queue's size,
reported as a share of the negatives).

Why a split by source: rules tuned on a vendor's wording score well on that vendor's other texts and on nothing
else. All texts of one source (a repository or a web host) fall on one side, so the ``measure`` part says how
the rules do on vendors they were never tuned on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .scan import Scanner, Verdict

#: The split's salt: chosen once so that each part holds about half of dev.jsonl's positives (22 tune, 21
#: measure), with the large scraped Fiverr set of negatives on the measure side. Changing it moves sources.
SPLIT_SALT = "gigscan-split-22"
PARTS = ("tune", "measure")
GRADES = ("flagged", "suspect", "clear")


def source_key(source: str) -> str:
    """Who a labeled text comes from: ``owner/name`` of a ``repo:owner/name:path@commit`` source, the host
    (without ``www.``) of a URL, else the source itself, lower-cased."""
    source = source.strip().lower()
    if source.startswith("repo:"):
        return source[5:].split(":", 1)[0].split("@", 1)[0]
    host = re.match(r"[a-z][a-z0-9+.-]*://([^/?#:]+)", source)
    if host:
        name = host.group(1)
        return name[4:] if name.startswith("www.") else name
    return source


def split_part(source: str) -> str:
    """``tune`` or ``measure``: a stable hash of the source key, so a source never changes sides when rows are
    added, and every text of one source is on the same side."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{source_key(source)}".encode()).digest()
    return PARTS[1] if digest[0] % 2 == 0 else PARTS[0]


@dataclass(frozen=True)
class Miss:
    """A row the ``flagged`` grade got wrong: a false flag (label 0, flagged) or a miss (label 1, not flagged),
    with the grade it got (a miss graded ``suspect`` is still in the analyst's queue)."""

    id: str
    label: int
    category: str
    grade: str
    score: float
    title: str
    reasons: list[str]
    language: str = ""


@dataclass(frozen=True)
class Counts:
    """A confusion matrix for one cut: ``flagged`` alone, or ``flagged`` + ``suspect``."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

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
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "confusion": asdict(self)}


@dataclass(frozen=True)
class CategoryResult:
    """Rows of one category (or language) and label, and how many of them each grade took."""

    category: str
    label: int
    rows: int
    flagged: int
    suspect: int = 0

    @property
    def recall(self) -> float | None:
        """Share of label-1 rows flagged (None for label-0 groups, whose ``flagged`` are false positives)."""
        return self.flagged / self.rows if self.label == 1 and self.rows else None

    @property
    def recall_with_suspect(self) -> float | None:
        return (self.flagged + self.suspect) / self.rows if self.label == 1 and self.rows else None

    def to_dict(self) -> dict[str, Any]:
        recall, wide = self.recall, self.recall_with_suspect
        return {**asdict(self), "recall": None if recall is None else round(recall, 4),
                "recall_with_suspect": None if wide is None else round(wide, 4),
                "false_positives": self.flagged if self.label == 0 else None}


@dataclass(frozen=True)
class Evaluation:
    """``tp``..``tn`` count the ``flagged`` grade alone; ``wide`` counts ``flagged`` + ``suspect``."""

    tp: int
    fp: int
    fn: int
    tn: int
    wide: Counts = field(default_factory=Counts)
    suspects: int = 0
    suspect_negatives: int = 0
    categories: list[CategoryResult] = field(default_factory=list)
    languages: list[CategoryResult] = field(default_factory=list)
    #: by the row's ``source_type`` (listing, vendor page, article...): where the errors sit in real text
    source_types: list[CategoryResult] = field(default_factory=list)
    #: by the row's ``listing_side`` (seller, buyer): buyers' posts procure reviews in other words than gigs
    listing_sides: list[CategoryResult] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)

    @property
    def flagged_counts(self) -> Counts:
        return Counts(self.tp, self.fp, self.fn, self.tn)

    @property
    def precision(self) -> float:
        return self.flagged_counts.precision

    @property
    def recall(self) -> float:
        return self.flagged_counts.recall

    @property
    def f1(self) -> float:
        return self.flagged_counts.f1

    @property
    def negatives(self) -> int:
        return self.fp + self.tn

    @property
    def suspect_share(self) -> float:
        """The suspect queue (every row graded ``suspect``) as a share of the negatives."""
        return self.suspects / self.negatives if self.negatives else 0.0

    @property
    def suspect_negative_share(self) -> float:
        """The negatives graded ``suspect`` as a share of the negatives: the analyst's looks that find nothing.
        On a set with few positives (real crawls) this and ``suspect_share`` are about the same."""
        return self.suspect_negatives / self.negatives if self.negatives else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "confusion": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
            "flagged_or_suspect": self.wide.to_dict(),
            "suspects": self.suspects,
            "suspect_share_of_negatives": round(self.suspect_share, 4),
            "suspect_negatives": self.suspect_negatives,
            "suspect_negative_share": round(self.suspect_negative_share, 4),
            "categories": [c.to_dict() for c in self.categories],
            "languages": [c.to_dict() for c in self.languages],
            "source_types": [c.to_dict() for c in self.source_types],
            "listing_sides": [c.to_dict() for c in self.listing_sides],
            "misses": [asdict(m) for m in self.misses],
        }


def evaluate(rows: Iterable[Mapping[str, Any]], scanner: Scanner | None = None) -> Evaluation:
    """Scan every labeled row (``label`` 0/1, optional ``category``, ``language``, ``source_type`` and
    ``listing_side``) and count what each grade got right, overall and per group."""
    if scanner is None:
        from .ruleset import load_ruleset

        scanner = Scanner(load_ruleset())
    flagged = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    wide = dict(flagged)
    groups: dict[str, dict[tuple[str, int], list[int]]] = {key: {} for key in _GROUPS}
    misses: list[Miss] = []
    suspects = [0, 0]  # every row graded suspect, and the negatives among them
    for index, row in enumerate(rows):
        label = int(row["label"])
        verdict = scanner.scan(row)
        suspects[0] += verdict.grade == "suspect"
        suspects[1] += verdict.grade == "suspect" and not label
        for key in _GROUPS:
            name = str(row.get(key) or _group_default(key, row))
            if name:
                tally = groups[key].setdefault((name, label), [0, 0, 0])
                tally[0] += 1
                tally[1] += verdict.flagged
                tally[2] += verdict.grade == "suspect"
        flagged[_outcome(label, verdict.flagged)] += 1
        wide[_outcome(label, verdict.grade != "clear")] += 1
        if verdict.flagged != bool(label):
            misses.append(_miss(row, index, label, verdict))
    return Evaluation(
        wide=Counts(**wide), suspects=suspects[0], suspect_negatives=suspects[1],
        categories=_groups(groups["category"]), languages=_groups(groups["language"]),
        source_types=_groups(groups["source_type"]), listing_sides=_groups(groups["listing_side"]),
        misses=misses, **flagged,
    )


#: the row fields an evaluation is broken down by
_GROUPS = ("category", "language", "source_type", "listing_side")


def _group_default(key: str, row: Mapping[str, Any]) -> str:
    """A row without the field: uncategorised, or the wordings' ``lang``; other groups skip the row."""
    if key == "category":
        return "uncategorised"
    return str(row.get("lang") or "") if key == "language" else ""


def _outcome(label: int, positive: bool) -> str:
    return ("t" if positive == bool(label) else "f") + ("p" if positive else "n")


def _groups(tallies: dict[tuple[str, int], list[int]]) -> list[CategoryResult]:
    """Positives first, then by name."""
    return [CategoryResult(name, label, *tally) for (name, label), tally in
            sorted(tallies.items(), key=lambda item: (-item[0][1], item[0][0]))]


def _miss(row: Mapping[str, Any], index: int, label: int, verdict: Verdict) -> Miss:
    return Miss(
        id=str(row.get("id", index)),
        label=label,
        category=str(row.get("category") or "uncategorised"),
        grade=verdict.grade,
        score=verdict.score,
        title=str(row.get("title") or "")[:120],
        reasons=[f"{r.rule_id} ({r.weight:+.2f}): {r.text}" for r in verdict.reasons],
        language=str(row.get("language") or row.get("lang") or ""),
    )


def split_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Rows by part of the source split (rows without a ``source`` count as ``measure``: never tuned on)."""
    parts: dict[str, list[Mapping[str, Any]]] = {part: [] for part in PARTS}
    for row in rows:
        source = str(row.get("source") or "")
        parts[split_part(source) if source else PARTS[1]].append(row)
    return parts
