"""Files and folders the tool creates: 0600 files in 0700 folders, whatever the umask.

They hold what must not leak to other local users: the store (password hashes, audit), the outbox
(mails with live password and invitation links), import reports and exports (names, e-mail
addresses). Files are written next to their target under a temporary name and renamed into place,
so nobody ever reads half a file; a write that fails (disk full) removes the partial file."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(folder: Path) -> Path:
    """Create `folder` (and missing parents) as 0700; a folder we create is ours to lock down.
    An existing folder is left as its owner made it, except that it must exist."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask; chmod is not
    return folder


def create_private(path: Path) -> None:
    """Create an empty 0600 file unless it exists (e.g. the SQLite store before SQLite opens it:
    SQLite gives its -wal and -shm files the database file's mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def write_private(path: Path, write: Callable[[BinaryIO], object], *, fsync: bool = False,
                  replace: bool = True) -> None:
    """Write `path` as a 0600 file through `write(fh)`: into a temporary file in the same folder,
    then renamed over the target. On any failure the temporary file is removed and the error
    raised; the target is untouched. `replace=False`: an existing target (even one created while
    we wrote) raises FileExistsError and stays as it is."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), FILE_MODE)
            write(fh)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            _link_no_clobber(tmp, path)
            tmp.unlink()
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _link_no_clobber(tmp: Path, path: Path) -> None:
    """Put `tmp` in place unless `path` exists: a hard link fails atomically on an existing name.
    Where the file system has no hard links, the check and the rename are two steps."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(tmp, path)
        tmp.touch()  # the caller removes it
