"""``gigscan schedule add|list|remove``: crawls run by cron, each a fresh process writing its own log file.

Entries go into the user's crontab (python-crontab), marked with a ``gigscan:NAME`` comment so gigscan touches
only its own lines. ``--crontab-file`` (or ``GIGSCAN_CRONTAB``) edits a crontab file instead (tests, containers).
Each entry changes to the directory it was scheduled from (relative paths keep their meaning), names the
database explicitly (cron's environment has no GIGSCAN_DB) and appends its output to
``.gigscan/logs/NAME.log`` beside the database. Overlapping runs are refused by the crawl's own lock.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import crontab
import typer
from crontab import CronItem, CronSlices, CronTab
from filelock import FileLock, Timeout
from rich.markup import escape
from rich.table import Table

from crawler.unattended import data_dir
from gigscan.app import app, console, default_db, fail

schedule_app = typer.Typer(
    help="Scheduled crawls: entries in your crontab, each a fresh process with a log file.", no_args_is_help=True
)
app.add_typer(schedule_app, name="schedule")

# python-crontab logs each line it cannot parse to stderr; gigscan says so itself, in one line, before saving
logging.getLogger(crontab.__name__).disabled = True

MARK = "gigscan:"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
EVERY = re.compile(r"([1-9]\d*)([mhd])")
EVERY_LIMITS = {"m": 59, "h": 23, "d": 31}
LOCK_WAIT_S = 30.0

CrontabFile = Annotated[
    Path | None,
    typer.Option("--crontab-file", envvar="GIGSCAN_CRONTAB",
                 help="Edit this crontab file instead of your user crontab. Env: GIGSCAN_CRONTAB."),
]


def open_crontab(path: Path | None) -> CronTab:
    """The user's crontab, or the crontab file at ``path`` (empty if it does not exist yet; read as bytes, so a file
    that is not text is one line, not a traceback)."""
    try:
        if path is None:
            cron = CronTab(user=True)
        elif not path.exists():
            return CronTab(tab="")
        else:
            cron = CronTab(tab=path.read_bytes().decode("utf-8"))
            cron.filen = str(path)
    except UnicodeDecodeError:
        fail(f"{path} is not a crontab (not UTF-8 text); not editing it")
    except OSError as exc:
        fail(f"cannot read the crontab: {exc}")
    return cron


def crontab_lock_path(path: Path | None) -> Path:
    """Where the lock of a crontab lives: beside a crontab file (``.NAME.lock``, keyed on the file the path resolves
    to), or, for the user's crontab, which has no file of the user's, in their runtime directory."""
    if path is not None:
        resolved = path.resolve()
        return resolved.parent / f".{resolved.name}.lock"
    folder = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    return folder / f"gigscan-crontab-{os.getuid()}.lock"


@contextmanager
def crontab_locked(path: Path | None) -> Iterator[None]:
    """Hold the crontab's lock around a read-modify-write: two ``schedule add`` at once each read the crontab, added
    their entry and wrote it back, and the later write dropped the earlier entry. Other gigscan processes wait
    (up to ``LOCK_WAIT_S``); ``crontab -e`` by hand does not take it."""
    lock = FileLock(str(crontab_lock_path(path)), timeout=LOCK_WAIT_S)
    try:
        # made first: filelock retries a lock file it cannot create as if another process held it, so a folder
        # it cannot be made in was 30 s of waiting and "another gigscan schedule command" holding it
        crontab_lock_path(path).open("a").close()
        lock.acquire()
    except Timeout:
        fail(f"another gigscan schedule command has been editing the crontab for {LOCK_WAIT_S:.0f} s "
             f"(lock {lock.lock_file}); try again later", code=1)
    except OSError as exc:
        fail(f"cannot lock the crontab ({crontab_lock_path(path)}): {exc}")
    try:
        yield
    finally:
        lock.release()


def refuse_foreign_lines(cron: CronTab, path: Path | None) -> None:
    """python-crontab rewrites a line it cannot read as ``# DISABLED LINE`` and the line commented out: saving would
    silently disable a job cron still runs, or, for a file that is no crontab at all (the checkpoint file named by
    mistake), comment out every line of it. gigscan only edits a crontab whose every line it can write back."""
    for line in cron.lines:
        bad = line if isinstance(line, str) else None if line.is_valid() else str(line)
        if bad is not None and bad.strip() and not bad.strip().startswith("#"):
            where = path if path is not None else "your crontab"
            fail(f"{where} holds a line that is not a crontab entry, which saving would comment out: "
                 f"{bad.strip()[:80]!r}; not editing it")


def save_crontab(cron: CronTab, path: Path | None) -> None:
    refuse_foreign_lines(cron, path)
    try:
        cron.write(str(path) if path is not None else None)
    except OSError as exc:
        fail(f"cannot write the crontab: {exc}")


def gigscan_jobs(cron: CronTab) -> dict[str, CronItem]:
    return {job.comment[len(MARK):]: job for job in cron if job.comment.startswith(MARK)}


def cron_slices(every: str | None, cron_expr: str | None) -> str:
    """The five cron fields for ``--every 6h`` (minutes, hours or days) or a ``--cron`` expression."""
    if (every is None) == (cron_expr is None):
        fail("give exactly one of --every (e.g. 6h, 30m, 1d) or --cron \"EXPR\"")
    if cron_expr is not None:
        refuse_control_characters([cron_expr], "--cron")
        if not CronSlices.is_valid(cron_expr):
            fail(f"not a valid cron expression: {cron_expr!r}")
        return cron_expr
    match = EVERY.fullmatch(every or "")
    if match is None or int(match[1]) > EVERY_LIMITS[match[2]]:
        fail(f"--every takes N followed by m, h or d (at most 59m, 23h, 31d), got {every!r}")
    n, unit = int(match[1]), match[2]
    step = "*" if n == 1 else f"*/{n}"
    return {"m": f"{step} * * * *", "h": f"0 {step} * * *", "d": f"0 0 {step} * *"}[unit]


def refuse_control_characters(values: list[str], what: str) -> None:
    """A crontab is lines of text: a newline (or any control character) in an argument would end gigscan's entry
    and start a line of the argument's choosing (cron reads ``* * * * * anything`` as a job). Refused, exit 2."""
    for value in values:
        bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
        if bad is not None:
            fail(f"{what} may not hold control characters (U+{ord(bad):04X} in {value!r})")


