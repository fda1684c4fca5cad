"""The compiled engine only runs when it was built from the sources on disk (matchers/compiled.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import matchers
from matchers.compiled import MANIFEST, MODULES, NATIVE_DIR, PURE_ENV, manifest, native_path


@pytest.fixture()
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package folder with the compiled modules' sources and a build recorded for them."""
    monkeypatch.delenv(PURE_ENV, raising=False)
    for name in MODULES:
        (tmp_path / f"{name}.py").write_text(f"NAME = {name!r}\n", encoding="utf-8")
    (tmp_path / NATIVE_DIR).mkdir()
    (tmp_path / NATIVE_DIR / MANIFEST).write_text(json.dumps(manifest(tmp_path)), encoding="utf-8")
    return tmp_path


def test_a_build_of_these_sources_is_used(package: Path) -> None:
    assert native_path(package) == package / NATIVE_DIR


def test_an_edited_source_runs_as_python(package: Path) -> None:
    with (package / "scan.py").open("a", encoding="utf-8") as handle:
        handle.write("# edited after the build\n")
    assert native_path(package) is None


def test_no_build_a_broken_manifest_or_another_interpreter_runs_as_python(package: Path) -> None:
    built = json.loads((package / NATIVE_DIR / MANIFEST).read_text(encoding="utf-8"))
    (package / NATIVE_DIR / MANIFEST).write_text(json.dumps({**built, "python": "cpython-399"}), encoding="utf-8")
    assert native_path(package) is None
    (package / NATIVE_DIR / MANIFEST).write_text("{not json", encoding="utf-8")
    assert native_path(package) is None
    (package / NATIVE_DIR / MANIFEST).unlink()
    assert native_path(package) is None


def test_the_environment_can_force_python(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PURE_ENV, "1")
    assert native_path(package) is None
    monkeypatch.setenv(PURE_ENV, "0")
    assert native_path(package) == package / NATIVE_DIR


def test_the_package_says_which_engine_runs() -> None:
    compiled = Path(matchers.scan.__file__).suffix != ".py"
    assert ("compiled" if compiled else "python") == matchers.ENGINE
