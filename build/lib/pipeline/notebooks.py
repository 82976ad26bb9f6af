"""The notebooks' parameters as the build sees them, checked before any kernel starts.

A mistake here (a parameter the build passes but the notebook never declares, a theme the codebook does
not define) would otherwise surface minutes later as a failed cell, or not at all.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

from .config import PARTS, Part, Settings
from .errors import ConfigError

def notebook_parameters(part: Part, settings: Settings, part_dir: Path, staging: Path) -> dict:
    """What the build passes to a notebook's parameters cell (``check`` makes sure each is declared)."""
    params = {"corpus_dir": str(settings.corpus), "codebook_dir": str(settings.codebook), "out_dir": str(part_dir),
              "cache_dir": str(settings.cache)}
    if part.theme:
        params["theme"] = part.theme
    if part.stage > 0:
        params["findings_dir"] = str(staging / "findings")
    return params


def parameters(path: Path) -> dict[str, tuple[object, int]]:
    """The names the cell tagged ``parameters`` assigns: name -> (literal value or None, line in the cell)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise ConfigError(f"{path}: no cell is tagged 'parameters': tag the cell that holds the notebook's defaults")
    try:
        tree = ast.parse("".join(tagged[0]["source"]))
    except SyntaxError as exc:
        raise ConfigError(f"{path}, parameters cell line {exc.lineno}: {exc.msg}: fix the cell") from None
    found: dict[str, tuple[object, int]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            try:
                value = ast.literal_eval(node.value) if node.value is not None else None
            except ValueError:
                value = None
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = (value, node.lineno)
    return found


def check(settings: Settings, themes: list[str]) -> None:
    """Raise ConfigError listing every notebook whose parameters the build cannot honestly run."""
    problems = []
    known = ", ".join(themes)
    for part in PARTS:
        path = part.path(settings.notebooks)
        declared = parameters(path)
        passed = notebook_parameters(part, settings, Path(), Path())
        problems += [f"{path}: the parameters cell does not define '{name}', which the build passes: add a default for it"
                     for name in passed if name not in declared]
        if part.theme and part.theme not in themes:
            problems.append(f"pipeline/config.py: notebook {part.name} is set to theme '{part.theme}', which the codebook "
                            f"does not define (themes: {known}): add it to codebook/themes.yaml or correct PARTS")
        default, line = declared.get("theme", (None, 0))
        if part.theme and isinstance(default, str) and default not in themes:
            problems.append(f"{path}, parameters cell line {line}: theme = '{default}' is not a theme of the codebook "
                            f"(themes: {known}): correct it")
    if problems:
        raise ConfigError("; ".join(problems) if len(problems) == 1 else f"{len(problems)} notebook problems: " + "; ".join(problems))
