"""``brief add``: a collected file joins a corpus unchanged, with its entry appended to ``metadata.yaml``.

The file's bytes are copied as they are (the corpus keeps documents as collected); its text is read
the way the corpus loader reads it, so a file that ``add`` accepts also loads in a build.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .corpus import CorpusWarning, Document, _drop_exact_duplicates, find_near_duplicates, load_corpus, process
from .errors import BriefError, CorpusError
from .formats import SUFFIXES, file_metadata
from .metadata import _SAFE_NAME, METADATA_FILE, DocumentMeta, load_metadata
from .text import UndecodableText

FIELDS = ("title", "author", "publisher", "date", "url", "language", "kind")  # what a flag can set


class AddError(BriefError):
    """A file cannot be added to the corpus as asked."""


@dataclass(frozen=True)
class Added:
    name: str  # file name in the corpus
    entry: dict[str, str | None]  # the metadata written
    prefilled: tuple[str, ...]  # fields taken from the file itself
    warnings: list[CorpusWarning]


def _corpus_name(source: Path, suffix: str, name: str | None) -> str:
    """The file name in the corpus: --name, else the source's name made a plain slug (ids become anchors)."""
    if name:
        return name if name.lower().endswith(suffix) else name + suffix
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", source.stem).strip("._-")[:100]
    return (stem or "document") + suffix


def _existing_documents(corpus_dir: Path) -> list[Document]:
    """The corpus as loaded now; an empty or new corpus has none (load_corpus refuses a corpus with none)."""
    if not (corpus_dir / METADATA_FILE).is_file():
        return []
    entries, errors, _ = load_metadata(corpus_dir)
    return load_corpus(corpus_dir).documents if entries or errors else []


def _entry_text(entry: dict[str, str | None], source: Path, prefilled: tuple[str, ...], indent: str) -> str:
    origin = f"prefilled from the file: {', '.join(prefilled)}" if prefilled else "nothing prefilled"
    lines = [f"{indent}# added by 'brief add' from {json.dumps(source.name)} on {dt.date.today()}; {origin}"]
    for i, (key, value) in enumerate(entry.items()):
        dumped = yaml.safe_dump({key: value}, allow_unicode=True, width=10**6).strip()
        lines.append(f"{indent}{'- ' if i == 0 else '  '}{dumped}")
    return "\n".join(lines) + "\n"


def _validated(corpus_dir: Path, text: str, name: str, source: Path) -> None:
    """Refuse a metadata file that would not load: check the new text in a scratch directory first."""
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / METADATA_FILE).write_text(text, encoding="utf-8")
        try:
            entries, errors, _ = load_metadata(Path(scratch))
        except CorpusError as exc:
            errors, entries = [exc], []
    if errors or name not in {e.file for e in entries}:
        problem = errors[0].problem if errors else "the new entry is not part of the 'documents:' list"
        field = f" (pass --{errors[0].field} to correct it)" if errors and errors[0].field in FIELDS else ""
        raise AddError(f"{source}: cannot add it to {corpus_dir / METADATA_FILE}: {problem}{field}")


def add_document(source: Path, corpus_dir: Path, fields: dict[str, str | None], name: str | None = None) -> Added:
    """Copy ``source`` into ``corpus_dir`` and append its metadata entry. ``fields`` override what the file says
    (None: keep the file's value; "": leave the field empty). Raises AddError, changing nothing, when it cannot."""
    if not source.is_file():
        raise AddError(f"{source}: no such file: check the path")
    suffix = source.suffix.lower()
    if suffix not in SUFFIXES:
        raise AddError(f"{source}: '{suffix or 'no suffix'}' is not a format brief add reads; "
                       f"supported: {', '.join(SUFFIXES)}: save it in one of these formats")
    if not corpus_dir.is_dir():
        raise AddError(f"{corpus_dir}: corpus directory not found: create it or pass --corpus DIR")
    target_name = _corpus_name(source, suffix, name)
    if not _SAFE_NAME.match(target_name):
        raise AddError(f"{source}: '{target_name}' is not a plain file name (letters, digits, . _ -): pass --name NEWNAME")
    data = source.read_bytes()

    existing = _existing_documents(corpus_dir)
    same_file = next((d for d in existing if d.sha256 == hashlib.sha256(data).hexdigest()), None)
    if same_file:
        raise AddError(f"{source}: the corpus already has this file, as {same_file.meta.file}: nothing added")
    doc_id = Path(target_name).stem
    taken = next((d.meta.file for d in existing if d.id == doc_id), None)
    if (corpus_dir / target_name).exists() or taken:
        raise AddError(f"{source}: {corpus_dir / (taken or target_name)} already exists and is never overwritten: "
                       f"pass --name NEWNAME to add this file under another name")

    try:
        from_file = file_metadata(source, data)
    except UndecodableText as exc:
        raise AddError(f"{source}: {exc}") from None
    entry: dict[str, str | None] = {"file": target_name}
    for key in FIELDS:
        value = fields.get(key)
        entry[key] = (value.strip() or None) if value is not None else from_file.get(key)
    if not entry["title"]:
        raise AddError(f"{source}: the file does not say its title: pass --title \"Title as published\"")
    prefilled = tuple(k for k in FIELDS if fields.get(k) is None and k in from_file)

    try:
        doc, warnings = process(DocumentMeta(doc_id, target_name, entry["title"] or ""), data)
    except CorpusError as exc:
        raise AddError(f"{source}: {exc.problem}") from None
    files = {d.id: d.meta.file for d in existing}
    duplicate_of = {dropped: kept for kept, dropped in _drop_exact_duplicates([*existing, doc])[1]}
    if doc.id in duplicate_of:
        raise AddError(f"{source}: has the same text as {files[duplicate_of[doc.id]]}, already in the corpus: nothing added")
    for a, b, score in find_near_duplicates([*existing, doc]):
        if doc.id in (a, b):
            other = files[b if a == doc.id else a]
            warnings.append(CorpusWarning(target_name, f"is a near-duplicate of {other} ({score:.0%} of paragraphs shared): "
                                                       f"check that both belong"))

    meta_path = corpus_dir / METADATA_FILE
    old = meta_path.read_text(encoding="utf-8-sig") if meta_path.is_file() else "documents:\n"
    items = re.findall(r"^([ \t]*)- ", old, flags=re.M)  # follow the file's own list indentation
    new = (old if old.endswith("\n") else old + "\n") + _entry_text(entry, source, prefilled, items[-1] if items else "  ")
    _validated(corpus_dir, new, target_name, source)

    with open(corpus_dir / target_name, "xb") as out:  # "x": fails rather than overwrite
        out.write(data)
    tmp = meta_path.with_name(f".{METADATA_FILE}.{os.getpid()}.tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(meta_path)  # atomic: a reader sees the old or the new metadata, never half of it
    return Added(target_name, entry, prefilled, warnings)
