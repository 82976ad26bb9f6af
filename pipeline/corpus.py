"""The corpus: documents validated, decoded, cleaned and split into paragraphs and sentences.

Paragraph ids are ``<document id>-p<N>`` where N is the paragraph's position in the source file
(1-based, counting every non-empty paragraph, kept or not). They survive changes to the cleaning
rules and let a reader find the passage in the raw file. Citations in the brief use them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple
from dataclasses import dataclass, field
from pathlib import Path

from . import clean, formats
from .inputs import module_digest
from .parallel import pmap
from .errors import CorpusError, CorpusErrors
from .metadata import DOCUMENT_SUFFIXES, METADATA_FILE, DocumentMeta, PartialDate, load_metadata
from .text import UndecodableText, decode, looks_binary, normalise, plain_punctuation, squash, squashed_keys
from .records import record
from .store import Entries


class Sentence(NamedTuple):
    """A view of one sentence of a paragraph, made on demand (Paragraph.sentences)."""

    id: str  # "<paragraph id>-s<k>"
    text: str


@record
class Paragraph:
    id: str
    doc_id: str
    n: int  # position in the source file, 1-based
    kind: str  # "heading" or "body"
    text: str
    # Each sentence's start and end in text, flattened. Offsets, not copies: a corpus's sentences as objects
    # doubled its text and tripled its objects, which every notebook kernel loads.
    bounds: tuple[int, ...]

    @classmethod
    def of(cls, id: str, doc_id: str, n: int, kind: str, text: str, sentences: Iterable[str]) -> Paragraph:
        """A paragraph from its sentences, each a slice of ``text``, in order."""
        bounds: list[int] = []
        pos = 0
        for sentence in sentences:
            start = text.index(sentence, pos)  # ValueError if it is not: a bug in the splitter, not bad input
            pos = start + len(sentence)
            bounds += (start, pos)
        return cls(id, doc_id, n, kind, text, tuple(bounds))

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Each sentence's (start, end) in ``text``: what extraction reads without building the sentences' ids."""
        b = self.bounds
        return [(b[k], b[k + 1]) for k in range(0, len(b), 2)]

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        text = self.text
        return tuple(Sentence(self.sentence_id(k), text[a:b]) for k, (a, b) in enumerate(self.spans))

    def sentence_id(self, k: int) -> str:
        """The id of the sentence at index ``k``: what extraction cites, made only for sentences it cites."""
        return f"{self.id}-s{k + 1}"

    @property
    def anchor(self) -> str:
        return "psg-" + self.id


@record
class Removal:
    """A source paragraph the cleaning dropped, and why (shown in the methods section)."""

    n: int
    reason: str
    text: str


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    sha256: str
    encoding: str
    chars: int
    paragraphs: tuple[Paragraph, ...]
    endnotes: tuple[str, ...]
    removed: tuple[Removal, ...]
    note_markers_removed: int

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)

    def paragraph(self, n: int) -> Paragraph | None:
        return next((p for p in self.paragraphs if p.n == n), None)


@dataclass(frozen=True)
class CorpusWarning:
    """A problem that does not stop the build; listed in the CLI output and the brief."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class Corpus:
    root: Path
    documents: list[Document]
    warnings: list[CorpusWarning] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (kept id, dropped id)
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    _index: dict[str, Paragraph] = field(default_factory=dict, repr=False)

    _documents: dict[str, Document] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {p.id: p for d in self.documents for p in d.paragraphs}
        self._documents = {d.id: d for d in self.documents}

    def paragraphs(self) -> Iterator[Paragraph]:
        for doc in self.documents:
            yield from doc.paragraphs

    def paragraph(self, pid: str) -> Paragraph:
        return self._index[pid]

    def document(self, doc_id: str) -> Document:
        return self._documents[doc_id]

    @property
    def digest(self) -> str:
        """One hash over every document's content and metadata: what a build depends on."""
        h = hashlib.sha256()
        for d in self.documents:
            h.update(d.sha256.encode())
            h.update(repr(d.meta).encode())
        return h.hexdigest()

    def date_range(self) -> tuple[PartialDate, PartialDate] | None:
        dates = sorted(d.meta.date for d in self.documents if d.meta.date)
        return (dates[0], dates[-1]) if dates else None


