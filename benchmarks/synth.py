"""Synthetic corpora for the benchmark, built from the REAL paragraphs and sentences of ``seeds/``.

Every document is a deterministic mix (seeded RNG) of
- real body paragraphs of the seed corpus (about half of the body paragraphs),
- recombined paragraphs: 2-5 real sentences drawn from different seed paragraphs, so that most
  paragraphs of the corpus are distinct, as in a real corpus (the near-duplicate detector then sees
  mostly unique paragraphs, not a few hundred paragraphs owned by thousands of documents),
- now and then a real heading line of the seeds.
Every sentence then has one or two of its lowercase content words (4+ letters) swapped for others
from the seeds' vocabulary, so that sentences are distinct as in a real corpus: the seeds hold only
about 520 sentences, and a corpus that repeats them flatters anything keyed on a sentence's text (the
actor and quote caches). Function words, capitalised names, numbers and punctuation stay as they are,
so the quote cues, actors and dates the extractors look for survive; a few codebook cues are broken.
Documents are ~5 KB on average (a news article or short analysis), titles come from the seeds'
titles and headings, dates vary from 2012 to 2025 with year/month/day precision (some undated),
publishers from a pool of 60. The text of each document is distinct (different paragraph
combinations), so nothing is dropped as an exact duplicate.

    python benchmarks/synth.py OUT_DIR --docs 1000 [--seed 1]
    python benchmarks/synth.py OUT_DIR --add 1 [--seed 7]     # add N new documents to an existing corpus
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
sys.path.insert(0, str(ROOT))

PUBLISHER_BASES = ("Valdai Discussion Club", "Chatham House", "CentralAsianLIGHT.org", "AsiaNews", "Center for the Study of China",
                   "The Diplomat", "Eurasianet", "Carnegie Endowment", "RUSI", "CABAR.asia", "Vlast.kz", "Kursiv",
                   "Astana Times", "Jamestown Foundation", "Foreign Policy Research Institute", "IISS", "ECFR", "SWP Berlin",
                   "OSW Centre for Eastern Studies", "Central Asia-Caucasus Analyst")
PUBLISHERS = tuple(PUBLISHER_BASES) + tuple(f"{b} ({kind})" for kind in ("blog", "commentary") for b in PUBLISHER_BASES)
KINDS = ("news analysis", "news report", "research paper", "commentary", "event report", "interview")
_WORD = re.compile(r"(?<![\w-])[a-z]{4,}(?![\w-])")


class Pool:
    """The seed corpus's paragraphs and sentences, as cleaned by the pipeline (so they are body text)."""

    def __init__(self, seeds: Path = SEEDS):
        from pipeline.corpus import load_corpus

        corpus = load_corpus(seeds)
        self.body = [p for d in corpus.documents for p in d.paragraphs if p.kind == "body" and len(p.text) > 40]
        self.headings = [p.text for d in corpus.documents for p in d.paragraphs if p.kind == "heading"]
        self.sentences = [s.text for p in self.body for s in p.sentences if len(s.text.split()) >= 6]
        self.words = sorted({w for p in self.body for w in _WORD.findall(p.text)})
        self.titles = [d.meta.title for d in corpus.documents] + self.headings
        self.seed_bytes = sum((seeds / d.meta.file).stat().st_size for d in corpus.documents)

    def vary(self, sentence: str, rng: random.Random) -> str:
        """The sentence with one or two of its lowercase content words swapped for other seed words."""
        slots = list(_WORD.finditer(sentence))
        if not slots:
            return sentence
        out, at = [], 0
        for m in sorted(rng.sample(slots, min(len(slots), 1 + (len(slots) > 8))), key=lambda m: m.start()):
            out += [sentence[at:m.start()], rng.choice(self.words)]
            at = m.end()
        return "".join(out) + sentence[at:]

    def paragraph(self, i: int, rng: random.Random) -> str:
        """Body paragraph ``i`` with each of its sentences varied (``vary``)."""
        text, out, at = self.body[i].text, [], 0
        for a, b in self.body[i].spans:
            out += [text[at:a], self.vary(text[a:b], rng)]
            at = b
        return "".join(out) + text[at:]


