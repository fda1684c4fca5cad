"""Detection commands: ``classify`` (JSON Lines in and out), ``eval`` (measure against labels), ``rules check``.

None of them needs the store: they run the matchers on text, so other tools can pipe listings through.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gigscan.app import app, console, err_console, fail
from matchers import Evaluation, RulesetError, Scanner, check_ruleset, evaluate, load_ruleset

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
        str, typer.Argument(help="JSON Lines of listings (id, title, description, tags); - = stdin.")
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
                "score": verdict.score,
                "reasons": [r.to_dict() for r in verdict.reasons],
            }
            out.write(json.dumps(result, ensure_ascii=False, allow_nan=False) + "\n")
            out.flush()


def read_labeled(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                row = parse_listing(line, number)
                if row.get("label") not in (0, 1):
                    fail(f"line {number}: \"label\" must be 0 or 1")
                rows.append(row)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        fail(f"cannot read {path}: not UTF-8 text ({exc.reason} at byte {exc.start + 1} of a line)")
    return rows


@app.command("eval")
def eval_command(
    file: Annotated[Path, typer.Argument(help="Labeled JSON Lines (label 0/1, optional category).")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    rules: RulesOption = None,
) -> None:
    """Measure the rules on labeled listings: precision, recall, F1, per category, and every miss."""
    result = evaluate(read_labeled(file), scanner_for(rules))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print_evaluation(result)


def print_evaluation(result: Evaluation) -> None:
    console.print(
        f"precision [bold]{result.precision:.3f}[/]  recall [bold]{result.recall:.3f}[/]  "
        f"F1 [bold]{result.f1:.3f}[/]"
    )
    confusion = Table(title="confusion matrix")
    for column in ("", "flagged", "not flagged"):
        confusion.add_column(column)
    confusion.add_row("label 1", str(result.tp), str(result.fn))
    confusion.add_row("label 0", str(result.fp), str(result.tn))
    console.print(confusion)
    categories = Table(title="per category")
    for column in ("category", "label", "rows", "flagged", "recall / false positives"):
        categories.add_column(column)
    for c in result.categories:
        measure = f"{c.recall:.2f}" if c.recall is not None else f"{c.flagged} FP"
        categories.add_row(escape(str(c.category)), str(c.label), str(c.rows), str(c.flagged), measure)
    console.print(categories)
    misses = Table(title=f"misclassified ({len(result.misses)})")
    for column in ("id", "label", "score", "title", "reasons"):
        misses.add_column(column, overflow="fold")
    for m in result.misses:
        misses.add_row(escape(str(m.id)), str(m.label), f"{m.score:.2f}", escape(m.title),
                       escape("\n".join(m.reasons) or "-"))  # labeled text is user text: never markup
    console.print(misses)


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
    as_json: Annotated[bool, typer.Option("--json", help="JSON output: the problems, or the counts.")] = False,
) -> None:
    """Validate a ruleset and run every rule's examples. Exit 1 if an example fails, 2 if the file is invalid."""
    problems = check_ruleset(file)
    if as_json:
        print_check_json(file, problems)
    for problem in problems:
        err_console.print(str(problem), highlight=False, markup=False, soft_wrap=True)
    if any(p.severity == "error" for p in problems):
        raise typer.Exit(2)
    if problems:
        raise typer.Exit(1)
    ruleset = load_ruleset(file)
    examples = sum(len(r.must_match) + len(r.must_not_match) for r in ruleset.rules)
    console.print(
        f"ok: ruleset {ruleset.version}, {len(ruleset.rules)} rules, {examples} rule examples and "
        f"{len(ruleset.flagged_examples) + len(ruleset.unflagged_examples)} listing examples pass",
        highlight=False,
    )
