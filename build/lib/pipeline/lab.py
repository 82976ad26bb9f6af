"""``brief lab``: JupyterLab on ``notebooks/`` with the project's environment as the kernel.

JupyterLab lives in its own virtual environment, ``.venv-lab``, created on first use. It is kept out of
the build's ``.venv`` on purpose: jupyter-server pulls in ``jsonschema[format-nongpl]`` and with it
rfc3987-syntax, which adds about 1.5-3 s to every ``import nbformat`` (papermill, nbconvert, every
build process). The kernel is the Python that runs this command (the project's ``.venv``), registered
inside ``.venv-lab`` as the kernelspec ``brief``, the kernel the notebooks' metadata names. jupytext in
``.venv-lab`` keeps each notebook's ``py:percent`` twin in step whenever Lab saves the notebook.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import NOTEBOOKS_DIR, PROJECT_ROOT
from .errors import BriefError

LAB_VENV = PROJECT_ROOT / ".venv-lab"
LAB_REQUIREMENTS = ("jupyterlab>=4.2,<5", "jupytext>=1.16")
KERNEL_NAME = "brief"
KERNEL_DISPLAY_NAME = "brief (project)"
STAMP_NAME = ".brief-lab"  # holds LAB_REQUIREMENTS once they are installed


def jupyter_executable(venv: Path = LAB_VENV) -> Path:
    return venv / "bin" / "jupyter"


def ensure_env(venv: Path = LAB_VENV, log: Callable[[str], None] = print) -> Path:
    """Create ``venv`` with JupyterLab and jupytext if missing or out of date (needs PyPI once)."""
    stamp = venv / STAMP_NAME
    wanted = "\n".join(LAB_REQUIREMENTS) + "\n"
    if stamp.is_file() and stamp.read_text() == wanted and jupyter_executable(venv).is_file():
        stamp.touch()  # `make` compares its age with pipeline/lab.py
        return venv
    python = venv / "bin" / "python"
    if not python.is_file():
        log(f"brief lab: creating {venv} for JupyterLab (once; about a minute, needs PyPI)")
        _run([sys.executable, "-m", "venv", str(venv)], f"could not create {venv}")
    log(f"brief lab: installing {' '.join(LAB_REQUIREMENTS)} into {venv}")
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *LAB_REQUIREMENTS],
         f"could not install JupyterLab into {venv}: check the network (PyPI), or remove {venv} and retry")
    stamp.write_text(wanted)
    return venv


def install_kernelspec(venv: Path = LAB_VENV, log: Callable[[str], None] = print) -> Path:
    """Register this Python (the project's environment) in ``venv`` as the kernel ``brief``."""
    from ipykernel.kernelspec import install

    path = Path(install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=str(venv)))
    log(f"brief lab: kernel '{KERNEL_NAME}' ({KERNEL_DISPLAY_NAME}) runs {sys.executable}")
    return path


def lab_command(extra: Sequence[str] = (), venv: Path = LAB_VENV, notebooks: Path = NOTEBOOKS_DIR) -> list[str]:
    extra = list(extra)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    cmd = [str(jupyter_executable(venv)), "lab", f"--ServerApp.root_dir={notebooks}",
           # only the project's kernel: .venv-lab's own Python cannot import pipeline
           f"--KernelSpecManager.allowed_kernelspecs={KERNEL_NAME}", f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        cmd.append("--allow-root")  # Jupyter refuses to run as root without it (containers, CI)
    return cmd + extra


def lab_environ(venv: Path = LAB_VENV) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"  # .venv-lab's kernel 'brief' wins over a user-wide one of that name
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def launch(extra: Sequence[str] = (), *, setup_only: bool = False, log: Callable[[str], None] = print) -> int:
    """Set up ``.venv-lab`` and the kernel, then replace this process with ``jupyter lab``."""
    ensure_env(LAB_VENV, log)
    install_kernelspec(LAB_VENV, log)
    if setup_only:
        log(f"brief lab: ready; start it with 'brief lab' ({jupyter_executable()} lab)")
        return 0
    cmd = lab_command(extra)
    log("brief lab: " + " ".join(cmd))
    log("brief lab: notebooks open with the 'brief (project)' kernel; saving a notebook also updates its .py twin. Ctrl-C stops.")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, lab_environ())
    return 0  # not reached


def _run(cmd: list[str], problem: str) -> None:
    try:
        done = subprocess.run(cmd, cwd=PROJECT_ROOT)
    except OSError as exc:
        raise BriefError(f"{problem} ({exc})") from exc
    if done.returncode != 0:
        raise BriefError(f"{problem} (exit status {done.returncode})")
