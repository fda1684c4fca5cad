"""A real ``redis-server`` (Debian's package, installed by ``scripts/system_deps.sh``) on a free port of 127.0.0.1,
in a folder of its own, for the tests and benchmarks of distributed crawls. No fake Redis: the leases, streams
and Lua scripts under test are Redis' own.

``with RedisServer(tmp_path) as server: server.url``; ``server.restart()`` stops it (SIGKILL: nothing flushed at
exit) and starts it again on the same port and folder, where its append-only file brings the data back.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server", path="/usr/local/bin:/usr/bin:/usr/sbin")
    if found is None:
        raise RuntimeError("redis-server not found: run `make` (scripts/system_deps.sh installs it)")
    return found


class RedisServer:
    """One redis-server process; ``aof`` turns on the append-only file with an fsync per write."""

    def __init__(self, folder: Path, *, aof: bool = False, port: int | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.aof = aof
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                "--save", "", "--protected-mode", "yes"]  # fmt: skip
        args += ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}; see {self.folder / 'redis.log'}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, down_s: float = 1.0) -> None:
        """Kill the server outright, stay down ``down_s`` seconds, start it again on the same port and folder."""
        self.stop(signal.SIGKILL)
        time.sleep(down_s)
        self.start()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
