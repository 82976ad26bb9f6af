"""Where the corpus stage's time goes, on one core: each part of the per-document analysis, and beside it the
text scans those parts make, run alone.

``corpus_stage.py`` gives the stage's rate; this splits it. Per part (coding with framing, actors, figures,
events, quotes) it times the functions ``analysis.analyse_documents`` calls, over every document. Then it
times only the scans each part makes over the text, all in C (``re`` and the Aho-Corasick automaton), with
nothing done with what they find: that is the floor of this design. What a part takes above its scan is the
Python that handles sentences and candidates, which is where a faster design would have to save.

Best of ``--rounds`` runs each (the first round also fills the prefilter's memos, as a build's first
documents do). Prints a table and one JSON line.

    python benchmarks/corpus_parts.py CORPUS [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("BRIEF_BENCH_SRC") or str(ROOT))  # the benchmark's frozen copy


def best(rounds: int, work: Callable[[], object]) -> tuple[float, object]:
    """The shortest of ``rounds`` runs of ``work``, and what the last one returned."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--codebook", type=Path, default=ROOT / "codebook")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)

    from pipeline import actors, coding, extract
    from pipeline.codebook import load_codebook
    from pipeline.corpus import load_corpus
    from pipeline.records import bulk

    text_bytes = sum(p.stat().st_size for p in args.corpus.iterdir() if p.suffix in (".txt", ".md"))
    load, corpus = best(args.rounds, lambda: load_corpus(args.corpus))
    codebook = load_codebook(args.codebook / "themes.yaml")
    gazetteer = extract.load_gazetteer(args.codebook / "actors.yaml")
    docs = corpus.documents
    paragraphs = [p for d in docs for p in d.paragraphs]
    sentences = [p.text[a:b] for p in paragraphs for a, b in p.spans]

    parts = {  # what analysis.analyse_documents calls, part by part
        "coding and framing": lambda: [coding.read_paragraph(p, codebook) for p in paragraphs],
        "actors": lambda: [extract.extract_document_actors(d, gazetteer) for d in docs],
        "figures": lambda: [extract.extract_figures(p) for p in paragraphs],
        "events": lambda: [extract.extract_document_events(d) for d in docs],
        "quotes": lambda: [extract.extract_quotes(p) for p in paragraphs],
    }
    scanner, aliases = codebook.scanner, actors._index_of(gazetteer).pattern
    runs = actors._capital_run_patterns()
    scans = {  # the scans each part makes over the text, as it makes them, and nothing else
        "coding and framing": lambda: [list(scanner.automaton.iter(s.lower())) for s in sentences],
        "actors": lambda: [(aliases.findall(s), list((runs.full if runs.mixed.search(s) else runs.plain).finditer(s)))
                           for s in sentences],
        "figures": lambda: [extract._LOWER_FIGURE_TRIGGER.search(" " + s.lower()) for s in sentences],
        "events": lambda: [extract._DATE_TRIGGER.search(p.text) for p in paragraphs],
        "quotes": lambda: [actors._QUOTE_SPANS.search(p.text) for p in paragraphs],
    }
    with bulk():
        spent = {name: best(args.rounds, work)[0] for name, work in parts.items()}
        scanned = {name: best(args.rounds, work)[0] for name, work in scans.items()}

    mb = text_bytes / 1e6
    total = load + sum(spent.values())
    print(f"{len(docs)} documents, {len(sentences)} sentences, {mb:.1f} MB of text")
    print(f"{'part':<30}{'s':>7}{'its scans alone':>17}")
    print(f"{'load (decode, clean, segment)':<30}{load:>7.2f}")
    for name in parts:
        print(f"{name:<30}{spent[name]:>7.2f}{scanned[name]:>17.2f}")
    print(f"{'all':<30}{total:>7.2f}{sum(scanned.values()):>17.2f}")
    # The stage itself also pickles and stores every analysis, and its first pass fills the memos: corpus_stage.py.
    print(f"these parts alone: {mb / total:.2f} MB/s (2 MB/s: {mb / 2:.2f} s)")
    print(json.dumps({"documents": len(docs), "sentences": len(sentences), "mb": mb, "load_s": load, "parts_s": spent,
                      "scans_s": scanned, "mb_per_s": mb / total}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
