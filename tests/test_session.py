"""The corpus stage is incremental: a document added is the only one read, cleaned, coded and extracted again."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import analysis, corpus, session
from pipeline.codebook import load_codebook
from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS, PROJECT_ROOT
from pipeline.extract import load_gazetteer
from pipeline.errors import BriefError
from pipeline.inputs import analysis_depends, context_path
from pipeline.parallel import pmap

NEW = "Transit news\n\nIn March 2025 Kazakhstan and China agreed to raise traffic through Khorgos by 20 per cent.\n"


@pytest.fixture
def grown(tmp_path):
    """A copy of the seed corpus whose context is cached, and a function that adds one document to it."""
    shutil.copytree(DEFAULT_CORPUS, tmp_path / "corpus")
    cache = tmp_path / "cache"
    before = session.load_context(tmp_path / "corpus", DEFAULT_CODEBOOK, cache)

    def add() -> None:
        (tmp_path / "corpus" / "900_new.txt").write_text(NEW, encoding="utf-8")
        with open(tmp_path / "corpus" / "metadata.yaml", "a", encoding="utf-8") as fh:
            fh.write('  - file: 900_new.txt\n    title: "Transit news"\n    date: 2025-03-20\n')

    return tmp_path / "corpus", cache, before, add


def counting(monkeypatch, module, name) -> list:
    calls, real = [], getattr(module, name)

    def wrapper(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_adding_a_document_processes_and_analyses_only_that_document(grown, monkeypatch):
    root, cache, before, add = grown
    add()
    processed = counting(monkeypatch, corpus, "_process_or_error")
    analysed = counting(monkeypatch, analysis, "analyse_documents")
    after = session.load_context(root, DEFAULT_CODEBOOK, cache)
    assert [meta.file for meta, _ in processed] == ["900_new.txt"]
    assert [doc.meta.file for docs, _, _ in analysed for doc in docs] == ["900_new.txt"]
    assert len(after.corpus.documents) == len(before.corpus.documents) + 1
    assert any(f.text == "20 per cent" for f in after.figures["900_new-p2"])


def test_documents_analysed_together_each_get_the_analysis_they_get_alone(tmp_path):
    """The corpus stage analyses documents in batches (for speed): what reading one document teaches the extractors,
    a person's surname or the year in force, must not carry into the next."""
    (tmp_path / "a.txt").write_text("Talks\n\nIn May 2019 Foreign Minister Arman Zhaksylykov met Chinese officials in Astana.\n",
                                    encoding="utf-8")
    (tmp_path / "b.txt").write_text("Reply\n\nIn May Zhaksylykov said that ties with Beijing were strong.\n", encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text("documents:\n  - file: a.txt\n    title: Talks\n    date: 2019-06\n"
                                            "  - file: b.txt\n    title: Reply\n    date: 2023-06\n", encoding="utf-8")
    docs = corpus.load_corpus(tmp_path).documents
    codebook, gazetteer = load_codebook(DEFAULT_CODEBOOK / "themes.yaml"), load_gazetteer(DEFAULT_CODEBOOK / "actors.yaml")
    together = analysis.analyse_documents(docs, codebook, gazetteer)
    alone = [analysis.analyse_documents([d], codebook, gazetteer)[0] for d in docs]
    assert together == alone
    b = alone[1]
    assert [e.start.year for events in b.events.values() for e in events] == [2023]  # not 2019, the year a.txt was in
    assert not any(m.text == "Zhaksylykov" for mentions in b.mentions.values() for m in mentions)  # introduced in a.txt only
    assert any(m.text == "Arman Zhaksylykov" for mentions in together[0].mentions.values() for m in mentions)


def test_the_cached_context_equals_a_fresh_one(grown):
    root, cache, _, add = grown
    add()
    cached = session.load_context(root, DEFAULT_CODEBOOK, cache)
    fresh = session.load_context(root, DEFAULT_CODEBOOK, None)
    assert (cached.coded, cached.framing, cached.figures, cached.events, cached.mentions, cached.quotes) == \
        (fresh.coded, fresh.framing, fresh.figures, fresh.events, fresh.mentions, fresh.quotes)


def _analysis_of(ctx: analysis.Context) -> tuple:
    return ctx.corpus.documents, ctx.coded, ctx.framing, ctx.figures, ctx.events, ctx.mentions, ctx.quotes


def test_the_context_is_read_back_from_its_file_as_it_was_written(grown, monkeypatch):
    root, cache, before, _ = grown
    written = counting(monkeypatch, session, "_write")
    again = session.load_context(root, DEFAULT_CODEBOOK, cache)
    assert written == []  # read from the file, not rebuilt from the per-document entries
    assert _analysis_of(again) == _analysis_of(before)


def test_a_truncated_context_file_is_rebuilt(grown):
    root, cache, before, _ = grown
    [path] = (cache / "context").glob("*.pickle")
    path.write_bytes(path.read_bytes()[:-100])
    assert _analysis_of(session.load_context(root, DEFAULT_CODEBOOK, cache)) == _analysis_of(before)
    assert session._read(path) is not None  # and written again whole


def _ready(codebook, to_analyse) -> None:
    pass


def test_the_build_keeps_the_context_of_a_small_corpus_and_only_writes_that_of_a_large_one(tmp_path):
    n = len(corpus.load_corpus(DEFAULT_CORPUS).documents)
    kept, warnings = session.prepare_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, tmp_path / "small", None, _ready, keep_up_to=n)
    assert kept is not None and warnings == [str(w) for w in kept.corpus.warnings]
    dropped, _ = session.prepare_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, tmp_path / "large", None, _ready, keep_up_to=n - 1)
    assert dropped is None  # never unpickled; what the notebooks read is the same
    assert _analysis_of(session.load_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, tmp_path / "large")) == _analysis_of(kept)


