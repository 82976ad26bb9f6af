"""Fixtures shared by the end-to-end tests: one build of the seed corpus per test session."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from pipeline.build import BuildResult, build
from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS, Settings


@dataclass
class SeedBuild:
    settings: Settings
    result: BuildResult
    log: list[str]


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory) -> SeedBuild:
    """The seed brief built once into a temporary reports/ with its own cache (about 15 s)."""
    root = tmp_path_factory.mktemp("seed-build")
    settings = Settings(corpus=DEFAULT_CORPUS, out=root / "reports", codebook=DEFAULT_CODEBOOK, cache=root / "cache", jobs=2)
    log: list[str] = []
    return SeedBuild(settings, build(settings, log=log.append), log)
