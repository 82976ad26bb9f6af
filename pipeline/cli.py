"""The ``brief`` command. Expected failures become one line on stderr and a non-zero exit."""
from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path

from .config import DEFAULT_CACHE, DEFAULT_CODEBOOK, DEFAULT_CORPUS, DEFAULT_OUT, NOTEBOOKS_DIR, PROJECT_ROOT, Settings
from .errors import BriefError

DEFAULT_GOLD = PROJECT_ROOT / "eval" / "seeds.yaml"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory (documents + metadata.yaml)")
    p.add_argument("--codebook", type=Path, default=DEFAULT_CODEBOOK, help="codebook directory (themes.yaml, actors.yaml)")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="brief", description="Build the Kazakhstan brief from a corpus of policy texts.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="run the notebooks and write reports/brief.html and brief.pdf")
    _common(b)
    b.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: reports/)")
    b.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: number of cores)")
    b.add_argument("--timeout", type=int, default=None, help="seconds one notebook cell may run (default: 600)")
    b.add_argument("--no-pdf", action="store_true", help="write the HTML brief only")
    b.add_argument("--force", action="store_true", help="re-run every notebook, ignoring the cache")
    b.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="cache directory (default: .cache/)")
    b.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR, help="notebooks directory (default: notebooks/)")

    st = sub.add_parser("status", help="say what the next build would re-run, and why")
    _common(st)
    st.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: reports/)")
    st.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="cache directory (default: .cache/)")
    st.add_argument("--no-pdf", action="store_true", help="as for a build without the PDF")
    st.add_argument("--force", action="store_true", help="as for a build with --force")
    st.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR, help="as for a build with --notebooks")

    v = sub.add_parser("validate", help="check the corpus and codebook without building; list every problem")
    _common(v)

    sh = sub.add_parser("share", help="write the brief, its data and figures as one dated zip to send")
    _common(sh)
    sh.add_argument("--reports", type=Path, default=DEFAULT_OUT, help="where the brief was built (default: reports/)")
    sh.add_argument("--out", type=Path, default=None, help="directory for the zip (default: the reports directory)")

    a = sub.add_parser("add", help="copy a document (.txt .md .html .htm .pdf .docx) into the corpus and append its metadata")
    a.add_argument("file", type=Path, help="the document as collected; it is copied unchanged")
    a.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus directory (default: seeds/)")
    a.add_argument("--name", help="file name in the corpus (default: the file's own name, made a plain slug)")
    for field in ("title", "author", "publisher", "date", "url", "language", "kind"):
        a.add_argument(f"--{field}", help=f"the document's {field} (default: what the file says, if anything; '' leaves it empty)")

    e = sub.add_parser("eval", help="score coding and extraction against hand labels")
    _common(e)
    e.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="hand-label file (format of ../shared/eval)")
    e.add_argument("--json", action="store_true", help="print one JSON object")

    lab = sub.add_parser("lab", help="open JupyterLab on notebooks/ with the project's environment as kernel",
                         description="Open JupyterLab on notebooks/ (creating .venv-lab on first use). Arguments brief does "
                                     "not know go to 'jupyter lab', e.g. brief lab --no-browser --port 8899.")
    lab.add_argument("--setup-only", action="store_true", help="create .venv-lab and register the kernel, then exit")
    return ap


def _settings(args: argparse.Namespace) -> Settings:
    kwargs = {"corpus": args.corpus, "out": args.out, "codebook": args.codebook, "cache": args.cache,
              "pdf": not args.no_pdf, "force": args.force, "notebooks": args.notebooks}
    if getattr(args, "timeout", None) is not None:
        kwargs["cell_timeout"] = args.timeout
    if getattr(args, "jobs", None) is not None:
        kwargs["jobs"] = args.jobs
    return Settings(**kwargs)


def cmd_build(args: argparse.Namespace) -> int:
    from .inputs import Inputs, up_to_date, up_to_date_message

    settings = _settings(args)
    inputs = Inputs.read(settings)
    if up_to_date(settings, inputs):  # answered before importing Jupyter or the corpus code
        print(up_to_date_message(settings.out))
        return 0
    from .build import build

    result = build(settings, log=lambda line: print(line, flush=True), inputs=inputs)
    return 0 if result.pdf or args.no_pdf else 3


