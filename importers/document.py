"""A desired-state document (YAML or JSON, `tenantctl apply -f`) → the import's row contract.

    tenants:
      - name: Müller GmbH             # matched by key, customer number (at its reseller) or external id
        reseller: ${RESELLER}         # ${VAR}, ${VAR:-default}: only from --var, --var-file, --env-allow
        customer_number: "10001"      # identifiers are strings: quote numbers (leading zeros survive)
        applications: [lohn]          # bookings
        users:                        # members of this tenant, by e-mail
          - {email: max@mueller.example, first_name: Max, last_name: Müller, role: admin, access: [lohn]}
    users:                            # people in several tenants
      - email: anna@agentur.example
        first_name: Anna
        last_name: Agentur
        memberships: [{tenant: mueller-gmbh, role: admin}, {tenant: acme}]

Every problem is reported at once with its place in the document (`tenants[3].users[1].email`).
YAML is read with the safe loader (no Python objects, no tags that run code)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantctl.importers.variables import missing_message
from tenantctl.store.desired import Desired, DesiredTenant
from tenantctl.store.errors import InvalidInput
from tenantctl.store.imports.flat import ROW_REF
from tenantctl.store.imports.rows import Problem, Source, Table
from tenantctl.store.nfc import nfc, nfc_deep

TENANT_FIELDS = ("key", "name", "kind", "reseller", "customer_number", "currency", "billing", "language",
                 "external_id", "applications")
USER_FIELDS = ("first_name", "last_name", "email", "tenant", "role", "language", "login", "access")
MEMBERSHIP_FIELDS = frozenset({"tenant", "role", "access"})
DOCUMENT_KEYS = frozenset({"version", "tenants", "users"})
MAX_BYTES = 50 * 1024 * 1024
VARIABLE = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

_STRING = {"type": "string", "minLength": 1}
_ID = {"type": "string", "minLength": 1, "description": "text: quote numbers (\"0042\")"}
_NAMES = {"type": "array", "items": _STRING, "uniqueItems": True}
_PERSON = {
    "email": {"type": "string", "minLength": 3, "description": "the person: one user per e-mail address"},
    "first_name": _STRING,
    "last_name": _STRING,
    "language": {"enum": ["de", "en"]},
    "login": {"type": "string", "description": "informative (export writes it): logins are derived from the name"},
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tenantctl desired state (tenantctl apply -f)",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "tenants": {"type": "array", "items": {"$ref": "#/$defs/tenant"}},
        "users": {"type": "array", "items": {"$ref": "#/$defs/user"}},
    },
    "$defs": {
        "tenant": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "description": "matched by key, else customer number at its reseller, else external id, else name",
            "properties": {
                "key": _ID, "name": _STRING, "kind": {"enum": ["customer", "reseller"]}, "reseller": _ID,
                "customer_number": _ID, "external_id": _ID, "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                "billing": {"enum": ["customer", "reseller"]}, "language": {"enum": ["de", "en"]},
                "applications": {**_NAMES, "description": "booked applications (keys)"},
                "users": {"type": "array", "items": {"$ref": "#/$defs/member"}},
            },
        },
        "member": {
            "type": "object", "additionalProperties": False, "required": ["email", "first_name", "last_name"],
            "description": "a person and their membership in the enclosing tenant",
            "properties": {**_PERSON, "role": {"enum": ["admin", "member", "billing"]}, "access": _NAMES},
        },
        "user": {
            "type": "object", "additionalProperties": False,
            "required": ["email", "first_name", "last_name", "memberships"],
            "description": "a person in one or more tenants",
            "properties": {**_PERSON, "memberships": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["tenant"],
                "properties": {"tenant": {**_ID, "description": "a tenant's key"},
                               "role": {"enum": ["admin", "member", "billing"]}, "access": _NAMES}}}},
        },
    },
}


@dataclass
class Document:
    source: Source
    desired: Desired
    digest: str
    variables: list[str] = field(default_factory=list)  # the variables it used (names only)


def schema() -> dict[str, Any]:
    return SCHEMA


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


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


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
            problems.append(Problem(_path(path), None, None, missing_message(name)))
            return m.group(0)

        return VARIABLE.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute(v, env, problems, used, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env, problems, used, (*path, i)) for i, v in enumerate(value)]
    return value


def validate(doc: Any) -> list[Problem]:
    """Every departure from the schema, each with its document path. A checker compiled from SCHEMA
    (the subset of JSON Schema it uses): jsonschema itself needs ~23 s for 110,000 objects, this
    ~0.3 s; a test checks that both find the same problems."""
    out: list[Problem] = []
    _checker()(doc, (), out)
    return out


Check = Callable[[Any, tuple[Any, ...], list[Problem]], None]
_COMPILED: dict[str, Check] = {}


def _checker() -> Check:
    if "" not in _COMPILED:
        for name, sub in SCHEMA["$defs"].items():
            _COMPILED[name] = _compile(sub)
        _COMPILED[""] = _compile(SCHEMA)
    return _COMPILED[""]


def _fail(out: list[Problem], path: tuple[Any, ...], message: str) -> None:
    out.append(Problem(_path(path), None, None, message))


def _compile(schema: dict[str, Any]) -> Check:
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[1]
        return lambda v, p, out: _COMPILED[name](v, p, out)
    kind = schema.get("type")
    if "const" in schema:
        const = schema["const"]
        return lambda v, p, out: None if v == const and type(v) is type(const) else _fail(
            out, p, f"{v!r} was expected to be {const!r}")
    if "enum" in schema:
        allowed = tuple(schema["enum"])
        return lambda v, p, out: None if type(v) is str and v in allowed else _fail(
            out, p, f"{v!r} is not one of {list(allowed)!r}")
    if kind == "string":
        min_len = schema.get("minLength", 0)
        pattern = re.compile(schema["pattern"]) if "pattern" in schema else None

        def check_string(v: Any, p: tuple[Any, ...], out: list[Problem]) -> None:
            if type(v) is not str:
                if isinstance(v, int | float) and not isinstance(v, bool):
                    _fail(out, p, f"{v!r} is a number: write it in quotes (\"{v}\") so that it stays as written")
                else:
                    _fail(out, p, f"{v!r} is not of type 'string'")
            elif len(v) < min_len:
                _fail(out, p, f"{v!r} is too short" if v else "must not be empty")
            elif pattern is not None and not pattern.search(v):
                _fail(out, p, f"{v!r} does not match {pattern.pattern!r}")

        return check_string
    if kind == "array":
        item = _compile(schema["items"])
        min_items, unique = schema.get("minItems", 0), schema.get("uniqueItems", False)

        def check_array(v: Any, p: tuple[Any, ...], out: list[Problem]) -> None:
            if type(v) is not list:
                _fail(out, p, f"{v!r} is not of type 'array'")
                return
            if len(v) < min_items:
                _fail(out, p, f"{v!r} should be non-empty" if min_items == 1 else f"{v!r} is too short")
            if unique and len(v) > 1 and len({json.dumps(x, sort_keys=True) for x in v}) < len(v):
                _fail(out, p, f"{v!r} has non-unique elements")
            for i, x in enumerate(v):
                item(x, (*p, i), out)

        return check_array
    if kind == "object":
        raw_props = schema.get("properties", {})
        props = {k: _compile(v) for k, v in raw_props.items()}
        allowed_keys = frozenset(props)
        required = tuple(schema.get("required", ()))
        closed = schema.get("additionalProperties", True) is False
        # the common case checked inline (no call per field): plain non-empty strings, enums
        plain = frozenset(k for k, v in raw_props.items() if v.get("type") == "string" and "pattern" not in v
                          and v.get("minLength", 0) <= 1)
        enums = {k: frozenset(v["enum"]) for k, v in raw_props.items() if "enum" in v}

        def check_object(v: Any, p: tuple[Any, ...], out: list[Problem]) -> None:
            if type(v) is not dict:
                _fail(out, p, f"{v!r} is not of type 'object'")
                return
            for r in required:
                if r not in v:
                    _fail(out, p, f"{r!r} is a required property")
            if closed and not allowed_keys.issuperset(v):
                extra = ", ".join(repr(k) for k in v if k not in allowed_keys)
                _fail(out, p, f"unknown field(s) ({extra} {'was' if ',' not in extra else 'were'} unexpected)")
            for k, x in v.items():
                if type(x) is str and ((k in plain and x) or (k in enums and x in enums[k])):
                    continue
                check = props.get(k)
                if check is not None:
                    check(x, (*p, k), out)

        return check_object
    return lambda v, p, out: None


class _Locations:
    """Row numbers ↔ document paths, for Source.locate."""

    def __init__(self) -> None:
        # users row → ("t", tenant index, user index) or ("u", user index, membership index)
        self.users: dict[int, tuple[str, int, int]] = {}

    def locate(self, sheet: str, row: int | None, column: str | None) -> str:
        if row is None:
            return sheet + (f".{column}" if column else "")
        if sheet == "tenants":
            base = f"tenants[{row - 1}]"
        else:
            kind, i, j = self.users.get(row, ("u", row - 1, 0))
            if kind == "t":
                base = f"tenants[{i}].users[{j}]"
                if column == "tenant":  # a nested user has no tenant field: it is the one it is listed under
                    return base
            else:
                base = f"users[{i}].memberships[{j}]" if column in MEMBERSHIP_FIELDS else f"users[{i}]"
        return base + (f".{column}" if column else "")


def _compare(first: tuple[tuple[Any, ...], dict[str, Any]], where: tuple[Any, ...], person: dict[str, Any],
             problems: list[Problem], loc: _Locations) -> None:
    """The same e-mail is one person: names and language must agree wherever it is listed."""
    for f in ("first_name", "last_name", "language"):
        if f in person and f in first[1] and person[f] != first[1][f]:
            there, here = _person_path(first[0]), _person_path(where)
            problems.append(Problem(f"{here}.{f}", None, None, f"{person[f]!r} differs from {first[1][f]!r} at "
                                    f"{there}.{f} (the same e-mail is one person)"))


def _person_path(where: tuple[Any, ...]) -> str:
    kind, i, j = where
    return f"tenants[{i}].users[{j}]" if kind == "t" else f"users[{i}]"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


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


def load(text: str, name: str, env: Mapping[str, str] | None = None, *, variables: bool = True) -> Document:
    """Parse, substitute the caller's variables `env` (importers/variables.py; never the process's
    environment; not at all with variables=False: a server, see resolved()), validate and
    turn into a Source (one row per tenant, one per membership) plus what --prune and
    --send-links=missing need."""
    env = {} if env is None else env
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # text enters here: values in NFC (store/nfc.py); JSON escapes are only seen once parsed
    raw = parse(nfc(text), name)
    if "\\u" in text:
        raw = nfc_deep(raw)
    problems: list[Problem] = []
    used: list[str] = []
    doc = substitute(raw, env, problems, used) if variables and "${" in text else raw
    if doc is None:
        doc = {}
    refuse_non_document(doc, name)
    problems += validate(doc)
    kind = "json" if text.lstrip()[:1] in {"{", "["} else "yaml"
    loc = _Locations()
    source = Source(Path(name), kind, problems=problems, locate=loc.locate)
    desired = Desired()
    if not isinstance(doc, dict):
        return Document(source, desired, digest, used)
    # rows are built even when the schema found problems: the engine then reports the rules'
    # problems too, so that one run names every problem (entries that are not objects are skipped)
    tenants = Table("tenants", "tenants", 0, list(TENANT_FIELDS), {f: i for i, f in enumerate(TENANT_FIELDS)})
    users = Table("users", "users", 0, list(USER_FIELDS), {f: i for i, f in enumerate(USER_FIELDS)})

    rows = users.rows
    where_of = loc.users
    people: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}  # e-mail → (first place, person)
    clean = not problems  # the schema held: every value is already a string (access: a list)

    def text_of(d: dict[str, Any], k: str) -> str | None:
        v = d.get(k)
        return v if v is None or type(v) is str else _text(v)

    def person_row(person: dict[str, Any], where: tuple[Any, ...], membership: dict[str, Any],
                   tenant_ref: str | None) -> None:
        # where: ("t", tenant index, user index) or ("u", user index, membership index); the
        # document path is spelled out only for a problem (100,000 rows)
        g = person.get
        email = g("email") if clean else text_of(person, "email")
        first = people.setdefault(str(email or "").casefold(), (where, person))
        if first[1] is not person:
            _compare(first, where, person, problems, loc)
        row = len(rows) + 1
        where_of[row] = where
        if clean:
            access = membership.get("access")
            rows.append((row, (g("first_name"), g("last_name"), email, tenant_ref, membership.get("role"),
                               g("language"), g("login"), ", ".join(access) if access else None)))
        else:
            rows.append((row, (text_of(person, "first_name"), text_of(person, "last_name"), email, tenant_ref,
                               text_of(membership, "role"), text_of(person, "language"), text_of(person, "login"),
                               text_of(membership, "access"))))

    def objects(value: Any) -> list[tuple[int, dict[str, Any]]]:
        return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []

    for i, t in objects(doc.get("tenants")):
        path = f"tenants[{i}]"
        tenants.rows.append((i + 1, tuple(_text(t.get(f)) for f in TENANT_FIELDS)))
        apps = t.get("applications")
        desired.tenants.append(DesiredTenant(i + 1, path, [str(a) for a in apps] if isinstance(apps, list) else None))
        ref_text = f"{ROW_REF}{i + 1}"  # exactly this tenant, whatever its number or name
        for j, u in objects(t.get("users")):
            person_row(u, ("t", i, j), u, ref_text)
    for i, u in objects(doc.get("users")):
        for j, m in objects(u.get("memberships")):
            person_row(u, ("u", i, j), m, _text(m.get("tenant")))
    desired.document = doc
    if tenants.rows:
        source.tables["tenants"] = tenants
    if users.rows:
        source.tables["users"] = users
    return Document(source, desired, digest, used)


# -- export: the store in the same format -------------------------------------------------------------

def document_of(tenant_rows: list[dict[str, Any]], user_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The export's rows (store/services/exports.collect, one per membership) as a document: users
    nested under their tenants, empty values left out."""
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for u in user_rows:
        entry = {k: u[k] for k in ("email", "first_name", "last_name", "language", "login", "role") if u.get(k)}
        if u.get("access"):
            entry["access"] = [a.strip() for a in u["access"].split(",") if a.strip()]
        by_tenant.setdefault(u["tenant"], []).append(entry)
    tenants = []
    for t in tenant_rows:
        entry = {k: t[k] for k in TENANT_FIELDS if k not in {"applications"} and t.get(k)}
        entry["applications"] = [a.strip() for a in (t.get("applications") or "").split(",") if a.strip()]
        entry["users"] = by_tenant.get(t["key"], [])
        tenants.append(entry)
    return {"version": 1, "tenants": tenants}


def dump(doc: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                         width=120))


def iter_problem_lines(source: Source, problems: list[dict[str, Any]]) -> Iterator[str]:
    for p in problems:
        yield f"{source.where(p)}: {p['message']}"
