"""The scan benchmark runs end to end on a small n and reports both passes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# bench/ is a folder of scripts, not an installed package: load the script by its path.
_SPEC = importlib.util.spec_from_file_location(
    "bench_scan", Path(__file__).resolve().parent.parent / "bench" / "bench_scan.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bench_scan = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench_scan)
main, make_listings = bench_scan.main, bench_scan.make_listings


def test_listings_are_deterministic_and_realistic() -> None:
    first, second = make_listings(300, seed=3), make_listings(300, seed=3)
    assert first == second
    assert all(590 <= len(d["description"]) <= 900 for d in first)


def test_bench_main_reports_figures() -> None:
    result = main(["--n", "400"])
    assert result["listings"] == 400
    assert result["scan_per_s"] > 0 and result["bare_per_s"] > 0
    assert 0 < result["flagged"] < 400
    assert result["ratio"] > 0
