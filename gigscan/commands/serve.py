"""``gigscan serve``: browse the store in Datasette on 127.0.0.1, read-only.

Why read-only and local: the store is evidence; nothing served should be able to change it, and it holds
scraped pages that have no business on a network. The file is opened ``mode=ro`` (safe beside a running crawl,
which keeps writing to the WAL), or with ``--immutable`` as an unchanging file (fastest, for a finished store;
the WAL is checkpointed into it first).
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from db.datasette import metadata
from gigscan.app import DEFAULT_DB, DbOption, app, console, fail
from gigscan.commands.store import open_existing

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    from datasette.app import Datasette

    Scope = MutableMapping[str, Any]
    ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

HOST = "127.0.0.1"
# Facet suggestions scan whole tables on every page (seconds on a million listings); downloads of the whole
# file are for copying evidence, which is what `gigscan export --format bundle` is for.
SETTINGS = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 500, "suggest_facets": False, "allow_download": False}


#: The names this server answers to: the address it binds and what resolves to it on every machine.
ALLOWED_HOSTS = frozenset({HOST, "localhost"})


class HostCheck:
    """ASGI middleware answering 421 to a request whose Host header is not one of :data:`ALLOWED_HOSTS`.

    Why: a web page on any site can make the browser fetch ``http://evil.example:8001/`` after pointing that
    name at 127.0.0.1 (DNS rebinding); the browser then treats the whole store as that site's own, readable by
    its scripts. The Host header still says ``evil.example``: refusing it closes the door."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] in ("http", "websocket") and not allowed_host(scope):
            body = b"gigscan serve answers only to 127.0.0.1 and localhost\n"
            await send({"type": "http.response.start", "status": 421,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def allowed_host(scope: Scope) -> bool:
    hosts = [value for name, value in scope.get("headers", ()) if name.lower() == b"host"]
    if len(hosts) != 1:
        return False
    name, _, port = hosts[0].decode("latin-1").strip().lower().rpartition(":")
    if not name or not port.isdigit():  # no port given: the whole value is the name
        name = hosts[0].decode("latin-1").strip().lower()
    return name in ALLOWED_HOSTS


def build_datasette(db: Path, *, immutable: bool = False) -> Datasette:
    """A Datasette over one store, with gigscan's labels, facets and canned queries."""
    from datasette.app import Datasette  # 1.5 s to import: only when serving

    files = {"immutables": [str(db)]} if immutable else {"files": [str(db)]}
    return Datasette(
        **files,
        metadata=metadata(db.stem),
        settings=SETTINGS,
    )


@app.command()
def serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 8001,
    immutable: Annotated[
        bool, typer.Option("--immutable", help="Serve as an unchanging file (no crawl may write it meanwhile).")
    ] = False,
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Browse the store in Datasette on 127.0.0.1: tables, facets, and queries for flagged sellers, listings
    removed after a flag and sellers seen on several marketplaces. Read-only. Ctrl-C stops it."""
    import uvicorn  # Datasette's server

    with open_existing(db) as store:  # checks the schema, never upgrades it: serving only reads
        if immutable:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    datasette = build_datasette(db, immutable=immutable)
    asyncio.run(datasette.invoke_startup())
    sock = listen(port)  # bound here: a busy port is one line, and --port 0 announces the port it got
    console.print(f"serving {db} read-only at http://{HOST}:{sock.getsockname()[1]}/ (Ctrl-C to stop)",
                  highlight=False)
    sys.stdout.flush()
    uvicorn.Server(uvicorn.Config(HostCheck(datasette.app()), log_level="warning")).run(sockets=[sock])


def listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: any free port), or one line and exit 2."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(128)  # connections made as soon as the address is announced wait for the server
    except OSError as exc:
        sock.close()
        fail(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}")
    return sock
