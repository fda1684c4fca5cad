"""The testbed HTTP server: ``http.server.ThreadingHTTPServer`` on a loopback address only.

``TestbedServer`` runs in a daemon thread for tests and benchmarks (``with TestbedServer(seed=3) as server:
server.url``); ``run()`` serves in the foreground until SIGTERM or SIGINT for the CLI and the demo. Responses are
keep-alive HTTP/1.1 with Content-Length; no line per request is logged.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from testbed import pages
from testbed.catalogue import Catalogue
from testbed.faults import Faults
from testbed.flavours import Flavours
from testbed.site import Site

IDLE_TIMEOUT_S = 30


def loopback_address(host: str) -> tuple[str, int]:
    """(address, family) for a loopback host; ValueError for anything else."""
    if host == "localhost":
        host = "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the testbed serves on a loopback address only, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the testbed serves on a loopback address only, not {host!r}")
    return str(address), socket.AF_INET6 if address.version == 6 else socket.AF_INET


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; without this, Nagle + delayed ACK stalls keep-alive clients.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        owner = self.server.owner
        kind, page = owner.handle(self.path)
        if owner.faults is not None and owner.faults.intercept(self, kind, page, send_body, owner._site.block_page):
            return
        body = page.body()
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in page.headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: no stderr line per request."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, owner: TestbedServer, address: tuple[str, int], family: int) -> None:
        self.address_family = family
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-response is normal for a crawler under test; stay quiet."""


class TestbedServer:
    """A simulated Fiverr on 127.0.0.1 (or another loopback address) with a deterministic catalogue.

    ``hits`` counts responses by what was served: "search", "gig", "seller", "robots", "not_found", or
    "blocked" (a PerimeterX page, drawn with probability ``block_rate`` from an RNG seeded by ``seed``, so the
    same request may pass on retry; robots.txt is never blocked). ``request_log`` keeps when each came.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, seed: int = 1, listings: int = 600, block_rate: float = 0.0, step: int = 0,
                 host: str = "127.0.0.1", port: int = 0, faults: Faults | None = None) -> None:
        if not 0.0 <= block_rate <= 1.0:
            raise ValueError("block_rate must be between 0 and 1")
        address, family = loopback_address(host)
        self.seed, self.listings, self.block_rate = seed, listings, block_rate
        self.faults = faults  # testbed.faults: a hostile web on demand
        self._httpd = _HTTPServer(self, (address, port), family)
        bound_host, self.port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        shown = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self.url = f"http://{shown}:{self.port}"
        self.hits: Counter[str] = Counter()
        # (monotonic time, kind, target) of every request: how hard a crawl hit the site, measured by the site
        self.request_log: list[tuple[float, str, str]] = []
        self._block_rng = random.Random(f"block:{seed}")
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._site = Site(Catalogue(seed, listings, step), self.url)

    @property
    def catalogue(self) -> Catalogue:
        return self._site.catalogue

    @property
    def flavours(self) -> Flavours:
        """The other marketplaces served beside Fiverr, with their ground truth."""
        return self._site.flavours

    @property
    def step(self) -> int:
        return self._site.catalogue.step

    def set_step(self, step: int) -> None:
        """Move the marketplace to another step (history tests); pages are re-rendered for the new step."""
        self._site = Site(Catalogue(self.seed, self.listings, step), self.url)
        self._prepare()

    def _prepare(self) -> None:
        """Build the search index in the background so the first search request does not wait for it."""
        threading.Thread(target=self.catalogue.prepare_search, name="testbed-index", daemon=True).start()

    def handle(self, target: str) -> tuple[str, pages.Page]:
        """(kind, page) for one request; counts it in ``hits`` under the kind served (or "blocked")."""
        site = self._site
        kind, page = site.route(target)
        if kind != "robots" and self.block_rate and self._blocked():
            kind, page = "blocked", site.block_page(target)
        with self._lock:
            self.hits[kind] += 1
            self.request_log.append((time.monotonic(), kind, target))
        return kind, page

    def _blocked(self) -> bool:
        with self._lock:
            return self._block_rng.random() < self.block_rate

    def _track(self, connection: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def start(self) -> TestbedServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"testbed:{self.port}", daemon=True)
            self._thread.start()
            self._prepare()
        return self

    def stop(self) -> None:
        """Stop accepting, close the listening socket and hang up on open keep-alive connections."""
        if self.faults is not None:
            self.faults.stop()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        with self._lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> TestbedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _write_port(port_file: Path, port: int) -> None:
    """Atomically, so a watcher never reads a half-written number."""
    partial = port_file.with_name(port_file.name + ".partial")
    partial.write_text(f"{port}\n")
    os.replace(partial, port_file)


def run(host: str = "127.0.0.1", port: int = 8800, seed: int = 1, listings: int = 600, block_rate: float = 0.0,
        step: int = 0, port_file: Path | None = None, faults: Faults | None = None,
        on_ready: Callable[[TestbedServer], None] | None = None) -> None:
    """Serve in the foreground until SIGTERM or SIGINT; write the bound port to ``port_file`` once listening."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with TestbedServer(seed=seed, listings=listings, block_rate=block_rate, step=step, host=host,
                           port=port, faults=faults) as server:
            if port_file is not None:
                _write_port(Path(port_file), server.port)
            if on_ready is not None:
                on_ready(server)
            while not stop.wait(0.1):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
