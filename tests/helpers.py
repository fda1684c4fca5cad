"""Test helpers: run the real ``gigscan`` command in a fresh process, serve saved pages on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from matchers import Scanner, Verdict, load_ruleset


def run_gigscan(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m gigscan ARGS`` in a new process (Scrapy's reactor runs once per process)."""
    proc = subprocess.run(
        [sys.executable, "-m", "gigscan", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).parent.parent,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"gigscan {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log each request to stderr."""

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Run ``handler`` on a free port of 127.0.0.1 in a thread, stopped on exit. Yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_pages(pages: Mapping[str, bytes]) -> Iterator[str]:
    """Serve ``{path_with_query: body}`` as text/html on 127.0.0.1; anything else is a 404. Yields the base URL."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = pages.get(self.path)
            status = 200 if body is not None else 404
            body = body if body is not None else b"<html><body>not found</body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve(Handler) as url:
        yield url


def scan_listing(scanner: Scanner, text: str) -> Verdict:
    """A test's "Title. Description" text scanned as a listing's two fields (the matcher tests' one shape)."""
    title, _, description = text.partition(". ")
    return scanner.scan({"title": title, "description": description})


def scanner_of(tmp_path: Path, text: str) -> Scanner:
    """A scanner of the ruleset ``text``, written to a file under ``tmp_path`` (a unit test's own small ruleset)."""
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return Scanner(load_ruleset(path))
