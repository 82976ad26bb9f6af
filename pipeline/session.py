"""What a notebook calls first: load corpus and codebook, code and extract once, reuse across kernels.

Two caches, both keyed by everything they depend on:
- the whole analysis context, keyed by the corpus files, the codebook, the gazetteer and the code, so
  the six notebooks of a build (and an analyst re-running one in Jupyter) read it without parsing the
  corpus again;
- each document's analysis (coding, framing, extraction), so a document added to a large corpus costs
  only itself; documents not in the cache are analysed in parallel (parallel.py). These entries are
  kept in one SQLite file (store.py): a file each cost more to create than most analyses take.
"""
from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from . import analysis, extract
from .codebook import Codebook, load_codebook
from .corpus import Document, load_corpus
from .inputs import corpus_files, module_digest, sha256
from .parallel import forks, pmap
from .records import bulk
from .store import Entries
from .render import Citer


# Called once corpus and codebook are read and valid, with the number of documents still to analyse.
Ready = Callable[[Codebook, int], None]


def load_context(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None = None,
                 jobs: int | None = None, ready: Ready | None = None) -> analysis.Context:
    """Corpus, codebook, coding and extraction for a notebook; computed once per distinct input.

    ``ready`` lets the build start its notebook workers while the documents are analysed, and only once
    the input is known to be good (a build that stops on bad input has nothing to stop).
    """
    with bulk():
        return _load_context(corpus_dir, codebook_dir, cache_dir, jobs, ready or (lambda codebook, to_analyse: None))


def _load_context(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None, jobs: int | None,
                  ready: Ready) -> analysis.Context:
    codebook_dir = Path(codebook_dir)
    try:
        depends = _analysis_depends(codebook_dir)
        path = _context_path(corpus_dir, depends, cache_dir) if cache_dir is not None else None
    except OSError:  # a missing codebook file or corpus: the loaders below say which, and what to do
        path = None
    if path and (ctx := _read(path)):  # keyed on the files' bytes: codebook and corpus were valid when it was made
        ctx.corpus.root = Path(corpus_dir)  # the same files may have been read from another folder, since moved
        ready(ctx.codebook, 0)
        return ctx
    codebook = load_codebook(codebook_dir / "themes.yaml")
    gazetteer = extract.load_gazetteer(codebook_dir / "actors.yaml")
    if path is None:
        corpus = load_corpus(corpus_dir, jobs=jobs)
        ready(codebook, len(corpus.documents))
        return analysis.build_context(corpus, codebook, gazetteer)
    cache = Path(cache_dir)
    corpus = load_corpus(corpus_dir, cache_dir=cache / "corpus", jobs=jobs)
    analyses = _analyses(corpus.documents, codebook, gazetteer, cache, depends, jobs,
                         lambda to_analyse: ready(codebook, to_analyse))
    ctx = analysis.build_context(corpus, codebook, gazetteer, analyses)
    _write(path, ctx)
    return ctx


def _analysis_depends(codebook_dir: Path) -> list[str]:
    """What each document's analysis depends on besides the document: codebook, gazetteer, the code computing it."""
    return [sha256((codebook_dir / "themes.yaml").read_bytes()), sha256((codebook_dir / "actors.yaml").read_bytes()),
            module_digest(frozenset({"analysis"}))]


def _context_path(corpus_dir: str | Path, depends: list[str], cache_dir: str | Path) -> Path:
    """Where the context of these inputs is cached (the file exists once a notebook or a build computed it)."""
    files = json.dumps(sorted(corpus_files(Path(corpus_dir)).items()))  # raw bytes: no parsing to find the entry
    key = sha256("|".join([files, *depends, module_digest(frozenset({"session"}))]).encode())[:32]
    return Path(cache_dir) / "context" / f"{key}.pickle"


def _analyses(documents: list[Document], codebook, gazetteer: list, cache: Path, depends: list[str],
              jobs: int | None, ready: Callable[[int], None]) -> list[analysis.DocumentAnalysis]:
    """Each document's analysis, from the cache or computed (in parallel when many are missing)."""
    store = Entries(cache / "analysis.sqlite")
    keys = [sha256("|".join([d.sha256, repr(d.meta), *depends]).encode())[:32] for d in documents]
    stored = store.get(keys)
    found = [_unpickled(stored.get(k)) for k in keys]
    missing = [i for i, a in enumerate(found) if a is None]
    pickled = forks(len(missing), jobs)  # a worker sends its result pickled, as the cache keeps it: once, for both
    work = [(documents[i], codebook, gazetteer, pickled) for i in missing]
    ready(len(work))
    new = []
    for i, result in zip(missing, pmap(_analyse, work, jobs)):
        data = result if pickled else pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        found[i] = pickle.loads(result) if pickled else result
        new.append((keys[i], data))
    store.put(new)
    return found


def _analyse(doc: Document, codebook, gazetteer: list, pickled: bool) -> analysis.DocumentAnalysis | bytes:
    result = analysis.analyse_document(doc, codebook, gazetteer)
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL) if pickled else result


def _unpickled(data: bytes | None):
    try:
        return pickle.loads(data) if data is not None else None
    except Exception:  # a damaged entry is recomputed, never trusted
        return None


def _read(path: Path):
    """A cache entry, or None when it is missing or damaged (then it is recomputed, never trusted).

    Streamed from the file: reading the bytes first held a second copy of a large context (140 MB at
    10,000 documents) in every kernel while it loaded.
    """
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:
        return None


def _write(path: Path, value) -> None:
    """Write through a temporary file renamed into place: a reader never sees half an entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def start(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None = None) -> tuple[analysis.Context, Citer]:
    """The first call of every notebook: the analysis context and the citation renderer."""
    ctx = load_context(corpus_dir, codebook_dir, cache_dir)
    return ctx, Citer(ctx.corpus)
