"""Kernels forked from one warm process: ipykernel, matplotlib and the pipeline are imported once per build.

A kernel started the usual way (``python -m ipykernel_launcher``) imports ipykernel (0.4 s) and then, for its
first notebook, matplotlib and the pipeline (0.7 s): on the 2-core machine a build's two kernels paid that
twice, while the build analysed the corpus on the same cores. Here the build starts one *fork server* as its
first step, which imports all of it while the build goes on; each kernel is then a fork of it that only runs
``IPKernelApp`` (0.1 s). jupyter_client still owns the kernel: its connection file, ports, messages,
interrupts and shutdown; only the process is made by a fork (``ForkingKernelManager``).

The fork server is a child of the build and exits when the build closes its stdin, killing any kernel left;
a kernel exits when the fork server does (ipykernel's parent poller). Where the server cannot be used (not
started, died, a platform without ``fork``) kernels start the usual way.

    python -m pipeline.kernels REPLY_FD      # the server; one JSON request per line on stdin, a reply per line
"""
from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

SERVER_TIMEOUT = 60.0  # seconds a kernel's start waits for the server (its imports take about 1 s), as nbclient's start_timeout


class ForkServer:
    """The build's side of the fork server: start it, ask it for a kernel process, stop it."""

    def __init__(self) -> None:
        read, write = os.pipe()
        try:
            # Run from the directory holding this package, so that it imports the same pipeline as this process.
            # Its own session: a Ctrl-C in the terminal reaches the build, which stops the kernels itself.
            self.process = subprocess.Popen([sys.executable, "-m", "pipeline.kernels", str(write)], stdin=subprocess.PIPE,
                                            pass_fds=(write,), start_new_session=True, cwd=Path(__file__).resolve().parent.parent)
        except OSError:
            os.close(read)
            raise
        finally:
            os.close(write)
        self._replies = read
        self._lock = threading.Lock()
        self.closed = False  # stopped on purpose (close): a kernel asked for now is not wanted

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], timeout: float = SERVER_TIMEOUT) -> int:
        """A new kernel process running ``IPKernelApp`` with ``argv`` (after ``-m ipykernel_launcher``): its pid.
        Waits for the server to finish its imports, up to ``timeout`` seconds. OSError when the server is gone,
        refuses, or does not answer in time (it is then stopped: its next answer would be to this request)."""
        with self._lock:
            if self.process.poll() is not None:
                raise OSError("the kernel fork server has exited")
            try:
                self.process.stdin.write(json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode() + b"\n")
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError) as exc:
                raise OSError(f"the kernel fork server has exited ({exc})") from None
            line = self._read_line(timeout)
        reply = json.loads(line) if line else {"error": "the kernel fork server has exited"}
        if self.closed:  # stopped while this request waited: the server ends what it forked on its way out
            raise OSError("the kernel fork server was stopped")
        if "pid" not in reply:
            raise OSError(reply.get("error", "no pid"))
        return reply["pid"]

    def _read_line(self, timeout: float) -> bytes:
        line = b""
        deadline = time.monotonic() + timeout
        poller = select.poll()  # not select(): a long-lived process (a test run) may hold descriptors past 1024
        poller.register(self._replies, select.POLLIN)
        while not line.endswith(b"\n"):
            if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
                self.process.kill()
                raise OSError(f"the kernel fork server did not answer within {timeout:.0f} s")
            chunk = os.read(self._replies, 4096)
            if not chunk:
                return b""
            line += chunk
        return line

    def close(self) -> None:
        """Stop the server: it kills the kernels it forked that still run, and exits. Not waited for here (its exit
        took 65 ms, between a build's last notebook and its assembly): a thread reaps it, or kills it after 5 s."""
        self.closed = True
        with contextlib.suppress(OSError, ValueError):
            self.process.stdin.close()
        threading.Thread(target=_reap, args=(self.process,), daemon=True).start()
        with self._lock:  # a fork waiting for its reply sees the server exit first: its descriptor is not reused under it
            os.close(self._replies)