# --- segmentation -------------------------------------------------------------------------------

def split_blocks(text: str) -> list[clean.Block]:
    """Source paragraphs: one per non-empty line, or per blank-line-separated block when lines are hard-wrapped."""
    chunks = [c for c in re.split(r"\n[ \t]*\n", text) if c.strip()]
    lines_per_chunk = [[ln for ln in c.split("\n") if ln.strip()] for c in chunks]
    all_lines = [ln for lines in lines_per_chunk for ln in lines]
    multi = sum(1 for lines in lines_per_chunk if len(lines) > 1)
    lengths = sorted(len(ln) for ln in all_lines)
    hard_wrapped = bool(lengths) and multi >= max(2, 0.3 * len(chunks)) and lengths[len(lengths) // 2] < 100
    texts = [" ".join(lines) for lines in lines_per_chunk] if hard_wrapped else all_lines
    return [clean.Block(i + 1, squash(t)) for i, t in enumerate(texts)]


_ABBREV = {"mr", "mrs", "ms", "dr", "prof", "st", "gen", "col", "lt", "sen", "rep", "gov", "pres", "vs", "etc", "no",
           "nos", "vol", "pp", "p", "ed", "eds", "inc", "ltd", "co", "corp", "jr", "sr", "e.g", "i.e", "cf", "al", "fig",
           "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "u.s", "u.k", "u.n"}
# Group 1 ends the sentence. "[.!?…][.!?…]*", not "[.!?…]+": a pattern that starts with a character set lets the
# regex engine skip to the next stop in C (it tried every position, at half the speed).
_BOUNDARY = re.compile(r"([.!?…][.!?…]*['\"”’»)\]]*)\s+(?=['\"“‘«(\[]?[A-ZА-ЯЁ0-9])")
_INITIALS = re.compile(r"[a-zа-я]|(?:[a-z]\.)+[a-z]")


def sentence_bounds(text: str) -> tuple[int, ...]:
    """Each sentence's start and end in a paragraph, flattened (``Paragraph.bounds``); abbreviations and
    initials ("D. Trenin", "U.S.") do not end one. Sentences have no whitespace at either end."""
    bounds: list[int] = []
    start = len(text) - len(text.lstrip())
    for m in _BOUNDARY.finditer(text):
        stop = m.start()
        if text[stop] == "." and _is_abbreviation(_last_word(text, start, stop + 1)):
            continue
        bounds += (start, m.end(1))  # the match's whitespace is left out
        start = m.end()  # the next sentence's first character (the lookahead's)
    end = len(text.rstrip())
    if start < end:
        bounds += (start, end)
    return tuple(bounds)


def _last_word(text: str, start: int, end: int) -> str:
    """The word ending ``text[start:end]`` (a sentence up to a full stop) before its final ".!?…": its last run of
    non-space characters, or "" when a space ends it. Read back from ``end``: copying the sentence so far at every
    full stop made a long paragraph of abbreviations quadratic (560 KB of "Dr. Smith met": 21 s)."""
    while end > start and text[end - 1] in ".!?…":
        end -= 1
    first = end
    while first > start and not text[first - 1].isspace():
        first -= 1
    return text[first:end]


def _is_abbreviation(word: str) -> bool:
    """Whether a word before a full stop is an abbreviation or an initial."""
    token = word.lower().strip("('\"“‘")
    return token in _ABBREV or bool(_INITIALS.fullmatch(token))


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; abbreviations and initials ("D. Trenin", "U.S.") do not end one."""
    b = sentence_bounds(text)
    return [text[b[k]:b[k + 1]] for k in range(0, len(b), 2)]


def read_text(file: str, data: bytes) -> tuple[str, str]:
    """A document's normalised text and how it was read (its encoding, or the format it was extracted from).
    Quotes are checked against this text, so it is the one place that turns file bytes into text."""
    if file.endswith(tuple(formats.READ_AS)):
        return normalise(formats.extract_text(file, data)), formats.READ_AS[Path(file).suffix]
    raw, encoding = decode(data)
    return normalise(raw), encoding


def process(meta: DocumentMeta, data: bytes) -> tuple[Document, list[CorpusWarning]]:
    """Decode, clean and segment one document. Raises CorpusError when it cannot be used at all."""
    path = meta.file
    try:
        text, encoding = read_text(meta.file, data)
    except UndecodableText as exc:
        raise CorpusError(path, f"{exc}") from None
    if looks_binary(text):
        raise CorpusError(path, "is mostly unprintable characters: it is a binary file, not text")
    warnings = []
    if encoding not in ("utf-8", "utf-8-sig", *formats.READ_AS.values()):
        warnings.append(CorpusWarning(path, f"decoded as {encoding}; save it as UTF-8 to be sure"))
    blocks = split_blocks(text)
    verdicts = clean.classify(blocks, meta.title)
    note_blocks = clean.merge_endnotes([v.block for v in verdicts if v.kind == clean.ENDNOTE])
    numbers = clean.note_numbers(b.text for b in note_blocks)
    paragraphs, removed, markers = [], [], 0
    for v in verdicts:
        if not v.kept:
            if v.kind != clean.ENDNOTE:
                removed.append(Removal(v.block.n, v.kind, v.block.text))
            continue
        body = v.block.text
        if numbers:
            body, count = clean.strip_note_markers(body, numbers)
            markers += count
        pid = f"{meta.id}-p{v.block.n}"
        paragraphs.append(Paragraph(pid, meta.id, v.block.n, v.kind, body, sentence_bounds(body)))
    if not any(p.kind == "body" for p in paragraphs):
        raise CorpusError(path, "has no body text after cleaning (empty, whitespace only or only page furniture)")
    doc = Document(meta, hashlib.sha256(data).hexdigest(), encoding, len(text), tuple(paragraphs),
                   tuple(b.text for b in note_blocks), tuple(removed), markers)
    return doc, warnings


# --- loading ------------------------------------------------------------------------------------

def _cache_key(meta: DocumentMeta, data: bytes) -> str:
    code = module_digest(frozenset({"corpus"}))  # corpus.py and what it imports: clean, text, formats, ...
    return hashlib.sha256(f"{code}|{hashlib.sha256(data).hexdigest()}|{meta!r}".encode()).hexdigest()[:32]


def _read_document(corpus_dir: Path, meta: DocumentMeta) -> bytes:
    """The document's bytes, once it is known to be a readable file of the corpus."""
    path = corpus_dir / meta.file
    if path.is_symlink() and not path.resolve().is_relative_to(corpus_dir.resolve()):
        raise CorpusError(path, "is a link to a file outside the corpus directory: copy the file in instead")
    if not path.is_file():
        raise CorpusError(corpus_dir / METADATA_FILE, f"lists '{meta.file}' but there is no such file in {corpus_dir}: add the file or remove the entry", field="file")
    data = path.read_bytes()
    if not data.strip():
        raise CorpusError(path, "is empty: remove it and its metadata entry, or add its text")
    return data


def _process_or_error(meta: DocumentMeta, data: bytes) -> tuple[Document, list[CorpusWarning]] | CorpusError:
    """``process`` for a worker process: a document's error comes back as a value, so every error is listed."""
    try:
        return process(meta, data)
    except CorpusError as exc:
        return exc


def load_corpus(corpus_dir: str | Path, *, cache_dir: str | Path | None = None, today: dt.date | None = None,
                jobs: int | None = None) -> Corpus:
    """Load and validate a corpus directory. Raises CorpusErrors listing every blocking problem.

    ``cache_dir`` keeps each processed document, so only new or changed ones are processed again;
    ``jobs`` worker processes share the work when many are (default: the number of cores).
    """
    root = Path(corpus_dir)
    entries, errors, named = load_metadata(root, today=today)
    for path in sorted(root.iterdir()):
        if path.suffix in DOCUMENT_SUFFIXES and path.name not in named:
            errors.append(CorpusError(path, f"has no entry in {METADATA_FILE}: add one (file, title, publisher, date) or move the file out"))
    store = Entries(Path(cache_dir) / "documents.sqlite") if cache_dir else None
    results: dict[int, tuple | CorpusError] = {}
    read: list[tuple[int, DocumentMeta, bytes, str]] = []
    for i, meta in enumerate(entries):
        try:
            data = _read_document(root, meta)
        except CorpusError as exc:
            results[i] = exc
            continue
        read.append((i, meta, data, _cache_key(meta, data) if store else ""))
    stored = store.load([key for *_, key in read]) if store else {}
    todo = []
    for i, meta, data, key in read:
        if (result := stored.get(key)) is not None:
            results[i] = result
        else:
            todo.append((i, meta, data, key))
    # Documents not in the cache are processed in worker processes when there are many (parallel.py).
    new: list[tuple[str, bytes]] = []
    for (i, _, _, key), result in zip(todo, pmap(_process_or_error, [(m, d) for _, m, d, _ in todo], jobs)):
        results[i] = result
        if store and not isinstance(result, CorpusError):
            new.append((key, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)))
    if store:
        store.put(new)
    documents: list[Document] = []
    warnings: list[CorpusWarning] = []
    for i in sorted(results):
        if isinstance(results[i], CorpusError):
            errors.append(results[i])
        else:
            documents.append(results[i][0])
            warnings.extend(results[i][1])
    if errors:
        raise CorpusErrors(errors)
    documents, duplicates = _drop_exact_duplicates(documents)
    for kept, dropped in duplicates:
        warnings.append(CorpusWarning(dropped, f"has the same text as {kept}: counted once, as {kept}"))
    near = find_near_duplicates(documents)
    for a, b, score in near:
        warnings.append(CorpusWarning(b, f"is a near-duplicate of {a} ({score:.0%} of paragraphs shared): check that both belong"))
    if not documents:
        raise CorpusErrors([CorpusError(root, "no documents: add documents with 'brief add FILE'")])
    return Corpus(root, documents, warnings, duplicates, near)


def _drop_exact_duplicates(documents: list[Document]) -> tuple[list[Document], list[tuple[str, str]]]:
    seen: dict[str, str] = {}
    kept, dups = [], []
    for doc in documents:
        # A paragraph's text is squashed (process): match_key would only make its punctuation plain.
        key = hashlib.sha256(plain_punctuation(" ".join(p.text for p in doc.paragraphs)).casefold().encode()).hexdigest()
        if key in seen:
            dups.append((seen[key], doc.id))
        else:
            seen[key] = doc.id
            kept.append(doc)
    return kept, dups


def find_near_duplicates(documents: list[Document], threshold: float = 0.6) -> list[tuple[str, str, float]]:
    """Pairs of documents sharing most of their body paragraphs (the same article from two sites)."""
    owners: dict[str, list[int]] = {}
    keys = []
    for i, doc in enumerate(documents):
        ks = set(squashed_keys([p.text for p in doc.paragraphs if p.kind == "body" and len(p.text) > 80]))
        keys.append(ks)
        for k in ks:
            owners.setdefault(k, []).append(i)
    shared: dict[tuple[int, int], int] = {}
    for idx in owners.values():
        if 1 < len(idx) <= 20:
            for a in range(len(idx)):
                for b in range(a + 1, len(idx)):
                    shared[idx[a], idx[b]] = shared.get((idx[a], idx[b]), 0) + 1
    out = []
    for (a, b), n in sorted(shared.items()):
        score = n / max(1, min(len(keys[a]), len(keys[b])))
        if score >= threshold:
            out.append((documents[a].id, documents[b].id, score))
    return out
