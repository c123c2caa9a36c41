"""Reading secrets (passwords, tokens, links) from stdin and files: bounded, as bytes.

Bounded: `--token-file /dev/zero` or a huge pipe is refused after 64 KB instead of filling memory.
As bytes: a line ends at b"\\n" only (an optional "\\r" before it is dropped). str.splitlines() would
also break at U+2028, U+0085 (NEL), a lone CR and others, silently cutting a password short."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

from tenantctl.store.errors import InvalidInput

MAX_BYTES = 64 * 1024


def read_limited(fh: BinaryIO, what: str, limit: int = MAX_BYTES) -> bytes:
    data = fh.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"the {what} is larger than {limit // 1024} KB; refused",
                           hint="give the file or pipe that holds just the link or token")
    return data


def decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"the {what} is not UTF-8 text", hint="save it as UTF-8") from None


def stdin_bytes() -> BinaryIO:
    return sys.stdin.buffer


def read_stdin(what: str) -> str:
    return decode(read_limited(stdin_bytes(), what), what)


def read_file(path: Path, what: str) -> str:
    """A token file: `-` is stdin."""
    if str(path) == "-":
        return read_stdin(what)
    try:
        with path.expanduser().open("rb") as fh:
            return decode(read_limited(fh, what), what)
    except OSError as exc:
        raise InvalidInput(f"cannot read the {what} {path}: {exc.strerror}", hint="check the path") from None


class StdinLines:
    """stdin read once (bounded), handed out line by line; only b"\\n" (with an optional "\\r"
    before it) ends a line."""

    def __init__(self) -> None:
        self._lines: list[bytes] | None = None

    def next(self, what: str) -> str:
        if self._lines is None:
            raw = read_limited(stdin_bytes(), "input on stdin")
            self._lines = raw.split(b"\n")
            if self._lines[-1] == b"":
                self._lines.pop()  # the newline that ends the last line
        if not self._lines:
            raise InvalidInput(f"no {what} on stdin", hint=f"pipe the {what} as one line on stdin")
        raw_line = self._lines.pop(0)
        line = decode(raw_line[:-1] if raw_line.endswith(b"\r") else raw_line, f"{what} on stdin")
        if line.strip() == "":
            raise InvalidInput(f"the {what} on stdin is empty", hint=f"pipe the {what} as one line on stdin")
        return line
