"""What a build depends on: digests of its inputs, the notebooks' cache keys, and what changed since the
last build.

Everything here reads bytes and hashes them; nothing parses the corpus or starts Jupyter, so
``brief status`` and a build with nothing to do answer in a fraction of a second.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .config import PARTS, Part, Settings

PACKAGE_DIR = Path(__file__).resolve().parent
MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def versions() -> dict[str, str]:
    """Python's version and every installed distribution's, read from the ``*.dist-info`` names on sys.path.

    Listing a directory costs a millisecond where importlib.metadata costs a tenth of a second, and a
    result then depends on every library's version, not just a chosen few.
    """
    out = {"python": platform.python_version()}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in sorted(names):
            if name.endswith(".dist-info"):
                dist, _, version = name.removesuffix(".dist-info").partition("-")
                out.setdefault(dist.lower().replace("_", "-"), version)
    return out


def code_digest() -> str:
    """Hash of every module and template of the pipeline package: a change to any logic invalidates results."""
    return tree_digest(PACKAGE_DIR, suffixes=(".py", ".j2", ".css", ".json", ".yaml"))


def kernel_code_digest(notebooks: Iterable[Path]) -> str:
    """Hash of the pipeline modules a notebook can run: those its cells import, and theirs in turn.

    Editing the CLI, the build or the export then re-runs no notebook; only the brief is rebuilt.
    """
    roots = {"execute"}  # the build imports it into every kernel to reset it between notebooks
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        roots |= _imported("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"))
    return module_digest(frozenset(roots))


@functools.cache  # per process: the code a process runs does not change under it
def module_digest(roots: frozenset[str]) -> str:
    """Hash of the named pipeline modules and every pipeline module they import, directly or not."""
    todo, seen = set(roots), set()
    while todo:
        name = todo.pop()
        source = PACKAGE_DIR / f"{name}.py"
        if name in seen or not source.is_file():
            continue
        seen.add(name)
        todo |= _imported(source.read_text(encoding="utf-8"))
    h = hashlib.sha256()
    for name in sorted(seen):
        h.update(name.encode() + b"\0" + (PACKAGE_DIR / f"{name}.py").read_bytes())
    return h.hexdigest()


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.+[\w.]*|pipeline(?:\.\w+)?)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)"
                     r"|import[ \t]+pipeline\.(\w+))", re.M)


def _imported(code: str) -> set[str]:
    """Pipeline module names imported by ``code``: ``from pipeline import x``, ``from .x import y``,
    ``import pipeline.x`` (a regular expression, not a parse: this runs on every ``brief build``)."""
    names: set[str] = set()
    for module, imported, plain in _IMPORT.findall(code):
        if plain:
            names.add(plain)
            continue
        inner = module.lstrip(".").removeprefix("pipeline").lstrip(".")
        if inner:
            names.add(inner.split(".")[0])
        else:  # from . import a, b / from pipeline import a as b
            names |= {n.split()[0] for n in imported.strip("() \n").replace("\n", " ").split(",") if n.strip()}
    return names


def tree_digest(root: Path, suffixes: tuple[str, ...] | None = None) -> str:
    """One hash over the relative paths and bytes of the files under ``root`` (hidden files skipped)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not any(p.startswith(".") for p in rel.parts) and (suffixes is None or path.suffix in suffixes):
            h.update(rel.as_posix().encode() + b"\0")
            h.update(sha256(path.read_bytes()).encode())
    return h.hexdigest()


def corpus_files(corpus: Path) -> dict[str, str]:
    """Every file of the corpus directory (documents and metadata) by name, with its content hash."""
    return {p.name: sha256(p.read_bytes()) for p in sorted(corpus.iterdir()) if p.is_file() and not p.name.startswith(".")}


def analysis_depends(codebook_dir: Path) -> list[str]:
    """What each document's analysis depends on besides the document: codebook, gazetteer, the code computing it."""
    return [sha256((codebook_dir / "themes.yaml").read_bytes()), sha256((codebook_dir / "actors.yaml").read_bytes()),
            module_digest(frozenset({"analysis"}))]


