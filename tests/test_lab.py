"""`brief lab` for real: a Jupyter server from .venv-lab on localhost runs the notebooks in the project's kernel.

The server serves a temporary copy of notebooks/ laid out like the project (seeds, codebook and eval linked,
no reports/), so the notebooks run with their default parameters and nothing in the working tree changes.
Cells go through the server's REST API and the kernel's websocket channel, as JupyterLab sends them.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import jupytext
import pytest
from tornado.websocket import websocket_connect

from pipeline import lab
from pipeline.config import PROJECT_ROOT

pytestmark = pytest.mark.slow


class Server:
    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen, log: Path):
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    lab.ensure_env()  # `make test` has created .venv-lab already; this is then a no-op
    lab.install_kernelspec(log=lambda _: None)
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(PROJECT_ROOT / "notebooks", root / "notebooks")
    for name in ("seeds", "codebook", "eval"):
        (root / name).symlink_to(PROJECT_ROOT / name)
    home = root / "jupyter-home"  # no user config, data or runtime files leak in or out
    env = lab.lab_environ() | {"JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
                               "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython")}
    port, token = _free_port(), uuid.uuid4().hex
    cmd = lab.lab_command(["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"], notebooks=root / "notebooks")
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    srv = Server(root / "notebooks", port, token, proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                srv.api("GET", "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within 90 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield srv
    finally:
        _stop(srv)


def _stop(srv: Server) -> None:
    """Shut the server down through its API (it stops its kernels), then make sure the process is gone."""
    if srv.proc.poll() is None:
        try:
            srv.api("POST", "/api/shutdown")
        except (urllib.error.URLError, ConnectionError):
            pass
        try:
            srv.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(srv.proc.pid, signal.SIGKILL)
            srv.proc.wait()
            pytest.fail("jupyter lab did not stop within 20 s of POST /api/shutdown")


def _message(session: str, code: str) -> dict:
    msg_id = uuid.uuid4().hex
    return {"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": session,
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}


async def _run_cells(srv: Server, kernel_id: str, cells: list[str], timeout: float = 120) -> list[dict]:
    """Execute each cell over the kernel's websocket; per cell: its reply status and the iopub messages it caused."""
    url = f"ws://127.0.0.1:{srv.port}/api/kernels/{kernel_id}/channels?token={srv.token}"
    ws = await websocket_connect(url)
    session, results = uuid.uuid4().hex, []
    try:
        for code in cells:
            request = _message(session, code)
            await ws.write_message(json.dumps(request))
            result = {"code": code, "reply": None, "outputs": [], "idle": False}
            while result["reply"] is None or not result["idle"]:
                raw = await asyncio.wait_for(ws.read_message(), timeout)
                assert raw is not None, "the kernel's websocket closed"
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                    continue
                kind = msg["header"]["msg_type"]
                if msg["channel"] == "shell" and kind == "execute_reply":
                    result["reply"] = msg["content"]
                elif msg["channel"] == "iopub" and kind == "status":
                    result["idle"] = msg["content"]["execution_state"] == "idle"
                elif msg["channel"] == "iopub" and kind in ("display_data", "execute_result", "stream", "error"):
                    result["outputs"].append({"type": kind, **msg["content"]})
            results.append(result)
            if result["reply"]["status"] != "ok":
                break
    finally:
        ws.close()
    return results


def _run_notebook(srv: Server, name: str) -> list[dict]:
    """Open the notebook through the contents API, start a session on the 'brief' kernel, run every code cell."""
    model = srv.api("GET", f"/api/contents/{name}?content=1")
    assert model["type"] == "notebook"
    cells = [c["source"] for c in model["content"]["cells"] if c["cell_type"] == "code"]
    session = srv.api("POST", "/api/sessions", {"path": name, "type": "notebook", "name": name,
                                                "kernel": {"name": lab.KERNEL_NAME}})
    try:
        assert session["kernel"]["name"] == lab.KERNEL_NAME
        return asyncio.run(_run_cells(srv, session["kernel"]["id"], cells))
    finally:
        srv.api("DELETE", f"/api/sessions/{session['id']}")


def _errors(results: list[dict]) -> list[str]:
    out = []
    for r in results:
        for o in r["outputs"]:
            if o["type"] == "error":
                out.append(f"{o['ename']}: {o['evalue']}\n--- in cell:\n{r['code']}")
    return out


_SVG_IN_HTML = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def _figures(results: list[dict]) -> list[str]:
    """Figures as Lab shows them: image/png or image/svg+xml outputs, or SVG embedded in an HTML output."""
    found = []
    for r in results:
        for o in r["outputs"]:
            data = o.get("data", {})
            if "image/png" in data or "image/svg+xml" in data:
                found.append(next(k for k in ("image/svg+xml", "image/png") if k in data))
            for b64 in _SVG_IN_HTML.findall(data.get("text/html", "")):
                assert b"<svg" in base64.b64decode(b64)
                found.append("image/svg+xml in text/html")
    return found


def test_the_only_kernel_is_the_projects_environment(server):
    specs = server.api("GET", "/api/kernelspecs")
    assert specs["default"] == lab.KERNEL_NAME and list(specs["kernelspecs"]) == [lab.KERNEL_NAME]
    argv = specs["kernelspecs"][lab.KERNEL_NAME]["spec"]["argv"]
    assert Path(argv[0]).resolve() == Path(sys.executable).resolve()  # the Python of .venv, where pipeline is installed


@pytest.mark.parametrize("name", ["00_corpus_overview.ipynb", "10_russian_soft_power.ipynb"])
def test_notebook_runs_in_the_lab_kernel_and_shows_figures(server, name):
    results = _run_notebook(server, name)
    assert not _errors(results), "\n\n".join(_errors(results))
    assert all(r["reply"]["status"] == "ok" for r in results)
    assert len(results) == sum(1 for c in jupytext.read(server.root / name).cells if c.cell_type == "code")
    assert _figures(results), f"{name}: no figure came back from the kernel"


def test_synthesis_without_a_build_says_what_to_run(server):
    results = _run_notebook(server, "90_synthesis.ipynb")
    errors = _errors(results)
    assert len(errors) == 1 and errors[0].startswith("ConfigError: no findings for theme")
    assert "brief build" in errors[0]


def test_saving_in_lab_updates_the_py_twin(server):
    """jupytext's contents manager is active in .venv-lab: a save writes the .ipynb and its py:percent twin."""
    name = "20_xinjiang"
    model = server.api("GET", f"/api/contents/{name}.ipynb?content=1")
    nb = model["content"]
    nb["cells"].append({"cell_type": "markdown", "id": "lab-test", "metadata": {}, "source": "Added in Lab."})
    server.api("PUT", f"/api/contents/{name}.ipynb", {"type": "notebook", "format": "json", "content": nb})
    twin = (server.root / f"{name}.py").read_text(encoding="utf-8")
    assert twin.rstrip().endswith("# Added in Lab.")
    as_notebook = server.api("GET", f"/api/contents/{name}.py?content=1&type=notebook")
    assert as_notebook["type"] == "notebook" and as_notebook["content"]["cells"][-1]["source"] == "Added in Lab."
