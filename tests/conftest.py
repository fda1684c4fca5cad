"""Shared fixtures: paths to the real captured pages and the labeled listings (copied from ../shared/data), and
a scanner with the bundled ruleset."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from matchers import Scanner, load_ruleset

DATA = Path(__file__).parent / "data"
PAGES = DATA / "pages"
LABELS = DATA / "labels"


def read_page(relpath: str) -> str:
    """Text of a saved page under tests/data/pages, transparently gunzipped (files are stored as .gz)."""
    path = PAGES / relpath
    if not path.exists():
        path = path.with_name(path.name + ".gz")
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def read_page_bytes(relpath: str) -> bytes:
    path = PAGES / relpath
    if not path.exists():
        path = path.with_name(path.name + ".gz")
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.fixture
def page():
    return read_page


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    """The bundled ruleset's scanner: built once (scanning changes nothing in it)."""
    return Scanner(load_ruleset())
