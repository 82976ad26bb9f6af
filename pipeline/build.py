"""The build: corpus → notebooks (papermill, in parallel) → assembled brief → HTML and PDF → reports/.

Guarantees:
- one build at a time per output directory (a lock; the second build refuses at once);
- everything is written under ``reports/.staging/<run>/`` and published only when complete, file by
  file with ``os.replace``, so a failed, interrupted or killed build never leaves a half-written brief;
- a notebook result is reused only when everything it depends on is unchanged (see ``part_key``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import export, kernels, notebooks
from .notebooks import notebook_parameters
from .config import DEFERRED_PNG, PARTS, Part, Settings
from .errors import BuildLocked, ExportError, NotebookFailed
from .execute import kernel_generation, run_notebook, start_worker, stop_kernels
from .parallel import forks
from .inputs import (Inputs, context_summary, findings_digest, new_since_last_build, part_key, previous_manifest, up_to_date,
                     up_to_date_message)
from .records import release_memory

if TYPE_CHECKING:
    from .codebook import Codebook

PUBLISHED_DIRS = ("notebooks", "figures", "findings", "data")
PUBLISHED_FILES = ("brief.html", "brief.pdf", "manifest.json")  # replaced last, in this order
EARLY_CONTEXT_BYTES = 32 * 2**20  # a cached context up to this size loads while a notebook runs (1,000 documents: 13 MB)
# A context the build computed is kept for assembly up to this many documents (1,000: 49 MiB in memory). Beyond, it
# is dropped while the kernels run, each holding its own copy (10,000 documents: 0.7 GB), and loaded again after them.
KEEP_CONTEXT_DOCUMENTS = 2500
# Up to this many documents the kernels leave the charts' PNGs for the build to draw while the PDF renders
# (charts.publish). Beyond, the data tables fill that time alone (10,000 documents: 3.4 s of the PDF's 3.9 s) and
# the PNGs would come after the PDF (+1.7 s there).
DEFER_PNG_DOCUMENTS = 3000


@dataclass
class BuildResult:
    out: Path
    timings: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pdf: bool = True
    up_to_date: bool = False  # nothing changed since the published brief: nothing was done


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on the output directory, released by the OS even if the process is killed."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise BuildLocked(f"another build is running on {out} (pid {holder}): wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


class Builder:
    def __init__(self, settings: Settings, log: Callable[[str], None] = print, inputs: Inputs | None = None):
        self.settings, self.log = settings, log
        self.inputs = inputs or Inputs.read(settings)
        self.result = BuildResult(settings.out, pdf=settings.pdf)
        self.printer: export.PdfPrinter | None = None  # started once a core is free of notebooks (execute_parts)
        self.context = None  # the analysis context for assembly, loaded during the notebooks when a core is free
        self.context_bytes: int | None = None  # its size in the cache, when the build found it there (run)
        self.tables_and_changes: tuple[dict[str, list[dict]], str | None] | None = None  # computed while a core is free of notebooks
        self.part_dirs: list[tuple[Path, Path]] = []  # each part's directory in staging and its cache entry (_draw_deferred)

    def step(self, name: str, started: float) -> None:
        took = time.perf_counter() - started
        self.result.timings[name] = round(took, 3)
        self.log(f"  {name:<28} {took:6.1f} s")

    def run(self) -> BuildResult:
        s = self.settings
        t0 = time.perf_counter()
        if up_to_date(s, self.inputs):
            self.result.up_to_date = True
            self.log(up_to_date_message(s.out))
            return self.result
        self.log(f"Building the brief: corpus {s.corpus} → {s.out}")
        kernels.start_server()  # imports what the kernels need while this process reads the corpus
        pool = None

        def ready(codebook: Codebook, to_analyse: int) -> None:
            """Corpus and codebook are good: check the notebooks, then start the workers and their kernels while
            the documents are analysed, unless that forks workers of its own (a process must not fork once the
            pool's thread runs): then they start after it."""
            nonlocal pool
            notebooks.check(s, codebook.theme_ids)
            if pool is None and not forks(to_analyse, s.jobs):
                pool = self._start_pool()

        try:
            summary = context_summary(s.corpus, s.codebook, s.cache)
            if summary:  # analysed before, so corpus and codebook are good: the notebooks start now, the context loads later
                notebooks.check(s, summary["themes"])
                pool = self._start_pool()
                warnings = summary["warnings"]
                self.context_bytes = summary["bytes"]
            else:
                new = new_since_last_build(s, self.inputs)
                if not forks(len(self.inputs.documents) if new is None else new, s.jobs):
                    # Too few documents to analyse to fork for (the seeds, or a corpus the last build analysed but for
                    # a few): the workers launch their kernels before this process imports the analysis (0.2 s) and
                    # reads the corpus (1,000 documents: 0.3 s). Bad input then stops them (below).
                    pool = self._start_pool()
                from .session import prepare_context

                # The context, kept for assembly (not loaded again from the cache) unless the corpus is large
                self.context, warnings = prepare_context(s.corpus, s.codebook, s.cache, s.jobs, ready, KEEP_CONTEXT_DOCUMENTS)
                release_memory()
            self.result.warnings += warnings
            for w in warnings:
                self.log(f"  warning: {w}")
            self.step("corpus, coding, extraction" + (" (cached)" if summary else ""), t0)
            pool = pool or self._start_pool()
            with build_lock(s.out):
                staging_root = s.out / ".staging"
                shutil.rmtree(staging_root, ignore_errors=True)  # left by a killed build; we hold the lock
                staging = staging_root / uuid.uuid4().hex[:12]
                staging.mkdir(parents=True)
                try:
                    executed = self.execute_parts(staging, pool)
                    _stop(pool)  # the kernels are done
                    from .session import load_context

                    ctx = self.context or load_context(s.corpus, s.codebook, s.cache)  # from the cache
                    self.export(staging, executed, ctx)
                    self.result.timings["total"] = round(time.perf_counter() - t0, 3)
                    self.write_manifest(staging)
                    self.publish(staging)
                except BaseException:
                    _stop(pool)  # before staging goes: the workers' kernels write into it
                    raise
                finally:
                    if self.printer:
                        self.printer.close()
                    shutil.rmtree(staging_root, ignore_errors=True)
        except BaseException:
            if pool:
                _stop(pool)
            raise
        self.log(f"Done in {self.result.timings['total']:.1f} s: {s.out / 'brief.html'}"
                 + (f" and {s.out / 'brief.pdf'}" if self.result.pdf else " (no PDF)"))
        return self.result

    # -- notebooks ------------------------------------------------------------------------------

    def _start_pool(self) -> ThreadPoolExecutor:
        """The notebook workers, as many as the first stage has notebooks to run (at most --jobs), each starting its
        kernel as it starts (``start_worker``): a notebook never lands on a worker without one."""
        s = self.settings
        workers = min(s.jobs, max(1, len(self._stale_first_stage())))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notebooks", initializer=start_worker,
                                  initargs=(str(s.notebooks), time.time(), kernel_generation()))
        for _ in range(workers):  # a submission that finds no idle worker starts one: start them all now
            pool.submit(int)
        return pool

    def _defer_png(self) -> bool:
        """Whether the kernels leave the charts' PNGs to the build (DEFER_PNG_DOCUMENTS)."""
        return self.settings.pdf and len(self.inputs.documents) <= DEFER_PNG_DOCUMENTS  # the corpus's files

    def _stale_first_stage(self) -> list[Part]:
        """The first stage's notebooks whose cached result cannot be used (paths do not enter the key)."""
        s = self.settings
        first = min(p.stage for p in PARTS)
        parts = [p for p in PARTS if p.stage == first]
        if s.force:
            return parts
        return [p for p in parts if not (s.cache / "parts" / part_key(p, self.inputs, notebook_parameters(p, s, s.out, s.out), None)
                                         / f"{p.name}.ipynb").is_file()]

    def execute_parts(self, staging: Path, pool: ThreadPoolExecutor) -> dict[str, Path]:
        s = self.settings
        executed: dict[str, Path] = {}
        executed_dirs: list[Path] = []  # each part's directory, for the findings the next stage reads
        (staging / "findings").mkdir()
        stages = sorted({p.stage for p in PARTS})
        prepared = False
        for stage in stages:
            upstream = findings_digest(executed_dirs) if stage > 0 else None
            pending, reused = {}, []
            for part in (p for p in PARTS if p.stage == stage):
                part_dir = staging / "parts" / part.name
                part_dir.mkdir(parents=True)
                params = notebook_parameters(part, s, part_dir, staging)
                key = part_key(part, self.inputs, params, upstream)
                cached = s.cache / "parts" / key
                if not s.force and (cached / f"{part.name}.ipynb").is_file():
                    reused.append((part, part_dir, cached))
                    continue
                output = part_dir / f"{part.name}.ipynb"
                future = pool.submit(run_notebook, str(part.path(s.notebooks)), str(output), params, s.cell_timeout, time.time(),
                                     self._defer_png())
                pending[future] = (part, part_dir, cached)
            for part, part_dir, cached in reused:  # copied in once the notebooks to run have been handed out
                shutil.rmtree(part_dir)
                shutil.copytree(cached, part_dir)
                self.result.cached.append(part.name)
                self.log(f"  {part.name:<28}   cached")
                self._collect(part, part_dir, staging, executed, cached)
                executed_dirs.append(part_dir / "findings")
            # The PDF child starts (its WeasyPrint import takes 0.5 s) once fewer notebooks run than there are
            # cores, as in the synthesis stage or when one notebook was edited, or when none is left to run.
            if s.pdf and self.printer is None and (len(pending) < s.jobs or stage == stages[-1]):
                self.printer = export.PdfPrinter(staging / "brief.html", staging / "brief.pdf")
            if pending and not prepared:
                _prepare_export()  # while the notebooks run
                prepared = True
            small = self.context_bytes is not None and self.context_bytes <= EARLY_CONTEXT_BYTES
            if pending and len(pending) < s.jobs and self.context is None and small:
                # A core is free of notebooks (one was edited, or the synthesis runs): the context for assembly loads
                # on it meanwhile. Not a large one: at 10,000 documents (140 MB pickled, 0.7 GB loaded) beside the
                # synthesis kernel it took the build past 2 GB.
                from .session import load_context

                self.context = load_context(s.corpus, s.codebook, s.cache)
            if pending and len(pending) < s.jobs and self.context is not None and self.tables_and_changes is None:
                self.tables_and_changes = self._tables_and_changes(self.context)  # on the free core too
            while pending:
                done, _ = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    part, part_dir, cached = pending.pop(future)
                    try:
                        took = future.result()
                    except NotebookFailed as exc:
                        raise self._keep_failed(exc) from None
                    self.result.timings[part.name] = round(took, 3)
                    self.log(f"  {part.name:<28} {took:6.1f} s")
                    self._store(part_dir, cached)
                    self._collect(part, part_dir, staging, executed, cached)
                    executed_dirs.append(part_dir / "findings")
        return executed

    def _collect(self, part: Part, part_dir: Path, staging: Path, executed: dict[str, Path], cached: Path) -> None:
        """Gather a part's executed notebook, figures and findings into the staging tree."""
        executed[part.name] = part_dir / f"{part.name}.ipynb"
        self.part_dirs.append((part_dir, cached))
        for sub in ("figures", "findings"):
            src = part_dir / sub
            if src.is_dir():
                shutil.copytree(src, staging / sub, dirs_exist_ok=True)

    @staticmethod
    def _store(part_dir: Path, cached: Path) -> None:
        """Put a part's result in the cache under its key. Builds sharing a cache may store one key at once (the same
        inputs, so the same result): an entry only ever comes and goes by rename, whole, and a build that finds
        another's entry put in place while it stored its own keeps that one."""
        tmp, old = (cached.with_name(f"{cached.name}.{os.getpid()}.{suffix}") for suffix in ("tmp", "old"))
        for leftover in (tmp, old):  # of a build of this pid that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.copytree(part_dir, tmp)
        with contextlib.suppress(FileNotFoundError):
            cached.rename(old)
        try:
            tmp.rename(cached)
        except OSError:
            if not cached.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another build's entry, whole: it came by rename too
        shutil.rmtree(old, ignore_errors=True)

    def _keep_failed(self, exc: NotebookFailed) -> NotebookFailed:
        """Move the failed notebook out of staging (which is removed) to reports/failed/."""
        if exc.saved_at and Path(exc.saved_at).is_file():
            failed = self.settings.out / "failed"
            failed.mkdir(parents=True, exist_ok=True)
            target = failed / Path(exc.saved_at).name
            shutil.copyfile(exc.saved_at, target)
            return NotebookFailed(exc.notebook, exc.cell, exc.error, str(target))
        return exc

    # -- assembly and export --------------------------------------------------------------------

    def export(self, staging: Path, executed: dict[str, Path], ctx) -> None:
        import nbformat

        from . import assemble, datasets

        t = time.perf_counter()
        order = [p.name for p in sorted(PARTS, key=lambda p: (-p.stage, p.name))]  # synthesis leads
        labels = _theme_labels(ctx)
        tables, since = self.tables_and_changes or self._tables_and_changes(ctx)
        brief = assemble.assemble(executed, order, ctx.corpus, list(labels.values()), after={order[0]: since} if since else None)
        checked = assemble.verify_quotes(brief, ctx.corpus)
        page = export.to_html(brief)
        problems = export.check_links(page)
        if problems:
            raise ExportError(f"the HTML brief has {len(problems)} broken or external links, e.g. {problems[0]}")
        (staging / "brief.html").write_text(page, encoding="utf-8")
        self.step(f"assemble + HTML ({checked} quotes verified)", t)
        t = time.perf_counter()
        if self.settings.pdf:
            self.printer = self.printer or export.PdfPrinter(staging / "brief.html", staging / "brief.pdf")
            self.printer.start()
        # Done while the PDF child renders: the data tables of a large corpus take as long as the PDF.
        self._draw_deferred(staging)
        datasets.write_tables(tables, staging / "data")
        nb_dir = staging / "notebooks"
        nb_dir.mkdir()
        for path in executed.values():
            shutil.copyfile(path, nb_dir / path.name)
        nbformat.write(brief, nb_dir / "brief.ipynb")
        self.step("PNGs, data/ and notebooks/" + (" (while the PDF renders)" if self.settings.pdf else ""), t)
        if self.settings.pdf:
            try:
                self.printer.finish()
                self.step("PDF", t)
            except ExportError as exc:
                self.result.pdf = False
                self.result.warnings.append(f"PDF not written: {exc}")
                self.log(f"  warning: PDF not written: {exc}. The HTML brief is published; the previous PDF is removed.")

    def _draw_deferred(self, staging: Path) -> None:
        """Draw the PNGs the notebooks left to the build (charts.publish) into the staging tree and into the parts'
        cache entries (where a build stopped before this step left them undrawn). A chart that cannot be drawn is
        reported, and its deferred file goes from both all the same."""
        if not any((staging / "figures").glob(f"*{DEFERRED_PNG}")):
            return  # none: matplotlib is not imported (0.3 s)
        from .charts import draw_deferred

        for part_dir, cached in self.part_dirs:
            deferred = [p.name for p in (part_dir / "figures").glob(f"*{DEFERRED_PNG}")]
            drawn, problems = draw_deferred(part_dir / "figures")
            for figures in (staging / "figures", cached / "figures"):
                for png in drawn:
                    shutil.copyfile(png, figures / png.name)
                for name in deferred:
                    (figures / name).unlink(missing_ok=True)
            for problem in problems:
                self.result.warnings.append(problem)
                self.log(f"  warning: {problem}")

    def _tables_and_changes(self, ctx) -> tuple[dict[str, list[dict]], str | None]:
        """What assembly needs of the context alone: the data tables, and the "what changed" section that compares
        them with the published brief's."""
        from . import datasets

        tables = datasets.tables(ctx)
        return tables, self.changes_since(tables, _theme_labels(ctx), ctx)

    def changes_since(self, tables: dict[str, list[dict]], labels: dict[str, str], ctx) -> str | None:
        """The "what changed" section, when a previous brief with its data is published in the output directory."""
        out = self.settings.out
        manifest = previous_manifest(out)
        if not manifest or not (out / "data" / "documents.csv").is_file():
            return None
        from . import changes
        from .render import Citer

        found = changes.compare(out, manifest.get("built_at", "before"), tables, list(labels))
        return changes.render(found, Citer(ctx.corpus), labels)

    def write_manifest(self, staging: Path) -> None:
        s = self.settings
        manifest = {
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "inputs": self.inputs.to_json(),
            "settings": {"corpus": str(s.corpus), "codebook": str(s.codebook), "jobs": s.jobs, "force": s.force},
            "commit": _git_commit(), "timings_s": self.result.timings,
            "cached": self.result.cached, "warnings": self.result.warnings, "pdf": self.result.pdf,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")

    def publish(self, staging: Path) -> None:
        """Move the finished brief into place: directories swapped by rename, files by os.replace."""
        out = self.settings.out
        for name in PUBLISHED_DIRS:
            src = staging / name
            if not src.exists():
                continue
            old = out / f".old-{name}"
            shutil.rmtree(old, ignore_errors=True)
            if (out / name).exists():
                (out / name).rename(old)
            src.rename(out / name)
            shutil.rmtree(old, ignore_errors=True)
        for name in PUBLISHED_FILES:
            src = staging / name
            if src.exists():
                os.replace(src, out / name)
            elif name == "brief.pdf":
                (out / name).unlink(missing_ok=True)  # a stale PDF must not pass for this build's
        shutil.rmtree(out / "failed", ignore_errors=True)


def _theme_labels(ctx) -> dict[str, str]:
    return {t: ctx.codebook.label(t) for t in ctx.codebook.theme_ids}


def _prepare_export() -> None:
    """Import what assembly and export use (nbformat, nbconvert: 0.6 s) and compile the HTML template, while the
    notebooks run: a build that re-runs one notebook would otherwise wait for them before and after it."""
    from . import assemble, changes, datasets, session  # noqa: F401

    export.prepare()


def _stop(pool: ThreadPoolExecutor) -> None:
    """Stop the workers: no notebook starts any more, and every kernel is gone when this returns (the workers'
    threads then see them dead and end)."""
    pool.shutdown(wait=False, cancel_futures=True)
    stop_kernels()


def _git_commit() -> str | None:
    import subprocess

    from .config import PROJECT_ROOT

    with contextlib.suppress(Exception):
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5)
        if done.returncode == 0:
            return done.stdout.strip()
    return None


def build(settings: Settings, log: Callable[[str], None] = print, inputs: Inputs | None = None) -> BuildResult:
    return Builder(settings, log, inputs).run()

