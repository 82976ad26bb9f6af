"""Parallel builds are as reliable as sequential ones: no port, file or kernel-start race, and the same brief each time."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from pipeline.config import PROJECT_ROOT

BRIEF = Path(sys.executable).with_name("brief")
# Each round: two forced builds at once, sharing one cache; 2 kernels each on a 2-core machine.
# BRIEF_PARALLEL_ROUNDS=20 makes a longer hunt for flaky failures.
ROUNDS = int(os.environ.get("BRIEF_PARALLEL_ROUNDS", "3"))


def start(out: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BRIEF), "build", "--out", str(out), "--cache", str(cache), "--jobs", "2", "--force", "--no-pdf"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)


def test_concurrent_forced_builds_all_succeed_with_identical_briefs(tmp_path):
    cache = tmp_path / "cache"
    digests, failures = set(), []
    for round_ in range(ROUNDS):
        builds = [(tmp_path / f"out-{round_}-{i}", None) for i in range(2)]
        builds = [(out, start(out, cache)) for out, _ in builds]
        for out, proc in builds:
            stdout, stderr = proc.communicate(timeout=600)
            if proc.returncode != 0:
                failures.append(f"{out.name}: exit {proc.returncode}: {stderr.strip()[-500:]}")
                continue
            digests.add(hashlib.sha256((out / "brief.html").read_bytes()).hexdigest())
            assert not (out / ".staging").exists() and not (out / "failed").exists()
    assert failures == []
    assert len(digests) == 1  # same inputs, same brief, however the notebooks were scheduled


def entry(path: Path, text: str) -> Path:
    (path / "findings").mkdir(parents=True)
    (path / "part.ipynb").write_text(text, encoding="utf-8")
    return path


def test_storing_a_result_replaces_the_cache_entry_whole_and_leaves_nothing_behind(tmp_path):
    from pipeline.build import Builder

    cached = entry(tmp_path / "cache" / "key", "old result")
    Builder._store(entry(tmp_path / "part", "new result"), cached)
    assert (cached / "part.ipynb").read_text(encoding="utf-8") == "new result"
    assert sorted(p.name for p in cached.parent.iterdir()) == ["key"]


def test_a_build_that_finds_another_builds_entry_stored_meanwhile_keeps_it(tmp_path, monkeypatch):
    """Two builds sharing a cache stored one key at once: the second's rename met the first's entry (it failed with
    "Directory not empty" and the whole build with it)."""
    from pipeline.build import Builder

    cached = tmp_path / "cache" / "key"
    cached.parent.mkdir()
    rename = Path.rename

    def other_build_first(self, target):
        if Path(target) == cached and self.name.endswith(".tmp") and not cached.exists():
            entry(cached, "the other build's result")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", other_build_first)
    Builder._store(entry(tmp_path / "part", "this build's result"), cached)
    assert (cached / "part.ipynb").read_text(encoding="utf-8") == "the other build's result"
    assert sorted(p.name for p in cached.parent.iterdir()) == ["key"]
