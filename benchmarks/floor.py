"""The plain-Python floor: the brief's analysis in ONE Python process, no kernel, no papermill.

Each notebook of ``notebooks/`` is read with nbformat; its code cells run in order with ``exec`` in a
fresh namespace per notebook, the parameters cell first and then the parameters the build would
pass (``pipeline.build._params``: corpus, codebook, out, cache, theme, findings dirs), with the
notebook's directory as the working directory, as the kernel has it. ``pipeline.render.show`` is
replaced by a function that records the HTML fragment as the cell's ``display_data`` output, so the
executed notebooks look like the kernel's. Then the same assembly, HTML export and PDF as the build
(``pipeline.assemble`` and ``pipeline.export`` functions; the PDF is rendered by
``export.write_pdf``, the build's child process).

Prints one JSON line with the phase times: ``analysis_s`` (all six notebooks), ``assemble_html_s``,
``pdf_s``, and ``total_s`` measured from process start.

    python benchmarks/floor.py OUT_DIR [--corpus DIR] [--cache DIR] [--no-export] [--no-pdf] [--profile FILE]
"""
from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("BRIEF_BENCH_SRC") or str(ROOT))  # the benchmark's frozen copy


def run_parts(settings, staging: Path) -> dict[str, Path]:
    import nbformat

    from pipeline import render
    from pipeline.config import PARTS

    from pipeline.notebooks import notebook_parameters as _params  # the parameters the build passes

    current: list = []

    def show(fragment: str) -> None:
        current.append(nbformat.v4.new_output("display_data", data={"text/html": fragment, "text/plain": "<HTML>"}))

    render.show = show  # the notebooks do `from pipeline.render import show` after this
    (staging / "findings").mkdir(parents=True, exist_ok=True)
    executed: dict[str, Path] = {}
    here = os.getcwd()
    for stage in sorted({p.stage for p in PARTS}):
        for part in (p for p in PARTS if p.stage == stage):
            part_dir = staging / "parts" / part.name
            part_dir.mkdir(parents=True)
            params = _params(part, settings, part_dir, staging)
            source = part.path(settings.notebooks)
            nb = nbformat.read(source, as_version=4)
            namespace: dict = {"__name__": "__main__"}
            os.chdir(source.parent)
            try:
                cells = []
                for cell in nb.cells:
                    cells.append(cell)
                    if cell.cell_type != "code":
                        continue
                    current.clear()
                    exec(compile(cell.source, f"<{part.name}>", "exec"), namespace)  # noqa: S102
                    cell.outputs = list(current)
                    if "parameters" in cell.metadata.get("tags", []):
                        injected = "\n".join(f"{k} = {v!r}" for k, v in params.items())
                        exec(injected, namespace)  # noqa: S102
                        cells.append(nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected-parameters"]}))
                nb.cells = cells
            finally:
                os.chdir(here)
            out = part_dir / f"{part.name}.ipynb"
            nbformat.write(nb, out)
            executed[part.name] = out
            for sub in ("figures", "findings"):  # as Builder._collect
                if (part_dir / sub).is_dir():
                    shutil.copytree(part_dir / sub, staging / sub, dirs_exist_ok=True)
    return executed


def export(settings, staging: Path, executed: dict[str, Path], pdf: bool) -> dict[str, float]:
    """What Builder.export does: assemble, verify quotes, HTML, link check, notebooks, PDF."""
    import nbformat

    from pipeline import assemble
    from pipeline import export as ex
    from pipeline.config import PARTS
    from pipeline.session import load_context

    t = time.perf_counter()
    ctx = load_context(settings.corpus, settings.codebook, settings.cache)
    order = [p.name for p in sorted(PARTS, key=lambda p: (-p.stage, p.name))]
    brief = assemble.assemble(executed, order, ctx.corpus, [ctx.codebook.label(t) for t in ctx.codebook.theme_ids])
    assemble.verify_quotes(brief, ctx.corpus)
    page = ex.to_html(brief)
    problems = ex.check_links(page)
    if problems:
        raise SystemExit(f"broken links: {problems[:3]}")
    (staging / "brief.html").write_text(page, encoding="utf-8")
    (staging / "notebooks").mkdir(exist_ok=True)
    for path in executed.values():
        shutil.copyfile(path, staging / "notebooks" / path.name)
    nbformat.write(brief, staging / "notebooks" / "brief.ipynb")
    times = {"assemble_html_s": time.perf_counter() - t}
    if pdf:
        t = time.perf_counter()
        ex.write_pdf(staging / "brief.html", staging / "brief.pdf")
        times["pdf_s"] = time.perf_counter() - t
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--corpus", type=Path, default=None, help="default: the project's seeds/")
    ap.add_argument("--cache", type=Path, default=None, help="default: OUT/cache (fresh: a cold run)")
    ap.add_argument("--notebooks", type=Path, default=None, help="default: the project's notebooks/")
    ap.add_argument("--no-export", action="store_true", help="analysis only: no assembly, HTML or PDF")
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--profile", type=Path, default=None)
    args = ap.parse_args(argv)
    from pipeline.config import DEFAULT_CORPUS, NOTEBOOKS_DIR, Settings

    settings = Settings(corpus=args.corpus or DEFAULT_CORPUS, out=args.out, cache=args.cache or args.out / "cache",
                        notebooks=args.notebooks or NOTEBOOKS_DIR, jobs=1)
    staging = args.out / "floor"
    shutil.rmtree(staging, ignore_errors=True)
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t = time.perf_counter()
    executed = run_parts(settings, staging)
    result = {"startup_s": t - T_START, "analysis_s": time.perf_counter() - t}
    if not args.no_export:
        result.update(export(settings, staging, executed, pdf=not args.no_pdf))
    if prof:
        prof.disable()
        prof.dump_stats(str(args.profile))
    result["total_s"] = time.perf_counter() - T_START
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if (staging / "brief.html").is_file():
        result["html_bytes"] = (staging / "brief.html").stat().st_size
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
