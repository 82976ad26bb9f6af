"""A worker keeps its kernel between notebooks; each notebook still starts from a fresh kernel's state."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from pipeline.errors import NotebookFailed
from pipeline.execute import run_notebook, warm_up


def notebook(path: Path, *sources: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return str(path)


def outputs(path: str) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells]


@pytest.fixture
def messy(tmp_path) -> str:
    """A notebook that leaves every kind of state behind: a variable, a changed style, another directory."""
    return notebook(tmp_path / "messy.ipynb", "leak = 42", "import matplotlib, os\nmatplotlib.rcParams['font.size'] = 31\nos.chdir('/')",
                    "import pipeline.charts  # the house style")


def test_the_next_notebook_sees_none_of_the_previous_ones_state(tmp_path, messy):
    run_notebook(messy, str(tmp_path / "out1.ipynb"), {}, 60)
    probe = notebook(tmp_path / "probe.ipynb", "print('leak' in globals())", "import matplotlib\nprint(matplotlib.rcParams['font.size'])",
                     "import os\nprint(os.getcwd())")
    run_notebook(probe, str(tmp_path / "out2.ipynb"), {}, 60)
    leaked, font_size, cwd = outputs(str(tmp_path / "out2.ipynb"))
    assert leaked.strip() == "False"
    assert float(font_size) == 9.0  # pipeline.charts' house style, not the 31 the previous notebook set
    assert cwd.strip() == str(tmp_path)


def test_execution_counts_start_at_one_in_a_reused_kernel(tmp_path, messy):
    run_notebook(messy, str(tmp_path / "out1.ipynb"), {}, 60)
    second = notebook(tmp_path / "second.ipynb", "1", "2")
    run_notebook(second, str(tmp_path / "out2.ipynb"), {}, 60)
    assert [c.execution_count for c in nbformat.read(tmp_path / "out2.ipynb", as_version=4).cells] == [1, 2]


def test_a_kernel_that_died_is_replaced_for_the_next_notebook(tmp_path):
    dies = notebook(tmp_path / "dies.ipynb", "import os\nos._exit(1)")
    with pytest.raises(NotebookFailed, match="kernel died"):
        run_notebook(dies, str(tmp_path / "out1.ipynb"), {}, 60)
    fine = notebook(tmp_path / "fine.ipynb", "print(6 * 7)")
    run_notebook(fine, str(tmp_path / "out2.ipynb"), {}, 60)
    assert outputs(str(tmp_path / "out2.ipynb")) == ["42\n"]


def test_a_notebook_that_raised_leaves_a_usable_kernel(tmp_path):
    raises = notebook(tmp_path / "raises.ipynb", "x = 1", "raise ValueError('no')")
    with pytest.raises(NotebookFailed, match="ValueError: no"):
        run_notebook(raises, str(tmp_path / "out1.ipynb"), {}, 60)
    fine = notebook(tmp_path / "fine.ipynb", "print('x' in globals())")
    run_notebook(fine, str(tmp_path / "out2.ipynb"), {}, 60)
    assert outputs(str(tmp_path / "out2.ipynb")) == ["False\n"]


def test_a_warmed_up_worker_runs_its_first_notebook_in_the_kernel_it_started(tmp_path):
    from pipeline import execute

    execute._discard_kernel()  # no kernel left by an earlier test: this one must be warm_up's
    warm_up(str(tmp_path))
    started = execute._WARM["kernel"].km.provisioner.pid
    probe = notebook(tmp_path / "pid.ipynb", "import os\nprint(os.getpid())", "print(sorted(k for k in globals() if not k.startswith('_')))")
    run_notebook(probe, str(tmp_path / "out.ipynb"), {}, 60)
    pid, names = outputs(str(tmp_path / "out.ipynb"))
    assert int(pid) == started
    assert "pipeline" not in names  # the warm-up's imports are not in the notebook's namespace


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_warming_up_a_worker_that_has_a_kernel_keeps_that_kernel(tmp_path):
    from pipeline import execute

    warm_up(str(tmp_path))
    first, kernels = execute._WARM["kernel"].km.provisioner.pid, _kernel_children()
    warm_up(str(tmp_path))
    assert execute._WARM["kernel"].km.provisioner.pid == first and _kernel_children() == kernels


def test_a_warm_up_that_fails_leaves_the_error_to_the_first_notebook(tmp_path, monkeypatch):
    import papermill

    def no_kernel(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    warm_up(str(tmp_path))  # does not raise: the build goes on and the notebook reports the problem with its name


def test_an_idle_kernel_holds_none_of_its_last_notebooks_variables(tmp_path):
    from jupyter_core.utils import run_sync

    from pipeline import execute

    run_notebook(notebook(tmp_path / "big.ipynb", "payload = bytearray(50_000_000)"), str(tmp_path / "out.ipynb"), {}, 60)
    seen: list[str] = []
    run_sync(execute._WARM["kernel"].kc.execute_interactive)("print('payload' in globals())", timeout=30,
                                                      output_hook=lambda msg: seen.append(msg["content"].get("text", "")))
    assert "".join(seen).strip() == "False"


def test_a_notebooks_time_counts_from_when_its_worker_could_take_it(tmp_path, monkeypatch):
    import time

    from pipeline import execute

    quick = notebook(tmp_path / "quick.ipynb", "x = 1")
    # A worker's first notebook: the worker started 30 s ago, when the build asked for the notebook, so its
    # start and its kernel's count, as they would in a papermill run.
    monkeypatch.setitem(execute._WARM, "free_since", time.time() - 30)
    assert run_notebook(quick, str(tmp_path / "a.ipynb"), {}, 60, submitted_at=time.time() - 30) >= 30
    # Asked for 30 s ago but queued behind another notebook until now: the wait does not count.
    assert run_notebook(quick, str(tmp_path / "b.ipynb"), {}, 60, submitted_at=time.time() - 30) < 30


def test_a_notebook_is_written_when_it_starts_and_ends_not_at_every_cell(tmp_path, monkeypatch):
    ten = notebook(tmp_path / "ten.ipynb", *[f"x = {i}" for i in range(10)])
    writes = []
    real = nbformat.writes
    monkeypatch.setattr(nbformat, "writes", lambda nb, *a, **k: writes.append(1) or real(nb, *a, **k))
    run_notebook(ten, str(tmp_path / "out.ipynb"), {}, 60)
    assert len(writes) == 2
    assert [c.execution_count for c in nbformat.read(tmp_path / "out.ipynb", as_version=4).cells] == list(range(1, 11))


def _in_kernel(code: str) -> str:
    from jupyter_core.utils import run_sync

    from pipeline import execute

    seen: list[str] = []
    run_sync(execute._WARM["kernel"].kc.execute_interactive)(code, timeout=30, output_hook=lambda msg: seen.append(msg["content"].get("text", "")))
    return "".join(seen).strip()


def test_an_idle_kernel_keeps_its_modules_out_of_the_cycle_collector(tmp_path):
    run_notebook(notebook(tmp_path / "plot.ipynb", "import pipeline.charts"), str(tmp_path / "out.ipynb"), {}, 60)
    assert int(_in_kernel("import gc; print(gc.get_freeze_count())")) > 10_000


def test_a_frozen_kernel_still_frees_the_context_its_notebook_loaded(tmp_path):
    from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS

    run_notebook(notebook(tmp_path / "first.ipynb", "x = 1"), str(tmp_path / "out1.ipynb"), {}, 60)  # the kernel now keeps objects frozen
    load = notebook(tmp_path / "load.ipynb", "import weakref, pipeline\nfrom pipeline.session import load_context\n"
                    f"ctx = load_context({str(DEFAULT_CORPUS)!r}, {str(DEFAULT_CODEBOOK)!r})\n"
                    "pipeline._probes = [weakref.ref(ctx), weakref.ref(ctx.corpus), weakref.ref(ctx.codebook)]")
    run_notebook(load, str(tmp_path / "out2.ipynb"), {}, 60)
    assert _in_kernel("import pipeline; print([p() is None for p in pipeline._probes])") == "[True, True, True]"


def _kernel_pid() -> int:
    from pipeline import execute

    return execute._WARM["kernel"].km.provisioner.pid


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_stopped_workers_have_killed_their_kernels_when_the_stop_returns(tmp_path):
    """A failed or interrupted build removes its staging directory once its workers are stopped: their kernels
    must not outlive the stop, writing notebook files into it."""
    import threading
    import time as clock
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.build import _stop
    from pipeline.execute import kernel_generation, start_worker

    both = threading.Barrier(2, timeout=120)  # each worker answers once both have started: two kernels

    def kernel_pid() -> int:
        both.wait()
        return _kernel_pid()

    pool = ThreadPoolExecutor(2, initializer=start_worker, initargs=(str(tmp_path), clock.time(), kernel_generation()))
    pids = {f.result(timeout=180) for f in [pool.submit(kernel_pid), pool.submit(kernel_pid)]}
    assert len(pids) == 2 and all(_running(pid) for pid in pids)
    _stop(pool)
    assert not any(_running(pid) for pid in pids)


def test_running_a_notebook_leaves_the_build_in_its_directory_and_the_notebook_in_its_own(tmp_path):
    """Workers are threads of the build: a notebook's run must not move the build's working directory, even
    while it runs (papermill's cwd= would, under the other workers' and the build's feet)."""
    import os
    import threading

    sub = tmp_path / "sub"
    sub.mkdir()
    probe = notebook(sub / "cwd.ipynb", "import os, time\nprint(os.getcwd())\ntime.sleep(2)")
    before = os.getcwd()
    run = threading.Thread(target=run_notebook, args=(probe, str(tmp_path / "out.ipynb"), {}, 60))
    run.start()
    seen = set()
    while run.is_alive():
        seen.add(os.getcwd())
        run.join(0.01)
    assert seen == {before}
    assert outputs(str(tmp_path / "out.ipynb")) == [f"{sub}\n"]


def test_a_kernel_stopped_between_notebooks_is_replaced_for_the_next_one(tmp_path):
    from pipeline.execute import stop_kernels

    fine = notebook(tmp_path / "fine.ipynb", "print(6 * 7)")
    run_notebook(fine, str(tmp_path / "out1.ipynb"), {}, 60)
    stop_kernels()
    run_notebook(fine, str(tmp_path / "out2.ipynb"), {}, 60)  # on the dead kernel it raised TimeoutError after 60 s
    assert outputs(str(tmp_path / "out2.ipynb")) == ["42\n"]


def test_stopping_the_kernels_closes_their_managers_sockets_and_connection_files(tmp_path):
    """Left to the cycle collector, a manager's zmq context could wait for ever for its control socket (stop_kernels)."""
    from pipeline import execute
    from pipeline.execute import stop_kernels

    run_notebook(notebook(tmp_path / "fine.ipynb", "x = 1"), str(tmp_path / "out.ipynb"), {}, 60)
    km = execute._WARM["kernel"].km
    connection = Path(km.connection_file)
    assert connection.is_file() and not km.context.closed
    stop_kernels()
    assert km.context.closed and not connection.exists()


def test_stopping_the_kernels_leaves_a_busy_workers_sockets_to_that_worker(tmp_path):
    """zmq sockets are not to be used by two threads at once: stop_kernels kills the kernel a worker is waiting on,
    and the worker, finding it dead, closes its sockets itself."""
    import threading

    from pipeline import execute
    from pipeline.execute import stop_kernels

    fine = notebook(tmp_path / "fine.ipynb", "x = 1")
    run_notebook(fine, str(tmp_path / "a.ipynb"), {}, 60)
    kernel = execute._WARM["kernel"]
    pid = kernel.km.provisioner.pid
    with kernel.lock:  # as its worker holds it while it waits on the kernel
        stopper = threading.Thread(target=stop_kernels)
        stopper.start()
        stopper.join(timeout=60)
        assert not _running(pid) and not kernel.km.context.closed
    run_notebook(fine, str(tmp_path / "b.ipynb"), {}, 60)  # the worker's next notebook
    assert kernel.km.context.closed and execute._WARM["kernel"] is not kernel


def test_a_worker_waiting_on_a_kernel_that_is_killed_stops_waiting(tmp_path):
    """Resetting a kernel before a notebook, or releasing it after, must not wait out its timeout on a dead kernel:
    a stopped build would be kept from exiting."""
    import queue
    import threading

    from pipeline import execute

    kernels: queue.Queue = queue.Queue()
    failed = []

    def worker() -> None:  # as a build's worker: the kernel's sockets are only ever used by the thread that started it
        run_notebook(notebook(tmp_path / "fine.ipynb", "x = 1"), str(tmp_path / "a.ipynb"), {}, 60)
        kernels.put(execute._WARM["kernel"])
        try:
            execute._quietly(execute._WARM["kernel"], "import time\ntime.sleep(600)", timeout=600)
        except RuntimeError as exc:
            failed.append(str(exc))

    waiting = threading.Thread(target=worker, daemon=True)
    waiting.start()
    kernel = kernels.get(timeout=60)
    waiting.join(timeout=2)  # the kernel is asleep
    kernel.kill()
    waiting.join(timeout=60)
    execute.stop_kernels()  # closes the dead kernel's sockets, which its worker left
    assert failed == ["the kernel died"]


def _kernel_children() -> set[int]:
    """Live kernels that are this process's children (launched, not forked from a fork server)."""
    import os

    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            argv = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[0] not in ("Z", "X") and int(fields[1]) == os.getpid() and b"ipykernel_launcher" in argv:
            found.add(int(stat.parent.name))
    return found


def _in_a_worker(tmp_path, generation: int) -> None:
    """Run a build's worker initializer (it starts a kernel, then warms it up) in a thread of its own, to its end."""
    import threading
    import time

    from pipeline.execute import start_worker

    worker = threading.Thread(target=start_worker, args=(str(tmp_path), time.time(), generation))
    worker.start()
    worker.join(timeout=180)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_kernel_whose_start_the_builds_stop_overtook_does_not_live_on(tmp_path, monkeypatch):
    """The stop lands while a worker's kernel is starting, before its process exists: stop_kernels cannot kill it,
    so the worker must, or it lives on unregistered (and its manager's zmq context later hangs the collector)."""
    import threading

    from pipeline import kernels
    from pipeline.execute import kernel_generation, stop_kernels

    stop_kernels()
    started = []
    real = kernels.kernel_manager

    def overtaken(kernel_name: str):
        km = real(kernel_name)
        start = km.start_kernel

        async def stop_then_start(**kw):
            stopper = threading.Thread(target=stop_kernels)  # as the build's main thread would
            stopper.start()
            stopper.join()
            await start(**kw)
            started.append((km, km.provisioner.pid))

        km.start_kernel = stop_then_start
        return km

    monkeypatch.setattr(kernels, "kernel_manager", overtaken)
    _in_a_worker(tmp_path, kernel_generation())
    assert len(started) == 1, "the kernel did not start: the test shows nothing"
    km, pid = started[0]
    assert not _running(pid) and km.context.closed and _kernel_children() == set()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_worker_of_a_build_that_stopped_its_kernels_starts_none(tmp_path):
    from pipeline.execute import kernel_generation, stop_kernels

    stop_kernels()
    generation = kernel_generation()
    stop_kernels()  # the build stops before its worker has begun
    _in_a_worker(tmp_path, generation)
    assert _kernel_children() == set()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_script_that_ran_a_notebook_leaves_no_kernel_when_it_exits(tmp_path):
    """Kernels are children of the process that ran the notebooks: outside a build, its exit stops them."""
    import subprocess
    import sys

    fine = notebook(tmp_path / "fine.ipynb", "x = 1")
    script = ("from pipeline import execute\n"
              f"execute.run_notebook({fine!r}, {str(tmp_path / 'out.ipynb')!r}, {{}}, 60)\n"
              "print(execute._WARM['kernel'].km.provisioner.pid)")
    # Output to a file, not a pipe: the kernel inherits it, and reading a pipe to its end would wait for the kernel too.
    with open(tmp_path / "stdout", "w") as out:
        subprocess.run([sys.executable, "-c", script], stdout=out, stderr=subprocess.DEVNULL, timeout=180, check=True)
    pid = int((tmp_path / "stdout").read_text().split()[-1])
    assert not _running(pid)  # at once: not left to notice its parent's exit a second later
