"""${VAR} and ${VAR:-default} in a document's values: only the caller's variables
(importers/variables.py), never the process's environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tenantctl.importers.document.reading import parse, shown
from tenantctl.importers.document.validation import doc_path
from tenantctl.importers.variables import missing_message
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.rows import Problem

VARIABLE = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

def substitute(value: Any, env: Mapping[str, str], problems: list[Problem], used: list[str],
               path: tuple[Any, ...] = ()) -> Any:
    """${VAR} and ${VAR:-default} in every string value; $${VAR} stays literal."""
    if isinstance(value, str):
        if "${" not in value:
            return value

        def repl(m: re.Match[str]) -> str:
            escaped, name, default = m.group(1), m.group(2), m.group(3)
            if escaped:
                return m.group(0)[1:]
            if name not in used:
                used.append(name)
            if name in env:
                return env[name]
            if default is not None:
                return default
            problems.append(Problem(doc_path(path), None, None, missing_message(name)))
            return m.group(0)

        return VARIABLE.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, env, problems, used, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env, problems, used, (*path, i)) for i, v in enumerate(value)]
    return value


def resolved(text: str, name: str, env: Mapping[str, str]) -> str:
    """The document with the caller's variables (importers/variables.py) substituted here, for a
    server (remote mode): the server substitutes nothing, since its environment is not the
    caller's and must not reach the store.
    Unchanged without variables; else dumped again as YAML, which gives the server the very values
    (dates, numbers, strings) this side parsed."""
    if "${" not in text:
        return text
    problems: list[Problem] = []
    doc = substitute(parse(text, name), env, problems, [])
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in {shown(name)}; nothing was sent",
                           hint="name the variables (--var NAME=VALUE), or give them defaults: ${VAR:-default}",
                           details={"problems": [{"path": p.sheet, "message": p.message} for p in problems]})
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False))

