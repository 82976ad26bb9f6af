"""Running one notebook with papermill, in a worker process, and turning its failures into NotebookFailed.

Kept apart from build.py so worker processes import only what execution needs.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from .errors import NotebookFailed


def die_with_parent(parent: int) -> None:
    """Pool initializer: the worker is killed when the build process dies, even by SIGKILL (Linux).

    Without it a killed build leaves its workers running: they go on executing queued notebooks into the
    dead build's staging directory and then wait for work forever.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the build died before the line above ran
        os._exit(1)


def run_notebook(source: str, output: str, parameters: dict, cell_timeout: int) -> float:
    """Execute ``source`` into ``output`` with the parameters; return seconds taken.

    papermill writes the output notebook as it goes, so after a failure it holds the error banner
    and the traceback: that is the file the error message points to.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = time.perf_counter()
    name = Path(source).stem
    # The kernel's own log (TCP without encryption, KeyboardInterrupt at shutdown) is noise here:
    # failures reach us as exceptions, with the traceback saved in the output notebook.
    try:
        papermill.execute_notebook(source, output, parameters=parameters, progress_bar=False, log_output=False,
                                   execution_timeout=cell_timeout, start_timeout=60, cwd=str(Path(source).parent),
                                   kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except papermill.PapermillExecutionError as exc:
        raise NotebookFailed(name, exc.cell_index, f"{exc.ename}: {exc.evalue}", output) from None
    except CellTimeoutError as exc:
        raise NotebookFailed(name, _failed_cell(output), f"a cell ran longer than {cell_timeout} s ({exc})".split("\n")[0], output) from None
    except DeadKernelError as exc:
        raise NotebookFailed(name, _failed_cell(output), f"the kernel died ({str(exc).splitlines()[0]})", output) from None
    except RuntimeError as exc:  # kernel failed to start or reply
        raise NotebookFailed(name, None, f"the kernel did not start: {exc}", output) from None
    return time.perf_counter() - started


def _failed_cell(output: str) -> int | None:
    """Index of the cell that was running when execution stopped: the last one papermill started.

    papermill marks even the interrupted cell "completed" after a timeout or a dead kernel, so the
    status cannot tell; execution stops at the failure, so the last start is the failing cell.
    """
    import nbformat

    try:
        nb = nbformat.read(output, as_version=4)
    except Exception:
        return None
    started = [i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None
