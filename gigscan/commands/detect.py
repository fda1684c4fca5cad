"""Detection commands: ``classify`` (JSON Lines in and out), ``eval`` (measure against labels), ``rules check``.

None of them needs the store: they run the matchers on text, so other tools can pipe listings through.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gigscan.app import app, console, err_console, fail
from matchers import Evaluation, Problem, RulesetError, Scanner, check_ruleset, evaluate, load_ruleset
from matchers.evaluate import source_key, split_rows

rules_app = typer.Typer(help="Work with rulesets (the detection rules as data).", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="A ruleset TOML file instead of the bundled one.", dir_okay=False),
]


def scanner_for(rules: Path | None) -> Scanner:
    try:
        return Scanner(load_ruleset(rules))
    except RulesetError as exc:
        fail(f"invalid ruleset: {exc.problems[0]}" + (f" (and {len(exc.problems) - 1} more)" if
                                                      len(exc.problems) > 1 else ""))


@contextmanager
def open_input(path: str) -> Iterator[Iterator[str]]:
    """The input's lines as text. Read as bytes and decoded line by line, so a line that is not UTF-8 is one
    clear error naming it (exit 2), never a traceback halfway through the output."""
    if path == "-":
        yield _decoded(sys.stdin.buffer)
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115  (closed below; "-" must not be closed)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    with handle:
        yield _decoded(handle)


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    for number, raw in enumerate(lines, 1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            fail(f"line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1})")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    """True when a string in ``value`` holds a lone surrogate: JSON can escape one, and ``json.loads`` returns it,
    but no UTF-8 output can carry it (eval printed a UnicodeEncodeError traceback on such a title)."""
    if isinstance(value, str):
        return not value.isascii() and _LONE_SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return False


def parse_listing(line: str, number: int) -> dict[str, Any]:
    """One input line as a listing, or exit 2 naming the line: hostile input gets one clear error. ``NaN`` and
    ``Infinity`` (which Python's json would take) are refused: they would make the output invalid JSON."""
    try:
        row = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        fail(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
    except ValueError as exc:
        fail(f"line {number}: not valid JSON ({exc})")
    if not isinstance(row, dict):
        fail(f"line {number}: expected a JSON object, got {type(row).__name__}")
    if _has_lone_surrogate(row):
        fail(f"line {number}: a string escapes half a UTF-16 pair (such as \"\\ud800\"), which is no character")
    if "id" not in row:
        fail(f"line {number}: missing \"id\"")
    for key in ("title", "description"):
        if row.get(key) is not None and not isinstance(row[key], str):
            fail(f"line {number}: \"{key}\" must be a string")
    tags = row.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        fail(f"line {number}: \"tags\" must be a list of strings")
    return row


@app.command()
def classify(
    file: Annotated[
        str, typer.Argument(help="JSON Lines of listings (id, title, description, tags; listing_side: seller or "
                                 "buyer, a job post); - = stdin.")
    ] = "-",
    rules: RulesOption = None,
) -> None:
    """Flag listings that sell or buy fake reviews: one JSON line out per JSON line in, in order, streaming."""
    scanner = scanner_for(rules)
    out = sys.stdout
    with open_input(file) as handle:
        for number, line in enumerate(handle, 1):
            row = parse_listing(line, number)
            verdict = scanner.scan(row)
            result = {
                "id": row["id"],
                "flagged": verdict.flagged,
                "grade": verdict.grade,
                "score": verdict.score,
                "reasons": [r.to_dict() for r in verdict.reasons],
            }
            out.write(json.dumps(result, ensure_ascii=False, allow_nan=False) + "\n")
            out.flush()


def read_labeled(path: Path) -> list[dict[str, Any]]:
    return [row for _, row in _numbered_rows(path)]


def _numbered_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The labeled rows of a JSON Lines file with their line numbers; exit 2 naming the first bad line."""
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                row = parse_listing(line, number)
                if type(row.get("label")) is not int or row["label"] not in (0, 1):  # true and 1.0 are no label
                    fail(f"{path}: line {number}: \"label\" must be 0 or 1")
                rows.append((number, row))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        fail(f"cannot read {path}: not UTF-8 text ({exc.reason} at byte {exc.start + 1} of a line)")
    if not rows:  # measuring nothing is no measurement: an empty or blank file said 0 rows and exit 0
        fail(f"{path}: no labeled rows")
    return rows


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(help="Labeled JSON Lines (label 0/1, optional category, language).")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    errors: Annotated[
        bool, typer.Option("--errors", help="List every miss and false flag with the rules that fired.")
    ] = False,
    split: Annotated[
        bool | None,
        typer.Option("--split/--no-split", help="Also report the tune and measure parts of the split by source "
                     "(default: when the rows come from more than one source)."),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Measure the rules on labeled listings: precision and recall of `flagged` and of `flagged`+`suspect`,
    the suspect queue, per category and language; per part of the source split (tune / measure)."""
    rows = read_labeled(file)
    scanner = scanner_for(rules)
    result = evaluate(rows, scanner)
    if split is None:
        split = len({source_key(str(r["source"])) for r in rows if r.get("source")}) > 1
    parts = {name: evaluate(part, scanner) for name, part in split_rows(rows).items()} if split else {}
    if as_json:
        data = result.to_dict()
        if not errors:
            data.pop("misses")
        if parts:
            data["parts"] = {name: _summary(part) for name, part in parts.items()}
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    print_evaluation(result, errors)
    for name, part in parts.items():
        console.print(f"\n[bold]{name} part[/] ({part.tp + part.fn} positives, {part.negatives} negatives)")
        _print_cuts(part)


def _summary(result: Evaluation) -> dict[str, Any]:
    data = result.to_dict()
    return {key: data[key] for key in ("precision", "recall", "confusion", "flagged_or_suspect", "suspects",
                                       "suspect_share_of_negatives", "suspect_negatives", "suspect_negative_share")}


def _print_cuts(result: Evaluation) -> None:
    wide = result.wide
    console.print(
        f"flagged:           precision [bold]{result.precision:.3f}[/]  recall [bold]{result.recall:.3f}[/]  "
        f"F1 {result.f1:.3f}  (tp {result.tp} fp {result.fp} fn {result.fn} tn {result.tn})\n"
        f"flagged + suspect: precision [bold]{wide.precision:.3f}[/]  recall [bold]{wide.recall:.3f}[/]  "
        f"(tp {wide.tp} fp {wide.fp} fn {wide.fn} tn {wide.tn})\n"
        f"suspect queue: {result.suspects} rows = {result.suspect_share:.1%} of {result.negatives} negatives "
        f"({result.suspect_negatives} of them negatives = {result.suspect_negative_share:.1%})",
        highlight=False,
    )


def _group_table(title: str, groups: list[Any]) -> Table:
    table = Table(title=title)
    for column in (title.split()[-1], "label", "rows", "flagged", "suspect", "recall (flagged / +suspect) or FP"):
        table.add_column(column)
    for c in groups:
        measure = (f"{c.recall:.2f} / {c.recall_with_suspect:.2f}" if c.recall is not None
                   else f"{c.flagged} FP, {c.suspect} suspect")
        # labeled text is user text: never markup
        table.add_row(escape(str(c.category)), str(c.label), str(c.rows), str(c.flagged), str(c.suspect), measure)
    return table


def print_evaluation(result: Evaluation, errors: bool = False) -> None:
    _print_cuts(result)
    console.print(_group_table("per category", result.categories))
    if result.languages:
        console.print(_group_table("per language", result.languages))
    for title, groups in (("per source_type", result.source_types), ("per listing_side", result.listing_sides)):
        if len({c.category for c in groups}) > 1:
            console.print(_group_table(title, groups))
    hint = "" if errors else " (--errors adds the rules that fired)"
    console.print(f"misses and false flags ({len(result.misses)}){hint}:", highlight=False)
    for m in result.misses:
        kind = "MISS " if m.label else "FALSE"
        console.print(f"{kind} {m.id}  [{m.category}{' ' + m.language if m.language else ''}] {m.grade} "
                      f"score {m.score:.2f}  {m.title}", highlight=False, markup=False, soft_wrap=True)
        for reason in (m.reasons or ["(no rule fired)"]) if errors else []:
            console.print(f"      {reason}", highlight=False, markup=False, soft_wrap=True)


def print_check_json(file: Path | None, problems: list[Any]) -> None:
    """``rules check --json``: ``{"ok", "problems": [{path, line, message, severity}], ...counts}``; exits as
    the plain output does."""
    out: dict[str, Any] = {"ok": not problems, "problems": [dataclasses.asdict(p) for p in problems]}
    if not problems:
        ruleset = load_ruleset(file)
        out.update(version=ruleset.version, rules=len(ruleset.rules),
                   rule_examples=sum(len(r.must_match) + len(r.must_not_match) for r in ruleset.rules),
                   listing_examples=len(ruleset.flagged_examples) + len(ruleset.unflagged_examples))
    typer.echo(json.dumps(out, ensure_ascii=False))
    raise typer.Exit(2 if any(p.severity == "error" for p in problems) else 1 if problems else 0)


@rules_app.command("check")
def rules_check(
    file: Annotated[Path | None, typer.Argument(help="Ruleset TOML file (default: the bundled one).")] = None,
    examples: Annotated[
        list[Path] | None,
        typer.Option("--examples", help="Labeled JSON Lines (e.g. from `gigscan labels export`) whose label-1 rows "
                     "must be flagged and label-0 rows not. Repeatable.", dir_okay=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output: the problems, or the counts.")] = False,
) -> None:
    """Validate a ruleset and run every rule's examples (and labeled example files). Exit 1 if an example
    fails, 2 if the file is invalid."""
    problems = check_ruleset(file)
    if not any(p.severity == "error" for p in problems):
        problems += _check_example_files(Scanner(load_ruleset(file)), examples or [])
    if as_json:
        print_check_json(file, problems)
    for problem in problems:
        err_console.print(str(problem), highlight=False, markup=False, soft_wrap=True)
    if any(p.severity == "error" for p in problems):
        raise typer.Exit(2)
    if problems:
        raise typer.Exit(1)
    ruleset = load_ruleset(file)
    rule_examples = sum(len(r.must_match) + len(r.must_not_match) for r in ruleset.rules)
    files = f" and {len(examples)} example files" if examples else ""
    console.print(
        f"ok: ruleset {ruleset.version}, {len(ruleset.rules)} rules, {rule_examples} rule examples and "
        f"{len(ruleset.flagged_examples) + len(ruleset.unflagged_examples)} listing examples{files} pass",
        highlight=False, soft_wrap=True,
    )


def _check_example_files(scanner: Scanner, paths: list[Path]) -> list[Problem]:
    """Every labeled row the ruleset gets wrong, as a failing example at its file and line."""
    problems = []
    for path in paths:
        for number, row in _numbered_rows(path):
            verdict = scanner.scan(row)
            if verdict.flagged == bool(row["label"]):
                continue
            should = "be flagged but is" if row["label"] else "not be flagged but is"
            problems.append(Problem(
                str(path), number, f"example {row['id']} should {should} {verdict.grade} (score "
                f"{verdict.score:.2f}): {str(row.get('title') or '')[:100]!r}", "example"))
    return problems
