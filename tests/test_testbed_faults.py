"""The fault-injecting testbed: each fault behaves as a hostile server would, deterministically from a seed."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest

from testbed.faults import KINDS, Faults
from testbed.server import TestbedServer

PERSEUS = re.compile(rb'<script type="application/json" id="perseus-initial-props">\n(.*?)\n</script>', re.S)


def fetch(server: TestbedServer, path: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def serve(kind: str, **options: float) -> TestbedServer:
    return TestbedServer(seed=2, listings=60, faults=Faults(rate=1.0, seed=1, kinds=(kind,), **options))


def a_gig_url(server: TestbedServer) -> str:
    return next(iter(server.catalogue.gigs.values())).url


@pytest.mark.parametrize(("kind", "status", "retry_after"), [
    ("429", 429, None), ("429_retry_after", 429, "1"), ("500", 500, None), ("502", 502, None), ("503", 503, None),
    ("503_retry_after", 503, "1"),
])
def test_error_statuses_with_and_without_retry_after(kind: str, status: int, retry_after: str | None) -> None:
    with serve(kind) as server:
        got, headers, _ = fetch(server, a_gig_url(server))
        assert (got, headers.get("retry-after")) == (status, retry_after)
        assert fetch(server, "/robots.txt")[0] == 200  # robots.txt is never faulted
        assert server.faults is not None and server.faults.injected == {kind: 1}


def test_gzip_bomb_inflates_far_beyond_its_size() -> None:
    with serve("gzip_bomb", bomb_bytes=16 * 1024 * 1024) as server:
        status, headers, body = fetch(server, a_gig_url(server))
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert len(body) < 64 * 1024 and len(gzip.decompress(body)) == 16 * 1024 * 1024


def test_truncated_hang_and_giant_bodies() -> None:
    with serve("truncated") as server, pytest.raises(http.client.IncompleteRead):
        fetch(server, a_gig_url(server))
    with serve("hang", hang_s=30) as server:
        started = time.monotonic()
        with pytest.raises((TimeoutError, socket.timeout)):
            fetch(server, a_gig_url(server), timeout=0.5)
        assert time.monotonic() - started < 3
    started = time.monotonic()
    with serve("giant", giant_bytes=3 * 1024 * 1024) as server:
        status, headers, body = fetch(server, a_gig_url(server))
    assert status == 200 and "content-length" not in headers and len(body) > 3 * 1024 * 1024
    assert b'id="perseus-initial-props"' in body[:200_000]


def test_slow_answers_late_and_stopping_releases_hanging_responses() -> None:
    with serve("slow", slow_s=0.4) as server:
        started = time.monotonic()
        status, _, body = fetch(server, a_gig_url(server))
        assert status == 200 and time.monotonic() - started >= 0.4 and PERSEUS.search(body)
    server = serve("hang", hang_s=60).start()
    conn = socket.create_connection((server.host, server.port), timeout=5)
    conn.sendall(f"GET {a_gig_url(server)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert conn.recv(100).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    conn.close()


def test_non_utf8_page_carries_the_same_data() -> None:
    with TestbedServer(seed=2, listings=60) as clean, serve("non_utf8") as faulty:
        path = a_gig_url(clean)
        _, _, utf8 = fetch(clean, path)
        status, headers, cp1252 = fetch(faulty, path)
    assert status == 200 and headers["content-type"] == "text/html; charset=windows-1252"
    assert cp1252 != utf8
    original = json.loads(PERSEUS.search(utf8)[1])
    recoded = json.loads(PERSEUS.search(cp1252)[1].decode("windows-1252"))
    assert recoded == original
    assert faulty.faults is not None and faulty.faults.answered == {"gig": {path}}  # a correct answer


def test_malformed_redirect_loop_and_block() -> None:
    with serve("malformed") as server:
        status, _, body = fetch(server, a_gig_url(server))
        assert status == 200 and b"\xff\xfe" in body
        match = PERSEUS.search(body)
        with pytest.raises(json.JSONDecodeError):
            json.loads(match[1] if match else body.split(b'id="perseus-initial-props">')[1].split(b"</script>")[0])
    with serve("redirect_loop") as server:
        path = a_gig_url(server)
        status, headers, _ = fetch(server, path)
        assert status == 302 and headers["location"] == f"{path}?__testbed_loop=1"
        assert fetch(server, headers["location"])[1]["location"] == f"{path}?__testbed_loop=0"
    with serve("block") as server:
        status, _, body = fetch(server, a_gig_url(server))
        assert status == 403 and b"Press &amp; Hold" in body


def test_draws_depend_on_seed_target_and_attempt_only() -> None:
    def draws(seed: int, targets: list[str]) -> dict[tuple[str, int], str | None]:
        faults, attempts, out = Faults(rate=0.3, seed=seed), Counter[str](), {}
        for target in targets:
            attempts[target] += 1
            out[(target, attempts[target])] = faults.draw(target)
        return out

    targets = [f"/s{i}/gig" for i in range(300)] * 2
    first = draws(1, targets)
    assert draws(1, targets[::-1]) == first  # concurrent arrival order does not matter
    assert draws(2, targets) != first
    faulted = [d for d in first.values() if d is not None]
    assert 0.2 < len(faulted) / len(first) < 0.4 and set(faulted) <= set(KINDS)
    assert len(set(faulted)) >= 10


def test_invalid_fault_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(rate=1.5)
    with pytest.raises(ValueError, match="unknown fault kinds: teapot"):
        Faults(kinds=("429", "teapot"))
    assert Faults.parse_kinds("429, hang") == ("429", "hang") and Faults.parse_kinds(None) == KINDS


def test_python_m_testbed_serves_faults() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "testbed", "--port", "0", "--listings", "40", "--faults", "1",
                             "--fault-kinds", "502"], stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        host, port = re.search(r"http://([\d.]+):(\d+)", line).groups()
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/search/gigs?query=logo")
        assert conn.getresponse().status == 502
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