def cmd_share(args: argparse.Namespace) -> int:
    from .inputs import Inputs, changes, previous_manifest
    from .share import share

    target, names = share(args.reports, args.out or args.reports)
    print(f"Wrote {target} ({target.stat().st_size / 1e6:.1f} MB): {', '.join(n for n in names if '/' not in n)}, "
          f"data/ ({sum(n.startswith('data/') for n in names)} tables), figures/ ({sum(n.startswith('figures/') for n in names)} files)")
    if "brief.pdf" not in names:
        print("warning: the last build wrote no PDF; the zip has the HTML brief only")
    built_from = (previous_manifest(args.reports) or {}).get("inputs", {})
    now = Inputs.read(Settings(corpus=args.corpus, codebook=args.codebook, out=args.reports, pdf=built_from.get("pdf", True)))
    stale = changes(built_from, now)
    if stale:
        print(f"warning: the brief is older than its inputs ({'; '.join(stale)}): run 'brief build' to share the latest")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .inputs import Inputs, changes, plan, previous_manifest

    settings = _settings(args)
    inputs = Inputs.read(settings)
    manifest = previous_manifest(settings.out)
    if manifest is None:
        print(f"No brief in {settings.out} yet: the next build runs everything.")
    else:
        print(f"Last build: {manifest.get('built_at', '?')} ({settings.out / 'manifest.json'})")
        for line in changes(manifest.get("inputs", {}), inputs):
            print(f"  changed since: {line}")
    steps = plan(settings, inputs)
    if not steps:
        print("Up to date: the next build does nothing.")
    for step in steps:
        print(f"  {'re-run' if step.runs else 'reuse ':<7} {step.name:<24} {step.why}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .codebook import load_codebook
    from .corpus import load_corpus
    from .evaluate import evaluate, format_table

    if not args.gold.is_file():
        raise BriefError(f"{args.gold}: no such label file: pass --gold FILE")
    report = evaluate(load_corpus(args.corpus), load_codebook(args.codebook / "themes.yaml"), args.gold)
    print(json.dumps(report.to_json(), indent=1) if args.json else format_table(report))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from . import notebooks
    from .codebook import load_codebook
    from .corpus import load_corpus
    from .extract import load_gazetteer

    problems: list[str] = []
    corpus = codebook = None
    for check in ("corpus", "codebook", "notebooks"):  # each independent check runs, so every problem is listed
        try:
            if check == "corpus":
                corpus = load_corpus(args.corpus)
            elif check == "codebook":
                codebook = load_codebook(args.codebook / "themes.yaml")
                load_gazetteer(args.codebook / "actors.yaml")
            elif codebook is not None:
                notebooks.check(Settings(corpus=args.corpus, codebook=args.codebook), codebook.theme_ids)
        except BriefError as exc:
            problems.append(str(exc))
    if problems:
        print("brief: error: " + "\n".join(problems), file=sys.stderr)
        return 1
    for w in corpus.warnings:
        print(f"warning: {w}")
    print(f"ok: {len(corpus.documents)} documents, {sum(len(d.paragraphs) for d in corpus.documents)} paragraphs, "
          f"{len(codebook.theme_ids)} themes, {len(notebooks.PARTS)} notebooks")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from .ingest import FIELDS, add_document

    added = add_document(args.file, args.corpus, {f: getattr(args, f) for f in FIELDS}, name=args.name)
    for w in added.warnings:
        print(f"warning: {w}")
    known = ", ".join(f"{k}: {v}" for k, v in added.entry.items() if v and k != "file")
    from_file = f"; from the file: {', '.join(added.prefilled)} (check them in metadata.yaml)" if added.prefilled else ""
    print(f"added {args.corpus / added.name} ({known}){from_file}")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from .lab import launch

    return launch(args.jupyter_args, setup_only=args.setup_only, log=lambda line: print(line, flush=True))


COMMANDS = {"build": cmd_build, "status": cmd_status, "validate": cmd_validate, "add": cmd_add, "share": cmd_share,
            "eval": cmd_eval, "lab": cmd_lab}


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args, rest = ap.parse_known_args(argv)
    if rest and args.command != "lab":  # only 'brief lab' passes what it does not know on (to jupyter lab)
        ap.error(f"unrecognized arguments: {' '.join(rest)}")
    args.jupyter_args = rest
    try:
        return COMMANDS[args.command](args)
    except BriefError as exc:
        print(f"brief: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # disk full, permission denied: the build cleaned up; say what the OS said
        print(f"brief: error: {exc.strerror or exc} ({exc.filename or 'output'}); the previous brief is unchanged", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("brief: interrupted; the previous brief is unchanged", file=sys.stderr)
        return 130


def run() -> None:
    """The ``brief`` command: ``main``, then an exit that skips the final garbage collections, which walk
    every object the build left (0.1 s, a tenth of an edited-notebook build's overhead)."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
