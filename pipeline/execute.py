"""Running one notebook with papermill, in a worker thread of the build, and turning its failures into NotebookFailed.

Each worker thread keeps a kernel for its notebooks: in a build, a fork of the build's kernel fork server
(kernels.py); otherwise a child process. Threads, not processes: a worker process cost a Python start and 0.5-0.7 s of
imports (papermill, nbclient, jupyter_client; measured on a slow hour of the 2-core machine) before its kernel could
even be launched, and the thread waits on its kernel with the GIL released.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import logging
import os
import threading
import time
import warnings
from collections import UserDict
from collections.abc import Iterator
from pathlib import Path

from . import kernels
from .config import DEFER_PNG_ENV
from .errors import NotebookFailed


# The kernel's own log (TCP without encryption, KeyboardInterrupt at shutdown) is noise here:
# failures reach us as exceptions, with the traceback saved in the output notebook. The history in memory is what
# nbclient asks for; named here because a worker launches its first kernel itself (warm_up).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]


def run_notebook(source: str, output: str, parameters: dict, cell_timeout: int, submitted_at: float | None = None,
                 defer_png: bool = False) -> float:
    """Execute ``source`` into ``output`` with the parameters; return seconds taken.

    With ``submitted_at`` (the build's ``time.time()`` when it asked for the notebook), the time is counted
    from when this worker could first work on it: a worker's first notebook includes its kernel's start, as a
    papermill run does, and no notebook counts time spent queued behind another.
    ``defer_png``: the kernel leaves the charts' PNGs for the build to draw (charts.publish).

    papermill writes the output notebook as it goes, so after a failure it holds the error banner
    and the traceback: that is the file the error message points to.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    _register_warm_engine()
    started = time.perf_counter()
    since = max(submitted_at, _WARM.get("free_since", time.time())) if submitted_at is not None else None
    name = Path(source).stem
    try:
        # No cwd for papermill: it would chdir the whole build process, under the other workers' feet. The kernel
        # is moved to the notebook's directory instead (prepare_kernel).
        papermill.execute_notebook(source, output, parameters=parameters, progress_bar=False, log_output=False,
                                   execution_timeout=cell_timeout, start_timeout=60, kernel_name="python3", engine_name="warm",
                                   extra_arguments=KERNEL_ARGUMENTS, notebook_dir=str(Path(source).parent), defer_png=defer_png)
    except papermill.PapermillExecutionError as exc:
        raise NotebookFailed(name, exc.cell_index, f"{exc.ename}: {exc.evalue}", output) from None
    except CellTimeoutError as exc:
        raise NotebookFailed(name, _failed_cell(output), f"a cell ran longer than {cell_timeout} s ({exc})".split("\n")[0], output) from None
    except DeadKernelError as exc:
        raise NotebookFailed(name, _failed_cell(output), f"the kernel died ({str(exc).splitlines()[0]})", output) from None
    except RuntimeError as exc:  # kernel failed to start or reply
        raise NotebookFailed(name, None, f"the kernel did not start: {exc}", output) from None
    finally:
        _WARM["free_since"] = time.time()
    return time.time() - since if since is not None else time.perf_counter() - started


def start_worker(cwd: str, started_at: float, generation: int) -> None:
    """Initializer of a notebook worker thread: start the kernel its first notebook will use.
    ``started_at`` is the build's ``time.time()`` when it started the worker: its first notebook's time counts from there.
    ``generation``: ``kernel_generation()`` then; once the build has stopped its kernels, its workers start none."""
    _WARM["free_since"] = started_at
    _WARM["generation"] = generation
    warm_up(cwd)


def kernel_generation() -> int:
    """Kernels belong to a generation, which ends when stop_kernels stops them."""
    return _GENERATION


def stop_kernels() -> None:
    """Kill every worker's kernel and wait until each is gone: at the end of a build, or when it failed or was
    interrupted (its staging directory is removed next, and a dying kernel went on writing its notebook's files
    into it for a second). A kernel's sockets are closed here only if its worker is idle (see _Kernel)."""
    global _GENERATION
    with _LOCK:
        workers = list(_KERNELS)
        _KERNELS.clear()  # a worker whose kernel was starting meanwhile finds it unregistered, and ends it (_check_wanted)
        _GENERATION += 1
    for kernel in workers:
        kernel.kill()
        if kernel.lock.acquire(blocking=False):
            try:
                kernel.close()
            finally:
                kernel.lock.release()
    kernels.stop_server()


def warm_up(cwd: str) -> None:
    """Start this worker's kernel and import the pipeline into it while the build process analyses the
    documents, so that the first notebook waits for neither.

    A kernel forked from the build's fork server has the pipeline imported already; the fork waits for the server's
    imports (1 s), and this thread makes its own (papermill: 0.4 s) first.
    Any failure is left to the first notebook, which starts its own kernel and reports the problem.
    """
    import tempfile

    from jupyter_core.utils import run_sync

    forked = kernels.serving()
    if forked:
        _register_warm_engine()
    try:  # otherwise launched first, the kernel starts (half a second) while this thread imports papermill
        with _held_kernel("python3") as kernel:
            if not kernel.km.has_kernel:  # a second start would orphan the running kernel
                run_sync(kernel.km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=cwd)
                _check_wanted(kernel)
    except Exception:
        _discard_kernel()
    if forked:
        return
    import nbformat
    import papermill

    _register_warm_engine()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import pipeline.session, pipeline.sections, pipeline.overview")],
                                  metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    with tempfile.TemporaryDirectory() as tmp, contextlib.suppress(Exception):
        path = str(Path(tmp) / "warm-up.ipynb")
        nbformat.write(nb, path)
        papermill.execute_notebook(path, path, progress_bar=False, log_output=False, start_timeout=60, kernel_name="python3",
                                   engine_name="warm", extra_arguments=KERNEL_ARGUMENTS, notebook_dir=cwd)


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


# --- a warm kernel per worker --------------------------------------------------------------------
# Starting a kernel and importing matplotlib and the pipeline into it is most of a short notebook's
# cost. A worker therefore keeps its kernel for the next notebook, after resetting it to what a fresh
# kernel would hold (empty namespace, execution count 1, house chart style, working directory).
# A kernel that died, timed out or failed to reset is shut down and replaced.

class _PerThread(UserDict, threading.local):
    """A dict of its own in every thread."""


class _Kernel:
    """A worker's kernel: its manager, its client once connected, and a lock the worker holds while it uses them.

    zmq sockets must not be used by two threads at once: stop_kernels, in the build's thread, kills any kernel but
    closes the sockets only of one whose worker is idle; a busy worker finds its kernel dead and closes them itself.
    Nor by two threads one after the other: the client's sockets wait in the event loop of the thread that first
    polled them, and pyzmq moves a socket polled from another thread's loop without leaving the first, whose stale
    reader then hides the next socket given that file descriptor: that socket's replies wake nothing, and a cell
    waits out its whole timeout (seen in the tests, 2 × 60 s).
    Closed they must be, by one or the other: left to the cycle collector, a zmq context may be finalised before its
    sockets (weak references are cleared first), and then waits for them for ever.
    """

    def __init__(self, km) -> None:
        self.km, self.kc = km, None
        self.lock = threading.RLock()
        self.closed = False

    def alive(self) -> bool:
        """False once its process has exited; true before it is started."""
        process = getattr(self.km.provisioner, "process", None)
        return process is None or process.poll() is None

    def kill(self) -> None:
        """Kill the kernel's process group (the kernel and what it started) and wait until it is gone."""
        from jupyter_core.utils import run_sync

        provisioner = self.km.provisioner  # None before a start and after cleanup_resources
        process = getattr(provisioner, "process", None)
        if process is not None:
            with contextlib.suppress(Exception):
                run_sync(provisioner.kill)()
                process.wait()  # gone, not dying

    def close(self) -> None:
        """Kill the kernel; close the client's and the manager's sockets, zmq context and connection file. The caller
        holds the lock."""
        from jupyter_core.utils import run_sync

        self.kill()
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                if self.kc is not None:
                    self.kc.stop_channels()
            with contextlib.suppress(Exception):
                run_sync(self.km.cleanup_resources)()


_WARM = _PerThread()  # this worker's kernel ("kernel": _Kernel), and since when it is free ("free_since")
_KERNELS: set[_Kernel] = set()  # every worker's kernel, for stop_kernels
_GENERATION = 0  # kernel_generation()
_LOCK = threading.Lock()
atexit.register(stop_kernels)  # a process that ran notebooks outside a build (tests, scripts) leaves no kernel behind


def prepare_kernel(cwd: str, defer_png: bool = False) -> None:
    """Runs inside the kernel before each notebook: the state of a fresh kernel, imports kept."""
    import matplotlib

    import pipeline.charts  # noqa: F401  (the house style is set on import; keep a copy to restore)

    global _RC
    if _RC is None:
        _RC = matplotlib.rcParams.copy()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_RC)
    os.chdir(cwd)
    if defer_png:
        os.environ[DEFER_PNG_ENV] = "1"
    else:
        os.environ.pop(DEFER_PNG_ENV, None)
    get_ipython().reset(new_session=True)  # type: ignore[name-defined]  # noqa: F821


