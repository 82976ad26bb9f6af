"""Faults during a build: each leaves the previous brief in place, byte for byte, and says what happened.

The seed build is shared with the other end-to-end tests (conftest.py); tests that must publish (or may be killed half-way) work on a copy
of its output directory and share its notebook cache, so their builds reuse the cached notebooks.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
import yaml

from pipeline.build import build, build_lock
from pipeline.config import DEFAULT_CORPUS, NOTEBOOKS_DIR, PROJECT_ROOT, Settings
from pipeline.errors import BuildLocked, NotebookFailed

BRIEF = Path(sys.executable).with_name("brief")  # the console script installed in .venv/bin
PUBLISHED = ("brief.html", "brief.pdf", "manifest.json")


def tree(out: Path) -> dict[str, str]:
    """Every file a reader can see in the output directory (staging, lock and failed/ excepted), by content."""
    files = {}
    for f in sorted(out.rglob("*")):
        rel = f.relative_to(out)
        if f.is_file() and rel.parts[0] not in (".staging", ".lock", "failed"):
            files[rel.as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    return files


def published(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in PUBLISHED}


def staging_left(out: Path) -> list[Path]:
    return list((out / ".staging").rglob("*")) if (out / ".staging").exists() else []


@pytest.fixture(scope="module")
def base(seed_build):
    """The shared seed build, with what a reader sees of it recorded before any fault test runs."""
    settings = seed_build.settings
    assert seed_build.result.pdf
    return settings, published(settings.out), tree(settings.out)


@pytest.fixture
def copy(base, tmp_path):
    """A copy of the good build's output directory, with the same settings otherwise."""
    settings = base[0]
    out = tmp_path / "reports"
    shutil.copytree(settings.out, out)
    return replace(settings, out=out)


def with_notebooks(settings: Settings, tmp_path: Path, name: str, code: str, **changes) -> Settings:
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, notebooks)
    nb = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, notebooks / f"{name}.ipynb")
    return replace(settings, notebooks=notebooks, **changes)


def assert_previous_kept(base) -> None:
    settings, before, before_tree = base
    assert published(settings.out) == before
    assert tree(settings.out) == before_tree
    assert staging_left(settings.out) == []


