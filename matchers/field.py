"""One field of one listing while it is scanned: its keys, its hits per class, and how far apart two hits are.

Distances are counted in words on the text as written, and are effectively infinite across a sentence end
(or, for phrases, a clause end). A cheap bound in characters comes first: two hits more than ``window`` words
apart in characters need no word count, and ``Nearby`` finds the hits within that bound without visiting the
rest, so the work per hit stays bounded however long the text is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from .normalise import MatchKey
from .outline import Boundaries
from .terms import Hit

#: A distance that no window reaches (the hits are in different sentences).
FAR = 1_000_000
#: Characters per word used to skip hit pairs that cannot be within a window (a cheap upper bound).
CHARS_PER_WORD = 40
#: Characters either side of an anchor term searched for pattern classes (more than the widest rule window).
ZONE = 100
#: Lists of hits this short are walked whole rather than indexed by position.
_SHORT = 16


class Nearby:
    """The hits of a list by position: which of them start within a stretch of text, in list order."""

    __slots__ = ("hits", "_starts", "_order", "_in_order", "longest")

    def __init__(self, hits: Sequence[Hit]) -> None:
        self.hits = hits
        order = sorted(range(len(hits)), key=lambda i: hits[i].start)
        self._order = order
        #: The list is already by position (most are): a stretch of it needs no reordering.
        self._in_order = all(i == j for i, j in enumerate(order))
        self._starts = [hits[i].start for i in order]
        #: The longest hit: one that starts this far before a position may still reach it.
        self.longest = max((h.end - h.start for h in hits), default=0)

    def starting_in(self, low: int, high: int) -> list[Hit]:
        """The hits that start in ``[low, high]``, in the order of the list (so ties resolve as a full walk)."""
        first, last = bisect_left(self._starts, low), bisect_right(self._starts, high)
        if self._in_order or last - first == len(self.hits):
            return list(self.hits[first:last])
        return [self.hits[i] for i in sorted(self._order[first:last])]


class FieldScan:
    """The scan state of one field: hits per class as they are found, and geometry questions about them."""

    __slots__ = (
        "name", "original", "key", "native", "hits", "patterned", "anchor_hits", "fuzzy_done", "hidden", "mask",
        "by_names", "anchor_starts", "gate_memo", "_distances", "_anchor_zones", "_boundaries", "_nearby", "_repaired",
    )

    def __init__(self, name: str, original: str, key: MatchKey, native: MatchKey | None,
                 boundaries: Boundaries) -> None:
        self.name = name
        self.original = original
        self.key = key
        self.native = native
        self.hits: dict[str, list[Hit]] = {}
        #: Classes whose patterns have run on this field (a class's terms may have hits before its patterns run).
        self.patterned: set[str] = set()
        self.anchor_hits: list[Hit] = []
        #: Fuzzy rules already run on this field.
        self.fuzzy_done: set[str] = set()
        #: Starts of anchor hits hidden from rules while looking for evidence honest context does not explain.
        self.hidden: frozenset[int] = frozenset()
        #: A bit per class with hits (see ``ClassTable.bits``), set once term matching is over.
        self.mask = 0
        #: Hits per class-name tuple, once term matching is over (rules ask for the same few tuples again).
        self.by_names: dict[tuple[str, ...], list[Hit]] = {}
        #: Starts of the hits of anchor classes (None: not known yet, or a pattern class was matched since).
        self.anchor_starts: set[int] | None = None
        #: Gates' answers per zone (``gates.GatePass``), shared by the classes that read the same gate there.
        self.gate_memo: dict = {}
        self._distances: dict[tuple[int, int, bool], int] = {}
        self._anchor_zones: dict[bool, list[tuple[int, int]]] = {}
        self._boundaries = boundaries
        self._nearby: dict[int, Nearby] = {}
        #: Repaired stretches of the text as written that hold more words than the word they stand for
        #: ("G-o-o-g-l-e": six words as written, one read): (start, end, surplus words), in order; None: not
        #: known yet.
        self._repaired: _Repairs | None = None

    def add_hits(self, hits: Iterable[Hit]) -> None:
        for hit in hits:
            self.hits.setdefault(hit.cls, []).append(hit)

    def add_anchors(self, hits: list[Hit]) -> None:
        """More anchor hits (misspelt terms): the zones around anchors change."""
        self.anchor_hits.extend(hits)
        self._anchor_zones.clear()

    def boundaries(self) -> Boundaries:
        return self._boundaries

    def sentence(self, position: int) -> int:
        """Which sentence (line, list item) of the field ``position`` is in."""
        return self._boundaries.sentence(position)

    def nearby(self, hits: list[Hit]) -> Nearby:
        """``hits`` indexed by position (kept while the list lives: the lists rules ask for are cached)."""
        known = self._nearby.get(id(hits))
        if known is None or known.hits is not hits:
            known = self._nearby[id(hits)] = Nearby(hits)
        return known

    def within_reach(self, hits: list[Hit], start: int, end: int, reach: int) -> list[Hit]:
        """The hits of ``hits`` that may be within ``reach`` characters of ``[start, end)`` (a superset), in
        list order. A short list is its own answer: only long ones are worth indexing."""
        if len(hits) <= _SHORT:
            return hits
        index = self.nearby(hits)
        return index.starting_in(start - reach - index.longest, end + reach)

    def distance(self, first: Hit, second: Hit, span: str = "sentence") -> int:
        """Words from the end of one hit to the start of a later one (1 = adjacent, 0 = overlapping); ``FAR``
        across a sentence, line or list-item break (for span "clause", also a comma, colon, bracket or quote;
        for span "field", no break stops it: the parts of a title, "Salon Reviews | 5 Stars"; for span "parts",
        only a full stop, "!" or "?" does: "Reviews - Google")."""
        if second.start < first.end:
            return 0
        pair = (first.end, second.start, span)
        known = self._distances.get(pair)
        if known is None:
            start = first.end
            if self.key.pieces:
                start = self._past_final_dot(start)
            bounds = self._boundaries
            if start >= second.start:
                words: int | None = 0
            elif span == "field":
                words = bounds.words_in(start, second.start)
            elif span == "parts":
                words = bounds.part_gap(start, second.start)
            else:
                words = bounds.gap(start, second.start, span == "clause")
            if words is not None and self.key.pieces:
                words -= self._surplus(start, second.start)
            known = self._distances[pair] = FAR if words is None else words + 1
        return known

    def _repairs(self) -> _Repairs:
        if self._repaired is None:
            self._repaired = _Repairs(self.key, self._boundaries)
        return self._repaired

    def _surplus(self, start: int, end: int) -> int:
        """Words as written in ``text[start:end]`` beyond those of the repaired words there: a disguised word
        ("r e v i e w s", "G.o.o.g.l.e", "r**views") is one word away, however many pieces it was cut into."""
        return self._repairs().surplus(start, end)

    def _past_final_dot(self, position: int) -> int:
        """After a word spelt with dots ("R.E.V.I.E.W.S."), its last dot belongs to the word, not to a
        sentence end."""
        text = self.original
        if position < len(text) and text[position] == "." and self._repairs().dotted_end(position):
            return position + 1
        return position

    def near(self, first: Hit, second: Hit, window: int, span: str = "sentence") -> int | None:
        """The distance between two hits in either order, if within ``window`` words (see ``distance``)."""
        a, b = (first, second) if first.start <= second.start else (second, first)
        if b.start - a.end > window * CHARS_PER_WORD:
            return None
        d = self.distance(a, b, span)
        return d if d <= window else None

    def zones(self, around: Iterable[Hit] | None = None, margin: int = 0,
              original: bool = False) -> list[tuple[int, int]]:
        """Stretches of the key (or of the original) around anchor hits, merged and in order: where context
        words can matter. Native-key hits count in the original only."""
        if around is None and not margin:
            known = self._anchor_zones.get(original)
            if known is None:
                known = self._anchor_zones[original] = merged_zones(self.anchor_hits, ZONE, original)
            return known
        return merged_zones(self.anchor_hits if around is None else around, margin or ZONE, original)


class _Repairs:
    """The repaired stretches of a field's text as written (in order, none overlapping), with how many more
    words each holds than its reading ("G-o-o-g-l-e" reads as "google", five words fewer); questions about a
    stretch of text are answered by bisection."""

    __slots__ = ("starts", "ends", "_before", "_text")

    def __init__(self, key: MatchKey, bounds: Boundaries) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        #: Surplus words of the stretches before each index (a running sum).
        self._before = [0]
        self._text = key.original
        for piece in key.pieces:
            start, end = key.span(piece.start, piece.end)
            if self.ends and start < self.ends[-1]:
                continue  # (a wide character may hold two pieces: keep the first)
            self.starts.append(start)
            self.ends.append(end)
            extra = bounds.words_in(start, end) - len(key.text[piece.start : piece.end].split())
            self._before.append(self._before[-1] + max(0, extra))

    def surplus(self, start: int, end: int) -> int:
        """Surplus words of the stretches wholly inside ``[start, end)``."""
        first, last = bisect_left(self.starts, start), bisect_right(self.ends, end)
        return self._before[last] - self._before[first] if last > first else 0

    def dotted_end(self, position: int) -> bool:
        """A repaired stretch spelt with dots ends at ``position``."""
        i = bisect_left(self.ends, position)
        return i < len(self.ends) and self.ends[i] == position and "." in self._text[self.starts[i] : position]


def merged_zones(hits: Iterable[Hit], margin: int, original: bool) -> list[tuple[int, int]]:
    """``margin`` characters either side of each hit's start (on the original or the key), merged, in order."""
    merged: list[tuple[int, int]] = []
    starts = [h.start for h in hits] if original else [h.key_start for h in hits if h.key_start >= 0]
    for start in sorted(starts):
        zone = (max(0, start - margin), start + margin)
        if merged and zone[0] <= merged[-1][1]:
            merged[-1] = (merged[-1][0], zone[1])
        else:
            merged.append(zone)
    return merged
