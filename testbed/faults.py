"""Fault injection: a hostile web on demand, so an unattended crawler can be tested against it.

With ``TestbedServer(faults=Faults(rate=0.1, seed=7))`` a share ``rate`` of page requests (never robots.txt) is
answered with one of :data:`KINDS` instead of the page:

- ``429``, ``429_retry_after``, ``500``, ``502``, ``503``, ``503_retry_after``: error statuses, with or without
  a ``Retry-After`` header;
- ``slow``: the right page, after ``slow_s`` seconds; ``hang``: headers and the start of the body, then one
  byte at a time, never finishing (until the client hangs up, the server stops, or ``hang_s`` passes);
- ``truncated``: a Content-Length for the whole page, half the page, then the connection is closed;
- ``gzip_bomb``: ``Content-Encoding: gzip`` whose body inflates to ``bomb_bytes`` of zeros;
- ``malformed``: the page cut in half (inside its embedded JSON), closed with junk markup and invalid bytes;
- ``non_utf8``: the same page, correctly labelled ``windows-1252`` (a correct answer a crawler must decode);
- ``redirect_loop``: a 302 to a URL that redirects back, forever;
- ``giant``: ``giant_bytes`` of page with no Content-Length (the client must cap what it reads);
- ``block``: the marketplace's block page.

Which requests are faulted is deterministic: the draw for the n-th request of a target depends only on
(seed, target, n), not on the order in which concurrent requests arrive. ``injected`` counts faults by kind and
``answered`` holds, per page kind, the targets that were answered correctly at least once (for tests: every
listing answered correctly must end up stored).
"""

from __future__ import annotations

import codecs
import gzip
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from testbed import pages

KINDS = (
    "429", "429_retry_after", "500", "502", "503", "503_retry_after", "slow", "hang", "truncated", "gzip_bomb",
    "malformed", "non_utf8", "redirect_loop", "giant", "block",
)
CORRECT_KINDS = frozenset({"non_utf8"})  # faults whose answer is still the right page
LOOP_PARAM = "__testbed_loop"
_SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)(</script>)", re.S | re.I)


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: characters windows-1252 lacks become JSON ``\\uXXXX`` escapes (UTF-16 units)."""
    assert isinstance(error, UnicodeEncodeError)
    text = error.object[error.start:error.end].encode("utf-16-be")
    units = (int.from_bytes(text[i:i + 2], "big") for i in range(0, len(text), 2))
    return "".join(f"\\u{unit:04x}" for unit in units), error.end


codecs.register_error("testbed_json_escape", _json_escape)


def to_windows_1252(body: bytes) -> bytes:
    """The same document in windows-1252: JSON escapes inside scripts, character references elsewhere."""
    text = body.decode("utf-8").replace('charSet="utf-8"', 'charSet="windows-1252"')
    out, last = [], 0
    for match in _SCRIPT.finditer(text):
        start, end = match.span(2)
        out.append(text[last:start].encode("windows-1252", "xmlcharrefreplace"))
        out.append(text[start:end].encode("windows-1252", "testbed_json_escape"))
        last = end
    out.append(text[last:].encode("windows-1252", "xmlcharrefreplace"))
    return b"".join(out)


@cache
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzipped (a 32 MiB bomb is ~32 KB on the wire)."""
    return gzip.compress(bytes(size), compresslevel=9, mtime=0)


