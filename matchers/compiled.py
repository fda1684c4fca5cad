"""Which engine runs: the matchers' own ``.py`` files, or the same files compiled with mypyc (about twice as fast).

The ``.py`` files are always the source of truth. ``scripts/build_native.py`` compiles a copy of them into
``matchers/_native/`` and records a digest of the sources it compiled. The package puts that folder first on
its ``__path__`` only while the digest still matches the sources on disk, so an edited scanner is never shadowed
by a stale build: it simply runs as Python until the next build. ``GIGSCAN_PURE_PYTHON=1`` forces Python.

This module is not compiled itself: it decides, before any compiled module can load.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

#: The modules compiled (the hot path of a scan); the rest of the package stays Python.
MODULES = ("literals", "normalise", "outline", "ruleset", "scan", "terms")
#: Where the build puts the compiled modules, inside the package folder.
NATIVE_DIR = "_native"
#: What the build records: the digest of the sources it compiled, and the interpreter it compiled for.
MANIFEST = "BUILT_FROM.json"
#: Set to 1 to run the Python sources even when a fresh compiled build exists.
PURE_ENV = "GIGSCAN_PURE_PYTHON"


def sources_digest(package: Path) -> str:
    """sha256 over the compiled modules' sources, name by name."""
    digest = hashlib.sha256()
    for name in MODULES:
        digest.update(name.encode() + b"\0")
        digest.update((package / f"{name}.py").read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def manifest(package: Path) -> dict[str, str]:
    """The manifest a build of ``package``'s current sources writes (and the check expects)."""
    return {"digest": sources_digest(package), "python": sys.implementation.cache_tag or ""}


def native_path(package: Path) -> Path | None:
    """The folder of compiled modules to put first on the package path, or None to run the Python sources:
    none built, built from other sources or for another interpreter, or ``GIGSCAN_PURE_PYTHON=1``."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None
    folder = package / NATIVE_DIR
    try:
        built = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return folder if built == manifest(package) else None