def test_a_damaged_analysis_entry_the_build_did_not_check_is_recomputed_by_the_notebook(tmp_path):
    import sqlite3

    cache = tmp_path / "cache"
    before = session.load_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, cache)
    shutil.rmtree(cache / "context")
    with sqlite3.connect(cache / "analysis.sqlite") as con:
        con.execute("UPDATE entries SET value = ? WHERE rowid = 1", (b"not a pickle",))
    assert session.prepare_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, cache, None, _ready, keep_up_to=0)[0] is None
    [path] = (cache / "context").glob("*.pickle")
    assert session._read(path) is None  # the damaged entry went into the file unchecked
    assert _analysis_of(session.load_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, cache)) == _analysis_of(before)
    assert session._read(path) is not None  # the notebook's load wrote it again, whole
    with sqlite3.connect(cache / "analysis.sqlite") as con:
        assert b"not a pickle" not in [v for (v,) in con.execute("SELECT value FROM entries")]


def test_a_cache_keeps_the_context_files_last_used(tmp_path):
    corpus, cache = tmp_path / "corpus", tmp_path / "cache"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    metadata = (corpus / "metadata.yaml").read_text(encoding="utf-8")

    def context_of(added: int) -> Path:
        """The context file of the seed corpus with ``added`` more documents, loaded (written or read)."""
        for f in corpus.glob("9*.txt"):
            f.unlink()
        entries = ""
        for k in range(added):
            (corpus / f"9{k:02d}.txt").write_text(f"News {k}\n\nIn March 2025 traffic through Khorgos rose by {k + 1} per cent.\n")
            entries += f'  - file: 9{k:02d}.txt\n    title: "News {k}"\n    date: 2025-03-20\n'
        (corpus / "metadata.yaml").write_text(metadata + entries, encoding="utf-8")
        session.load_context(corpus, DEFAULT_CODEBOOK, cache)
        return context_path(corpus, analysis_depends(DEFAULT_CODEBOOK), cache)

    states = [context_of(n) for n in range(session.KEEP_CONTEXTS)]
    assert context_of(0) == states[0]  # the oldest, used again
    newest = context_of(session.KEEP_CONTEXTS)
    kept = sorted((cache / "context").glob("*.pickle"))
    assert len(kept) == session.KEEP_CONTEXTS and newest in kept and states[0] in kept and states[1] not in kept
    assert not (cache / "context" / (states[1].stem + ".json")).exists()


