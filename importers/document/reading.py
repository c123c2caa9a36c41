"""Reading a document: the file or stdin (size-bounded, UTF-8), then JSON or YAML (the safe
loader) bounded in depth, aliases and nodes before anything is built from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tenantctl.importers.document.spec import DOCUMENT_KEYS
from tenantctl.store.errors import InvalidInput

MAX_BYTES = 50 * 1024 * 1024

def shown(name: str) -> str:
    """A document's name in a message: `-` is stdin."""
    return "stdin" if name == "-" else name


def read_text(file: str) -> tuple[str, str]:
    """(text, name) of FILE or `-` (stdin), size-bounded, UTF-8."""
    import sys

    if file == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        name = "-"  # as typed (-f -): the file name recorded with the run
    else:
        path = Path(file).expanduser()
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {file}: {exc.strerror}", hint="check the path") from None
        name = path.name
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{shown(name)} is larger than {MAX_BYTES // (1024 * 1024)} MB", hint="split the document")
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{shown(name)} is not UTF-8 (byte {exc.start})", hint="save the file as UTF-8") from None


# What a document may hold (issue: a 312-byte YAML alias bomb expands to hundreds of millions of
# nodes). A real document of MAX_BYTES (100,000 people) has fewer than MAX_NODES nodes, no aliases
# from `export` and a depth of 6; aliases count as the nodes they stand for.
MAX_DEPTH = 64
MAX_ALIASES = 1000
MAX_NODES = 5_000_000


def parse(text: str, name: str) -> Any:
    """JSON (fast) when it looks like JSON, else YAML with the safe loader; bounded in depth, aliases
    and nodes (aliases counted as what they expand to) before anything is built from it. The one
    reader of documents: `apply -f` locally, in remote mode and POST /api/v1/apply."""
    from tenantctl.importers import repeated_keys

    if text.lstrip()[:1] in {"{", "["}:
        pairs = repeated_keys.JsonPairs()
        try:
            data = json.loads(text, object_pairs_hook=pairs)
        except RecursionError:
            raise _too_deep(name) from None
        except json.JSONDecodeError as exc:
            if name.endswith(".json"):
                raise InvalidInput(f"{shown(name)} is not valid JSON: {exc.msg} (line {exc.lineno}, "
                                   f"column {exc.colno})", hint="fix the document") from None
        else:
            _check_json(data, name)
            repeated_keys.check_json(text, data, pairs, shown(name))
            return data
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml(node, name)
        repeated_keys.check_yaml(node, shown(name))
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "nesting depth" in str(problem):
            raise _too_deep(name) from None
        raise InvalidInput(f"{shown(name)} is not valid YAML: {problem}{where}", hint="fix the document") from None
    finally:
        loader.dispose()


def refuse_non_document(doc: Any, name: str) -> None:
    """A file that is not a tenantctl document (`apply -f /etc/shadow`, a csv, a passwd file, a
    config file) is refused in one line that quotes nothing of it: its text may be secret, and
    the schema's messages would echo it."""
    if isinstance(doc, dict) and (not doc or not DOCUMENT_KEYS.isdisjoint(doc)):
        return
    what = "a mapping without version, tenants or users" if isinstance(doc, dict) else \
        "a list" if isinstance(doc, list) else "plain text" if isinstance(doc, str) else "a single value"
    raise InvalidInput(f"{shown(name)} is not a tenantctl document: it reads as {what}",
                       hint="a document is a YAML or JSON mapping with version, tenants and users: "
                            "see tenantctl apply --schema or tenantctl export -o yaml")


def _too_deep(name: str) -> InvalidInput:
    return InvalidInput(f"{shown(name)} is nested more than {MAX_DEPTH} levels deep",
                        hint="a tenantctl document is 6 levels deep: check the document")


def _too_many(name: str) -> InvalidInput:
    return InvalidInput(f"{shown(name)} has more than {MAX_NODES:,} values (aliases counted as what they "
                        "repeat)", hint="split the document")


def _check_yaml(root: Any, name: str) -> None:
    """Walk the composed node graph once (no recursion; each node's expanded size memoised, so an
    alias bomb costs as much as its text): depth, aliases (a node reached a second time) and nodes."""
    from yaml.nodes import MappingNode, SequenceNode

    def children(node: Any) -> list[Any]:
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, MappingNode):
            return [part for pair in node.value for part in pair]
        return []

    size: dict[int, int] = {}
    aliases = 0
    stack: list[tuple[Any, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(name)
        if done:
            size[id(node)] = 1 + sum(size[id(c)] for c in children(node))
            if size[id(node)] > MAX_NODES:
                raise _too_many(name)
            continue
        if id(node) in size:  # reached again: an alias
            if size[id(node)] == 0:  # of a node still being walked: one that contains itself
                raise InvalidInput(f"{shown(name)} has a YAML alias inside the value it names",
                                   hint="write the values out; tenantctl export writes no aliases")
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InvalidInput(f"{shown(name)} uses more than {MAX_ALIASES} YAML aliases (*name)",
                                   hint="write the values out; tenantctl export writes none")
            continue
        size[id(node)] = 0  # seen, being walked
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children(node))


def _check_json(data: Any, name: str) -> None:
    nodes = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise _too_deep(name)
        if nodes > MAX_NODES:
            raise _too_many(name)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            nodes += len(value)
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)

