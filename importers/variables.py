"""The values of an apply document's `${VAR}`: only what the caller names on the command line.

A document often comes from someone else (a reseller's setup file), so it must not be able to read
whatever the environment of the person applying it holds: `${TENANTCTL_SMTP_PASSWORD}` filled from
the environment would store the secret in a field the document's author can read back. The caller
names every variable: `--var NAME=VALUE`, `--var-file FILE` (a YAML or JSON mapping of names to
text) or `--env-allow NAME` (that one name from the environment). tenantctl's own settings
(`TENANTCTL_*`) are never variables, whichever way they are named. Later sources win: the
environment, then the files in order, then `--var`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from tenantctl.store.errors import InvalidInput

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
OWN_PREFIX = "TENANTCTL_"
HOW = "--var NAME=VALUE, --var-file FILE or --env-allow NAME"


def check_name(name: str, where: str) -> str:
    if not NAME.match(name):
        raise InvalidInput(f"{where}: {name[:40]!r} is not a variable name (letters, digits and _; not a digit first)",
                           hint="e.g. --var RESELLER=acme")
    if name.upper().startswith(OWN_PREFIX):
        raise InvalidInput(f"{where}: {name} is one of tenantctl's own settings, never a document variable",
                           hint="choose another name for the variable in the document")
    return name


def given(assignments: Sequence[str] = (), files: Sequence[str] = (), allowed: Sequence[str] = (),
          environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables the caller named, by name."""
    import os

    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for name in allowed:
        check_name(name, "--env-allow")
        if name in environ:
            out[name] = environ[name]
    for file in files:
        out.update(_read_file(file))
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise InvalidInput(f"--var {assignment[:40]!r} is not NAME=VALUE", hint="e.g. --var RESELLER=acme")
        out[check_name(name, "--var")] = value
    return out


def _read_file(file: str) -> dict[str, str]:
    """A YAML or JSON mapping NAME: text. Its values are never echoed in a message (it may hold
    secrets the caller means to put into the document)."""
    from tenantctl.importers.document import parse, read_text, shown

    text, name = read_text(file)
    where = f"--var-file {shown(name)}"
    data = parse(text, name) if text.strip() else {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{where} is not a mapping of variable names to values",
                           hint="write one NAME: value per line (YAML) or a JSON object")
    out: dict[str, str] = {}
    for key, value in data.items():
        check_name(str(key), where)
        if not isinstance(value, str):
            raise InvalidInput(f"{where}: the value of {key} is not text",
                               hint=f"quote it: {key}: \"…\" (numbers keep their leading zeros only in quotes)")
        out[str(key)] = value
    return out


def missing_message(name: str) -> str:
    return f"variable ${{{name}}} is not given and has no default: pass --var {name}=VALUE (or " \
           f"--var-file, --env-allow {name}) or write ${{{name}:-default}}"
