"""The testbed server: loopback only, keep-alive, block pages, counters, steps, clean stop, foreground run."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testbed.server import TestbedServer

ROOT = Path(__file__).resolve().parents[1]


def fetch(server: TestbedServer, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def refuses_connections(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_binds_loopback_serves_keep_alive_and_stops_cleanly() -> None:
    server = TestbedServer(seed=2, listings=100).start()
    assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
    gig = next(iter(server.catalogue.gigs.values()))
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    for path in [gig.url, f"/{gig.seller}", "/search/gigs?query=amazon+reviews", gig.url]:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200 and len(body) == int(response.getheader("Content-Length"))
        assert b'id="perseus-initial-props"' in body
    assert server.hits == {"gig": 2, "seller": 1, "search": 1}
    idle = http.client.HTTPConnection(server.host, server.port, timeout=5)  # a keep-alive client, now idle
    idle.request("GET", "/robots.txt")
    assert idle.getresponse().read().startswith(b"User-agent: *")
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    assert idle.sock.recv(1) == b""  # the server hung up on it
    idle.close()
    conn.close()
    assert refuses_connections("127.0.0.1", server.port)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::", "8.8.8.8"])
def test_refuses_any_non_loopback_host(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        TestbedServer(host=host)


def test_block_rate_one_answers_every_page_with_a_perimeterx_challenge() -> None:
    with TestbedServer(seed=5, listings=50, block_rate=1.0) as server:
        gig = next(iter(server.catalogue.gigs.values()))
        for path in ["/search/gigs?query=amazon+reviews", gig.url, f"/{gig.seller}", "/nobody"]:
            status, headers, body = fetch(server, path)
            assert status == 403
            assert headers["Set-Cookie"].startswith("_px3=")
            assert "window._pxAppId='PXK3bezZfO'" in body and "Press &amp; Hold" in body
            assert "perseus-initial-props" not in body and "fiverrmeta:pagename" not in body
        assert fetch(server, "/robots.txt")[0] == 200
        assert server.hits == {"blocked": 4, "robots": 1}


def test_partial_block_rate_lets_a_retry_through() -> None:
    with TestbedServer(seed=5, listings=50, block_rate=0.5) as server:
        gig = next(iter(server.catalogue.gigs.values()))
        statuses = [fetch(server, gig.url)[0] for _ in range(40)]
    assert set(statuses) == {200, 403}
    assert 8 <= statuses.count(403) <= 32


def test_set_step_removes_and_edits_pages_on_a_running_server() -> None:
    with TestbedServer(seed=9, listings=600) as server:
        before = server.catalogue
        server.set_step(1)
        changes = server.catalogue.changes()
        removed = before.gigs[next(iter(changes.removed))]
        edited = server.catalogue.gigs[next(iter(changes.edited))]
        assert fetch(server, removed.url)[0] == 404
        status, _, body = fetch(server, edited.url)
        assert status == 200 and json.dumps(edited.title, ensure_ascii=False)[1:-1] in body
        assert server.step == 1 and server.hits["not_found"] == 1


def test_run_in_foreground_writes_port_file_and_stops_on_sigterm(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "testbed", "--port", "0", "--listings", "80", "--port-file", str(port_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        port = int(port_file.read_text())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/robots.txt")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}" in stderr
    assert "GET /robots.txt" not in stderr  # no request log
    assert refuses_connections("127.0.0.1", port)


def test_cli_rejects_a_non_loopback_host() -> None:
    proc = subprocess.run([sys.executable, "-m", "testbed", "--host", "0.0.0.0", "--port", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2 and "loopback" in proc.stderr
