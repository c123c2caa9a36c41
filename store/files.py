"""Files and folders the tool creates: 0600 files in 0700 folders, whatever the umask.

They hold what must not leak to other local users: the store (password hashes, audit), the outbox
(mails with live password and invitation links), import reports and exports (names, e-mail
addresses). Files are written next to their target under a temporary name and renamed into place,
so nobody ever reads half a file; a write that fails (disk full) removes the partial file.

A target that is not a plain file is never renamed over: a FIFO, a character device or the
process's own stream (`/dev/stdout`) is written in place, as a shell's `>` would; a directory,
socket or block device is refused. Any other symlink is replaced, never followed."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
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
    raised; the target is untouched. A FIFO, character device or the process's own stream is
    written in place (see in_place). `replace=False`: an existing target (even one created while
    we wrote) raises FileExistsError and stays as it is."""
    if in_place(path):
        _write_in_place(path, write, fsync=fsync)
        return
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
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(tmp, path)
        tmp.touch()  # the caller removes it


def in_place(path: Path) -> bool:
    """True when `path` must be written where it is instead of replaced: a FIFO, a character device
    or one of the process's own streams (`/dev/stdout`, `/dev/fd/N`: symlinks into /proc, whatever
    they point at). Any other symlink is replaced, never followed, so a link planted in a shared
    folder cannot redirect the write into another file. A directory, socket or block device (also
    behind a symlink) is refused: OSError, as for any file that cannot be written. A missing path
    or a regular file is replaced atomically (False)."""
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISREG(link.st_mode):
        return False
    try:
        target = os.stat(path).st_mode
    except (FileNotFoundError, PermissionError):
        return False  # a dangling link: replaced like any other link
    if stat.S_ISFIFO(target) or stat.S_ISCHR(target) or _stream(path):
        return True
    if stat.S_ISLNK(link.st_mode) and stat.S_ISREG(target):
        return False
    what = "a folder" if stat.S_ISDIR(target) else "a block device" if stat.S_ISBLK(target) else \
        "a socket" if stat.S_ISSOCK(target) else "not a regular file"
    raise OSError(errno.EISDIR if stat.S_ISDIR(target) else errno.EINVAL, f"it is {what}; name a file")


def _stream(path: Path) -> bool:
    """A symlink chain that passes through /proc (`/dev/stdout` → /proc/self/fd/1): the process's
    own stream, redirected to a file by the shell."""
    probe, hops = Path(os.path.abspath(path)), 0
    while probe.is_symlink() and hops < 40:
        probe, hops = Path(os.path.abspath(probe.parent / os.readlink(probe))), hops + 1
        if probe.parts[1:2] == ("proc",):
            return True
    return False


def _write_in_place(path: Path, write: Callable[[BinaryIO], object], *, fsync: bool) -> None:
    """Open the existing target for writing: never created, truncated, renamed or chmod-ed (a
    shell's `>` already truncated a redirected stdout)."""
    fd = os.open(path, os.O_WRONLY)
    with os.fdopen(fd, "wb") as fh:
        write(fh)
        fh.flush()
        if fsync and stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            os.fsync(fh.fileno())


def occupied(path: Path) -> bool:
    """Whether writing `path` would replace something (a file, a symlink): what `--force` is for.
    A FIFO, character device or stream is written in place, replacing nothing; a target that
    cannot be written at all (a folder) is left for the write to explain."""
    if not os.path.lexists(path):
        return False
    try:
        return not in_place(path)
    except OSError:
        return False
