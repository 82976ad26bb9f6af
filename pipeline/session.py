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

import contextlib
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from . import analysis, extract
from .codebook import Codebook, load_codebook
from .corpus import Corpus, Document, load_corpus
from .inputs import analysis_depends, context_path, sha256
from .parallel import forks, pmap
from .records import bulk
from .store import Entries
from .render import Citer


# Called once corpus and codebook are read and valid, with the number of documents still to analyse.
Ready = Callable[[Codebook, int], None]
# Documents analysed together (analysis.analyse_documents). 1,000 synthetic documents, 2 runs each: one at a time
# 2.63-2.74 s, 16 at a time 2.43-2.45 s, 64 2.39-2.47 s, all 2.34-2.36 s.
BATCH = 32
KEEP_CONTEXTS = 3  # context files a cache keeps (_prune): a few corpora, or states of one, used in turn


def load_context(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None = None,
                 jobs: int | None = None, ready: Ready | None = None) -> analysis.Context:
    """Corpus, codebook, coding and extraction for a notebook; computed once per distinct input.

    ``ready`` lets the build start its notebook workers while the documents are analysed, and only once
    the input is known to be good (a build that stops on bad input has nothing to stop).
    """
    with bulk():
        return _load_context(corpus_dir, codebook_dir, cache_dir, jobs, ready or (lambda codebook, to_analyse: None))[0]


def prepare_context(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path, jobs: int | None,
                    ready: Ready, keep_up_to: int) -> tuple[analysis.Context | None, list[str]]:
    """The build's first step: ``load_context``, which leaves the context in the cache for the notebooks, and the
    corpus warnings. The context itself is returned only for a corpus of at most ``keep_up_to`` documents.

    Beyond that the build would drop it, so when the context is computed the documents' analyses are not unpickled
    at all: workers send them pickled and the cache holds them pickled, which is how the context file stores them
    (10,000 documents: the build's first step took 23.8 s, against 25.2 and 27.6 s unpickling them). A context
    file already in the cache is read whole, as ``load_context`` reads it: the build gets here with one only when
    the summary beside it is missing (``inputs.context_summary``). A damaged cache entry reaches the context file
    unchecked; reading it fails, and the notebook computes the context again, which finds and replaces that entry."""
    with bulk():
        return _load_context(corpus_dir, codebook_dir, cache_dir, jobs, ready, keep_up_to)


def _load_context(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None, jobs: int | None,
                  ready: Ready, keep_up_to: int | None = None) -> tuple[analysis.Context | None, list[str]]:
    """``prepare_context``; the context is always returned when ``keep_up_to`` is None."""
    codebook_dir = Path(codebook_dir)
    try:
        depends = analysis_depends(codebook_dir)
        path = context_path(Path(corpus_dir), depends, Path(cache_dir)) if cache_dir is not None else None
    except OSError:  # a missing codebook file or corpus: the loaders below say which, and what to do
        path = None
    if path and (ctx := _read(path)):  # keyed on the files' bytes: codebook and corpus were valid when it was made
        ctx.corpus.root = Path(corpus_dir)  # the same files may have been read from another folder, since moved
        ready(ctx.codebook, 0)
        return (ctx if keep_up_to is None or len(ctx.corpus.documents) <= keep_up_to else None), _warnings(ctx.corpus)
    codebook = load_codebook(codebook_dir / "themes.yaml")
    gazetteer = extract.load_gazetteer(codebook_dir / "actors.yaml")
    if path is None:
        corpus = load_corpus(corpus_dir, jobs=jobs)
        ready(codebook, len(corpus.documents))
        return analysis.build_context(corpus, codebook, gazetteer), _warnings(corpus)
    cache = Path(cache_dir)
    corpus = load_corpus(corpus_dir, cache_dir=cache / "corpus", jobs=jobs)
    keep = keep_up_to is None or len(corpus.documents) <= keep_up_to
    analyses, pickles = _analyses(corpus.documents, codebook, gazetteer, cache, depends, jobs,
                                  lambda to_analyse: ready(codebook, to_analyse), unpickle=keep)
    _write(path, corpus, codebook, gazetteer, pickles)
    return (analysis.build_context(corpus, codebook, gazetteer, analyses) if keep else None), _warnings(corpus)


def _warnings(corpus: Corpus) -> list[str]:
    return [str(w) for w in corpus.warnings]


