"""``brief build`` with another notebooks directory, for the edited-notebook case of the benchmark.

The CLI takes notebooks from ``pipeline.config.NOTEBOOKS_DIR``; ``Settings(notebooks=...)`` is not
reachable from it, so this calls ``pipeline.build.build`` with the settings the CLI would make.

    python benchmarks/build_driver.py --notebooks DIR [--corpus DIR] --out DIR --cache DIR
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("BRIEF_BENCH_SRC") or str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    from pipeline.config import DEFAULT_CORPUS, Settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--notebooks", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True)
    args = ap.parse_args(argv)
    settings = Settings(corpus=args.corpus, out=args.out, cache=args.cache, notebooks=args.notebooks)
    try:  # the no-change fast path, as the CLI takes it, when the pipeline has one
        from pipeline.inputs import Inputs, up_to_date

        inputs = Inputs.read(settings)
        if up_to_date(settings, inputs):
            print("Up to date")
            return 0
    except ImportError:
        inputs = None
    from pipeline.build import build

    import inspect

    kwargs = {"inputs": inputs} if inputs is not None and "inputs" in inspect.signature(build).parameters else {}
    result = build(settings, log=lambda line: print(line, flush=True), **kwargs)
    return 0 if result.pdf else 3


if __name__ == "__main__":
    sys.exit(main())