# -- notebooks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("notebook, code, changes, expect", [
    ("20_xinjiang", "raise RuntimeError('deliberate failure for the test')", {}, "RuntimeError: deliberate failure for the test"),
    ("30_eaeu_vs_bri", "import os; os._exit(1)", {}, "the kernel died"),
    ("20_xinjiang", "import time; time.sleep(60)", {"cell_timeout": 3}, "longer than 3 s"),
    ("90_synthesis", "raise RuntimeError('the last stage fails')", {}, "RuntimeError: the last stage fails"),
], ids=["raises", "kernel-dies", "timeout", "last-stage"])
def test_failing_notebook_stops_the_build_naming_it_and_keeps_the_previous_brief(base, tmp_path, notebook, code, changes, expect):
    broken = with_notebooks(base[0], tmp_path, notebook, code, **changes)
    with pytest.raises(NotebookFailed) as info:
        build(broken, log=lambda line: None)
    message = str(info.value)
    assert notebook in message and expect in message
    saved = Path(info.value.saved_at)
    assert saved.parent == base[0].out / "failed" and str(saved) in message
    # The cell the message names is the one that failed (papermill's own error-banner cells aside).
    cells = [c for c in nbformat.read(saved, as_version=4).cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    assert f"in cell {info.value.cell}:" in message and cells[info.value.cell].source == code
    assert_previous_kept(base)
    assert not children_printing(base[0].out)  # the PDF child started during the last stage was stopped


def children_printing(out: Path) -> list[str]:
    """Command lines of live PDF children working for this output directory."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"pipeline.pdf" in args and any(str(out).encode() in a for a in args):
            found.append(b" ".join(args).decode(errors="replace"))
    return found


# -- concurrency -----------------------------------------------------------------------------------

def test_second_build_on_the_same_output_refuses_at_once(base):
    settings = base[0]
    lines: list[str] = []
    with build_lock(settings.out):
        with pytest.raises(BuildLocked) as info:
            build(replace(settings, force=True), log=lines.append)  # forced: an up-to-date build would not need the lock
    message = str(info.value)
    assert "another build is running" in message and f"pid {os.getpid()}" in message
    assert info.value.exit_code == 75
    assert not [line for line in lines if any(part.stem in line for part in NOTEBOOKS_DIR.glob("*.ipynb"))]  # none ran
    assert_previous_kept(base)


# -- killed and interrupted builds -----------------------------------------------------------------

def start_cli_build(settings: Settings, *extra: str) -> subprocess.Popen:
    cmd = [str(BRIEF), "build", "--out", str(settings.out), "--cache", str(settings.cache), "--jobs", "2", "--no-pdf", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            cwd=PROJECT_ROOT)


def wait_until_notebooks_run(out: Path, proc: subprocess.Popen, limit: float = 120) -> None:
    """Poll until a notebook is executing inside the staging directory (its output notebook exists)."""
    deadline = time.monotonic() + limit
    while not list((out / ".staging").glob("*/parts/*/*.ipynb")):
        assert proc.poll() is None, f"the build ended before it was stopped: {proc.communicate()}"
        assert time.monotonic() < deadline, "no notebook started"
        time.sleep(0.02)


def group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def wait_group_gone(pgid: int, limit: float = 30) -> list[int]:
    """Poll until no live process is left in the group (the build's pool workers die with it)."""
    deadline = time.monotonic() + limit
    while (left := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kernel_processes() -> set[int]:
    """Live kernels and kernel fork servers of any build (each in a session of its own, outside the build's group)."""
    found = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (b"ipykernel_launcher" in argv or b"pipeline.kernels" in argv):
            found.add(int(cmdline.parent.name))
    return found


def wait_kernels_gone(before: set[int], limit: float = 30) -> set[int]:
    deadline = time.monotonic() + limit
    while (left := kernel_processes() - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def reap_group(proc: subprocess.Popen) -> None:
    """Kill what is left of the process group this test started (orphaned pool workers and kernels)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.parametrize("sig, code", [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130)], ids=["SIGKILL", "SIGINT"])
def test_killed_or_interrupted_build_keeps_previous_and_next_build_needs_no_cleanup(copy, sig, code):
    before, before_tree = published(copy.out), tree(copy.out)
    kernels_before = kernel_processes()
    proc = start_cli_build(copy, "--force")  # --force: notebooks really run, so the stop lands mid-build
    try:
        wait_until_notebooks_run(copy.out, proc)
        assert kernel_processes() - kernels_before, "no kernel seen while the notebooks ran"
        os.kill(proc.pid, sig)
        proc.wait(timeout=120)  # not communicate(): orphaned workers would hold the pipes open
        assert wait_group_gone(proc.pid) == [], "notebook workers outlived the build"
        assert wait_kernels_gone(kernels_before) == set(), "kernels or their fork server outlived the build"
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == code, stderr
        if sig == signal.SIGINT:
            assert "brief: interrupted; the previous brief is unchanged" in stderr and "Traceback" not in stderr
            assert staging_left(copy.out) == []
        assert published(copy.out) == before
        assert tree(copy.out) == before_tree  # nothing half-written beside the brief
    finally:
        reap_group(proc)
    after = start_cli_build(copy)
    try:
        stdout, stderr = after.communicate(timeout=300)
    finally:
        reap_group(after)
    assert after.returncode == 0, stderr
    assert "Done in" in stdout
    assert staging_left(copy.out) == [] and not (copy.out / ".staging").exists()
    manifest = json.loads((copy.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pdf"] is False and (copy.out / "brief.html").stat().st_size > 10_000
    assert not (copy.out / "brief.pdf").exists()  # --no-pdf: the old PDF does not pass for this build's
    assert "PNGs, data/ and notebooks/ " in stdout and "PDF renders" not in stdout  # no step waits on a PDF


# -- export faults ---------------------------------------------------------------------------------

@pytest.fixture
def no_weasyprint(tmp_path, monkeypatch):
    """The PDF child (python -m pipeline.pdf) finds a WeasyPrint whose import fails, as with missing libraries."""
    fake = tmp_path / "fake-site" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise OSError('cannot load library libpango-1.0-0')\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))
    return fake.parent


def test_pdf_engine_unavailable_publishes_html_and_removes_old_pdf(copy, no_weasyprint):
    assert (copy.out / "brief.pdf").is_file()
    old_manifest = (copy.out / "manifest.json").read_bytes()
    lines: list[str] = []
    result = build(replace(copy, force=True), log=lines.append)  # forced: the inputs are the published brief's
    assert result.pdf is False
    assert (copy.out / "brief.html").read_bytes().startswith(b"<!DOCTYPE html>")
    assert json.loads((copy.out / "manifest.json").read_text(encoding="utf-8"))["pdf"] is False
    assert (copy.out / "manifest.json").read_bytes() != old_manifest  # this build was published
    assert not (copy.out / "brief.pdf").exists()
    warning = " ".join(result.warnings)
    assert "PDF not written" in warning and "pip install weasyprint" in warning and "libpango" in warning
    assert staging_left(copy.out) == []


def test_cli_exits_3_when_pdf_engine_unavailable(copy, no_weasyprint):
    done = subprocess.run([str(BRIEF), "build", "--out", str(copy.out), "--cache", str(copy.cache), "--jobs", "2", "--force"],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert done.returncode == 3, done.stderr
    assert "pip install weasyprint" in done.stdout
    assert (copy.out / "brief.html").is_file() and not (copy.out / "brief.pdf").exists()


def test_disk_full_while_writing_the_brief_keeps_previous(base, monkeypatch):
    real_write_text = pathlib.Path.write_text

    def full_disk(self, data, *args, **kwargs):
        if self.name == "brief.html":
            real_write_text(self, data[: len(data) // 2], *args, **kwargs)  # a truncated file, then the error
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", full_disk)
    with pytest.raises(OSError) as info:
        build(replace(base[0], force=True), log=lambda line: None)
    assert info.value.errno == errno.ENOSPC
    assert not (base[0].out / ".staging").exists()
    assert_previous_kept(base)


# -- CLI -------------------------------------------------------------------------------------------

def test_cli_reports_bad_metadata_in_one_line(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    meta = yaml.safe_load((corpus / "metadata.yaml").read_text(encoding="utf-8"))
    meta["documents"][2]["date"] = "2024-13-40"
    (corpus / "metadata.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    done = subprocess.run([str(BRIEF), "build", "--corpus", str(corpus), "--out", str(tmp_path / "reports"),
                           "--cache", str(tmp_path / "cache"), "--no-pdf"],
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("brief: error: ") and "metadata.yaml" in lines[0] and "'date'" in lines[0]
    assert "Traceback" not in done.stderr and not (tmp_path / "reports" / "brief.html").exists()
