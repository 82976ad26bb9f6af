"""Mapping a function over many items in worker processes, when there are enough to pay for starting them."""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from typing import Any


def die_with_parent(parent: int) -> None:
    """Pool initializer: the worker is killed when the build process dies, even by SIGKILL (Linux).

    Without it a killed build leaves its workers running: they go on with queued work (notebooks) into the
    dead build's staging directory and then wait for work forever.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the build died before the line above ran
        os._exit(1)


MIN_ITEMS = 200  # below this, starting workers (about half a second each) costs more than it saves


def forks(items: int, jobs: int | None = None) -> bool:
    """Whether ``pmap`` over this many items starts workers: when it is worth it, in a single-threaded process."""
    return (jobs or os.cpu_count() or 1) >= 2 and items >= MIN_ITEMS and threading.active_count() == 1


_shared: tuple = ()  # pmap's ``shared`` arguments, which its forked workers inherit


def pmap(fn: Callable[..., Any], items: Sequence[tuple], jobs: int | None = None, units: int | None = None,
         shared: tuple = ()) -> list[Any]:
    """``[fn(*shared, *item) for item in items]``, in ``jobs`` processes (default: the number of cores) when worth
    it: ``forks`` decides on ``units``, the number of things the items hold (default: one each).

    Workers are forked: a spawned worker would re-run the caller's script (any analyst's script without a
    ``__main__`` guard would break), and forking is safe only while this process runs a single thread, so
    a threaded caller (a Jupyter kernel) computes in-process. Items and results must be picklable; ``shared``
    need not be, as the workers inherit it, with what it has built and remembered, instead of receiving a copy
    with each chunk of items (a codebook rebuilt its prefilter and memos from nothing for each).
    """
    global _shared
    jobs = jobs or os.cpu_count() or 1
    if not forks(len(items) if units is None else units, jobs):
        return [fn(*shared, *item) for item in items]
    outer, _shared = _shared, shared  # outer: a worker's own, should its function map again
    try:
        with ProcessPoolExecutor(jobs, mp_context=get_context("fork"), initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            return list(pool.map(partial(_call_shared, fn), *zip(*items), chunksize=max(1, len(items) // (jobs * 8))))
    finally:
        _shared = outer


def _call_shared(fn: Callable[..., Any], *item: Any) -> Any:
    return fn(*_shared, *item)
