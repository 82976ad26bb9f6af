"""The corpus metadata file: loading, validation and partial dates.

A corpus is a directory of documents plus ``metadata.yaml`` listing each one (see ``seeds/``).
Every problem is reported with the file, line or field and what to do about it.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import CorpusError
from .formats import SUFFIXES as DOCUMENT_SUFFIXES
from .records import record

METADATA_FILE = "metadata.yaml"
REQUIRED = ("file", "title")
OPTIONAL = ("publisher", "date", "url", "language", "kind", "notes", "author")
# A document id becomes part of anchors, file names and CSV rows: keep it a plain slug.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml parses 10,000 entries ~10x faster
    """SafeLoader that keeps dates as written, so '2019-13-40' reaches our validation with its line."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.total_ordering
@record
class PartialDate:
    """A date known to year, month or day precision. Orders by its first day, coarser first on ties."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; raise ValueError for anything impossible."""
        m = _DATE.match(text.strip())
        if not m:
            raise ValueError(f"'{text}' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in m.groups())
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"'{text}' has no month {month}")
        if day is not None:
            dt.date(year, month, day)  # raises ValueError for 2019-02-30
        if year < 1800:
            raise ValueError(f"'{text}' is before 1800: check the year")
        return cls(year, month, day)

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: PartialDate) -> bool:
        return self._key() < other._key()

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def iso(self) -> str:
        parts = [f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p]
        return "-".join(parts)

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def as_float(self) -> float:
        """Position on a time axis: the middle of the known period."""
        if self.day:
            return self.year + (self.first_day().timetuple().tm_yday - 0.5) / 366
        if self.month:
            return self.year + (self.month - 0.5) / 12
        return self.year + 0.5

    def label(self) -> str:
        if self.day:
            return self.first_day().strftime("%-d %b %Y")
        if self.month:
            return self.first_day().strftime("%b %Y")
        return str(self.year)

    def __str__(self) -> str:
        return self.iso()


@dataclass(frozen=True)
class DocumentMeta:
    """One entry of the metadata file, validated."""

    id: str
    file: str
    title: str
    publisher: str | None = None
    date: PartialDate | None = None
    url: str | None = None
    language: str | None = None
    kind: str | None = None
    notes: str | None = None
    author: str | None = None

    @property
    def source(self) -> str | None:
        """Who the brief names as the source: the publisher, or the author when no publisher is given."""
        return self.publisher or self.author


def _entry_lines(text: str) -> list[int]:
    """Line numbers (1-based) of each '- file:'-style list item, for error messages."""
    return [i + 1 for i, line in enumerate(text.splitlines()) if re.match(r"^\s*-\s", line)]


def load_metadata(corpus_dir: Path, *, today: dt.date | None = None) -> tuple[list[DocumentMeta], list[CorpusError], set[str]]:
    """Read and validate ``metadata.yaml``. Returns the valid entries, every problem found, and every file named."""
    path = corpus_dir / METADATA_FILE
    if not corpus_dir.is_dir():
        raise CorpusError(corpus_dir, "corpus directory not found: pass --corpus DIR with a directory of documents")
    if not path.is_file():
        raise CorpusError(path, f"no {METADATA_FILE}: create it with one entry per document (see README)")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CorpusError(path, f"YAML does not parse ({problem}): fix the syntax there", line=line) from None
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise CorpusError(path, "expected a top-level 'documents:' list", field="documents")

    today = today or dt.date.today()
    lines = _entry_lines(text)
    entries: list[DocumentMeta] = []
    errors: list[CorpusError] = []
    seen: dict[str, int] = {}
    named = {str(raw.get("file")).strip() for raw in data["documents"] if isinstance(raw, dict) and raw.get("file")}
    for index, raw in enumerate(data["documents"]):
        line = lines[index] if index < len(lines) else None

        def err(problem: str, field: str | None = None) -> None:
            errors.append(CorpusError(path, problem, field=field, line=line))

        if not isinstance(raw, dict):
            err("each document entry must be a mapping with file:, title:, ...")
            continue
        unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            err(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(REQUIRED + OPTIONAL)}")
            continue
        missing = [f for f in REQUIRED if not str(raw.get(f) or "").strip()]
        if missing:
            err(f"document #{index + 1} has no {missing[0]}: add it", field=missing[0])
            continue
        file = str(raw["file"]).strip()
        if not _SAFE_NAME.match(file) or file in (".", ".."):
            err(f"'{file}' is not a plain file name inside the corpus directory", field="file")
            continue
        if not file.endswith(DOCUMENT_SUFFIXES):
            err(f"'{file}' must end in one of {', '.join(DOCUMENT_SUFFIXES)}: save it in one of these formats", field="file")
            continue
        if file in seen:
            err(f"'{file}' is listed twice (entries {seen[file]} and {index + 1}): keep one", field="file")
            continue
        seen[file] = index + 1
        date = None
        if raw.get("date") is not None:
            try:
                date = PartialDate.parse(str(raw["date"]))
            except ValueError as exc:
                err(f"{file}: {exc}", field="date")
                continue
            if date.first_day() > today:
                err(f"{file}: date {date} is in the future: check it", field="date")
                continue

        def opt(key: str) -> str | None:
            value = raw.get(key)
            return None if value is None else str(value).strip() or None

        entries.append(DocumentMeta(
            id=Path(file).stem, file=file, title=str(raw["title"]).strip(), publisher=opt("publisher"),
            date=date, url=opt("url"), language=opt("language"), kind=opt("kind"), notes=opt("notes"),
            author=opt("author"),
        ))
    ids: dict[str, str] = {}
    for entry in entries:
        if entry.id in ids:
            errors.append(CorpusError(path, f"'{entry.file}' and '{ids[entry.id]}' have the same id '{entry.id}': rename one", field="file"))
        ids[entry.id] = entry.file
    return entries, errors, named