def release_kernel() -> None:
    """Runs inside the kernel after each notebook: drop its variables and give the memory back to the OS.

    An idle warm kernel otherwise holds its notebook's context (700 MB at 10,000 documents) until the next one.
    What is left, the modules imported, is then frozen out of the cycle collector: IPython's reset collects in
    full, and walking matplotlib, numpy and the rest took 55 ms each time, three times per notebook.
    """
    from pipeline.records import release_memory

    get_ipython().reset(new_session=False)  # type: ignore[name-defined]  # noqa: F821
    release_memory()
    gc.freeze()


_RC = None
_PREPARE = "from pipeline.execute import prepare_kernel as _p\n_p({cwd!r}, {defer_png!r})"
_RELEASE = "from pipeline.execute import release_kernel as _r\n_r()"


@contextlib.contextmanager
def _held_kernel(kernel_name: str) -> Iterator[_Kernel]:
    """This worker's kernel, its lock held for the caller (see _Kernel). One that has exited or been closed since its
    last notebook (stop_kernels) is replaced, unless this worker's build has stopped its kernels: RuntimeError."""
    kernel = _WARM.get("kernel")
    if kernel is not None:
        kernel.lock.acquire()
        if kernel.closed or not kernel.alive():
            kernel.lock.release()
            _discard_kernel()
            kernel = None
    if kernel is None:
        kernel = _Kernel(kernels.kernel_manager(kernel_name))
        kernel.lock.acquire()
        with _LOCK:
            if _WARM.get("generation", _GENERATION) != _GENERATION:  # a worker of a build that has stopped its kernels
                kernel.lock.release()
                raise RuntimeError("the build stopped its kernels")
            _KERNELS.add(kernel)
        _WARM["kernel"] = kernel
    try:
        yield kernel
    finally:
        kernel.lock.release()


