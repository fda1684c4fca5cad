"""``make bench``: run every benchmark and print its figures (ratios against a same-run baseline)."""

from __future__ import annotations

import importlib
import json
import sys

BENCHMARKS = [
    "bench.bench_crawl",
    "bench.bench_crawl_all",
    "bench.bench_faults",
    "bench.bench_scan",
    "bench.bench_store",
    "bench.bench_desk",
    "bench.bench_distributed",
]


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or BENCHMARKS
    results = {}
    for name in names:
        module = importlib.import_module(name if name.startswith("bench.") else f"bench.{name}")
        print(f"== {module.__name__}", flush=True)
        results[module.__name__] = module.main([])
    print(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