def _reap(process: subprocess.Popen) -> None:
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ForkedProcess:
    """What jupyter_client's LocalProvisioner uses of a ``Popen``, for a kernel that is the fork server's child.

    The server reaps its children at once, so a pid that no longer exists is a kernel that has exited; its exit
    status is not known here (reported as -SIGKILL's number, as for a killed kernel).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.005)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


_SERVER: ForkServer | None = None
_SERVER_LOCK = threading.Lock()


def start_server() -> None:
    """Start the build's fork server (once); kernels made from now on are its forks. Where it cannot be started,
    they are launched the usual way."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None and hasattr(os, "fork"):
            with contextlib.suppress(OSError):
                _SERVER = ForkServer()


def serving() -> bool:
    """Whether kernels made now are forks of a fork server."""
    return _SERVER is not None


def stop_server() -> None:
    global _SERVER
    with _SERVER_LOCK:
        server, _SERVER = _SERVER, None
    if server is not None:
        server.close()


def kernel_manager(kernel_name: str):
    """A jupyter_client kernel manager whose kernels are forks of the fork server, while one runs."""
    return _manager_class()(kernel_name=kernel_name)


@functools.cache
def _manager_class() -> type:
    # Made on first use: the build starts the server before it imports jupyter_client (0.3 s).
    from jupyter_client.manager import AsyncKernelManager

    class ForkingKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            server = _SERVER
            if server is None or kernel_cmd[1:3] != ["-m", "ipykernel_launcher"] or not _same_python(kernel_cmd[0]):
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            try:
                pid = server.fork(kernel_cmd[3:], str(kw.get("cwd") or os.getcwd()), dict(kw.get("env") or os.environ))
            except OSError:
                if server.closed:  # the build has stopped its kernels: launching one the usual way would orphan it
                    raise RuntimeError("the build has stopped its kernels") from None
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            provisioner = self.provisioner
            provisioner.process = ForkedProcess(pid)
            provisioner.pid = provisioner.pgid = pid  # a session leader: signals go to its process group, as launch_kernel's
            provisioner.cwd = kw.get("cwd")
            self._reconcile_connection_info(provisioner.connection_info)

    return ForkingKernelManager


def _same_python(executable: str) -> bool:
    return os.path.realpath(executable) == os.path.realpath(sys.executable)


# --- the server ------------------------------------------------------------------------------------

def _preload() -> None:
    """What the kernels of a build all use, made once in the server: the modules the brief's notebooks import, the
    chart backends, and the font metrics that tables are measured with (0.08 s a kernel)."""
    import ipykernel.kernelapp  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401

    from pipeline import columns, overview, sections, session, synthesis  # noqa: F401

    columns.text_width("a")
    columns.text_width("a", bold=True)


def _serve(reply_fd: int) -> int:
    replies = os.fdopen(reply_fd, "w", encoding="utf-8")
    try:
        _preload()
        error = None if threading.active_count() == 1 else "the fork server runs threads"
        gc.freeze()  # what the imports made stays out of the kernels' collections: their copies of it stay shared
    except Exception as exc:  # reported to each request: the build then starts its kernels the usual way
        error = f"the fork server could not import its modules ({type(exc).__name__}: {exc})"
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the system: no zombies, a gone pid is an exit
    children: list[int] = []
    for line in sys.stdin:
        if error:
            replies.write(json.dumps({"error": error}) + "\n")
            replies.flush()
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            replies.close()
            os._exit(_kernel(request))
        children.append(pid)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
    for pid in children:  # the build has gone, or is done: so are its kernels
        for kill in (os.killpg, os.kill):  # the group, and the kernel itself if it has not made its group yet
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)
    return 0


def _kernel(request: dict) -> int:
    """In the forked child: become what ``launch_kernel`` would have started, then run the kernel."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own subprocesses
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - stdin for the life of the process
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # The kernel exits when the server does (ipykernel's parent poller). Given as an argument: the variable
        # JPY_PARENT_PID is read when ipykernel is imported, which the server did before any build's request.
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        if Path(sys.path[0]) == Path(__file__).resolve().parent.parent:  # the server's directory (ForkServer), gone
            del sys.path[0]  # as ipykernel_launcher removes its own; IPython then adds '' (the notebook's directory)
        sys.argv = [sys.executable, *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        return 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1])))