def _check_wanted(kernel: _Kernel) -> None:
    """After a kernel start: if the build stopped its kernels meanwhile (stop_kernels), this one was missed, having no
    process yet; it must not live on unregistered. RuntimeError, and the caller discards it."""
    with _LOCK:
        if kernel not in _KERNELS:
            raise RuntimeError("the build stopped its kernels while this one started")


def _discard_kernel() -> None:
    """Close this worker's kernel and forget it: the next notebook gets a new one."""
    kernel = _WARM.pop("kernel", None)
    if kernel is not None:
        with _LOCK:
            _KERNELS.discard(kernel)
        with kernel.lock:
            kernel.close()


def _quietly(kernel: _Kernel, code: str, timeout: float) -> dict:
    """Run ``code`` in the kernel, silent and out of its history; the content of its reply. RuntimeError if the kernel
    does not answer within ``timeout`` seconds or dies: checked every 0.1 s, for a build being stopped is not kept
    waiting (the client's execute_interactive would wait out its whole timeout on a killed kernel)."""
    import queue

    from jupyter_core.utils import run_sync

    msg_id = kernel.kc.execute(code, silent=True, store_history=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = run_sync(kernel.kc.get_shell_msg)(timeout=0.1)
        except queue.Empty:
            if not kernel.alive():
                raise RuntimeError("the kernel died") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kernel did not answer within {timeout:.0f} s") from None
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


@functools.cache  # papermill's registry is the process's: once is enough
def _register_warm_engine() -> None:
    """papermill's nbclient engine, except that the worker's kernel is kept for its next notebook."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, **kwargs):
            kwargs.pop("input_path", None)
            prepare = _PREPARE.format(cwd=kwargs.pop("notebook_dir"), defer_png=kwargs.pop("defer_png", False))
            with _held_kernel(kernel_name) as kernel:
                client = PapermillNotebookClient(nb_man, km=kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                                                 kernel_name=kernel_name, log=logging.getLogger("papermill"), log_output=log_output,
                                                 stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
                client.kc = kernel.kc
                # papermill saves the whole notebook, serialised and validated, before and after every cell (30 times
                # for a theme notebook: 0.08 s). It is written once instead: by papermill when execution ends, and here
                # when it stops on a timeout or a dead kernel, for the error message to point to.
                output, nb_man.output_path = nb_man.output_path, None
                try:
                    with client.setup_kernel():
                        kernel.kc = client.kc
                        _check_wanted(kernel)
                        reply = _quietly(kernel, prepare, start_timeout)
                        if reply["status"] != "ok":
                            raise RuntimeError(f"could not reset the kernel: {reply.get('evalue')}")
                    executed = client.execute()
                    try:
                        _quietly(kernel, _RELEASE, start_timeout)
                    except Exception:
                        _discard_kernel()  # in an unknown state: the next notebook gets a new kernel
                    return executed
                except BaseException:
                    _discard_kernel()  # a kernel that timed out or died is never reused
                    if output:
                        write_ipynb(nb_man.nb, output)
                    raise

    papermill_engines.register("warm", WarmKernelEngine)
