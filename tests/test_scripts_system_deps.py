"""`make test` on a fresh machine installs the system packages the tests need (scripts/system_deps.sh, run by
make before the Python install): here against stand-in ``apt-get`` and ``id`` on a PATH without chromium or
redis-server, so nothing is installed for real."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "scripts" / "system_deps.sh"


def fake_bin(tmp_path: Path, *, uid: str, have: tuple[str, ...] = ()) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "apt-get $*" >> {tmp_path}/calls\n')
    for name in have:
        (bin_dir / name).write_text("#!/bin/sh\n")
    for path in bin_dir.iterdir():
        path.chmod(0o755)
    return bin_dir


def run(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run([bash, str(SCRIPT)], env={"PATH": str(bin_dir)}, capture_output=True, text=True,
                          timeout=60)


def test_a_fresh_machine_gets_chromium_and_redis(tmp_path: Path) -> None:
    proc = run(fake_bin(tmp_path, uid="0"))
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == "apt-get update -qq"
    assert calls[1].startswith("apt-get install") and {"chromium", "redis-server"} <= set(calls[1].split())


def test_nothing_is_installed_when_everything_is_there(tmp_path: Path) -> None:
    proc = run(fake_bin(tmp_path, uid="0", have=("chromium", "redis-server")))
    assert proc.returncode == 0 and not (tmp_path / "calls").exists()


def test_without_root_or_sudo_it_says_what_to_install(tmp_path: Path) -> None:
    proc = run(fake_bin(tmp_path, uid="1000", have=("redis-server",)))
    assert proc.returncode == 1
    assert "need chromium" in proc.stderr and not (tmp_path / "calls").exists()
