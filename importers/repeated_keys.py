"""A key given twice in one mapping of a document (YAML or JSON) is refused, never "the last one
wins": a document whose second `customer_number` silently replaces the first says something else
than what its reader saw. Each repetition is named at its document path with the lines of both.

JSON is read by the standard library, which knows no positions: objects are checked as they are
built (one dict() per object), and only when a key repeats is the text composed once more (as
YAML, of which JSON is a subset) to find the lines."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tenantctl.store.errors import InvalidInput


class _Repeated(dict[str, Any]):
    """An object of a JSON document that gave some key more than once."""

    keys_given_twice: list[str]


class JsonPairs:
    """object_pairs_hook for json.loads: builds each object and notes any key given twice."""

    def __init__(self) -> None:
        self.repeated = False

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        self.repeated = True
        marked = _Repeated(out)
        marked.keys_given_twice = [k for k, n in Counter(k for k, _ in pairs).items() if n > 1]
        return marked


def check_json(text: str, data: Any, pairs: JsonPairs, shown: str) -> None:
    if not pairs.repeated:
        return
    problems = _from_yaml_nodes(text)  # with lines, when the text composes as YAML
    if not problems:
        problems = [{"path": _join(path, key), "message": "is given more than once"}
                    for path, key in _json_repeats(data)]
    _refuse(problems, shown)


def check_yaml(root: Any, shown: str) -> None:
    """`root`: the composed node graph (already bounded by the caller)."""
    problems = _yaml_repeats(root)
    if problems:
        _refuse(problems, shown)


def _where(at: list[tuple[int, int]]) -> str:
    """`lines 3 and 7`, or `line 1, columns 12 and 40` (one-line JSON)."""
    lines = [line for line, _ in at]
    if len(set(lines)) == len(lines):
        return "lines " + _and(lines)
    return ", ".join(f"line {line} column {column}" for line, column in at[:-1]) + \
        f" and line {at[-1][0]} column {at[-1][1]}"


def _and(items: list[int]) -> str:
    return ", ".join(map(str, items[:-1])) + f" and {items[-1]}"


def _refuse(problems: list[dict[str, str]], shown: str) -> None:
    listed = "; ".join(f"{p['path']} {p['message']}" for p in problems[:3])
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    raise InvalidInput(f"{shown} gives a key twice: {listed}{more}",
                       hint="keep one of each: the later one would silently replace the earlier",
                       details={"problems": problems})


def _join(path: tuple[Any, ...], key: Any) -> str:
    out = ""
    for p in (*path, key):
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _json_repeats(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Repeated):
            out += [(path, k) for k in value.keys_given_twice]
        if isinstance(value, dict):
            stack += [(v, (*path, k)) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, (*path, i)) for i, v in enumerate(value)]
    return sorted(out, key=lambda p: _join(*p))


def _from_yaml_nodes(text: str) -> list[dict[str, str]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return []
    finally:
        loader.dispose()
    return _yaml_repeats(root) if root is not None else []


def _yaml_repeats(root: Any) -> list[dict[str, str]]:
    """Every mapping's keys given twice, by document path, with the lines of each place. A node
    reached again through an alias is not walked again."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    out: list[dict[str, str]] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack += [(c, (*path, i)) for i, c in enumerate(node.value)]
        elif isinstance(node, MappingNode):
            places: dict[tuple[str, str], list[tuple[int, int]]] = {}
            for k, v in node.value:
                if isinstance(k, ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    places.setdefault((k.tag, k.value), []).append((k.start_mark.line + 1, k.start_mark.column + 1))
                    stack.append((v, (*path, k.value)))
            for (_, key), at in places.items():
                if len(at) > 1:
                    out.append({"path": _join(path, key), "message": f"is given {len(at)} times ({_where(at)})"})
    return sorted(out, key=lambda p: p["path"])
