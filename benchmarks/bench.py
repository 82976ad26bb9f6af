"""`make bench`: the brief build against the naive notebook chain and a plain-Python floor (issue 6).

Every case is a whole-process wall time (``perf_counter`` around the child, reaped with ``wait4``),
the median of several runs, with the peak memory of the process tree (RSS of the child and all its
descendants summed, sampled every 50 ms with psutil) and of the largest single process (wait4's
ru_maxrss). Cases of one round run interleaved (naive, floor, cold, ...) so that machine noise
spreads over all of them. Everything runs in temporary directories: ``reports/`` and ``.cache/``
are never touched; the matplotlib font cache (``~/.cache/matplotlib``) is warmed first and kept.

    .venv/bin/python benchmarks/bench.py [--n 3] [--n-large 1] [--no-xelatex] [--skip large] [--profile]

See benchmarks/README.md for what each case means.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PY = sys.executable
BRIEF = [str(VENV_BIN / "brief")] if (VENV_BIN / "brief").exists() else [PY, "-m", "pipeline.cli"]
READING_ORDER = ["90_synthesis", "00_corpus_overview", "10_russian_soft_power", "20_xinjiang", "30_eaeu_vs_bri", "40_csto_perception"]
TEX_PACKAGES = ["texlive-xetex", "texlive-fonts-recommended", "texlive-plain-generic", "pandoc"]
# The naive chain as issue 6 measured it first: in an environment with the whole `jupyter` metapackage, what an
# analyst gets from `pip install jupyter papermill`. Made once, beside this script (git-ignored).
NAIVE_VENV = HERE / ".venv-naive"
NAIVE_LEAN, NAIVE_JUPYTER = "lean env", "jupyter metapackage env"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- measuring one process ---------------------------------------------------------------------

@dataclass
class Run:
    wall: float
    peak_tree_mib: float
    max_proc_mib: float
    rc: int
    out: str = ""
    err: str = ""
    timed_out: bool = False


def measure(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None, timeout: float | None = None,
            scratch: Path) -> Run:
    """Run ``cmd`` to completion; wall time, peak tree RSS (sampled), largest process RSS (wait4)."""
    scratch.mkdir(parents=True, exist_ok=True)
    out_path, err_path = scratch / "stdout.txt", scratch / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            try:
                root = psutil.Process(proc.pid)
            except psutil.Error:
                return
            while not done.is_set():
                total = 0
                try:
                    procs = [root] + root.children(recursive=True)
                except psutil.Error:
                    procs = []
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], total)
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timed_out = False
        if timeout:
            def kill() -> None:
                nonlocal timed_out
                timed_out = True
                try:  # the child and its descendants (kernels may sit in sessions of their own): all started by us
                    descendants = psutil.Process(proc.pid).children(recursive=True)
                except psutil.Error:
                    descendants = []
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass
                for p in descendants:
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
            timer = threading.Timer(timeout, kill)
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if timeout:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    return Run(wall, peak[0] / 2**20, usage.ru_maxrss / 1024, proc.returncode, out_path.read_text(errors="replace"),
               err_path.read_text(errors="replace"), timed_out)


@dataclass
class Case:
    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""
    extra: list[dict] = field(default_factory=list)  # per-run details (phases, manifest timings)

    def ok_runs(self) -> list[Run]:
        return [r for r in self.runs if r.rc == 0 and not r.timed_out]

    @property
    def walls(self) -> list[float]:
        return [r.wall for r in self.ok_runs()]

    @property
    def median(self) -> float | None:
        w = self.walls
        return statistics.median(w) if w else None

    @property
    def peak(self) -> float | None:
        ok = self.ok_runs() or self.runs
        return max(r.peak_tree_mib for r in ok) if ok else None

    @property
    def max_proc(self) -> float | None:
        ok = self.ok_runs() or self.runs
        return max(r.max_proc_mib for r in ok) if ok else None

    def failures(self) -> str:
        bad = [r for r in self.runs if r.rc != 0 or r.timed_out]
        if not bad:
            return ""
        r = bad[-1]
        if r.timed_out:
            return f"{len(bad)} of {len(self.runs)} run(s) stopped at the time limit ({r.wall:.0f} s)"
        tail = [ln for ln in (r.err + r.out).strip().splitlines() if ln.strip()][-1:] or ["(no output)"]
        return f"{len(bad)} of {len(self.runs)} run(s) failed (exit {r.rc}): {tail[0][:160]}"


def combine(parts: list[Run]) -> Run:
    """A chain of processes as one run: walls add, memory is the largest of the steps."""
    return Run(sum(r.wall for r in parts), max(r.peak_tree_mib for r in parts), max(r.max_proc_mib for r in parts),
               next((r.rc for r in parts if r.rc != 0), 0), "\n".join(r.out for r in parts), "\n".join(r.err for r in parts),
               any(r.timed_out for r in parts))


# --- the machine -------------------------------------------------------------------------------

def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    py = subprocess.run([PY, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True).stdout.strip()
    return {"cores": os.cpu_count(), "cpu": model, "ram_gib": round(mem, 1), "python": py, "os": platform.platform(),
            "load_at_start": os.getloadavg(), "loop_s_at_start": loop_seconds()}


def loop_seconds() -> float:
    """Seconds for a fixed pure-Python loop, best of 5: this machine's speed at the moment. It drifts by a factor of
    two between hours here, and not every case follows it alike (process starts less than computation), so ratios
    from runs at different loop times do not compare."""
    code = "import time\nbest = 9.0\nfor _ in range(5):\n    t = time.perf_counter(); s = 0\n" \
           "    for i in range(3_000_000): s += i\n    best = min(best, time.perf_counter() - t)\nprint(best)"
    return round(float(subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout), 3)


def pdf_pages(path: Path) -> int | None:
    try:
        from pypdf import PdfReader

        return len(PdfReader(str(path)).pages)
    except Exception:  # noqa: BLE001 - a missing or broken PDF is reported as no count
        return None


def ensure_xelatex(allow_install: bool) -> tuple[bool, str]:
    if shutil.which("xelatex") and shutil.which("pandoc"):
        return True, ""
    if not allow_install:
        return False, "xelatex not used (--no-xelatex): the naive chain's PDF step is the weasyprint CLI"
    log("xelatex or pandoc missing: installing " + " ".join(TEX_PACKAGES) + " with apt-get (once, ~2 min)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    ok = subprocess.run(["apt-get", "update", "-qq"], env=env).returncode == 0 and subprocess.run(
        ["apt-get", "install", "-y", "-qq", *TEX_PACKAGES], env=env).returncode == 0
    if ok and shutil.which("xelatex"):
        return True, ""
    return False, "xelatex could not be installed: the naive chain's PDF step is the weasyprint CLI"


def ensure_naive_env() -> tuple[Path | None, str]:
    """The bin/ of a venv with `jupyter`, `papermill` and the project's dependencies, made on first use (~1-2 min)."""
    bin_dir = NAIVE_VENV / "bin"
    if (bin_dir / "papermill").exists() and (bin_dir / "jupyter-nbconvert").exists():
        return bin_dir, ""
    log(f"creating {NAIVE_VENV.relative_to(ROOT)}: the jupyter metapackage, papermill and the project (once, 1-2 min)")
    ok = subprocess.run([sys.executable, "-m", "venv", "--clear", NAIVE_VENV]).returncode == 0 and subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "jupyter", "papermill", "-e", str(ROOT)]).returncode == 0  # -e: no build/ in the tree
    if ok:
        return bin_dir, ""
    return None, f"the jupyter metapackage environment could not be installed in {NAIVE_VENV}: only the lean-env naive chain ran"