def _date(rng: random.Random) -> str | None:
    if rng.random() < 0.04:
        return None
    year = rng.randint(2012, 2025)
    r = rng.random()
    if r < 0.15:
        return f"{year}"
    month = rng.randint(1, 12)
    if r < 0.55:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def make_document(pool: Pool, rng: random.Random, index: int, paragraphs: tuple[int, int] = (5, 14)) -> tuple[str, dict]:
    """One document's text and its metadata entry (without the file name)."""
    title = f"{rng.choice(pool.titles)} ({index})"
    lines = [title]
    used: set[int] = set()
    for k in range(rng.randint(*paragraphs)):
        if k and rng.random() < 0.08 and pool.headings:
            lines.append(rng.choice(pool.headings))
        if rng.random() < 0.5:
            i = rng.randrange(len(pool.body))
            if i in used:
                continue
            used.add(i)
            lines.append(pool.paragraph(i, rng))
        else:
            lines.append(" ".join(pool.vary(t, rng) for t in rng.sample(pool.sentences, rng.randint(2, 5))))
    meta = {"title": title, "publisher": rng.choice(PUBLISHERS), "kind": rng.choice(KINDS), "date": _date(rng), "url": None,
            "language": "en"}
    return "\n\n".join(lines) + "\n", meta


def _yaml_entry(file: str, meta: dict) -> str:
    import json

    def q(v):  # JSON strings are valid YAML double-quoted scalars
        return "null" if v is None else json.dumps(str(v), ensure_ascii=False)

    return (f"  - file: {file}\n    title: {q(meta['title'])}\n    publisher: {q(meta['publisher'])}\n    kind: {q(meta['kind'])}\n"
            f"    date: {meta['date'] if meta['date'] else 'null'}\n    url: null\n    language: en\n")


def write_corpus(out: Path, docs: int, seed: int = 1, pool: Pool | None = None) -> dict:
    """Write a corpus of ``docs`` synthetic documents to ``out`` (created; must not hold a corpus)."""
    pool = pool or Pool()
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    entries = ["# Synthetic benchmark corpus built from the paragraphs of seeds/ (benchmarks/synth.py)\ndocuments:\n"]
    total = 0
    for i in range(docs):
        text, meta = make_document(pool, rng, i)
        data = text.encode("utf-8")
        name = f"s{i:05d}_{hashlib.sha256(data).hexdigest()[:8]}.txt"
        (out / name).write_bytes(data)
        total += len(data)
        entries.append(_yaml_entry(name, meta))
    (out / "metadata.yaml").write_text("".join(entries), encoding="utf-8")
    return {"documents": docs, "bytes": total}


def add_documents(corpus: Path, n: int = 1, seed: int = 7, pool: Pool | None = None, tag: str = "added") -> list[str]:
    """Add ``n`` new documents (real paragraphs, new combination) and their metadata entries to ``corpus``."""
    pool = pool or Pool()
    rng = random.Random(f"{seed}-{tag}")
    names = []
    with open(corpus / "metadata.yaml", "a", encoding="utf-8") as meta_file:
        for i in range(n):
            text, meta = make_document(pool, rng, 900000 + i)
            data = text.encode("utf-8")
            name = f"{tag}_{seed}_{i}_{hashlib.sha256(data).hexdigest()[:8]}.txt"
            (corpus / name).write_bytes(data)
            meta_file.write(_yaml_entry(name, meta))
            names.append(name)
    return names


def write_big_document(out: Path, size: int, pool: Pool | None = None, seed: int = 50) -> int:
    """A corpus of one document of about ``size`` bytes: real body paragraphs, each numbered so none repeats."""
    pool = pool or Pool()
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    blocks, total = ["A very long report"], 0
    while total < size:
        blocks.append(f"{pool.paragraph(rng.randrange(len(pool.body)), rng)} (Section {len(blocks)}.)")
        total += len(blocks[-1].encode()) + 2
    (out / "big.txt").write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    (out / "metadata.yaml").write_text('documents:\n  - file: big.txt\n    title: "A very long report"\n    date: 2024\n',
                                       encoding="utf-8")
    return (out / "big.txt").stat().st_size


def corpus_bytes(corpus: Path) -> int:
    return sum(p.stat().st_size for p in corpus.iterdir() if p.suffix in (".txt", ".md"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--add", type=int, default=0, help="add N documents to an existing corpus instead")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.add:
        print(add_documents(args.out, args.add, args.seed))
    else:
        info = write_corpus(args.out, args.docs, args.seed)
        print(f"{info['documents']} documents, {info['bytes'] / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
