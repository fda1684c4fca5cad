"""The whole listing, as rules of ``scope = "document"`` read it: every field, not only those with a rating term.

The scan keys only the fields that hold a rating term (an anchor) and reads other classes only near those terms
(``field.ZONE``). A document rule is about the listing ("people paid on proof, a rating term somewhere"; "news
words and no offer anywhere"), so it also reads the fields the scan left alone, whole: a payment "per review"
in a description whose only rating term is in the title, a warning or a reporter's words in a title with no
rating word. In a field with a rating term it reads what every rule reads there (near rating terms): measured
on the labeled sets, reading those fields whole too paired common words far apart in long pages ("screenshot",
"payment" and a rating word in a tester's gig) and raised the suspect queue more than it found.

The document rules' classes (no anchors: a field without a rating term has none) get an automaton of their own:
its matches on a field's folded text say which document rules may fire (a listing whose fields all have a rating
term, or none, costs nothing more); a field is keyed and read only when a rule asks for a class whose term may be
in it, and their patterns (a price) run over such a field when a rule asks for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .classes import ClassTable, pattern_hits
from .field import FieldScan
from .prepare import FieldPreparer
from .ruleset import Rule
from .terms import Hit, TermIndex


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
        #: The bits of every document class (what a field that needs repairs or is not in the Latin script may hold).
        self.bits = table.bits_of(self.names)
        #: Document classes with patterns (matched over a whole field on first use).
        self.patterned = frozenset(n for n in self.names if n in table.lazy)

    def read(self, texts: Mapping[str, str], scanned: list[FieldScan]) -> Document:
        return Document(self, texts, scanned)


class Document:
    """One listing's fields for the document rules: the scanned ones as the scan read them, the others read
    whole on first use (and keyed only when one of their folded words is a term of the document classes)."""

    __slots__ = ("reader", "texts", "scanned", "_names", "_keyed", "_terms", "_patterns", "_candidates")

    def __init__(self, reader: DocumentReader, texts: Mapping[str, str], scanned: list[FieldScan]) -> None:
        self.reader = reader
        self.texts = texts
        self.scanned = {f.name: f for f in scanned}
        self._names = [name for name, text in texts.items() if text]
        self._keyed: dict[str, FieldScan] = {}
        self._terms: dict[str, dict[str, list[Hit]]] = {}
        self._patterns: dict[tuple[str, str], list[Hit]] = {}
        self._candidates: dict[str, frozenset[str] | None] = {}

    def names(self) -> list[str]:
        """Every field with text, in the listing's order."""
        return self._names

    @property
    def unscanned(self) -> bool:
        """Some field with text has no rating term (without one, the scan's fields are the whole listing)."""
        return len(self._names) > len(self.scanned)

    def present(self) -> int:
        """The bits of the document classes that may have a term in a field the scan left alone (a folded word
        of theirs, word bounds not checked yet; every class for a field that needs repairs or is not in the Latin
        script): which document rules may fire."""
        table = self.reader.table
        present = 0
        for name in self._names:
            if name not in self.scanned:
                self._may_hold(name, "")
                candidates = self._candidates[name]
                present |= self.reader.bits if candidates is None else table.bits_of(candidates)
        return present

    def field(self, name: str) -> FieldScan:
        """The field's scan: the scanner's, or one keyed now for a field it left alone."""
        f = self.scanned.get(name) or self._keyed.get(name)
        if f is None:
            f = self._keyed[name] = self.reader.preparer.keyed(name, self.texts[name])
        return f

    def _whole(self, name: str) -> dict[str, list[Hit]]:
        """The terms of the document classes in a whole field the scan left alone, by class."""
        known = self._terms.get(name)
        if known is None:
            known = self._terms[name] = {}
            index = self.reader.index
            if index is not None:
                for hit in self.reader.preparer.whole_hits(self.field(name), index):
                    known.setdefault(hit.cls, []).append(hit)
        return known

    def _may_hold(self, name: str, cls: str) -> bool:
        """A term of ``cls`` may be in the field: its folded text holds one somewhere (word bounds not checked
        yet), or the field needs repairs or has letters outside the Latin script. Most fields the scan left
        alone (a title) hold none of the class a rule asks for first: they are never keyed."""
        if name not in self._candidates:
            automaton = self.reader.index.context if self.reader.index is not None else None
            folded = self.reader.preparer.folded(name, self.texts[name])
            if folded.repair or folded.non_latin:
                self._candidates[name] = None
            else:
                matches = automaton.matches(folded.data) if automaton is not None else []
                self._candidates[name] = frozenset(c for i, _, _ in matches for c, _ in automaton.owners[i])
        candidates = self._candidates[name]
        return candidates is None or cls in candidates

    def hits(self, name: str, names: tuple[str, ...]) -> list[Hit]:
        """The hits of these classes in a field: a scanned field's as rules see them (near its rating terms, none
        hidden), a field the scan left alone's over its whole text (it has no rating term)."""
        f = self.scanned.get(name)
        if f is not None:
            return self.reader.table.hits(f, names)
        out: list[Hit] = []
        for cls in names:
            if cls not in self.reader.names:
                continue
            if self._may_hold(name, cls):
                out.extend(self._whole(name).get(cls, ()))
            if cls in self.reader.patterned:
                key = (name, cls)
                found = self._patterns.get(key)
                if found is None:
                    found = self._patterns[key] = pattern_hits(self.field(name), self.reader.table.classes[cls],
                                                               whole=True, gates=self.reader.table.gates)
                out.extend(found)
        return out
