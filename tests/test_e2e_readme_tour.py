"""Every command line of the README's tour runs as written against the simulated marketplace, so the README
cannot rot: a line that stops working (a renamed option, a crash, a traceback) fails this test.

The lines run one after another through ``bash`` in a scratch directory, against the simulated marketplace the
README starts (``gigscan testbed serve``: its default seed and size, so a named account such as the tour's buyer
is there for a user too), in the environment a user of the simulated marketplace would set: ``GIGSCAN_MIRROR``
(the testbed, so crawls without ``--base-url`` reach it instead of the internet), ``GIGSCAN_DB``,
``GIGSCAN_DELAY=0`` and ``GIGSCAN_CRONTAB`` (a file, not the user's crontab). The only edits: the tour's fixed
ports (8800 for the testbed, ``serve``'s default) become free ones; ``review confirm 42`` confirms the first flag
``gigscan review`` lists; ``exhibit_a.txt`` is an exhibit list of two flagged sellers; ``serve`` is stopped once
it answers. Every line must exit 0 with no traceback.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from testbed.server import TestbedServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


def tour_lines() -> list[str]:
    """The command lines of the README's tour (the ``sh`` block under "A short tour"), comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## A short tour\s+```sh\n(.*?)```", text, re.S)
    assert block, "the README has no tour"
    lines = []
    for raw in block[1].splitlines():
        words = shlex.split(raw, comments=True)
        if not words or words[0] == ".":  # `. .venv/bin/activate`: the test's PATH does that
            continue
        if words[-1] == "&":
            lines.append(shlex.join(words[:-1]) + " &")
        elif "|" in words:  # a pipeline runs as written
            lines.append(raw.split(" #")[0].strip())
        else:
            lines.append(shlex.join(words))
    return lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def bash(line: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def first_flag(env: dict[str, str], cwd: Path) -> tuple[int, list[str]]:
    pending = json.loads(bash("gigscan review --json", env, cwd).stdout)["pending"]
    flags = [row for row in pending if row["grade"] == "flagged"]  # suspects come first in the queue
    return flags[0]["verdict_id"], sorted({row["username"] for row in flags})[:2]


def serve_until_it_answers(line: str, env: dict[str, str], cwd: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(["bash", "-c", f"exec {line} --port {port}"], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and "serving" in proc.stdout.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert response.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_every_readme_tour_line_runs(tmp_path: Path) -> None:
    lines = tour_lines()
    assert any(line.startswith("gigscan crawl all") for line in lines) and len(lines) > 20
    for name in ("crawler", "tests"):  # the tour's relative paths (profiles, labels) as in a checkout
        (tmp_path / name).symlink_to(ROOT / name)
    port = free_port()
    with TestbedServer() as mirror:  # the defaults of `gigscan testbed serve`, as the README runs it
        env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "GIGSCAN_MIRROR": mirror.url,
               "GIGSCAN_DB": str(tmp_path / "gigscan.db"), "GIGSCAN_DELAY": "0",
               "GIGSCAN_CRONTAB": str(tmp_path / "crontab"), "GIGSCAN_REVIEWER": "tour"}
        background = []
        try:
            for line in lines:
                line = line.replace("8800", str(port))
                if line.endswith("&"):
                    background.append(subprocess.Popen(["bash", "-c", f"exec {line[:-1]}"], env=env, cwd=tmp_path,
                                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                    wait_for(port)
                    continue
                if line == "gigscan serve":
                    serve_until_it_answers(line, env, tmp_path)
                    continue
                if "exhibit_a.txt" in line or line.startswith("gigscan review confirm"):
                    verdict_id, names = first_flag(env, tmp_path)
                    line = line.replace(" 42 ", f" {verdict_id} ")
                    (tmp_path / "exhibit_a.txt").write_text("".join(f"{i}. {n}\n" for i, n in enumerate(names, 1)))
                proc = bash(line, env, tmp_path)
                assert proc.returncode == 0, f"{line}\nexit {proc.returncode}\n{proc.stdout[-1500:]}\n{proc.stderr}"
                assert "Traceback" not in proc.stdout + proc.stderr, line
        finally:
            for proc in background:
                proc.terminate()
                proc.wait(timeout=20)
    crontab = (tmp_path / "crontab").read_text()
    assert "gigscan:nightly" in crontab and "--notify https://hooks.example/gigscan" in crontab
    assert (tmp_path / "bundle.zip").is_file() and (tmp_path / "report.html").is_file()
