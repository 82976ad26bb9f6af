"""Small immutable records of which a corpus holds hundreds of thousands (paragraphs, mentions, scores),
and the memory housekeeping for building, loading and dropping that many objects.

``@record`` is ``@dataclass(frozen=True, slots=True)`` (no ``__dict__`` each) with a compact pickle: the
class and its field values, rebuilt by one constructor call. A frozen slots dataclass otherwise pickles
its state as a dict and restores it field by field in Python, which made loading the analysis of a
10,000-document corpus in each notebook kernel take twice as long.
"""
from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import operator
from collections.abc import Callable, Iterator
from typing import dataclass_transform


@dataclass_transform(frozen_default=True)
def record(cls: type) -> type:
    cls = dataclasses.dataclass(frozen=True, slots=True)(cls)
    cls.__init__ = _slot_init(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))
    values = operator.attrgetter(*names) if len(names) > 1 else (lambda obj: (getattr(obj, names[0]),))  # a tuple, in C

    def __reduce__(self):
        return type(self), values(self)

    cls.__reduce__ = __reduce__
    return cls


def _slot_init(cls: type) -> Callable[..., None]:
    """The frozen dataclass's ``__init__``, setting each slot through its descriptor.

    The dataclass's own calls ``object.__setattr__`` with the field's name for each field, at twice the cost:
    records are made by the hundred thousand, in the corpus stage and in every kernel that loads a context.
    """
    fields = dataclasses.fields(cls)
    if hasattr(cls, "__post_init__") or any(not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING
                                            for f in fields):
        return cls.__init__  # what this does not reproduce: keep the dataclass's own
    params = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=_default_{f.name}" for f in fields)
    body = "".join(f"    _set_{f.name}(self, {f.name})\n" for f in fields) or "    pass\n"
    scope = {f"_set_{f.name}": cls.__dict__[f.name].__set__ for f in fields}
    scope |= {f"_default_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    exec(f"def __init__(self, {params}):\n{body}", scope)  # noqa: S102 - our own fields, as dataclasses does
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause the cycle collector while building or loading many records.

    Each collection walks every object made so far, and a corpus's records hold no cycles to find: with
    the collector paused, loading the analysis of 10,000 documents takes 1.6 s instead of 5.2 s.
    """
    was_enabled = gc.isenabled()
    keeps_frozen = gc.get_freeze_count() > 0
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # What was made here lives on: it goes to the oldest generation at once (freeze, then unfreeze), so
            # the first collection after re-enabling does not walk all of it as young objects (0.09 s per
            # 1,000 documents). Full collections still see it. A process that keeps objects frozen (a notebook
            # kernel, execute.py) keeps these frozen too, as unfreezing would thaw all: records hold no
            # reference cycles, so they are freed when dropped all the same.
            gc.freeze()
            if not keeps_frozen:
                gc.unfreeze()
            gc.enable()


def release_memory() -> None:
    """Return freed memory to the OS after dropping a large analysis (glibc keeps it otherwise).

    The build drops its context while the notebook kernels hold theirs: without this its process stayed at
    750 MB of freed memory at 10,000 documents; with it, about 100 MB.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
