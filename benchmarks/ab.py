"""A/B of two commits on one build case, runs alternating: what a change gains, with the machine's drift spread
over both sides.

    .venv/bin/python benchmarks/ab.py BASE [CHANGED] [--case cold|edit|add1k] [--rounds 6]

CHANGED defaults to the working tree. Each side is a ``git archive`` of its commit (the working tree: a snapshot, as
``bench.py`` takes), run with this venv and ``PYTHONPATH`` set to it; every run is a whole ``brief build`` process.
Round i runs A then B when i is even, B then A when odd. Cases:

- ``cold``: the seed corpus, fresh ``--out`` and ``--cache``;
- ``edit``: the first markdown cell of ``20_xinjiang`` changed in the side's copy of ``notebooks/``, then a build;
- ``add1k``: a 1,000-document synthetic corpus built once per side; each run starts from a copy of that build's
  corpus, cache and reports/ with one document added (``synth.py``), the case of issue 6's 15 s target.

It prints, for each side, the median wall time with min–max, and the median of each step in the manifest.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench import PY, ROOT, edit_notebook, loop_seconds, measure, snapshot

import synth


def checkout(rev: str | None, dest: Path) -> Path:
    """The code and inputs of a commit (or, for None, of the working tree) in ``dest``."""
    if rev is None:
        return snapshot(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


class Side:
    def __init__(self, name: str, src: Path, work: Path):
        self.name, self.src, self.work = name, src, work
        self.env = dict(os.environ, PYTHONPATH=str(src))
        self.walls: list[float] = []
        self.steps: list[dict] = []

    def build(self, out: Path, cache: Path, *extra: str | Path) -> dict:
        run = measure([PY, "-m", "pipeline.cli", "build", "--out", str(out), "--cache", str(cache), *map(str, extra)],
                      env=self.env, cwd=self.src, scratch=self.work / "logs")
        if run.rc != 0:
            raise SystemExit(f"{self.name}: build failed (exit {run.rc}): {run.err.strip()[-400:]}")
        self.walls.append(run.wall)
        timings = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["timings_s"]
        self.steps.append(timings)
        return timings


def prepare(case: str, side: Side, pool: synth.Pool | None) -> None:
    if case == "edit":
        shutil.copytree(side.src / "notebooks", side.work / "notebooks")
        side.build(side.work / "out", side.work / "cache", "--notebooks", side.work / "notebooks")
    elif case == "add1k":
        synth.write_corpus(side.work / "corpus0", 1000, seed=1000, pool=pool)
        side.build(side.work / "out0", side.work / "cache0", "--corpus", side.work / "corpus0")
    side.walls.clear()
    side.steps.clear()


def run_once(case: str, side: Side, k: int, pool: synth.Pool | None) -> None:
    w = side.work
    if case == "cold":
        for d in ("out", "cache"):
            shutil.rmtree(w / d, ignore_errors=True)
        side.build(w / "out", w / "cache")
    elif case == "edit":
        edit_notebook(w / "notebooks" / "20_xinjiang.ipynb", k)
        side.build(w / "out", w / "cache", "--notebooks", w / "notebooks")
    else:
        for d in ("corpus", "out", "cache"):
            shutil.rmtree(w / d, ignore_errors=True)
            shutil.copytree(w / f"{d}0", w / d)
        synth.add_documents(w / "corpus", 1, seed=100 + k, pool=pool, tag="abadd")
        side.build(w / "out", w / "cache", "--corpus", w / "corpus")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="commit A (e.g. HEAD~1)")
    parser.add_argument("changed", nargs="?", help="commit B (default: the working tree)")
    parser.add_argument("--case", choices=("cold", "edit", "add1k"), default="cold")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="brief-ab-"))
    try:
        sides = [Side(f"{label} {rev or 'working tree'}", checkout(rev, work / label / "src"), work / label)
                 for label, rev in (("A", args.base), ("B", args.changed))]
        pool = synth.Pool() if args.case == "add1k" else None
        start = loop_seconds()
        for side in sides:
            prepare(args.case, side, pool)
        for k in range(args.rounds):
            for side in sides if k % 2 == 0 else sides[::-1]:
                run_once(args.case, side, k, pool)
            print(f"round {k + 1}/{args.rounds}: " + ", ".join(f"{s.name} {s.walls[-1]:.2f} s" for s in sides), flush=True)
        print(f"\n{args.case}, {args.rounds} rounds; loop_seconds {start:.3f} at the start, {loop_seconds():.3f} at the end")
        for side in sides:
            names = list(dict.fromkeys(k for t in side.steps for k in t))
            steps = ", ".join(f"{n} {statistics.median(t.get(n, 0.0) for t in side.steps):.2f}" for n in names)
            print(f"{side.name}: median {statistics.median(side.walls):.2f} s ({min(side.walls):.2f}–{max(side.walls):.2f})\n"
                  f"  steps (medians): {steps}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
