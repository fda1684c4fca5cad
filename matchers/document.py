"""The whole listing, as rules of ``scope = "document"`` read it: every field, not only those with a rating term.

The scan keys only the fields that hold a rating term (an anchor) and reads other classes only near those terms
(``field.ZONE``). A document rule is about the listing ("people paid on proof, a rating term somewhere"; "news
words and no offer anywhere"), so it also reads the fields the scan left alone, whole: a payment "per review"
in a description whose only rating term is in the title, a warning or a reporter's words in a title with no
rating word. In a field with a rating term it reads what every rule reads there (near rating terms): measured
on the labeled sets, reading those fields whole too paired common words far apart in long pages ("screenshot",
"payment" and a rating word in a tester's gig) and raised the suspect queue more than it found.

The document rules' classes (no anchors: a field without a rating term has none) get an automaton of their own,
run once over each field the scan left alone, and their patterns (a price) run over such a field when a rule
asks for them; nothing of this runs for a listing without a rating term.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .classes import ClassTable, pattern_hits
from .field import FieldScan
from .prepare import FieldPreparer
from .ruleset import Rule
from .terms import Hit, TermIndex, find_hits


def document_classes(rules: Iterable[Rule], table: ClassTable) -> frozenset[str]:
    """The classes document rules name (their ``absent`` ones too) that are no anchors."""
    names: set[str] = set()
    for rule in rules:
        if rule.scope == "document":
            names.update(n for entry in rule.classes for n in entry)
            names.update(rule.absent)
    return frozenset(n for n in names if n in table.classes and n not in table.anchors)


class DocumentReader:
    """Builds the automaton of the document rules' classes once; ``read`` gives one listing's ``Document``."""

    def __init__(self, rules: Iterable[Rule], table: ClassTable, preparer: FieldPreparer) -> None:
        self.table = table
        self.preparer = preparer
        self.names = document_classes(rules, table)
        terms = {n: list(table.classes[n].terms) for n in sorted(self.names) if table.classes[n].terms}
        self.index = TermIndex.build(terms, set()) if terms else None
        #: Document classes with patterns (matched over a whole field on first use).
        self.patterned = frozenset(n for n in self.names if n in table.lazy)

    def read(self, texts: Mapping[str, str], scanned: list[FieldScan]) -> Document:
        return Document(self, texts, scanned)


class Document:
    """One listing's fields for the document rules: the scanned ones as the scan read them, the others keyed
    and read whole on first use."""

    __slots__ = ("reader", "texts", "scanned", "_fields", "_terms", "_patterns", "_present")

    def __init__(self, reader: DocumentReader, texts: Mapping[str, str], scanned: list[FieldScan]) -> None:
        self.reader = reader
        self.texts = texts
        self.scanned = {f.name: f for f in scanned}
        self._fields: list[FieldScan] | None = None
        self._terms: dict[str, dict[str, list[Hit]]] = {}
        self._patterns: dict[tuple[str, str], list[Hit]] = {}
        self._present: int | None = None

    def fields(self) -> list[FieldScan]:
        """Every field with text, in the listing's order (the ones the scan left alone keyed now)."""
        if self._fields is None:
            preparer = self.reader.preparer
            self._fields = [self.scanned.get(name) or preparer.keyed(name, text)
                            for name, text in self.texts.items() if text]
        return self._fields

    def present(self) -> int:
        """The bits of the document classes with a term in a field the scan left alone (patterns not run)."""
        if self._present is None:
            present = 0
            if len(self.scanned) < sum(1 for text in self.texts.values() if text):
                bits = self.reader.table.bits
                for f in self.fields():
                    if f.name not in self.scanned:
                        present |= sum(bits[name] for name, hits in self._whole(f).items() if hits)
            self._present = present
        return self._present

    def _whole(self, f: FieldScan) -> dict[str, list[Hit]]:
        """The terms of the document classes in a whole field, by class."""
        known = self._terms.get(f.name)
        if known is None:
            index = self.reader.index
            known = {}
            if index is not None:
                hits = find_hits(f.key, index.context, compounds=index.compounds)
                hits += find_hits(f.native, index.context_native)
                for hit in self.reader.preparer.kept(hits, f.boundaries()):
                    known.setdefault(hit.cls, []).append(hit)
            self._terms[f.name] = known
        return known

    def hits(self, f: FieldScan, names: tuple[str, ...]) -> list[Hit]:
        """The hits of these classes in ``f``: a scanned field's as rules see them (near its rating terms, none
        hidden), a field the scan left alone's over its whole text (it has no rating term)."""
        if f.name in self.scanned:
            return self.reader.table.hits(f, names)
        out: list[Hit] = []
        for name in names:
            if name not in self.reader.names:
                continue
            out.extend(self._whole(f).get(name, ()))
            if name in self.reader.patterned:
                key = (f.name, name)
                found = self._patterns.get(key)
                if found is None:
                    found = self._patterns[key] = pattern_hits(f, self.reader.table.classes[name], whole=True)
                out.extend(found)
        return out
