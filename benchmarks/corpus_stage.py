"""The corpus stage alone, as the build runs it first: ``pipeline.session.load_context`` (load, decode,
clean and segment every document, then coding, framing and extraction), with ``--jobs`` worker
processes (default 1: the rate "on one core" that issue 6 sets a target for).

Prints one JSON line: seconds for ``load_corpus`` (with its per-document cache), for the whole
``load_context``, MB of document text, MB/s and peak RSS. ``--profile FILE`` writes a cProfile dump.

    python benchmarks/corpus_stage.py CORPUS [--cache DIR] [--jobs N] [--profile FILE]
"""
from __future__ import annotations

import argparse
import json
import resource
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("BRIEF_BENCH_SRC") or str(ROOT))  # the benchmark's frozen copy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--codebook", type=Path, default=Path(os.environ.get("BRIEF_BENCH_SRC") or ROOT) / "codebook")
    ap.add_argument("--cache", type=Path, default=None, help="cache dir as the build passes it (default: none)")
    ap.add_argument("--profile", type=Path, default=None)
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = ap.parse_args(argv)
    t_import = time.perf_counter()
    from pipeline import session
    from pipeline.corpus import load_corpus

    imports = time.perf_counter() - t_import
    text_bytes = sum(p.stat().st_size for p in args.corpus.iterdir() if p.suffix in (".txt", ".md"))
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    # load_corpus alone (no cache), to split the time between segmentation/cleaning and coding/extraction
    corpus = load_corpus(args.corpus, jobs=args.jobs)
    t1 = time.perf_counter()
    ctx = session.load_context(args.corpus, args.codebook, args.cache, jobs=args.jobs)
    t2 = time.perf_counter()
    if prof:
        prof.disable()
        prof.dump_stats(str(args.profile))
    paragraphs = sum(len(d.paragraphs) for d in ctx.corpus.documents)
    print(json.dumps({
        "documents": len(ctx.corpus.documents), "paragraphs": paragraphs, "mb": text_bytes / 1e6, "import_s": imports,
        "load_corpus_s": t1 - t0, "load_context_s": t2 - t1, "mb_per_s": text_bytes / 1e6 / (t2 - t1),
        "mb_per_s_load_corpus": text_bytes / 1e6 / (t1 - t0),
        "jobs": args.jobs, "warnings": len(ctx.corpus.warnings), "duplicates": len(corpus.duplicates), "near_duplicates": len(corpus.near_duplicates),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
