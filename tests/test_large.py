"""A 50 MB text file is read, cleaned and segmented within bounded memory (its time is reported by `make bench`)."""
from __future__ import annotations

import random
import subprocess
import sys

from pipeline.config import DEFAULT_CORPUS, PROJECT_ROOT
from pipeline.corpus import load_corpus

MEMORY_LIMIT = 3 * 1024**3  # address space for the whole process; the corpus stage peaks near 1 GB at 50 MB

PROBE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from pipeline.corpus import load_corpus
corpus = load_corpus(sys.argv[1])
body = sum(1 for p in corpus.paragraphs() if p.kind == "body")
print(body, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_a_50_mb_document_loads_within_bounded_memory(tmp_path):
    # Body paragraphs as the cleaner keeps them, so any loss below is the large file's doing.
    paragraphs = [p.text for p in load_corpus(DEFAULT_CORPUS).paragraphs() if p.kind == "body" and len(p.text) > 200]
    rng = random.Random(7)
    blocks, size = [], 0
    while size < 50 * 1024**2:
        blocks.append(f"{rng.choice(paragraphs)} (Section {len(blocks) + 1}.)")  # numbered: no block repeats another
        size += len(blocks[-1].encode()) + 2
    (tmp_path / "big.txt").write_text("A very long report\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")
    (tmp_path / "metadata.yaml").write_text('documents:\n  - file: big.txt\n    title: "A very long report"\n    date: 2024\n')
    done = subprocess.run([sys.executable, "-c", PROBE.format(limit=MEMORY_LIMIT), str(tmp_path)], capture_output=True,
                          text=True, cwd=PROJECT_ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    body, peak_mib = map(int, done.stdout.split())
    assert body == len(blocks)  # every paragraph kept, none lost to the memory limit or to cleaning
    assert peak_mib < MEMORY_LIMIT // 1024**2