def _loop_target(target: str) -> str:
    """The other end of a two-URL redirect loop."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != LOOP_PARAM]
    hop = dict(parse_qsl(parts.query)).get(LOOP_PARAM, "0")
    query.append((LOOP_PARAM, "0" if hop == "1" else "1"))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


@dataclass
class Faults:
    """Decides, per request, whether and how to misbehave; counts what it did."""

    rate: float = 0.1
    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    retry_after_s: int = 1
    slow_s: float = 5.0
    hang_s: float = 60.0
    bomb_bytes: int = 32 * 1024 * 1024
    giant_bytes: int = 12 * 1024 * 1024
    injected: Counter[str] = field(default_factory=Counter)
    answered: dict[str, set[str]] = field(default_factory=dict)
    _attempts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("the fault rate must be between 0 and 1")
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown)) or '(none given)'}")

    @classmethod
    def parse_kinds(cls, text: str | None) -> tuple[str, ...]:
        """``"429,hang"`` -> ("429", "hang"); None or "" -> every kind."""
        return tuple(k.strip() for k in text.split(",") if k.strip()) if text else KINDS

    def draw(self, target: str) -> str | None:
        """The fault for this request of ``target``, or None to answer it correctly."""
        if LOOP_PARAM in target:
            return "redirect_loop"  # once in the loop, never out
        with self._lock:
            self._attempts[target] += 1
            attempt = self._attempts[target]
        rng = random.Random(f"{self.seed}:{target}:{attempt}")
        if rng.random() >= self.rate:
            return None
        return rng.choice(self.kinds)

    def stop(self) -> None:
        """Release every hanging response (the server is stopping)."""
        self._stopped.set()

    def intercept(self, handler: BaseHTTPRequestHandler, kind: str, page: pages.Page, send_body: bool,
                  block_page: Callable[[str], pages.Page]) -> bool:
        """Answer with a fault and return True, or return False (after noting a correct answer) to let the
        server send ``page``. robots.txt and block pages are never faulted."""
        if kind in ("robots", "blocked"):
            return False
        fault = self.draw(handler.path)
        with self._lock:
            if fault is None or fault in CORRECT_KINDS:
                self.answered.setdefault(kind, set()).add(handler.path)
            if fault is not None:
                self.injected[fault] += 1
        if fault is None:
            return False
        _Responder(self, handler, page, send_body).send(fault, block_page)
        return True


class _Responder:
    """Writes one faulty response on a request handler's connection."""

    def __init__(self, faults: Faults, handler: BaseHTTPRequestHandler, page: pages.Page, send_body: bool) -> None:
        self.faults, self.handler, self.page, self.send_body = faults, handler, page, send_body

    def send(self, fault: str, block_page: Callable[[str], pages.Page]) -> None:
        f = self.faults
        code, _, variant = fault.partition("_")
        if code.isdigit():
            headers = [("Retry-After", str(f.retry_after_s))] if variant == "retry_after" else []
            self.whole(int(code), f"<html><body><h1>{code}</h1></body></html>".encode(), headers)
        elif fault == "slow":
            f._stopped.wait(f.slow_s)
            self.whole(self.page.status, self.page.body())
        elif fault == "hang":
            self.hang()
        elif fault == "truncated":
            body = self.page.body()
            self.head(self.page.status, len(body))
            self.write(body[: len(body) // 2])
            self.hang_up()
        elif fault == "gzip_bomb":
            self.whole(200, gzip_bomb(f.bomb_bytes), [("Content-Encoding", "gzip")])
        elif fault == "malformed":
            body = self.page.body()
            self.whole(self.page.status, body[: len(body) // 2] + b"</script></div><p>unclosed <b><i>\xff\xfe\x80")
        elif fault == "non_utf8":
            body = to_windows_1252(self.page.body())
            self.whole(self.page.status, body, content_type="text/html; charset=windows-1252")
        elif fault == "redirect_loop":
            self.whole(302, b"", [("Location", _loop_target(self.handler.path))])
        elif fault == "giant":
            self.giant()
        else:  # block
            block = block_page(self.handler.path)
            self.whole(block.status, block.body(), list(block.headers))

    # -- writing --------------------------------------------------------------------------------------------
    def head(self, status: int, length: int | None, headers: Iterable[tuple[str, str]] = (),
             content_type: str | None = None) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type or self.page.content_type)
        if length is None:
            h.send_header("Connection", "close")
            h.close_connection = True
        else:
            h.send_header("Content-Length", str(length))
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()

    def whole(self, status: int, body: bytes, headers: Iterable[tuple[str, str]] = (),
              content_type: str | None = None) -> None:
        self.head(status, len(body), headers, content_type)
        self.write(body)

    def write(self, data: bytes) -> bool:
        """False once the client has gone (a crawler that timed out)."""
        if not self.send_body:
            return True
        try:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except OSError:
            self.handler.close_connection = True
            return False
        return True

    def hang_up(self) -> None:
        self.handler.close_connection = True
        try:
            self.handler.wfile.flush()
            self.handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def hang(self) -> None:
        body = self.page.body()
        self.head(self.page.status, len(body))
        deadline = time.monotonic() + self.faults.hang_s
        sent = len(body) // 4
        ok = self.write(body[:sent])
        while ok and sent < len(body) - 1 and time.monotonic() < deadline and not self.faults._stopped.wait(0.5):
            ok = self.write(body[sent:sent + 1])
            sent += 1
        self.hang_up()

    def giant(self) -> None:
        body = self.page.body()
        self.head(self.page.status, None)
        pad = b"<!--" + b" " * (1024 * 1024 - 7) + b"-->"
        if self.write(body):
            for _ in range(self.faults.giant_bytes // len(pad) + 1):
                if not self.write(pad):
                    break
        self.hang_up()