def context_path(corpus_dir: Path, depends: list[str], cache_dir: Path) -> Path:
    """Where the analysis context of these inputs is cached (session.py writes it once it is computed)."""
    files = json.dumps(sorted(corpus_files(corpus_dir).items()))  # raw bytes: no parsing to find the entry
    key = sha256("|".join([files, *depends, module_digest(frozenset({"session"}))]).encode())[:32]
    return cache_dir / "context" / f"{key}.pickle"


def context_summary(corpus_dir: Path, codebook_dir: Path, cache_dir: Path) -> dict | None:
    """The theme ids and corpus warnings of the cached context of these inputs, from the small file written
    beside it (corpus and codebook were valid when it was made), and the context's size in bytes. None when
    there is no such context."""
    try:
        path = context_path(corpus_dir, analysis_depends(codebook_dir), cache_dir)
        summary = json.loads(path.with_suffix(".json").read_text(encoding="utf-8")) if path.is_file() else None
        size = path.stat().st_size
    except (OSError, ValueError):
        return None
    ok = isinstance(summary, dict) and isinstance(summary.get("themes"), list) and isinstance(summary.get("warnings"), list)
    return {**summary, "bytes": size} if ok else None


def notebook_digest(path: Path) -> str:
    """Hash of a notebook's cells' types, sources and tags: outputs and other metadata do not change a result."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in nb["cells"]]
    return sha256(json.dumps(cells).encode())


def findings_digest(dirs: Iterable[Path]) -> str:
    """What the synthesis reads: the findings files the parts wrote, merged as the build merges them."""
    files: dict[str, str] = {}
    for d in dirs:
        if d.is_dir():
            files.update({p.relative_to(d).as_posix(): sha256(p.read_bytes()) for p in d.rglob("*") if p.is_file()})
    return sha256(json.dumps(sorted(files.items())).encode())


@dataclass
class Inputs:
    """The digests a build starts from; recorded in the manifest and compared by the next build."""

    documents: dict[str, str]  # corpus file name → content hash
    codebook: str
    code: str
    kernel_code: str  # the part of ``code`` that notebooks run
    notebooks: dict[str, str]  # part name → notebook digest
    versions: dict[str, str]
    pdf: bool
    corpus: str = field(init=False)

    def __post_init__(self) -> None:
        self.corpus = sha256(json.dumps(sorted(self.documents.items())).encode())

    @classmethod
    def read(cls, settings: Settings) -> Inputs:
        return cls(corpus_files(settings.corpus), tree_digest(settings.codebook), code_digest(),
                   kernel_code_digest(p.path(settings.notebooks) for p in PARTS), {p.name: notebook_digest(p.path(settings.notebooks)) for p in PARTS}, versions(), settings.pdf)

    def fingerprint(self) -> str:
        return sha256(json.dumps([self.corpus, self.codebook, self.code, self.notebooks, self.versions, self.pdf],
                                 sort_keys=True).encode())

    def to_json(self) -> dict:
        return {"fingerprint": self.fingerprint(), "corpus": self.corpus, "codebook": self.codebook, "code": self.code,
                "kernel_code": self.kernel_code, "notebooks": self.notebooks, "versions": self.versions, "pdf": self.pdf, "documents": self.documents}


def part_key(part: Part, inputs: Inputs, params: dict, upstream: str | None) -> str:
    """Cache key of a notebook's result: its cells, parameters (paths excluded), the corpus, codebook, code,
    package versions and, for the synthesis, the findings it reads."""
    stable = {k: v for k, v in params.items() if not k.endswith("_dir")}
    blob = json.dumps({"part": part.name, "notebook": inputs.notebooks[part.name], "params": stable, "corpus": inputs.corpus,
                       "codebook": inputs.codebook, "code": inputs.kernel_code, "versions": inputs.versions, "upstream": upstream},
                      sort_keys=True)
    return sha256(blob.encode())[:32]


def previous_manifest(out: Path) -> dict | None:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def up_to_date(settings: Settings, inputs: Inputs) -> dict | None:
    """The last build's manifest when its brief is published and was built from exactly these inputs."""
    manifest = previous_manifest(settings.out)
    if settings.force or not manifest or manifest.get("inputs", {}).get("fingerprint") != inputs.fingerprint():
        return None
    wanted = ["brief.html"] + (["brief.pdf"] if settings.pdf else [])
    if not all((settings.out / name).is_file() for name in wanted) or (settings.pdf and not manifest.get("pdf")):
        return None
    return manifest


