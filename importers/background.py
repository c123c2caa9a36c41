"""Work on the second core while the main thread goes on: python-calamine parses a sheet and hashlib
hashes a file with the GIL released, so reading the workbook overlaps the import of the store's
modules and the store's snapshot (issue 5, point 11: ~0.4 s of a 100,000-row import)."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any, Generic, TypeVar

T = TypeVar("T")


# Set by the CLI's import process (cli/process.py) only: a long-running server leaves its allocator alone
TRIM_AFTER_PARSE = False


def trim() -> None:
    """Hand the heap's free pages back to the system (glibc; elsewhere a no-op): a parsed sheet's
    cells were freed in many small pieces that Python's own allocator cannot reuse, and they would
    otherwise stay in the process's peak for the rest of the import (~20 MB at 100,000 rows).
    Only in the CLI's import process (TRIM_AFTER_PARSE)."""
    if not TRIM_AFTER_PARSE:
        return
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


class Background(Generic[T]):
    """fn(*args) in a daemon thread; result() waits and hands over its value or raises its exception.
    Daemon: a Ctrl-C in the main thread ends the process without waiting for a half-read file."""

    def __init__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> None:
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True,
                                  name=f"tenantctl-{getattr(fn, '__name__', 'work')}")
        thread.start()

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self._value = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the main thread by result()
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> T:
        """Once: the value is handed over, not kept (it may hold a whole parsed workbook)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        value, self._value = self._value, None
        return value  # type: ignore[return-value]