def check_crawl_args(args: list[str]) -> Path:
    """Parse ``crawl ARGS`` the way the crawl command will (without running it); the database it names."""
    refuse_control_characters(args, "a scheduled crawl's arguments")
    if not args or args[0] != "crawl":
        fail("schedule what? give the crawl after --, e.g.: gigscan schedule add nightly --every 1d -- crawl fiverr")
    group: Any = typer.main.get_command(app)
    crawl = group.get_command(typer.Context(group), "crawl")
    try:
        context = crawl.make_context("crawl", list(args[1:]))
    except typer.TyperException as exc:  # click's usage errors, as typer ships them
        fail(f"the crawl arguments do not parse: {getattr(exc, 'format_message', exc.__str__)()}")
    return Path(context.params.get("db") or default_db())


def entry_command(name: str, args: list[str], db: Path) -> tuple[str, Path]:
    """The shell command cron runs, and its log file."""
    log = data_dir(db) / "logs" / f"{name}.log"
    crawl_args = list(args)
    if not any(a == "--db" or a.startswith("--db=") for a in crawl_args):
        crawl_args += ["--db", str(db.resolve())]
    parts = [sys.executable, "-m", "gigscan", *crawl_args]  # not a terminal: a progress line every 30 s
    # python-crontab escapes the % signs cron would turn into newlines
    return f"cd {shlex.quote(os.getcwd())} && {shlex.join(parts)} >> {shlex.quote(str(log))} 2>&1", log


@schedule_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the schedule (letters, digits, - and _).")],
    crawl_args: Annotated[list[str], typer.Argument(help="After --: the crawl to run, e.g. crawl fiverr -q ...")],
    every: Annotated[str | None, typer.Option(help="Run every N minutes, hours or days: 30m, 6h, 1d.")] = None,
    cron_expr: Annotated[str | None, typer.Option("--cron", help="A cron expression, e.g. \"15 3 * * *\".")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the crontab entry; change nothing.")] = False,
    crontab_file: CrontabFile = None,
) -> None:
    """Schedule a crawl: gigscan schedule add NAME --every 6h -- crawl fiverr --query "amazon reviews"."""
    if not NAME.fullmatch(name):
        fail(f"schedule names are letters, digits, - and _ (up to 64), got {name!r}")
    slices = cron_slices(every, cron_expr)
    db = check_crawl_args(crawl_args)
    command, log = entry_command(name, crawl_args, db)
    if dry_run:
        # a dry run of the user's crontab shows the entry without reading (or needing) the crontab program
        cron = CronTab(tab="") if crontab_file is None else open_crontab(crontab_file)
        typer.echo(new_entry(cron, name, command, slices).render())
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with crontab_locked(crontab_file):
        cron = open_crontab(crontab_file)
        new_entry(cron, name, command, slices)
        save_crontab(cron, crontab_file)
    console.print(f"scheduled [bold]{name}[/] ({escape(slices)}); log: {escape(str(log))}", highlight=False)


def new_entry(cron: CronTab, name: str, command: str, slices: str) -> CronItem:
    """Add the entry ``name`` to ``cron``; one line and exit 2 if the name is taken or the entry is not valid."""
    if name in gigscan_jobs(cron):
        fail(f"a schedule named {name!r} exists; remove it first (gigscan schedule remove {name})")
    job = cron.new(command=command, comment=MARK + name)
    job.setall(slices)
    if not job.is_valid():
        fail(f"could not build a valid crontab entry from {slices!r}")
    return job


def describe(name: str, job: CronItem) -> dict[str, Any]:
    log = re.search(r">> (\S+) 2>&1$", job.command)
    return {"name": name, "schedule": str(job.slices), "enabled": job.is_enabled(), "command": job.command,
            "log": shlex.split(log[1])[0] if log else None}


@schedule_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="JSON output for scripts.")] = False,
    crontab_file: CrontabFile = None,
) -> None:
    """List gigscan's scheduled crawls."""
    entries = [describe(name, job) for name, job in gigscan_jobs(open_crontab(crontab_file)).items()]
    if as_json:
        typer.echo(json.dumps(entries))
        return
    table = Table(title=f"scheduled crawls ({len(entries)})")
    for column in ("name", "schedule", "command", "log"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(*(escape(str(entry[key] or "")) for key in ("name", "schedule", "command", "log")))
    console.print(table)


@schedule_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The schedule to remove.")],
    crontab_file: CrontabFile = None,
) -> None:
    """Remove a scheduled crawl (its log file stays)."""
    with crontab_locked(crontab_file):
        cron = open_crontab(crontab_file)
        job = gigscan_jobs(cron).get(name)
        if job is None:
            fail(f"no schedule named {name!r}")
        cron.remove(job)
        save_crontab(cron, crontab_file)
    console.print(f"removed [bold]{name}[/]", highlight=False)
