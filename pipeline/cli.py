"""The ``brief`` command. Expected failures become one line on stderr and a non-zero exit."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import DEFAULT_CACHE, DEFAULT_CODEBOOK, DEFAULT_CORPUS, DEFAULT_OUT, PROJECT_ROOT, Settings
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
    b.add_argument("--timeout", type=int, default=600, help="seconds one notebook cell may run")
    b.add_argument("--no-pdf", action="store_true", help="write the HTML brief only")
    b.add_argument("--force", action="store_true", help="re-run every notebook, ignoring the cache")
    b.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="cache directory (default: .cache/)")

    e = sub.add_parser("eval", help="score coding and extraction against hand labels")
    _common(e)
    e.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="hand-label file (format of ../shared/eval)")
    e.add_argument("--json", action="store_true", help="print one JSON object")

    v = sub.add_parser("validate", help="check the corpus and codebook without building; list every problem")
    _common(v)
    return ap


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    kwargs = {"corpus": args.corpus, "out": args.out, "codebook": args.codebook, "cache": args.cache,
              "cell_timeout": args.timeout, "pdf": not args.no_pdf, "force": args.force}
    if args.jobs is not None:
        kwargs["jobs"] = args.jobs
    result = build(Settings(**kwargs), log=lambda line: print(line, flush=True))
    return 0 if result.pdf or args.no_pdf else 3


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
    from .session import load_context

    ctx = load_context(args.corpus, args.codebook)
    for w in ctx.corpus.warnings:
        print(f"warning: {w}")
    print(f"ok: {len(ctx.corpus.documents)} documents, {sum(len(d.paragraphs) for d in ctx.corpus.documents)} paragraphs, "
          f"{len(ctx.codebook.theme_ids)} themes")
    return 0


COMMANDS = {"build": cmd_build, "eval": cmd_eval, "validate": cmd_validate}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
