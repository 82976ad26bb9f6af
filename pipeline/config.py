"""Settings in one place: project paths, the parts of the brief, build options. Validated on creation."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DEFAULT_CORPUS = PROJECT_ROOT / "seeds"
DEFAULT_CODEBOOK = PROJECT_ROOT / "codebook"
DEFAULT_OUT = PROJECT_ROOT / "reports"
DEFAULT_CACHE = PROJECT_ROOT / ".cache"
BRIEF_TITLE = "Kazakhstan between Russia and China"
# Set by the build in its notebook kernels when it renders a PDF: charts.publish then leaves each PNG for the build to
# draw while the PDF renders, on the core the PDF leaves free (charts.draw_deferred).
DEFER_PNG_ENV = "BRIEF_DEFER_PNG"
DEFERRED_PNG = ".png.deferred"  # a chart whose PNG is still to draw: its pickled figure and style


@dataclass(frozen=True)
class Part:
    """One notebook of the brief. ``stage`` 0 runs first (in parallel), stage 1 after it."""

    name: str  # notebook file stem, e.g. "10_russian_soft_power"
    stage: int
    theme: str | None = None

    def path(self, notebooks: Path = NOTEBOOKS_DIR) -> Path:
        return notebooks / f"{self.name}.ipynb"


# Reading order of the brief is: synthesis, overview, themes, appendix (see assemble.py);
# execution order is: overview and themes in parallel, then the synthesis that reads their findings.
PARTS: tuple[Part, ...] = (
    Part("00_corpus_overview", 0),
    Part("10_russian_soft_power", 0, "russian_soft_power"),
    Part("20_xinjiang", 0, "xinjiang"),
    Part("30_eaeu_vs_bri", 0, "eaeu_vs_bri"),
    Part("40_csto_perception", 0, "csto_perception"),
    Part("90_synthesis", 1),
)


@dataclass(frozen=True)
class Settings:
    corpus: Path = DEFAULT_CORPUS
    out: Path = DEFAULT_OUT
    codebook: Path = DEFAULT_CODEBOOK
    cache: Path = DEFAULT_CACHE
    notebooks: Path = NOTEBOOKS_DIR
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    cell_timeout: int = 600  # seconds one cell may run before the build stops
    pdf: bool = True
    force: bool = False

    def __post_init__(self) -> None:
        for name in ("corpus", "out", "codebook", "cache", "notebooks"):
            object.__setattr__(self, name, Path(getattr(self, name)).expanduser().resolve())
        if not self.corpus.is_dir():
            raise ConfigError(f"corpus directory {self.corpus} does not exist: pass --corpus DIR")
        if not (self.codebook / "themes.yaml").is_file():
            raise ConfigError(f"no codebook at {self.codebook / 'themes.yaml'}: pass --codebook DIR")
        missing = [p.name for p in PARTS if not p.path(self.notebooks).is_file()]
        if missing:
            fix = "restore them (git checkout notebooks/)" if self.notebooks == NOTEBOOKS_DIR.resolve() else \
                "copy them there (same names) or pass another --notebooks DIR"
            raise ConfigError(f"notebook(s) {', '.join(missing)} missing from {self.notebooks}: {fix}")
        if self.jobs < 1:
            raise ConfigError(f"--jobs must be at least 1, not {self.jobs}")
        if self.cell_timeout < 1:
            raise ConfigError(f"--timeout must be at least 1 second, not {self.cell_timeout}")
        if self.out == self.corpus or self.corpus.is_relative_to(self.out):
            raise ConfigError(f"output directory {self.out} must not contain the corpus: pass another --out")
