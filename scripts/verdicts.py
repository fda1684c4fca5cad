"""Freeze the matchers' verdicts over a large varied corpus, and compare the engine with them after a change.

    python scripts/verdicts.py freeze DIR    # writes DIR/corpus.jsonl (once) and DIR/verdicts.jsonl
    python scripts/verdicts.py compare DIR   # exit 1 and the first differences if any verdict changed

Keep DIR outside the repository. The corpus (about 28,000 documents): the labeled dev rows, the matcher tests'
texts and the rules' examples, the testbed's generated listings and sellers, benchmark listings, disguised
variants of all of these, and long texts made of many listings. A verdict is compared whole: flagged, score
and every reason (rule, quote, offsets, explanation); so are the rules ``fired`` on the first 3,000 titles.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from matchers import Scanner, load_ruleset  # noqa: E402


def build_corpus() -> list[dict[str, Any]]:
    """The documents, the same on every run (fixed seeds)."""
    import test_matchers_fastpath as fastpath

    from bench.bench_scan import make_listings
    from testbed.catalogue import Catalogue

    rng = random.Random(424242)
    docs = fastpath.corpus()
    for seed in (1, 2, 3, 4, 5):
        catalogue = Catalogue(seed=seed, listings=2000)
        docs += [{"title": g.title, "description": g.description, "tags": list(g.tags)}
                 for g in catalogue.gigs.values()]
        docs += [{"title": s.one_liner, "description": s.description} for s in list(catalogue.sellers.values())[:500]]
    docs += [{"title": fastpath.disguise(d["title"], rng), "description": fastpath.disguise(d.get("description")
             or "x y", rng), "tags": d.get("tags")} for d in rng.sample(docs[-7000:], 3000)]
    listings = make_listings(8000, seed=11, review_share=0.15, mention_share=0.5)
    docs += listings[:5000]
    docs += [{"title": fastpath.disguise(d["title"], rng), "description": fastpath.disguise(d["description"], rng)}
             for d in listings[5000:]]
    pool = [d for d in docs if d.get("description")]
    for _ in range(600):  # long texts with many hits: pairing and windows
        parts = rng.sample(pool, 8)
        docs.append({"title": parts[0]["title"], "description": "\n".join(
            f"{p.get('title', '')}. {p['description']}" for p in parts)})
    return docs


def verdicts(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[str]]]:
    scanner = Scanner(load_ruleset())
    out = []
    for doc in docs:
        verdict = scanner.scan(doc).to_dict()
        out.append({"flagged": verdict["flagged"], "score": verdict["score"], "reasons": verdict["reasons"]})
    fired = [sorted(scanner.fired(d["title"])) for d in docs[:3000] if d.get("title")]
    return out, fired


def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def _write(path: Path, rows: list[Any]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("freeze", "compare"))
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    corpus = args.folder / "corpus.jsonl"
    if not corpus.exists():
        args.folder.mkdir(parents=True, exist_ok=True)
        _write(corpus, build_corpus())
    docs = _lines(corpus)
    out, fired = verdicts(docs)
    if args.action == "freeze":
        _write(args.folder / "verdicts.jsonl", out + [{"fired": fired}])
        print(f"froze {len(out):,} verdicts ({sum(v['flagged'] for v in out):,} flagged)")
        return 0
    frozen = _lines(args.folder / "verdicts.jsonl")
    changed = [i for i, (a, b) in enumerate(zip(out, frozen[:-1], strict=True)) if a != b]
    for i in changed[:5]:
        print(f"document {i}: {json.dumps(docs[i], ensure_ascii=False)[:200]}\n  now {out[i]}\n  was {frozen[i]}")
    print(f"{len(changed)} of {len(out):,} verdicts differ; rules fired on titles "
          f"{'differ' if fired != frozen[-1]['fired'] else 'match'}")
    return 1 if changed or fired != frozen[-1]["fired"] else 0


if __name__ == "__main__":
    sys.exit(main())
