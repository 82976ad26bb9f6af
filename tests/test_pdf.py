"""The PDF child (pipeline/pdf.py): what it costs to start."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import PROJECT_ROOT

PROBE = """
import json, subprocess, sys
started = []
real = subprocess.Popen.__init__
def counting(self, args, *rest, **kwargs):
    started.append(str(args[0]) if isinstance(args, (list, tuple)) else str(args))
    real(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = counting
import contextlib
from pipeline.pdf import _one_library_listing
with _one_library_listing() if sys.argv[1] == "listing" else contextlib.nullcontext():
    import weasyprint
libraries = sorted({line.split()[-1] for line in open("/proc/self/maps") if ".so" in line.split()[-1]})
print(json.dumps({"started": started, "libraries": libraries}))
"""


def _import_weasyprint(how: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, how], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not Path("/sbin/ldconfig").exists() or not Path("/proc/self/maps").exists(), reason="glibc Linux only")
def test_weasyprint_loads_the_same_libraries_from_one_ldconfig_listing():
    listed, plain = _import_weasyprint("listing"), _import_weasyprint("plain")
    assert listed["started"] == ["/sbin/ldconfig"]
    assert len(plain["started"]) > 1  # what the listing saves: ctypes runs ldconfig, gcc and ld per library name
    assert listed["libraries"] == plain["libraries"]
