"""Fixtures shared by the end-to-end tests: one build of the seed corpus per test session."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.build import BuildResult, build
from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS, Settings


@dataclass
class SeedBuild:
    settings: Settings
    result: BuildResult
    log: list[str]
    deferred_left: list[str]  # undrawn PNG files (charts.publish) anywhere under out/ or the cache, right after the build
    cache_as_built: Path  # a copy of the cache right after the build


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> SeedBuild:
    """The seed brief built once into a temporary reports/ with its own cache (about 15 s)."""
    root = tmp_path_factory.mktemp("seed-build")
    settings = Settings(corpus=DEFAULT_CORPUS, out=root / "reports", codebook=DEFAULT_CODEBOOK, cache=root / "cache", jobs=2)
    log: list[str] = []
    result = build(settings, log=log.append)
    # Recorded now: fault tests later share the cache, and a build they make fail leaves undrawn PNGs in it by design
    # (in the entries of this build too: they run the same notebooks on the same corpus).
    left = [str(p) for root in (settings.out, settings.cache) for p in root.rglob("*.deferred")]
    shutil.copytree(settings.cache, root / "cache-as-built")
    return SeedBuild(settings, result, log, left, root / "cache-as-built")
