"""Compile the matchers' hot modules with mypyc into ``matchers/_native/`` (see ``matchers/compiled.py``).

    python scripts/build_native.py [--check]

Builds from a copy of the sources in a temporary folder, so nothing compiled ever lands beside a ``.py`` file,
then records which sources it compiled. ``--check`` only says whether the build on disk is fresh (exit 1 if
not). Needs mypy (which ships mypyc) and a C compiler; without them, the matchers simply run as Python.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchers.compiled import MANIFEST, MODULES, NATIVE_DIR, manifest, native_path  # noqa: E402

PACKAGE = ROOT / "matchers"
#: mypyc's shared library for the group lands in the package (``matchers/native__mypyc...so``), so the compiled
#: modules find it through the package path, never at the top level of ``sys.path``.
GROUP = "matchers.native"


def build(package: Path = PACKAGE) -> Path:
    from mypyc.build import mypycify  # imported here: --check needs no mypy
    from setuptools import setup

    target = package / NATIVE_DIR
    with tempfile.TemporaryDirectory(prefix="gigscan-native-") as scratch:
        work = Path(scratch)
        (work / "matchers").mkdir()
        (work / "matchers" / "__init__.py").write_text("")
        for name in MODULES:
            shutil.copy2(package / f"{name}.py", work / "matchers" / f"{name}.py")
        expected = manifest(package)  # of the sources copied, read before the (slow) compile
        paths = ["--ignore-missing-imports", *(f"matchers/{name}.py" for name in MODULES)]
        cwd = os.getcwd()
        os.chdir(work)  # mypycify names modules after their paths
        try:
            setup(
                name="gigscan-native",
                ext_modules=mypycify(paths, opt_level="3", group_name=GROUP),
                script_args=["-q", "build_ext", "--build-lib", str(work / "out"), "--build-temp", str(work / "tmp")],
            )
        finally:
            os.chdir(cwd)
        built = sorted((work / "out" / "matchers").glob("*.so"))
        if {p.name.split(".")[0] for p in built} < set(MODULES):
            raise SystemExit(f"build_native: mypyc built only {[p.name for p in built]}")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        for path in built:
            shutil.copy2(path, target / path.name)
        (target / MANIFEST).write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the compiled build is fresh")
    args = parser.parse_args(argv)
    if not args.check:
        print(f"build_native: compiled {', '.join(MODULES)} into {build().relative_to(ROOT)}")
    fresh = native_path(PACKAGE) is not None
    print(f"build_native: compiled build is {'fresh' if fresh else 'missing or stale'}")
    return 0 if fresh else 1


if __name__ == "__main__":
    sys.exit(main())
