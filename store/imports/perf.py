"""Planning and writing without the cyclic garbage collector: 100,000 rows create millions of small
objects and no reference cycles worth collecting, and every automatic collection walks the whole
growing heap (a third of the planning and writing time, measured; issue 5, point 11)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause automatic collection for the block (nested use is fine); restored on exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