# --- the cases -----------------------------------------------------------------------------------

class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="brief-bench-", dir=args.workdir))
        self.env = dict(os.environ)
        self.env["PATH"] = f"{VENV_BIN}{os.pathsep}{self.env.get('PATH', '')}"
        self.env.pop("MPLCONFIGDIR", None)  # the default, persistent font cache (warmed below)
        self.src = ROOT
        if args.snapshot:
            self.src = snapshot(self.work / "src")
            self.env["PYTHONPATH"] = str(self.src)  # before the editable install's finder: every process runs the snapshot
            self.env["BRIEF_BENCH_SRC"] = str(self.src)
        sys.path.insert(0, str(self.src))
        self.cases: dict[str, Case] = {}
        self.info: dict = {}
        self.counter = 0
        self.use_xelatex, self.xelatex_note = ensure_xelatex(not args.no_xelatex)
        self.naive_envs = {NAIVE_LEAN: VENV_BIN}
        self.naive_note = ""
        if not args.no_jupyter_env and "seed" not in args.skip:
            jupyter_bin, self.naive_note = ensure_naive_env()
            if jupyter_bin:
                self.naive_envs[NAIVE_JUPYTER] = jupyter_bin

    def case(self, name: str) -> Case:
        return self.cases.setdefault(name, Case(name))

    def scratch(self) -> Path:
        self.counter += 1
        return self.work / "logs" / f"{self.counter:03d}"

    def run(self, cmd: list[str], **kw) -> Run:
        kw.setdefault("env", self.env)
        return measure([str(c) for c in cmd], scratch=self.scratch(), **kw)

    def fresh(self, name: str) -> Path:
        self.counter += 1
        d = self.work / f"{name}-{self.counter:03d}"
        d.mkdir(parents=True)
        return d

    def done(self, path: Path) -> None:
        if not self.args.keep:
            shutil.rmtree(path, ignore_errors=True)

    # -- brief build ------------------------------------------------------------------------------

    def brief(self, out: Path, cache: Path, corpus: Path | None = None, *, notebooks: Path | None = None, env: dict | None = None,
              timeout: float | None = None) -> Run:
        """``brief build`` as a whole process."""
        corpus_args = ["--corpus", corpus] if corpus else []
        notebooks_args = ["--notebooks", notebooks] if notebooks else []
        return self.run([*BRIEF, "build", *corpus_args, "--out", out, "--cache", cache, *notebooks_args],
                        env=env or self.env, timeout=timeout)

    @staticmethod
    def manifest(out: Path) -> dict:
        try:
            return json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    # -- 1. naive chain -------------------------------------------------------------------------

    def naive_case(self, env_name: str, pdf: str) -> str:
        return f"naive chain, {env_name} ({pdf})"

    def naive(self, env_name: str, bin_dir: Path) -> None:
        """papermill ×6, merge, nbconvert HTML, nbconvert PDF (xelatex), with the executables of one environment."""
        from pipeline.config import PARTS, Settings

        env = dict(self.env, PATH=f"{bin_dir}{os.pathsep}{self.env.get('PATH', '')}")
        run = lambda cmd: self.run(cmd, env=env)  # noqa: E731
        work = self.fresh("naive")
        out, cache = work / "out", work / "cache"
        out.mkdir()
        settings = Settings(out=work / "unused", cache=cache)
        steps: list[tuple[str, Run]] = []
        for part in sorted(PARTS, key=lambda p: (p.stage, p.name)):
            params = {"corpus_dir": str(settings.corpus), "codebook_dir": str(settings.codebook), "out_dir": str(out),
                      "cache_dir": str(cache)}
            if part.theme:
                params["theme"] = part.theme
            if part.stage > 0:
                params["findings_dir"] = str(out / "findings")  # where the theme notebooks wrote them
            pfile = work / f"{part.name}.yaml"
            pfile.write_text(json.dumps(params), encoding="utf-8")  # JSON is YAML
            steps.append((f"papermill {part.name}", run(
                [bin_dir / "papermill", part.path(settings.notebooks), work / f"{part.name}.ipynb", "-f", pfile, "--cwd",
                 settings.notebooks, "-k", "python3", "--no-progress-bar"])))
        steps.append(("merge (nbformat script)", run([bin_dir / "python", HERE / "naive_merge.py", work / "brief.ipynb",
                                                       *[work / f"{n}.ipynb" for n in READING_ORDER]])))
        steps.append(("nbconvert --to html", run([bin_dir / "jupyter", "nbconvert", "--to", "html", "--no-input",
                                                   work / "brief.ipynb", "--output-dir", work])))
        base = [r for _, r in steps]
        if self.use_xelatex:
            tex = run([bin_dir / "jupyter", "nbconvert", "--to", "pdf", "--no-input", work / "brief.ipynb", "--output-dir", work])
            steps.append(("nbconvert --to pdf (xelatex)", tex))
            self.case(self.naive_case(env_name, "xelatex PDF")).runs.append(combine(base + [tex]))
        if env_name == NAIVE_LEAN:  # the same content as the brief's PDF; once is enough
            weasy = run([VENV_BIN / "weasyprint", work / "brief.html", work / "brief-weasy.pdf"])
            steps.append(("weasyprint CLI", weasy))
            self.case(self.naive_case(env_name, "weasyprint CLI PDF")).runs.append(combine(base + [weasy]))
            self.info["naive_pdf_pages"] = {"xelatex": pdf_pages(work / "brief.pdf"), "weasyprint": pdf_pages(work / "brief-weasy.pdf")}
        self.case(self.naive_case(env_name, "xelatex PDF" if self.use_xelatex else "weasyprint CLI PDF")).extra.append(
            {name: round(r.wall, 3) for name, r in steps})
        self.done(work)

    # -- 2. plain-Python floor ------------------------------------------------------------------

    def floor(self) -> None:
        work = self.fresh("floor")
        r = self.run([PY, HERE / "floor.py", work])
        detail = _last_json(r.out)
        case = self.case("floor: plain Python, analysis + HTML + PDF")
        case.runs.append(r)
        case.extra.append(detail)
        if detail and r.rc == 0:
            export_s = detail.get("assemble_html_s", 0) + detail.get("pdf_s", 0)
            sub = Run(r.wall - export_s, r.peak_tree_mib, r.max_proc_mib, 0)
            self.case("floor: plain Python, analysis only").runs.append(sub)
        self.done(work)

    # -- 3. brief build: cold, nothing changed, notebook edited, document added -------------------

    def cold(self) -> None:
        work = self.fresh("cold")
        r = self.brief(work / "out", work / "cache")
        case = self.case("brief build, cold")
        case.runs.append(r)
        m = self.manifest(work / "out")
        case.extra.append(m.get("timings_s", {}))
        if r.rc == 0:
            self.info["seed_html_bytes"] = (work / "out" / "brief.html").stat().st_size
            self.info["seed_pdf_pages"] = pdf_pages(work / "out" / "brief.pdf")
        self.done(work)

    def cold_fonts(self) -> None:
        work = self.fresh("coldfont")
        env = dict(self.env, MPLCONFIGDIR=str(work / "mplconfig"))  # an empty font cache, as on a new machine
        r = self.brief(work / "out", work / "cache", env=env)
        self.case("brief build, cold + cold matplotlib font cache").runs.append(r)
        self.done(work)

    def setup_incremental(self) -> None:
        """One primed output/cache per incremental case, with its own copies of notebooks and corpus."""
        inc = self.work / "incremental"
        nb_root = inc / "nbcopy"
        shutil.copytree(self.src / "notebooks", nb_root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for name in ("eval", "seeds", "codebook"):  # the notebooks' relative defaults (gold_path = ../eval/...) still resolve
            (nb_root / name).symlink_to(self.src / name)
        corpus = inc / "corpus"
        shutil.copytree(self.src / "seeds", corpus)
        self.inc = {"nochange": (inc / "nochange-out", inc / "nochange-cache"), "edit": (inc / "edit-out", inc / "edit-cache"),
                    "add": (inc / "add-out", inc / "add-cache"), "notebooks": nb_root / "notebooks", "corpus": corpus}
        primes = [self.brief(*self.inc["nochange"]), self.brief(*self.inc["edit"], notebooks=self.inc["notebooks"]),
                  self.brief(*self.inc["add"], corpus)]
        for r in primes:
            if r.rc != 0:
                log(f"  priming an incremental build failed: {(r.err or r.out)[-300:]}")

    def nochange(self) -> None:
        r = self.brief(*self.inc["nochange"])
        case = self.case("brief build, nothing changed")
        case.runs.append(r)
        case.extra.append({"output": r.out.strip().splitlines()[-1:] if r.out.strip() else []})

    def edit(self, k: int) -> None:
        edit_notebook(self.inc["notebooks"] / "20_xinjiang.ipynb", k)
        out, cache = self.inc["edit"]
        r = self.brief(out, cache, notebooks=self.inc["notebooks"])
        case = self.case("brief build, one notebook edited")
        case.runs.append(r)
        t = self.manifest(out).get("timings_s", {})
        budget = _budget(t, "20_xinjiang")
        case.extra.append({"timings_s": t, "budget_s": budget})

    def add_doc(self, k: int) -> None:
        synth.add_documents(self.inc["corpus"], 1, seed=k, pool=self.pool, tag="benchadd")
        r = self.brief(*self.inc["add"], self.inc["corpus"])
        case = self.case("brief build, one document added (seed corpus)")
        case.runs.append(r)
        case.extra.append(self.manifest(self.inc["add"][0]).get("timings_s", {}))

    # -- 4. large corpora -------------------------------------------------------------------------

    def make_corpora(self) -> None:
        self.pool = synth.Pool()
        self.corpora = {}
        for label, docs in (("small", self.args.docs_small), ("large", self.args.docs_large)):
            if label == "large" and "large" in self.args.skip:
                continue
            path = self.work / f"corpus-{docs}"
            info = synth.write_corpus(path, docs, seed=docs, pool=self.pool)
            self.corpora[label] = (path, docs, info["bytes"])
            log(f"  synthetic corpus: {docs} documents, {info['bytes'] / 1e6:.1f} MB")
        if "big" not in self.args.skip:  # issue 4: a 50 MB text file, built within bounded memory
            path = self.work / "corpus-50mb"
            self.corpora["big"] = (path, 1, synth.write_big_document(path, 50 * 10**6, pool=self.pool))
            log(f"  one document of {self.corpora['big'][2] / 1e6:.1f} MB")

    def corpus_stage(self, label: str, jobs: int = 1) -> None:
        path, docs, nbytes = self.corpora[label]
        work = self.fresh(f"stage{docs}")
        r = self.run([PY, HERE / "corpus_stage.py", path, "--cache", work / "cache", "--jobs", str(jobs)],
                     timeout=self.args.timeout_large)
        detail = _last_json(r.out)
        what = "one 50 MB document" if label == "big" else f"{docs:,} docs"
        workers = f", {jobs} jobs" if jobs > 1 else ""
        case = self.case(f"corpus stage, {what} ({nbytes / 1e6:.1f} MB){workers}")
        case.runs.append(r)
        case.extra.append(detail)
        self.done(work)

    def large_brief(self) -> None:
        path, docs, nbytes = self.corpora["large"]
        work = self.fresh(f"brief{docs}")
        r = self.brief(work / "out", work / "cache", path, timeout=self.args.timeout_large)
        case = self.case(f"brief build, {docs:,} docs, cold")
        case.runs.append(r)
        case.extra.append(self.manifest(work / "out").get("timings_s", {}))
        if r.rc == 0:
            self.info["large_html_bytes"] = (work / "out" / "brief.html").stat().st_size
            self.info["large_pdf_pages"] = pdf_pages(work / "out" / "brief.pdf")
        self.done(work)

    def small_add(self) -> None:
        path, docs, _ = self.corpora["small"]
        work = self.work / f"add{docs}"
        corpus = work / "corpus"
        shutil.copytree(path, corpus)
        # the set-up build of the add-one-document case may take longer than a timed case (2.5 x the limit)
        r = self.brief(work / "out", work / "cache", corpus, timeout=self.args.timeout_large * 2.5)
        self.case(f"brief build, {docs:,} docs, cold").runs.append(r)
        if r.rc == 0:
            self.info["small_html_bytes"] = (work / "out" / "brief.html").stat().st_size
            self.info["small_pdf_pages"] = pdf_pages(work / "out" / "brief.pdf")
        if r.rc != 0:
            return
        for k in range(self.args.n_large):
            synth.add_documents(corpus, 1, seed=100 + k, pool=self.pool, tag="benchadd")
            r = self.brief(work / "out", work / "cache", corpus, timeout=self.args.timeout_large)
            case = self.case(f"brief build, one document added to {docs:,} docs")
            case.runs.append(r)
            case.extra.append(self.manifest(work / "out").get("timings_s", {}))
        self.done(work)

    # -- profiles -----------------------------------------------------------------------------------

    def profiles(self) -> None:
        prof = HERE / "profiles"
        prof.mkdir(exist_ok=True)
        work = self.fresh("profile")
        log("profiling: cold build (parent process), floor (all analysis in one process), PDF child, imports")
        self.run([PY, "-m", "cProfile", "-o", prof / "cold-build-parent.prof", "-m", "pipeline.cli", "build", "--out", work / "out",
                  "--cache", work / "cache"], cwd=self.src)
        self.run([PY, HERE / "floor.py", work / "floor", "--profile", prof / "floor.prof"])
        html = work / "out" / "brief.html"
        if html.is_file():
            self.run([PY, "-m", "cProfile", "-o", prof / "pdf-child.prof", "-m", "pipeline.pdf", html, work / "p.pdf"], cwd=self.src)
        r = self.run([PY, "-X", "importtime", "-c", "import pipeline.cli, pipeline.build"], cwd=self.src)
        (prof / "importtime-build-parent.txt").write_text(r.err, encoding="utf-8")
        r = self.run([PY, "-X", "importtime", "-c", "import papermill, nbclient, nbformat, pipeline.sections, pipeline.session, "
                      "pipeline.overview, pipeline.synthesis, pipeline.charts, IPython"], cwd=self.src)
        (prof / "importtime-kernel-side.txt").write_text(r.err, encoding="utf-8")
        for label in ("large",):
            if label in getattr(self, "corpora", {}):
                path, docs, _ = self.corpora[label]
                self.run([PY, HERE / "corpus_stage.py", path, "--profile", prof / f"corpus-stage-{docs}.prof"],
                         timeout=self.args.timeout_large * 3)
                self.run([PY, HERE / "floor.py", work / f"floor{docs}", "--corpus", path, "--profile", prof / f"floor-{docs}.prof"],
                         timeout=self.args.timeout_large * 3)
        import pstats

        for f in sorted(prof.glob("*.prof")):
            with open(f.with_suffix(".txt"), "w", encoding="utf-8") as fh:
                st = pstats.Stats(str(f), stream=fh)
                st.sort_stats("cumulative").print_stats(40)
                st.sort_stats("tottime").print_stats(25)
        self.done(work)

    # -- the whole benchmark ------------------------------------------------------------------------

    def go(self) -> None:
        a = self.args
        self.info["machine"] = machine()
        self.info["date"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        log(f"benchmark work dir: {self.work}")
        log("warming up: matplotlib font cache, imports")
        self.run([PY, "-c", "import matplotlib.font_manager, pipeline.charts, nbformat, nbconvert, papermill, weasyprint"], cwd=self.src)
        self.make_corpora()
        if "seed" not in a.skip:
            self.setup_incremental()
            for i in range(a.n):
                log(f"round {i + 1}/{a.n}: naive chain, floor, cold build, nothing changed, notebook edited, document added")
                for env_name, bin_dir in self.naive_envs.items():
                    self.naive(env_name, bin_dir)
                self.floor()
                self.cold()
                self.nochange()
                self.edit(i + 1)
                self.add_doc(i + 1)
            log("cold build with a cold matplotlib font cache")
            self.cold_fonts()
        # The large cases run once each, for minutes: the machine's speed is checked before each group of them, since
        # other work on the machine can slow one group and not the next.
        self.speed_check("the corpus stages")
        for _ in range(a.n_large):
            log(f"corpus stage: {a.docs_small} documents, one and two workers")
            self.corpus_stage("small")
            self.corpus_stage("small", jobs=2)
            if "big" in self.corpora:
                log("corpus stage: one 50 MB document")
                self.corpus_stage("big")
            if "large" in self.corpora:
                log(f"corpus stage: {a.docs_large} documents")
                self.corpus_stage("large")
        if "large" in self.corpora:
            self.speed_check(f"the {a.docs_large:,}-document brief")
            for _ in range(a.n_large):
                log(f"whole brief: {a.docs_large} documents")
                self.large_brief()
        if "add" not in a.skip:
            self.speed_check(f"one document added to {a.docs_small:,}")
            log(f"one document added to {a.docs_small} documents")
            self.small_add()
        if a.profile:
            self.profiles()
        self.info["machine"]["loop_s_at_end"] = loop_seconds()

    def speed_check(self, before: str) -> None:
        self.info["machine"].setdefault("loop_s_before", []).append((before, loop_seconds()))

    # -- report -------------------------------------------------------------------------------------

    def report(self) -> str:
        pdf = "xelatex PDF" if self.use_xelatex else "weasyprint CLI PDF"
        naive = {env: (c.median if (c := self.cases.get(self.naive_case(env, pdf))) else None) for env in (NAIVE_JUPYTER, NAIVE_LEAN)}
        floor = self.cases.get("floor: plain Python, analysis + HTML + PDF")
        fm = floor.median if floor else None
        m = self.info["machine"]
        lines = ["# Benchmark: the brief build (issue 6)", "",
                 f"Run {self.info.get('date') or dt.datetime.now().strftime('%Y-%m-%d %H:%M')} with `{' '.join(self.info['command'])}`. "
                 f"Machine: {m['cores']} cores, {m['cpu']}, {m['ram_gib']} GiB RAM, Python {m['python']}, {m['os']}; "
                 f"load average at start {m['load_at_start'][0]:.2f}.", "",
                 f"Speed check (a fixed Python loop, best of 5, `loop_seconds`): {m.get('loop_s_at_start', '–')} s at the start, "
                 + "".join(f"{seconds} s before {before}, " for before, seconds in m.get("loop_s_before", []))
                 + f"{m.get('loop_s_at_end', '–')} s at the end. Runs at different loop times do not compare.", "",
                 "Whole-process wall times; median of n runs; peak MiB = largest sum of RSS over the process tree (the build, its "
                 "workers, kernels and the PDF child), sampled every 50 ms. The machine is shared (2 cores, other sessions run "
                 "tests): spreads of ±20 % are noise, compare ratios measured in the same run.", "",
                 "| case | median s | min–max | n | ratio vs naive (jupyter env) | ratio vs naive (lean env) | ratio vs floor | peak MiB |",
                 "|---|---|---|---|---|---|---|---|"]
        for case in self.cases.values():
            w = case.walls
            if w:
                med = statistics.median(w)
                cells = [f"{med:.2f}", f"{min(w):.2f}–{max(w):.2f}", f"{len(w)}",
                         *[f"{med / nm:.2f}" if nm else "–" for nm in naive.values()], f"{med / fm:.2f}" if fm else "–",
                         f"{case.peak:.0f}"]
            else:
                cells = ["–", "–", f"0/{len(case.runs)}", "–", "–", "–", f"{case.peak:.0f}" if case.peak else "–"]
            lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
        notes = [f"- **{c.name}**: {c.failures()}" for c in self.cases.values() if c.failures()]
        if notes:
            lines += ["", "Failed or stopped runs (not in the medians):", *notes]
        lines += ["", f"Naive chains: the {NAIVE_JUPYTER} has the whole `jupyter` metapackage with papermill (what `pip install jupyter "
                  f"papermill` gives, as issue 6 first measured it, {NAIVE_VENV.name}/); the {NAIVE_LEAN} is the build's own venv "
                  "(nbformat, nbclient, papermill, nbconvert, no JupyterLab), the stricter comparison."]
        lines += ["", "Ratios use the naive chains with " + ("the xelatex PDF" if self.use_xelatex else "the weasyprint CLI PDF")
                  + " and the floor **with** assembly, HTML and PDF (same outputs as the build). The “analysis only” floor row is "
                  "the same runs minus their assembly+HTML and PDF phases."]
        if self.naive_note:
            lines.append(f"Note: {self.naive_note}.")
        if self.xelatex_note:
            lines.append(f"Note: {self.xelatex_note}.")
        # sizes
        mb = lambda b: f"{b / 2**20:.2f} MiB" if b else "–"  # noqa: E731
        lines += ["", "| brief | HTML size | PDF pages |", "|---|---|---|",
                  f"| seed corpus (5 documents) | {mb(self.info.get('seed_html_bytes'))} | {self.info.get('seed_pdf_pages') or '–'} |"]
        if self.info.get("small_html_bytes"):
            lines.append(f"| {self.args.docs_small:,} documents | {mb(self.info.get('small_html_bytes'))} | "
                         f"{self.info.get('small_pdf_pages') or '–'} |")
        if f"brief build, {self.args.docs_large:,} docs, cold" in self.cases:
            lines.append(f"| {self.args.docs_large:,} documents | {mb(self.info.get('large_html_bytes'))} | "
                         f"{self.info.get('large_pdf_pages') or '–'} |")
        pages = self.info.get("naive_pdf_pages")
        if pages:
            lines.append(f"| naive chain, seed corpus | (nbconvert HTML) | xelatex {pages.get('xelatex') or '–'}, "
                         f"weasyprint {pages.get('weasyprint') or '–'} |")
        lines += ["", *self.targets(naive, fm), "", *self.breakdowns()]
        return "\n".join(lines) + "\n"

    def targets(self, naive: dict[str, float | None], fm: float | None) -> list[str]:
        out = ["## Targets of issue 6", "", "| target | measured | verdict |", "|---|---|---|"]

        def row(name: str, measured: str, ok: bool | None) -> None:
            out.append(f"| {name} | {measured} | {'PASS' if ok else 'FAIL' if ok is not None else 'not measured'} |")

        cold = self.cases.get("brief build, cold")
        cm = cold.median if cold else None
        for env, nm in naive.items():
            row(f"cold build ≤ 0.3 × naive chain ({env})", f"{cm:.1f} s vs 0.3 × {nm:.1f} s = {0.3 * nm:.1f} s" if cm and nm else "–",
                cm <= 0.3 * nm if cm and nm else None)
        row("cold build ≤ 2.5 × floor", f"{cm:.1f} s vs 2.5 × {fm:.1f} s = {2.5 * fm:.1f} s" if cm and fm else "–",
            cm <= 2.5 * fm if cm and fm else None)
        c = self.cases.get("brief build, nothing changed")
        row("nothing changed < 0.5 s", f"{c.median:.2f} s" if c and c.median else "–", c.median < 0.5 if c and c.median else None)
        c = self.cases.get("brief build, one notebook edited")
        if c and c.median:
            budgets = [e["budget_s"] for e, r in zip(c.extra, c.runs) if e.get("budget_s") and r.rc == 0]
            b = statistics.median(budgets) if budgets else None
            totals = [e["timings_s"].get("total") for e, r in zip(c.extra, c.runs) if r.rc == 0 and e.get("timings_s", {}).get("total")]
            own = f" (build's own total {statistics.median(totals):.1f} s)" if totals else ""
            row("one notebook edited ≤ its run + assembly + export (manifest timings_s)",
                f"{c.median:.1f} s whole process{own} vs {b:.1f} s" if b else f"{c.median:.1f} s (no timings in manifest)",
                c.median <= b if b else None)
            # The same budget with the notebook's run measured outside the build: papermill running it alone in the
            # lean env, in this benchmark's naive chain (process, imports and kernel start included).
            naive = self.cases.get(self.naive_case(NAIVE_LEAN, "xelatex PDF" if self.use_xelatex else "weasyprint CLI PDF"))
            alone = [e.get("papermill 20_xinjiang") for e in (naive.extra if naive else []) if e.get("papermill 20_xinjiang")]
            rest = [e["budget_s"] - e["timings_s"]["20_xinjiang"] for e, r in zip(c.extra, c.runs)
                    if e.get("budget_s") and r.rc == 0]
            if alone and rest:
                b2 = statistics.median(alone) + statistics.median(rest)
                row("one notebook edited ≤ papermill run of that notebook alone (naive chain, lean env) + assembly + export",
                    f"{c.median:.1f} s vs {statistics.median(alone):.1f} + {statistics.median(rest):.1f} = {b2:.1f} s", c.median <= b2)
        else:
            row("one notebook edited ≤ its run + assembly + export", "–", None)
        small = self.args.docs_small
        c = self.cases.get(f"brief build, one document added to {small:,} docs")
        setup = self.cases.get(f"brief build, {small:,} docs, cold")
        why = f"– (set-up build of {small:,} docs: {setup.failures()})" if setup and setup.failures() else "–"
        row(f"one document added to {small:,} docs < 15 s", f"{c.median:.1f} s" if c and c.median else why,
            c.median < 15 if c and c.median else None)
        # DESIGN.md's corpus stage is validate, decode, clean, segment; the build's first step adds coding and
        # extraction. Both rates are shown, each with its verdict.
        for key, what in (("mb_per_s", "corpus, coding and extraction (the build's first step)"),
                          ("mb_per_s_load_corpus", "corpus stage as DESIGN.md draws it (validate, decode, clean, segment)")):
            rates, bounds = [], []
            for case in self.cases.values():
                if case.name.startswith("corpus stage") and "jobs" not in case.name:
                    label = case.name.removeprefix("corpus stage, ")
                    r = [e.get(key) for e in case.extra if e and e.get(key)]
                    if r:
                        rates.append((label, statistics.median(r)))
                    elif case.runs and all(x.timed_out for x in case.runs):  # stopped: an upper bound on the rate
                        mb = float(re.search(r"\(([\d.]+) MB\)", case.name).group(1))
                        bounds.append((label, mb / max(x.wall for x in case.runs)))
            text = "; ".join([f"{n}: {v:.2f} MB/s" for n, v in rates] + [f"{n}: < {v:.2f} MB/s (stopped)" for n, v in bounds])
            row(f"{what} ≥ 2 MB/s (one core)", text or "–",
                min(v for _, v in rates + bounds) >= 2 and not bounds if rates or bounds else None)
        large = self.args.docs_large
        c = self.cases.get(f"brief build, {large:,} docs, cold")
        row(f"{large:,}-document brief < 120 s", f"{c.median:.0f} s" if c and c.median else (c.failures() if c else "–"),
            (c.median < 120) if c and c.median else (False if c and c.runs else None))
        if c and c.median:
            row(f"{large:,}-document brief < 2 GB memory", f"{c.peak:.0f} MiB (tree), {c.max_proc:.0f} MiB (largest process)",
                c.peak < 2048)
        elif c and c.peak:  # the run was stopped: memory above 2 GB is a FAIL, below it proves nothing
            row(f"{large:,}-document brief < 2 GB memory", f"{c.peak:.0f} MiB (tree) when the run was stopped",
                False if c.peak >= 2048 else None)
        else:
            row(f"{large:,}-document brief < 2 GB memory", "–", None)
        h, p = self.info.get("large_html_bytes"), self.info.get("large_pdf_pages")
        row(f"HTML < 5 MB at {large:,} docs", f"{h / 1e6:.2f} MB" if h else "–", h < 5e6 if h else None)
        row(f"PDF < 60 pages at {large:,} docs", f"{p}" if p else "–", p < 60 if p else None)
        return out

    def breakdowns(self) -> list[str]:
        out = ["## Where the time goes (per-step medians from the same runs)", ""]
        for case in self.cases.values():
            rows = [e for e in case.extra if isinstance(e, dict) and e]
            if not rows or case.name.endswith("nothing changed"):
                continue
            if "timings_s" in rows[0]:
                rows = [e["timings_s"] for e in rows if e.get("timings_s")]
            keys: list[str] = []
            for e in rows:
                keys += [k for k, v in e.items() if isinstance(v, (int, float)) and k not in keys]
            if not keys:
                continue
            parts = [f"{k} {statistics.median([e[k] for e in rows if isinstance(e.get(k), (int, float))]):.2f}" for k in keys]
            out.append(f"- {case.name}: " + "; ".join(parts))
        nc = self.cases.get("brief build, nothing changed")
        if nc and nc.extra:
            out.append(f"- brief build, nothing changed: last line printed: {nc.extra[-1].get('output')}")
        return out


def edit_notebook(path: Path, k: int) -> None:
    """Edit ``k`` of a notebook, as an analyst's: the text of its first markdown cell changes (and its jupytext pair's)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    src = "".join(cell["source"]).rstrip("\n")
    cell["source"] = re.sub(r" \(benchmark edit \d+\)$", "", src) + f" (benchmark edit {k})"
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paired = path.with_suffix(".py")  # a jupytext pair, if the project keeps one, gets the same edit
    if paired.is_file():
        lines = paired.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# %% [markdown]"):
                j = i + 1
                while j + 1 < len(lines) and lines[j + 1].startswith("#"):
                    j += 1
                lines[j] = re.sub(r" \(benchmark edit \d+\)$", "", lines[j]) + f" (benchmark edit {k})"
                break
        paired.write_text("\n".join(lines) + "\n", encoding="utf-8")


def snapshot(dest: Path) -> Path:
    """A frozen copy of the working tree's code and inputs, so that edits made by others while the benchmark runs
    neither change the code measured nor invalidate the caches of the incremental cases."""
    dest.mkdir(parents=True)
    for name in ("pipeline", "notebooks", "seeds", "codebook", "eval"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for name in ("pyproject.toml",):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    subprocess.run([PY, "-m", "compileall", "-q", str(dest / "pipeline")], check=False)
    return dest


def _budget(timings: dict, part: str) -> float | None:
    """That notebook's run + assembly + export, from the manifest's timings_s (key names may change: matched loosely)."""
    if part not in timings:
        return None
    assemble = sum(v for k, v in timings.items() if isinstance(v, (int, float)) and (k.startswith("assemble") or "HTML" in k))
    pdf = sum(v for k, v in timings.items() if isinstance(v, (int, float)) and k.upper().startswith("PDF"))
    return timings[part] + assemble + pdf


def _last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return {}
    return {}


def from_json(path: Path, args: argparse.Namespace) -> str:
    """The report of an earlier run, from its results.json (no benchmark is run)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    bench = Bench.__new__(Bench)
    bench.args, bench.info = args, data["info"]
    bench.use_xelatex = data["info"].get("use_xelatex", True)
    bench.xelatex_note, bench.naive_note = ([*(data["info"].get("notes") or []), "", ""])[:2]
    bench.cases = {}
    for name, c in data["cases"].items():
        case = bench.case(name)
        timed_out = c.get("timed_out") or [rc == -9 for rc in c["rc"]]
        case.runs = [Run(w, p, m, rc, timed_out=t) for w, p, m, rc, t in zip(c["walls"], c["peak_tree_mib"], c["max_proc_mib"], c["rc"], timed_out)]
        case.extra = c["extra"]
    return bench.report()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark the brief build (issue 6).")
    ap.add_argument("--n", type=int, default=3, help="runs per seed-corpus case (default 3)")
    ap.add_argument("--n-large", type=int, default=1, help="runs per large-corpus case (default 1)")
    ap.add_argument("--docs-small", type=int, default=1000)
    ap.add_argument("--docs-large", type=int, default=10000)
    ap.add_argument("--no-snapshot", dest="snapshot", action="store_false",
                    help="run the live working tree instead of a frozen copy (edits made during the run then count)")
    ap.add_argument("--timeout-large", type=float, default=240, help="seconds before a large-corpus run is stopped (FAIL)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["seed", "large", "add", "big"], help="leave out groups of cases")
    ap.add_argument("--no-jupyter-env", action="store_true",
                    help=f"run the naive chain in the lean env only (no {NAIVE_VENV.name} with the jupyter metapackage)")
    ap.add_argument("--no-xelatex", action="store_true", help="naive chain PDF with the weasyprint CLI; do not install TeX")
    ap.add_argument("--profile", action="store_true", help="also write cProfile/importtime profiles to benchmarks/profiles/")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    ap.add_argument("--workdir", default=None, help="parent of the temporary work directory (default: system temp)")
    ap.add_argument("--results", type=Path, default=HERE / "results.md", help="Markdown copy of the table")
    ap.add_argument("--from-json", type=Path, default=None, help="print the table of an earlier run's results.json; run nothing")
    args = ap.parse_args(argv)
    if args.from_json:
        print(from_json(args.from_json, args))
        return 0
    bench = Bench(args)
    bench.info["command"] = [Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]
    try:
        bench.go()
    except KeyboardInterrupt:
        log("interrupted: reporting what was measured")
    finally:
        text = bench.report()
        print(text)
        args.results.write_text(text, encoding="utf-8")
        raw = {name: {"walls": [r.wall for r in c.runs], "rc": [r.rc for r in c.runs], "peak_tree_mib": [r.peak_tree_mib for r in c.runs],
                      "max_proc_mib": [r.max_proc_mib for r in c.runs], "timed_out": [r.timed_out for r in c.runs], "extra": c.extra}
               for name, c in bench.cases.items()}
        bench.info["use_xelatex"], bench.info["notes"] = bench.use_xelatex, [bench.xelatex_note, bench.naive_note]
        args.results.with_suffix(".json").write_text(json.dumps({"info": bench.info, "cases": raw}, indent=1, default=str), encoding="utf-8")
        log(f"written: {args.results} and {args.results.with_suffix('.json')}")
        if not args.keep:
            shutil.rmtree(bench.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
