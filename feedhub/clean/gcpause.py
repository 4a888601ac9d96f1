"""The cycle collector paused while a batch is cleaned.

Cleaning allocates many short-lived containers (tree nodes, child lists, cached
texts) and, on the deferred path, keeps a whole batch's prepared trees alive until
learning is done.  The collector's generation counters therefore fire again and
again during a batch and each pass re-scans those live trees: with nothing for it to
free, as finished and removed trees have no cycles left (``dom.serialize(release=
True)``, ``dom.decompose``) and are freed by reference counting.  Pausing it for the
batch saves that scanning; what the batch leaves alive is scanned once afterwards,
by the next ordinary collection.

The pause is process-wide (``gc`` has no per-thread switch), so it is nested with a
counter under a lock: the collector comes back when the last concurrent batch ends,
and only if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False  # was the collector enabled when the outermost pause began


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