def _analyses(documents: list[Document], codebook, gazetteer: list, cache: Path, depends: list[str], jobs: int | None,
              ready: Callable[[int], None], unpickle: bool = True) -> tuple[list[analysis.DocumentAnalysis] | None, list[bytes]]:
    """Each document's analysis, from the cache or computed (in parallel when many are missing), and its pickle;
    without ``unpickle``, only the pickles (the analyses are None)."""
    store = Entries(cache / "analysis.sqlite")
    keys = [sha256("|".join([d.sha256, repr(d.meta), *depends]).encode())[:32] for d in documents]
    if unpickle:
        stored = store.load_pickles(keys)
    else:
        stored = {key: (None, data) for key, data in store.get(keys).items()}
    found = [stored.get(k) for k in keys]
    missing = [i for i, entry in enumerate(found) if entry is None]
    pickled = forks(len(missing), jobs)  # a worker sends its results pickled, as the cache keeps them: once, for both
    # Analysed a batch at a time (analysis.analyse_documents): a worker's unit of work too.
    batches = [missing[start:start + BATCH] for start in range(0, len(missing), BATCH)]
    work = [([documents[i] for i in batch],) for batch in batches]
    if pickled:
        _ = codebook.plan_needles  # builds the prefilter too: once, here, for the workers to inherit
    ready(len(missing))
    new = []
    for batch, results in zip(batches, pmap(_analyse, work, jobs, units=len(missing), shared=(codebook, gazetteer, pickled))):
        for i, result in zip(batch, results):
            if pickled:
                data, result = result, (pickle.loads(result) if unpickle else None)
            else:
                data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            found[i] = (result, data)
            new.append((keys[i], data))
    store.put(new)
    return ([a for a, _ in found] if unpickle else None), [data for _, data in found]


def _analyse(codebook, gazetteer: list, pickled: bool, docs: list[Document]) -> list[analysis.DocumentAnalysis] | list[bytes]:
    results = analysis.analyse_documents(docs, codebook, gazetteer)
    return [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in results] if pickled else results


# The context file is a pickle of (corpus, codebook, gazetteer, number of documents) followed by each document's
# analysis as the per-document cache keeps it: writing those pickles again as one took 0.16 s per 1,000
# documents, and reading them one by one costs 0.01 s more.

def _read(path: Path) -> analysis.Context | None:
    """A cache entry, or None when it is missing or damaged (then it is recomputed, never trusted).

    Streamed from the file: reading the bytes first held a second copy of a large context (140 MB at
    10,000 documents) in every kernel while it loaded.
    """
    try:
        with path.open("rb") as fh:
            corpus, codebook, gazetteer, n = pickle.load(fh)
            analyses = [pickle.load(fh) for _ in range(n)]
        ctx = analysis.build_context(corpus, codebook, gazetteer, analyses)
    except Exception:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used now: _prune keeps it
    return ctx


def _write(path: Path, corpus: Corpus, codebook: Codebook, gazetteer: list, analyses: list[bytes]) -> None:
    """The context (``analyses``: each document's analysis, pickled), and beside it what a build needs to start its
    notebooks without loading it (inputs.context_summary). Each is written through a temporary file renamed into
    place: a reader never sees half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump((corpus, codebook, gazetteer, len(analyses)), fh, protocol=pickle.HIGHEST_PROTOCOL)
        for data in analyses:
            fh.write(data)
    tmp.replace(path)
    summary = {"themes": list(codebook.theme_ids), "warnings": _warnings(corpus)}
    tmp.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path.with_suffix(".json"))
    _prune(path.parent)


def _prune(directory: Path) -> None:
    """Keep the KEEP_CONTEXTS context files last used. One is written for each state of a corpus, so a corpus that
    grows a document at a time left a full copy of its analysis behind at each build (140 MB at 10,000 documents)."""
    used = []
    for path in directory.glob("*.pickle"):
        with contextlib.suppress(OSError):
            used.append((path.stat().st_mtime, path))
    for _, path in sorted(used, reverse=True)[KEEP_CONTEXTS:]:
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)


def start(corpus_dir: str | Path, codebook_dir: str | Path, cache_dir: str | Path | None = None) -> tuple[analysis.Context, Citer]:
    """The first call of every notebook: the analysis context and the citation renderer."""
    ctx = load_context(corpus_dir, codebook_dir, cache_dir)
    return ctx, Citer(ctx.corpus)
