"""What a notebook calls first: load corpus and codebook, code and extract once, reuse across kernels.

The analysis context is cached on disk keyed by everything it depends on (corpus content, codebook,
gazetteer, the pipeline's code), so six notebooks of one build compute it once, and an analyst
re-running a notebook in Jupyter gets it instantly.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from . import analysis, extract
from .codebook import load_codebook
from .corpus import load_corpus
from .inputs import code_digest
from .render import Citer

def load_context(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None = None) -> analysis.Context:
    """Corpus, codebook, coding and extraction for a notebook; computed once per distinct input."""
    codebook_dir = Path(codebook_dir)
    corpus = load_corpus(corpus_dir, cache_dir=Path(cache_dir) / "corpus" if cache_dir else None)
    codebook = load_codebook(codebook_dir / "themes.yaml")
    actors_file = codebook_dir / "actors.yaml"
    gazetteer = extract.load_gazetteer(actors_file)
    if cache_dir is None:
        return analysis.build_context(corpus, codebook, gazetteer)
    key = hashlib.sha256("|".join([corpus.digest, codebook.digest, hashlib.sha256(actors_file.read_bytes()).hexdigest(),
                                   code_digest()]).encode()).hexdigest()[:32]
    path = Path(cache_dir) / "context" / f"{key}.pickle"
    if path.is_file():
        try:
            return pickle.loads(path.read_bytes())
        except Exception:  # a damaged cache entry is recomputed, never trusted
            pass
    ctx = analysis.build_context(corpus, codebook, gazetteer)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(ctx, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)
    return ctx


def start(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None = None) -> tuple[analysis.Context, Citer]:
    """The first call of every notebook: the analysis context and the citation renderer."""
    ctx = load_context(corpus_dir, codebook_dir, cache_dir)
    return ctx, Citer(ctx.corpus)