PMAP_PROBE = """
import os
from pipeline.parallel import pmap

def pid(_):
    return os.getpid()

assert pmap(abs, [(-i,) for i in range(500)], jobs=2) == list(range(500))
workers = set(pmap(pid, [(i,) for i in range(500)], jobs=2))
few = set(pmap(pid, [(i,) for i in range(20)], jobs=2))
batches = set(pmap(pid, [(i,) for i in range(20)], jobs=2, units=500))  # 20 batches of 25 documents, say
print(bool(workers) and os.getpid() not in workers and few == {os.getpid()} and os.getpid() not in batches)
"""

SHARED_PROBE = """
import os
from pipeline.parallel import pmap

def call(double, i):
    return double(i), os.getpid()

double = lambda i: 2 * i  # a lambda cannot be pickled: workers must inherit it
forked = pmap(call, [(i,) for i in range(500)], jobs=2, shared=(double,))
alone = pmap(call, [(i,) for i in range(20)], jobs=2, shared=(double,))
print([v for v, _ in forked] == [2 * i for i in range(500)] and os.getpid() not in {p for _, p in forked}
      and alone == [(2 * i, os.getpid()) for i in range(20)])
"""


def test_parallel_map_uses_worker_processes_for_enough_work_and_keeps_the_order():
    # In a fresh process, as the CLI runs it: a process with other threads (this one, once a test has
    # run a kernel client) computes in-process on purpose, since forking it would not be safe.
    done = subprocess.run([sys.executable, "-c", PMAP_PROBE], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.stdout.strip() == "True", done.stderr[-2000:]


def test_parallel_map_hands_the_shared_arguments_to_every_call_without_pickling_them():
    done = subprocess.run([sys.executable, "-c", SHARED_PROBE], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.stdout.strip() == "True", done.stderr[-2000:]


def test_a_process_with_other_threads_maps_in_process():
    import threading

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        assert set(pmap(_pid, [(i,) for i in range(500)], jobs=2)) == {os.getpid()}
    finally:
        stop.set()
        helper.join()


def _pid(_: int) -> int:
    return os.getpid()


def test_a_corpus_moved_to_another_folder_is_read_from_where_it_is_now(tmp_path):
    """The cache is keyed on the files' content: a moved corpus hits it, and must not point back to the old folder."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(DEFAULT_CORPUS, old)
    session.load_context(old, DEFAULT_CODEBOOK, tmp_path / "cache")
    old.rename(new)
    ctx = session.load_context(new, DEFAULT_CODEBOOK, tmp_path / "cache")
    doc = ctx.corpus.documents[0]
    assert (ctx.corpus.root / doc.meta.file).read_bytes() == (new / doc.meta.file).read_bytes()


def test_ready_is_told_how_many_documents_are_left_to_analyse(tmp_path):
    calls = []
    ready = lambda codebook, to_analyse: calls.append((codebook.theme_ids, to_analyse))  # noqa: E731
    session.load_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, tmp_path / "cache", ready=ready)
    session.load_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK, tmp_path / "cache", ready=ready)
    n = len(corpus.load_corpus(DEFAULT_CORPUS).documents)
    assert [c[1] for c in calls] == [n, 0]  # all of them, then none: the context is cached
    assert calls[0][0] == calls[1][0] and "xinjiang" in calls[0][0]


def test_ready_is_not_called_for_a_corpus_that_fails_to_load(tmp_path):
    shutil.copytree(DEFAULT_CORPUS, tmp_path / "corpus")
    (tmp_path / "corpus" / "stray.txt").write_text("no metadata entry\n", encoding="utf-8")
    calls = []
    with pytest.raises(BriefError, match="stray.txt"):
        session.load_context(tmp_path / "corpus", DEFAULT_CODEBOOK, tmp_path / "cache", ready=lambda *a: calls.append(a))
    assert calls == []  # the build starts no worker, no kernel, for input it is about to refuse
