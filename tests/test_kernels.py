"""Kernels forked from the build's fork server: the same kernels as launched ones, and none outlives the build."""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline import execute, kernels
from pipeline.execute import run_notebook, stop_kernels

from test_execute import notebook, outputs

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc/self/stat").exists(), reason="fork and /proc")

PROBE = ("import os, sys\nprint(os.getppid(), 'pipeline.sections' in sys.modules, os.getcwd(), sys.path, sep='|')",
         "import numpy\nprint(numpy.random.random())")


@pytest.fixture
def server():
    """A fork server for the test (as a build starts one); stopped, with every kernel, at the end."""
    stop_kernels()  # no kernel left by an earlier test: the next one must come from this server
    kernels.start_server()
    yield kernels._SERVER
    stop_kernels()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def close(km) -> None:
    kernel = execute._Kernel(km)
    with kernel.lock:
        kernel.close()


def kernel_pid() -> int:
    return execute._WARM["kernel"].km.provisioner.pid


def probe(tmp_path: Path, name: str) -> list[str]:
    sub = tmp_path / name
    sub.mkdir()
    run_notebook(notebook(sub / "probe.ipynb", *PROBE), str(sub / "out.ipynb"), {}, 60)
    return outputs(str(sub / "out.ipynb"))


def test_a_forked_kernel_sees_the_directory_and_import_path_a_launched_one_sees(tmp_path):
    stop_kernels()  # none left by an earlier test, and no server: this kernel is launched
    launched, _ = probe(tmp_path, "launched")
    stop_kernels()
    kernels.start_server()
    try:
        forked, _ = probe(tmp_path, "forked")
        server = kernels._SERVER.process.pid
    finally:
        stop_kernels()
    ppid, preloaded, cwd, path = forked.strip().split("|")
    assert int(launched.split("|")[0]) == os.getpid() and int(ppid) == server
    assert preloaded == "True"  # imported by the server, not by the notebook or the kernel's reset
    assert cwd == str(tmp_path / "forked") and path == launched.strip().split("|")[3]


def test_kernels_forked_from_one_server_do_not_share_their_random_state(tmp_path, server):
    """Python's random reseeds itself in a forked child; numpy's global state would not, had the server made it."""
    both = threading.Barrier(2, timeout=120)  # two workers, two kernels

    def run(name: str) -> tuple[str, str]:
        both.wait()
        return tuple(probe(tmp_path, name))

    with ThreadPoolExecutor(2) as pool:
        (first, random_a), (second, random_b) = pool.map(run, ["a", "b"])
    assert first.split("|")[0] == second.split("|")[0] == str(server.process.pid)
    assert random_a != random_b


def test_stopping_the_server_ends_a_kernel_it_has_just_forked(tmp_path, server):
    from jupyter_core.utils import run_sync

    km = kernels.kernel_manager("python3")
    run_sync(km.start_kernel)(cwd=str(tmp_path), extra_arguments=execute.KERNEL_ARGUMENTS)
    pid = km.provisioner.pid
    kernels.stop_server()  # at once: the kernel may not have made its own process group yet
    try:
        assert gone_within(pid, 10)
    finally:
        close(km)  # made here, not by a worker: stop_kernels does not know it


def test_a_kernel_asked_of_a_server_the_build_has_stopped_is_not_launched_instead(tmp_path, monkeypatch):
    """Stopped on purpose, the server's refusal is final: a kernel launched the usual way instead would belong to
    no build, and nothing would stop it."""
    from jupyter_core.utils import run_sync

    asked = threading.Event()
    read_line = kernels.ForkServer._read_line

    def asking(self, timeout):
        asked.set()
        return read_line(self, timeout)

    monkeypatch.setattr(kernels.ForkServer, "_read_line", asking)
    stop_kernels()
    km = kernels.kernel_manager("python3")  # before the server starts: it is still importing when asked
    kernels.start_server()
    failed = []

    def start() -> None:
        try:
            run_sync(km.start_kernel)(cwd=str(tmp_path), extra_arguments=execute.KERNEL_ARGUMENTS)
        except RuntimeError as exc:
            failed.append(exc)

    starting = threading.Thread(target=start)
    starting.start()
    try:
        assert asked.wait(60)
        kernels.stop_server()  # while the server has not answered
        starting.join(120)
        assert not km.has_kernel and len(failed) == 1
    finally:
        close(km)


def test_a_kernel_does_not_outlive_a_killed_server(tmp_path, server):
    probe(tmp_path, "a")
    pid = kernel_pid()
    os.kill(server.process.pid, signal.SIGKILL)  # no chance to stop its kernels: they notice it has gone
    assert gone_within(pid, 10)


def test_kernels_start_as_usual_when_the_server_has_died(tmp_path, server):
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    first, _ = probe(tmp_path, "a")
    assert int(first.split("|")[0]) == os.getpid()  # launched by this process, and the notebook ran
