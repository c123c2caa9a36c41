"""Process-wide settings of the CLI's own process, in one place and never in `tenantctl serve`:

- every command ends without the interpreter's teardown (`exit_now`), which frees every object
  and module one by one: measured with `python -m bench exit` (docs/architecture.md, "Process-wide
  settings of the CLI"), it pays for small commands as for a 100,000-row import;
- the import process (`import run`, `apply`) runs with one malloc arena and without the cyclic
  garbage collector, and polars hands freed memory back at once (`import_process`). A
  long-running, multi-threaded server must not do the first two: a paused collector lets its heap
  grow without bound, and one arena serialises its threads.

Only public APIs: `atexit.register`, `sys.exit` and `os._exit`."""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache

# The code exit_now() ends the process with; None: end as Python normally does.
_exit_code: int | None = None


def _end_without_teardown() -> None:
    """Registered when `cli` is first imported, before anything a command loads registers its own
    handlers (logging's flush, SQLAlchemy's connection finalizers, …): atexit runs handlers last
    in, first out, so this one runs after all of those, and ends the process before the teardown.
    Handlers registered before `cli` was imported (by sitecustomize, say) are not run."""
    if _exit_code is None:
        return
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe (`tenantctl … | head`)
            stream.flush()
    os._exit(_exit_code)


atexit.register(_end_without_teardown)


def exit_now(code: int) -> None:
    """End the process with `code`: the atexit handlers run, the output is flushed, the teardown is
    skipped. Nothing is lost: commands commit and close the store before they return."""
    global _exit_code
    _exit_code = code
    sys.exit(code)


@cache
def _one_malloc_arena() -> None:
    """glibc gives every thread its own malloc arena, and memory the reader threads allocated and
    the main thread frees later is not reused for the main thread's allocations: the re-run of a
    100,000-row import peaked at 286 MB instead of 267 MB (MALLOC_ARENA_MAX=1, 4 alternating runs,
    no measurable time cost). Set before the import's first thread starts; elsewhere than glibc a
    no-op."""
    import ctypes

    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX; the process's own libc


def _polars_returns_freed_memory() -> None:
    """polars allocates through its own jemalloc, which keeps freed pages for a while (10 s by
    default) to reuse them: the users' comparison frees its batches, the plan then grows in the
    Python heap, and both stay counted. Returning them at once took the unchanged re-run of a
    100,000-row import from ~327 MB to ~274 MB at its peak, at no measurable time cost. jemalloc
    reads the setting when polars is loaded: set before, and never over the person's own."""
    if "polars" not in sys.modules:
        os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause automatic collection for the block (nested use is fine); restored on exit. Reading,
    planning and writing 100,000 rows create millions of small objects and no reference cycles
    worth collecting, and every automatic collection walks the whole growing heap (a third of the
    planning and writing time, measured; issue 5, point 11)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def import_process() -> Iterator[None]:
    """The whole run of `import run` or `apply` in this process: one malloc arena, no automatic
    garbage collection, the parsed sheets' freed heap handed back (importers/background.trim)."""
    from tenantctl.importers import background

    _one_malloc_arena()
    _polars_returns_freed_memory()
    background.TRIM_AFTER_PARSE = True
    try:
        with gc_paused():
            yield
    finally:
        background.TRIM_AFTER_PARSE = False
