"""Notebook parameters are checked before any kernel starts: each problem names the notebook, the line and the fix."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from pipeline.build import build
from pipeline.cli import main
from pipeline.config import DEFAULT_CODEBOOK, NOTEBOOKS_DIR, Settings
from pipeline.errors import ConfigError
from pipeline.notebooks import check, parameters

THEMES = ["russian_soft_power", "xinjiang", "eaeu_vs_bri", "csto_perception"]


@pytest.fixture
def notebooks(tmp_path) -> Path:
    shutil.copytree(NOTEBOOKS_DIR, tmp_path / "notebooks")
    return tmp_path / "notebooks"


def edit_parameters(path: Path, old: str, new: str) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, path)


def test_the_project_notebooks_pass(notebooks):
    check(Settings(notebooks=notebooks), THEMES)


def test_parameters_are_read_with_their_line():
    declared = parameters(NOTEBOOKS_DIR / "20_xinjiang.ipynb")
    value, line = declared["theme"]
    assert value == "xinjiang" and line > 1


def test_an_unknown_theme_in_a_notebooks_parameters_names_the_file_and_line(notebooks):
    edit_parameters(notebooks / "20_xinjiang.ipynb", 'theme = "xinjiang"', 'theme = "xinjang"')
    with pytest.raises(ConfigError) as info:
        check(Settings(notebooks=notebooks), THEMES)
    message = str(info.value)
    line = parameters(notebooks / "20_xinjiang.ipynb")["theme"][1]
    assert f"20_xinjiang.ipynb, parameters cell line {line}: theme = 'xinjang'" in message
    assert "themes: russian_soft_power, xinjiang" in message


def test_a_theme_the_codebook_lost_stops_the_build_before_any_kernel(tmp_path, capsys):
    codebook = tmp_path / "codebook"
    shutil.copytree(DEFAULT_CODEBOOK, codebook)
    themes = codebook / "themes.yaml"
    themes.write_text(themes.read_text(encoding="utf-8").replace("\n  xinjiang:", "\n  uyghur_region:"), encoding="utf-8")
    lines: list[str] = []
    with pytest.raises(ConfigError, match="theme 'xinjiang', which the codebook does not define"):
        build(Settings(codebook=codebook, out=tmp_path / "reports", cache=tmp_path / "cache"), log=lines.append)
    assert not any("xinjiang" in line and " s" in line for line in lines)  # no notebook ran
    assert not (tmp_path / "reports" / "brief.html").exists()
    assert main(["validate", "--codebook", str(codebook)]) == 1
    assert "uyghur_region" in capsys.readouterr().err


def test_a_parameter_the_build_passes_must_be_declared(notebooks):
    edit_parameters(notebooks / "40_csto_perception.ipynb", 'cache_dir = "../.cache"', 'cache = "../.cache"')
    with pytest.raises(ConfigError, match="40_csto_perception.ipynb: the parameters cell does not define 'cache_dir'"):
        check(Settings(notebooks=notebooks), THEMES)


def test_a_notebook_without_a_parameters_cell_is_refused(notebooks):
    path = notebooks / "10_russian_soft_power.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t != "parameters"]
    nbformat.write(nb, path)
    with pytest.raises(ConfigError, match="no cell is tagged 'parameters'"):
        check(Settings(notebooks=notebooks), THEMES)


def test_build_takes_its_notebooks_from_the_directory_given(tmp_path, notebooks, capsys):
    edit_parameters(notebooks / "20_xinjiang.ipynb", 'theme = "xinjiang"', 'theme = "xinjang"')
    assert main(["build", "--notebooks", str(notebooks), "--out", str(tmp_path / "reports"), "--cache", str(tmp_path / "cache")]) == 1
    err = capsys.readouterr().err
    assert str(notebooks / "20_xinjiang.ipynb") in err and "xinjang" in err  # the copy was checked, not notebooks/
    assert not (tmp_path / "reports" / "brief.html").exists()


def test_a_notebooks_directory_without_the_notebooks_says_what_to_do(tmp_path, capsys):
    (tmp_path / "drafts").mkdir()
    assert main(["build", "--notebooks", str(tmp_path / "drafts"), "--out", str(tmp_path / "reports")]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "drafts") in err and "pass another --notebooks DIR" in err
