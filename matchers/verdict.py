"""What a scan says about a listing: a verdict, and the reasons behind it, each quoting the text as written.

These records cross the layers (the crawler stores them, the desk shows them), so they are defined here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: The fields of a listing that are scanned, in order.
FIELDS = ("title", "description", "tags")


@dataclass(slots=True)
class Reason:
    """Why a rule fired: the text as written in ``field`` at ``[start, end)``, and one plain sentence."""

    rule_id: str
    field: str
    text: str
    start: int
    end: int
    kind: str
    weight: float
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Verdict:
    """The outcome for one listing: flagged or not, the score (0..1) and every reason that counted.

    ``grade``: ``flagged`` (the score reaches the threshold: what exports take), ``suspect`` (it reaches the
    ruleset's ``suspect_threshold``: worth an analyst's look) or ``clear``."""

    flagged: bool
    score: float
    reasons: list[Reason]
    ruleset_version: str
    grade: str = ""

    def __post_init__(self) -> None:
        if not self.grade:
            self.grade = "flagged" if self.flagged else "clear"

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "grade": self.grade,
            "score": self.score,
            "reasons": [r.to_dict() for r in self.reasons],
            "ruleset_version": self.ruleset_version,
        }


def field_texts(doc: Mapping[str, Any]) -> dict[str, str]:
    """The scanned fields of a listing; tags are scanned as one text, joined with ", "."""
    tags = doc.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return {
        "title": str(doc.get("title") or ""),
        "description": str(doc.get("description") or ""),
        "tags": ", ".join(map(str, tags)),
    }