def new_since_last_build(settings: Settings, inputs: Inputs) -> int | None:
    """How many corpus files the last build published in ``settings.out`` did not have, when its analyses can be in
    the cache (same codebook and code, same cache directory, not --force); None when nothing says so.

    A guess made from hashes alone, before the corpus is parsed: the build uses it to start its kernels at once when
    only a few documents will need analysing. A wrong guess costs time, never correctness.
    """
    before = (previous_manifest(settings.out) or {}).get("inputs", {})
    if settings.force or not isinstance(before.get("documents"), dict) or not (settings.cache / "analysis.sqlite").is_file():
        return None
    if (before.get("codebook"), before.get("code")) != (inputs.codebook, inputs.code):
        return None
    known = set(before["documents"].values())
    return sum(1 for digest in inputs.documents.values() if digest not in known)


def up_to_date_message(out: Path) -> str:
    return f"Up to date: nothing changed since the last build of {out / 'brief.html'} (--force rebuilds)"


def changes(before: dict, now: Inputs) -> list[str]:
    """Why the last build's brief is stale, in words: one line per kind of change."""
    lines = []
    old_docs, new_docs = before.get("documents", {}), now.documents
    added = sorted(set(new_docs) - set(old_docs))
    removed = sorted(set(old_docs) - set(new_docs))
    edited = sorted(n for n in set(old_docs) & set(new_docs) if old_docs[n] != new_docs[n])
    for verb, names in (("added", added), ("removed", removed), ("changed", edited)):
        if names:
            lines.append(f"corpus: {len(names)} file(s) {verb}: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
    if before.get("codebook") != now.codebook:
        lines.append("codebook changed")
    edited_nb = sorted(n for n, d in now.notebooks.items() if before.get("notebooks", {}).get(n) != d)
    if edited_nb:
        lines.append(f"notebook(s) edited: {', '.join(edited_nb)}")
    if before.get("kernel_code") != now.kernel_code:
        lines.append("pipeline code that notebooks run changed")
    elif before.get("code") != now.code:
        lines.append("pipeline code changed (build or export only)")
    if before.get("versions") != now.versions:
        moved = sorted(k for k in set(now.versions) | set(before.get("versions", {}))
                       if now.versions.get(k) != before.get("versions", {}).get(k))
        lines.append(f"package versions changed: {', '.join(moved)}")
    if before.get("pdf") != now.pdf:
        lines.append("PDF " + ("wanted now" if now.pdf else "no longer wanted"))
    return lines


@dataclass
class Step:
    name: str
    runs: bool
    why: str


def plan(settings: Settings, inputs: Inputs) -> list[Step]:
    """What the next build would do with these inputs: each notebook reused from the cache or re-run, and why."""
    if up_to_date(settings, inputs):
        return []
    steps: list[Step] = []
    upstream_dirs: list[Path] = []
    for part in sorted(PARTS, key=lambda p: (p.stage, p.name)):
        params = {"theme": part.theme} if part.theme else {}
        rerun = [s.name for s in steps if s.runs]
        if part.stage > 0 and rerun:
            # Its cache key holds those findings, unknown until they have run: an edit that leaves them as they were
            # (a comment, a line of narrative) lets the build reuse it all the same.
            steps.append(Step(part.name, True, f"reads the findings of {', '.join(rerun)} (reused instead if they come out unchanged)"))
            continue
        cached = settings.cache / "parts" / part_key(part, inputs, params, findings_digest(upstream_dirs) if part.stage else None)
        upstream_dirs.append(cached / "findings")
        if settings.force:
            steps.append(Step(part.name, True, "--force"))
        elif (cached / f"{part.name}.ipynb").is_file():
            steps.append(Step(part.name, False, "cached: its inputs are unchanged"))
        else:
            steps.append(Step(part.name, True, "no cached result for its current inputs"))
    steps.append(Step("assemble, HTML" + (", PDF" if settings.pdf else ""), True, "the brief is rebuilt from the notebooks"))
    return steps
